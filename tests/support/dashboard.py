"""Shared helpers for the dashboard tests in Streamlit's AppTest."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.support.paths import REPO

APP = str(REPO / "dashboard" / "streamlit_app.py")


def ok(at: AppTest) -> None:
    """Assert the app ran without an exception or an error message."""
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def page_path(page: str) -> str:
    """A page file relative to the app, e.g. ``"topics.py"`` -> ``"app_pages/topics.py"``."""
    return page if "/" in page else f"app_pages/{page}"


def run(page: str = "overview.py", *, allow_errors: bool = False, **query) -> AppTest:
    """Run the app with ``query`` as URL parameters, then switch to ``page``.

    Always asserts there was no exception; also that no error was shown unless ``allow_errors``.
    """
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params.update(query)
    at.run()
    if page != "overview.py":
        at.switch_page(page_path(page)).run()
    if allow_errors:
        assert not at.exception, [e.message for e in at.exception]
    else:
        ok(at)
    return at
