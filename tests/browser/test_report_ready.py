"""The dashboard as a report writer sees it, in a real headless Chromium (issue 13).

Every page at 1440x900: no request leaves the machine and none fails (the favicon is the app's
own), no chart title is clipped and no label cut short; the screenshots land in
test-output/screenshots/ and, with PAPERTRENDS_UPDATE_SCREENSHOT=1, in docs/ (the README shows
the overview). Then: tooltips name periods in words (item 1), the upvotes-per-period title is
whole (2), the topic map lists every topic and keeps its layout under a topic filter (4), the
sidebar's topic chips show whole labels (5), a click on a stacked bar picks its topic in its
period and a pick in a second chart replaces the first chart's list (6), and a drag across the
time axis sets the date range in the URL (the brush).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
from pathlib import Path
from urllib.parse import urlparse

import polars as pl
import pytest

from analysis import trends
from analysis.filters import Filters, apply
from analysis.names import OUTLIER, OUTLIER_LABEL
from analysis.store import Store
from analysis.views import topic_map
from tests.support.browser import CHART, CHROMIUM, VIEWPORT, drag, plot_box, serve, settle
from tests.support.paths import REPO

PAGES = (("", "overview", "Paper trends"), ("topics", "topics", "Topics"),
         ("keywords", "keywords", "Keywords"), ("upvotes", "upvotes", "Upvotes"),
         ("papers", "papers", "Papers"))
EPOCH = re.compile(r"\b1[5-9]\d{11}\b")
MONTH = re.compile(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) 20\d\d\b")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(),
                       reason="needs Debian's chromium (make browser)"),
]


@pytest.fixture(scope="module")
def url():
    with serve(REPO / "data") as base:
        yield base


@pytest.fixture
def watched(browser, url):
    """A 1440x900 page that records requests to other hosts (blocked) and failed responses."""
    page = browser.new_page(viewport=VIEWPORT)
    seen = {"outside": [], "failed": [], "dialogs": []}
    host = urlparse(url).netloc

    def route(r):
        if urlparse(r.request.url).netloc in (host, "") or r.request.url.startswith("data:"):
            r.continue_()
        else:
            seen["outside"].append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("response", lambda r: seen["failed"].append((r.status, r.url))
            if r.status >= 400 else None)
    page.on("dialog", lambda d: (seen["dialogs"].append(d.message), d.dismiss()))
    yield page, seen
    page.close()


def open_page(page, url: str, path: str, heading: str) -> None:
    page.goto(f"{url}/{path}")
    page.locator("h1", has_text=heading).wait_for(timeout=60_000)
    if not path.startswith("papers"):  # the Papers page has a table, no chart
        page.locator(CHART).first.wait_for(timeout=60_000)
    settle(page, 2000)


def check_charts_whole(page, name: str) -> None:
    """Every chart: title inside its picture, picture inside the page, no label cut with …."""
    charts = page.locator(CHART)
    for i in range(charts.count()):
        chart = charts.nth(i)
        chart.scroll_into_view_if_needed()
        svg = plot_box(chart)
        title = chart.locator("g.role-title-text text").first.bounding_box()
        assert title["y"] >= svg["y"], (name, i, "title clipped at the top")
        assert title["x"] >= svg["x"], (name, i)
        assert svg["x"] + svg["width"] <= VIEWPORT["width"], (name, i, "chart cut at the right")
        texts = chart.locator("svg text").all_text_contents()
        assert not [t for t in texts if t.endswith("…")], (name, i, "a label is cut short")


@pytest.mark.parametrize(("path", "name", "heading"), PAGES)
def test_every_page_is_whole_at_1440x900_and_asks_nothing_of_the_internet(
        watched, url, shots, path, name, heading):
    page, seen = watched
    open_page(page, url, path, heading)
    page.screenshot(path=str(shots / f"{name}.png"), full_page=False)
    if os.environ.get("PAPERTRENDS_UPDATE_SCREENSHOT"):  # refresh the pictures in docs/
        (REPO / "docs").mkdir(exist_ok=True)
        shutil.copy(shots / f"{name}.png", REPO / "docs" / f"{name}.png")
    assert page.locator("[data-testid='stException']").count() == 0
    check_charts_whole(page, name)
    icon = page.evaluate("() => [...document.querySelectorAll('link[rel*=icon]')]"
                         ".map(l => l.href)")
    assert icon
    assert all(urlparse(h).netloc in (urlparse(url).netloc, "") for h in icon), icon
    assert seen["outside"] == []  # no favicon, font or script from another host
    assert seen["failed"] == []  # no 404 for /<page>/_stcore/health on a direct load
    assert seen["dialogs"] == []


def hover_tooltip(page, chart, fx: float, fy: float) -> str:
    box = plot_box(chart)
    page.mouse.move(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
    tip = page.locator("#vg-tooltip-element")
    tip.wait_for(state="visible", timeout=5_000)
    return tip.inner_text()


def test_tooltips_name_periods_in_words(watched, url):
    page, _ = watched
    open_page(page, url, "", "Paper trends")
    text = hover_tooltip(page, page.locator(CHART).first, 0.5, 0.85)
    assert MONTH.search(text), text
    assert not EPOCH.search(text), text
    assert "incomplete period" in text
    open_page(page, url, "topics?period=quarter", "Topics")
    text = hover_tooltip(page, page.locator(CHART).first, 0.35, 0.8)
    assert re.search(r"\bQ[1-4] 20\d\d\b", text), text
    assert not EPOCH.search(text), text
    assert "papers in period" in text


def test_the_upvotes_per_period_title_is_whole(watched, url):
    page, _ = watched
    open_page(page, url, "upvotes", "Upvotes")
    chart = page.locator(CHART).filter(has_text="Upvotes per month")
    chart.scroll_into_view_if_needed()
    settle(page, 500)
    title = chart.locator("g.role-title-text text").first
    assert title.text_content() == "Upvotes per month"
    box, svg = title.bounding_box(), plot_box(chart)
    assert svg["y"] <= box["y"]
    assert box["y"] + box["height"] <= svg["y"] + svg["height"]


def test_the_map_lists_every_topic_and_keeps_its_layout(watched, url):
    page, _ = watched
    topics = pl.read_parquet(REPO / "data" / "topics" / "topic_table.parquet")
    labels = set(topics.filter(pl.col("topic") >= 0)["label"])
    assignments = pl.read_parquet(REPO / "data" / "topics" / "assignments.parquet")
    if (assignments["topic"] == OUTLIER).any():  # the papers in no topic have their grey entry
        labels.add(OUTLIER_LABEL)

    def map_state(path: str):
        open_page(page, url, path, "Topics")
        chart = page.locator(CHART).filter(has_text="Topic map of papers")
        chart.scroll_into_view_if_needed()
        settle(page, 800)
        legend = set(chart.locator("g.role-legend-label text").all_text_contents())
        names = chart.locator("g.mark-text.role-mark text")
        places = sorted((names.nth(i).get_attribute("transform") or "")
                        for i in range(names.count()))
        points = chart.locator("g.mark-symbol.role-mark path").count()
        coloured = chart.locator(
            f"g.mark-symbol.role-mark path:not([fill='{topic_map.HIDDEN_COLOUR}'])").count()
        return legend, places, points, coloured

    def kept(filters: Filters) -> int:
        """The papers with a map place that analysis.filters.apply keeps."""
        return (apply(frame, filters).filter(pl.col("x").is_not_null()).select(pl.len())
                .collect().item())

    frame = trends.paper_frame(Store(REPO / "data"))
    legend, places, points, coloured = map_state("topics")
    assert legend == labels  # every topic, none cut
    assert coloured == kept(Filters())
    filtered = map_state("topics?topic=15&from=2025-01-01")
    assert filtered[1] == places  # the topic names stay where they were: no rescaling
    assert filtered[2] == points  # every paper is still drawn (the rest in grey)
    assert filtered[3] == kept(Filters(topics=(15,), start=dt.date(2025, 1, 1)))
    # the other basis: the same frame, greyed by its days (the keep parameter names it)
    published = map_state("topics?basis=published&from=2025-06-01&min_upvotes=5")
    assert published[2] == points
    assert published[3] == kept(Filters(basis="published", start=dt.date(2025, 6, 1),
                                        min_upvotes=5))
    assert published[3] > 0


def test_a_pick_in_a_second_chart_replaces_the_first_list(watched, url):
    page, _ = watched
    open_page(page, url, "", "Paper trends")
    first = page.locator(CHART).first
    box = plot_box(first)
    page.mouse.click(box["x"] + box["width"] * 0.9, box["y"] + box["height"] * 0.75)
    page.wait_for_url("**pick=papers-per-period**", timeout=60_000)
    settle(page)
    lists = page.locator("p", has_text="Papers behind the mark")
    assert lists.count() == 1
    assert "period from" in lists.first.inner_text()
    emerging = page.locator(CHART).filter(has_text="Emerging topics")
    emerging.scroll_into_view_if_needed()
    settle(page, 500)
    bar = emerging.locator("g.mark-rect.role-mark path").first.bounding_box()
    page.mouse.click(bar["x"] + min(6, bar["width"] / 2), bar["y"] + bar["height"] / 2)
    page.wait_for_url("**pick=emerging**", timeout=60_000)
    settle(page)
    assert "papers-per-period" not in page.url
    lists = page.locator("p", has_text="Papers behind the mark")
    assert lists.count() == 1  # the first chart's list is gone with its pick
    assert "topic " in lists.first.inner_text()


def test_a_click_on_a_stacked_bar_picks_its_topic_in_its_period(watched, url):
    page, _ = watched
    open_page(page, url, "topics", "Topics")
    chart = page.locator(CHART).first
    box = plot_box(chart)
    page.mouse.click(box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.8)
    page.wait_for_url("**pick=topic-trend**", timeout=60_000)
    settle(page)
    pick = urlparse(page.url).query
    assert "period%3D" in pick  # the period under the cursor ...
    assert "topic%3D" in pick  # ... and the topic of the segment
    shown = page.locator("p", has_text="Papers behind the mark").first.inner_text()
    assert "period from" in shown
    assert "topic " in shown


def test_a_drag_across_the_time_axis_sets_the_date_range(watched, url):
    page, _ = watched
    open_page(page, url, "", "Paper trends")
    before = page.locator("[data-testid='stMetricValue']").first.inner_text()
    drag(page, page.locator(CHART).first, 0.35, 0.65)
    page.wait_for_url("**to=**", timeout=60_000)
    settle(page)
    query = dict(p.split("=", 1) for p in urlparse(page.url).query.split("&"))
    start, end = query["from"], query["to"]
    assert start.endswith("-01")  # whole months: the first day of the first ...
    assert start < end  # ... to the last day of the last
    after = page.locator("[data-testid='stMetricValue']").first.inner_text()
    assert int(after.replace(",", "")) < int(before.replace(",", ""))
    dates = page.locator("[data-testid='stSidebar'] [data-testid='stDateInput']").first
    dates = dates.inner_text()
    assert start.replace("-", "") in re.sub(r"\D", "", dates)


def test_sidebar_topic_chips_show_whole_labels(watched, url):
    page, _ = watched
    topics = pl.read_parquet(REPO / "data" / "topics" / "topic_table.parquet")
    longest = topics.sort(pl.col("label").str.len_chars(), descending=True).head(2)
    query = "&".join(f"topic={t}" for t in longest["topic"])
    open_page(page, url, f"topics?{query}", "Topics")
    chips = page.locator("[data-testid='stSidebar'] [data-testid='stMultiSelectTagsContainer'] "
                         "[data-tag] > span")
    shown = chips.evaluate_all("els => els.map(s => [s.textContent, s.scrollWidth <= "
                               "s.clientWidth, getComputedStyle(s).textOverflow])")
    assert sorted(t for t, _, _ in shown) == sorted(longest["label"])
    assert all(fits and overflow != "ellipsis" for _, fits, overflow in shown), shown
