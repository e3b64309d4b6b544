"""Exported HTML charts and the report draw in headless Chromium with the network blocked.

Every network request is blocked; the chart's SVG marks and title must appear, no request may be
needed, and a hostile paper title must run no script.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from analysis import trends
from analysis.filters import Filters
from analysis.views import render as export
from analysis.views import report as reports
from analysis.views.registry import build_view
from tests.support.browser import CHROMIUM
from tests.support.export_store import SCRIPT_TITLE, build_store

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(),
                       reason="needs Debian's chromium (make browser)"),
]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return build_store(tmp_path_factory.mktemp("browser-store"))


def open_offline(browser, path: Path):
    """Open a local file with every non-file request blocked; returns (page, blocked, errors)."""
    page = browser.new_page()
    blocked: list[str] = []
    errors: list[str] = []

    def route(r):
        if r.request.url.startswith("file://"):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(path.as_uri())
    return page, blocked, errors


@pytest.mark.parametrize("name", ["papers-per-period", "keyword-trend", "topic-map",
                                  "upvote-distribution"])
def test_html_export_draws_offline(browser, store, tmp_path, name, output_dir):
    view = build_view(name, trends.paper_frame(store), Filters(period="quarter"),
                      phrases=["language model"])
    out = tmp_path / f"{name}.html"
    export.write(view, "html", out)
    page, blocked, errors = open_offline(browser, out)
    page.wait_for_selector("#vis svg .role-title-text text", timeout=30_000)
    marks = page.locator(", ".join(f"#vis svg g.role-mark.mark-{kind} path"
                                   for kind in ("symbol", "rect", "line"))).count()
    assert marks > 0
    title = page.locator("#vis svg .role-title-text text").first.text_content()
    assert title == view.title
    if name == "topic-map":  # one circle per paper, hostile title inert
        assert page.locator("#vis svg g.role-mark.mark-symbol path").count() == view.data.height
        point = page.locator('#vis svg g.role-mark.mark-symbol path[aria-label*="__pwned=1"]')
        assert point.count() == 1
        point.hover(force=True)
        page.wait_for_selector("#vg-tooltip-element", state="visible", timeout=5_000)
        tip = page.locator("#vg-tooltip-element")
        assert SCRIPT_TITLE in tip.text_content()  # shown as text ...
        assert tip.locator("script, img").count() == 0  # ... never as elements
        assert page.evaluate("window.__pwned") is None
    if name == "papers-per-period":
        bars = "#vis svg g.role-mark.mark-rect:not([class*='brush']) path"  # not the brush
        assert page.locator(bars).count() == view.data.height
    page.screenshot(path=str(output_dir / f"export-{name}.png"))
    assert blocked == [], blocked
    assert errors == [], errors
    page.close()


def test_report_opens_offline_with_images_and_escaped_tables(browser, store, tmp_path):
    lf = trends.paper_frame(store)
    f = Filters(start=dt.date(2024, 6, 1), period="quarter")
    views = [build_view(n, lf, f) for n in ("papers-per-period", "topic-trend", "topic-map")]
    top = trends.top_papers(lf, f, n=10)
    report = reports.build_report(store, lf, f, views, tables={"Most upvoted papers": top})
    (out,) = reports.write_report(report, tmp_path / "report.html")
    page, blocked, errors = open_offline(browser, out)
    sizes = page.eval_on_selector_all("img", "els => els.map(e => [e.complete, e.naturalWidth])")
    assert len(sizes) == len(views)
    assert all(done and width > 600 for done, width in sizes), sizes
    cells = page.eval_on_selector_all("section.table td", "els => els.map(e => e.textContent)")
    assert SCRIPT_TITLE in cells  # shown as text, not run
    assert page.evaluate("window.__pwned") is None
    assert page.locator("#provenance").is_visible()
    assert blocked == [], (blocked, errors)
    assert errors == [], (blocked, errors)
    page.close()
    assert top.filter(pl.col("title") == SCRIPT_TITLE).height == 1
