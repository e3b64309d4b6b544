"""Shared helpers for the dashboard tests in Streamlit's AppTest."""

from __future__ import annotations

from conftest import REPO
from streamlit.testing.v1 import AppTest

APP = str(REPO / "dashboard" / "app.py")


def ok(at: AppTest) -> None:
    """Assert the app ran without an exception or an error message."""
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def run(page: str = "overview.py", *, allow_errors: bool = False, **query) -> AppTest:
    """Run the app with ``query`` as URL parameters, then switch to ``page``.

    Always asserts there was no exception; also that no error was shown unless ``allow_errors``.
    """
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params.update(query)
    at.run()
    if page != "overview.py":
        at.switch_page(page).run()
    if allow_errors:
        assert not at.exception, [e.message for e in at.exception]
    else:
        ok(at)
    return at
