"""End to end in a real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright).

`papertrends serve` runs on a free loopback port as a subprocess (tests/support/server.py,
through tests/support/browser.py). The test opens each page, changes the date range in the
sidebar, clicks a bar and sees the papers behind it, opens a paper, and reloads the copied URL to
the same view. Screenshots go to test-output/screenshots/ (those of every page at 1440x900,
copied to docs/ on request, are taken in test_report_ready.py). A second server on a store with
a hostile paper checks that its text shows literally and no script runs.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.support.browser import CHART, CHROMIUM, serve, settle
from tests.support.hostile import hostile_store as make_hostile_store
from tests.support.paths import REPO

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(),
                       reason="needs Debian's chromium (make browser)"),
]


def metrics(page) -> list[str]:
    return page.locator("[data-testid='stMetricValue']").all_inner_texts()


def set_date_range(page, start: str, end: str) -> None:
    """Type a range into the sidebar's date input, segment by segment, as a person would."""
    for which, day in (("start", start), ("end", end)):
        page.get_by_role("spinbutton", name=f"year, Date range {which} date").click()
        page.keyboard.type(day.replace("-", ""))
        page.keyboard.press("Tab")
    page.keyboard.press("Escape")
    page.locator("h1").first.click()


def test_pages_filters_drill_down_and_url(browser, shots):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    with serve(REPO / "data") as url:
        t0 = time.monotonic()
        page.goto(url + "/")
        page.locator(CHART).first.wait_for(timeout=60_000)
        first_chart = time.monotonic() - t0
        settle(page)
        assert page.locator("h1").first.inner_text() == "Paper trends"
        before = metrics(page)[0]
        page.screenshot(path=str(shots / "e2e-overview.png"), full_page=False)
        assert first_chart < 15, f"first chart after {first_chart:.1f} s"

        # every page renders a heading and no exception
        for path, heading in (("topics", "Topics"), ("keywords", "Keywords"),
                              ("upvotes", "Upvotes"), ("papers", "Papers")):
            page.get_by_role("link", name=heading).first.click()
            page.wait_for_url(f"**/{path}**")
            page.locator("h1", has_text=heading).wait_for(timeout=60_000)
            settle(page)
            assert page.locator("[data-testid='stException']").count() == 0, path
            page.screenshot(path=str(shots / f"e2e-{path}.png"), full_page=False)
        page.get_by_role("link", name="Overview").first.click()
        page.locator("h1", has_text="Paper trends").wait_for()
        settle(page)

        # the date range changes the numbers and lands in the URL
        set_date_range(page, "2025-01-01", "2025-06-30")
        page.wait_for_url("**to=2025-06-30**", timeout=60_000)
        settle(page)
        after = metrics(page)[0]
        assert after != before
        assert int(after.replace(",", "")) < int(before.replace(",", ""))

        # click the last bar of papers-per-month: the papers of that month are listed
        chart = page.locator(CHART).first
        box = chart.locator("svg, canvas").first.bounding_box()
        page.mouse.click(box["x"] + box["width"] * 0.975, box["y"] + box["height"] * 0.6)
        page.get_by_text("Papers behind the mark").wait_for(timeout=60_000)
        page.wait_for_url("**pick=**")
        settle(page)
        assert "period%3D2025-06-01" in page.url
        assert "period from 2025-06-01" in page.locator(
            "p", has_text="Papers behind the mark").inner_text()

        # open the first paper of the list (its row's selection box)
        grid = page.locator("[data-testid='stDataFrame']").first
        grid.scroll_into_view_if_needed()
        g = grid.bounding_box()
        page.mouse.click(g["x"] + 18, g["y"] + 35 + 17)
        page.get_by_role("button", name="Close paper").wait_for(timeout=60_000)
        page.wait_for_url("**paper=**")
        settle(page)
        title = page.locator(".paper-title").inner_text()
        assert title
        page.screenshot(path=str(shots / "paper.png"), full_page=False)

        # the copied URL reopens the same view in a fresh tab
        copied = page.url
        other = browser.new_page(viewport={"width": 1400, "height": 1000})
        other.goto(copied)
        other.locator(".paper-title").wait_for(timeout=60_000)
        settle(other)
        assert other.locator(".paper-title").inner_text() == title
        assert metrics(other)[0] == after
        assert other.get_by_text("Papers behind the mark").count() == 1
        other.close()

        # the browser's back button closes the paper again, then drops the picked bar
        page.go_back()
        settle(page)
        assert "paper=" not in page.url
        assert "pick=" in page.url
        assert page.locator(".paper-title").count() == 0
        page.go_back()
        settle(page)
        assert "pick=" not in page.url
        assert "to=2025-06-30" in page.url
        assert page.get_by_text("Papers behind the mark").count() == 0
        assert metrics(page)[0] == after

        # the page links carry the filters along, and back returns to the overview
        page.get_by_role("link", name="Topics").first.click()
        page.wait_for_url("**/topics?**")
        settle(page)
        assert "to=2025-06-30" in page.url
        page.go_back()
        page.locator("h1", has_text="Paper trends").wait_for(timeout=60_000)
        settle(page)
        assert metrics(page)[0] == after
    assert not dialogs


def hostile_store(root: Path) -> Path:
    make_hostile_store(root)
    return root


def test_hostile_text_shows_as_text_and_runs_nothing(browser, shots, tmp_path):
    store = hostile_store(tmp_path / "hostile")
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    with serve(store) as url:
        page.goto(f"{url}/papers?paper=2501.00001")
        page.locator(".paper-title").wait_for(timeout=60_000)
        settle(page, 2000)
        page.screenshot(path=str(shots / "hostile-paper.png"), full_page=True)
        assert page.locator(".paper-title").inner_text() == "<script>alert(1)</script>"
        abstract = page.locator(".paper-abstract").inner_text()
        assert '<a href="javascript:alert(2)">this link</a>' in abstract
        assert "[that one](javascript:alert(3))" in abstract
        assert "<img src=x onerror=alert(4)>" in abstract
        assert page.get_by_text("<b>Mallory</b>", exact=False).count() >= 1
        injected = page.evaluate("""() => ({
            scripts: [...document.querySelectorAll('script')]
                .filter(s => (s.textContent || '').includes('alert(')).length,
            links: [...document.querySelectorAll('a[href]')]
                .filter(a => a.getAttribute('href').trim().toLowerCase()
                .startsWith('javascript')).length,
            imgs: [...document.querySelectorAll('img[onerror]')].length,
        })""")
        assert injected == {"scripts": 0, "links": 0, "imgs": 0}
        # the table of papers shows the title as text too
        page.goto(f"{url}/papers")
        page.locator("[data-testid='stDataFrame']").first.wait_for(timeout=60_000)
        settle(page, 1500)
    assert dialogs == []
