"""A visitor's uploads live in their own session and go when it ends (real server, real Chromium).

The dashboard keeps each session's private store in ``<tmp>/papertrends-sessions-<server pid>/``;
closing the browser tab ends the session and removes its folder, and stopping the server removes
the whole sessions folder.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import pytest

from tests.support.browser import ARGS, CHROMIUM
from tests.support.paths import DAILY
from tests.support.server import serve
from tests.support.stores import bundled_copy

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(),
                       reason="needs Debian's chromium (make browser)"),
]


def wait_for(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got:
            return got
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def test_uploads_are_removed_when_the_session_ends(tmp_path):
    from playwright.sync_api import sync_playwright

    store = bundled_copy(tmp_path / "store")
    shared = store.read_papers().height
    upload = DAILY / "2024-05-27.json"
    with serve(store.root) as server, sync_playwright() as pw:
        sessions = Path(tempfile.gettempdir()) / f"papertrends-sessions-{server.proc.pid}"
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(server.url + "/")
            page.locator("[data-testid='stVegaLiteChart']").first.wait_for(timeout=60_000)
            page.get_by_text("Data", exact=True).first.click()
            page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(
                str(upload))
            folder = wait_for(lambda: [p.parents[3] for p in
                                       sessions.glob("session-*/store/raw/ingested/*")],
                              60, "the session's copy of the upload")[0]
            assert (folder / "store" / "papers.parquet").is_file()
            assert store.read_papers().height == shared  # the shared store is untouched
            page.close()  # the visitor leaves: the session ends
            # usually within seconds; Streamlit may keep a disconnected session up to
            # server.disconnectedSessionTTL (120 s) for a reconnect, so that is the bound
            wait_for(lambda: not folder.exists(), 150, "the session folder to be removed")
        finally:
            browser.close()
    assert not sessions.exists()  # the server stopped: nothing of its sessions is left
