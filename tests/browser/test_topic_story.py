"""The topics page in a real headless Chromium: group level, a topic's story, words drill-down.

Runs `papertrends serve` on the shipped store (or $PAPERTRENDS_TEST_TOPIC_STORE) on a loopback
port and checks what a person sees: the group-level trend and the outlier share, a topic's
lineage and representative papers, and that clicking a row of its words-over-time grid lists that
period's papers. Expected values come from the artifact files.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import polars as pl
import pytest

from tests.support.browser import ARGS, CHART, CHROMIUM
from tests.support.paths import REPO

STORE = Path(os.environ.get("PAPERTRENDS_TEST_TOPIC_STORE") or REPO / "data")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium"),
    pytest.mark.skipif(not (STORE / "topics" / "group_table.parquet").is_file(),
                       reason=f"no topic fit with groups in {STORE}"),
]


@pytest.fixture(scope="module")
def url(output_dir):
    """`papertrends serve` on a free loopback port, stopped after the module."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, PAPERTRENDS_NO_FIT="1", HF_HUB_OFFLINE="1")
    log = open(output_dir / f"serve-{port}.log", "w")  # noqa: SIM115
    proc = subprocess.Popen([sys.executable, "-m", "analysis.cli", "serve", "--store", str(STORE),
                             "--port", str(port), "--address", "127.0.0.1"], cwd=REPO, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            assert proc.poll() is None, "the server exited; see test-output/serve-*.log"
            assert time.monotonic() < deadline, "the server did not come up in 60 s"
            time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def page(url):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser.new_page(viewport={"width": 1400, "height": 1100})
        browser.close()


def settle(page, ms: int = 1200) -> None:
    page.wait_for_timeout(300)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)
    page.wait_for_timeout(ms)


def test_topic_story_and_words_drill_down(page, url, output_dir):
    table = pl.read_parquet(STORE / "topics" / "topic_table.parquet")
    top = table.filter(pl.col("topic") >= 0).sort(["size", "topic"], descending=[True, False])
    top = top.row(0, named=True)
    assign = pl.read_parquet(STORE / "topics" / "assignments.parquet")
    outliers = (assign["topic"] == -1).sum()

    page.goto(f"{url}/topics?level=group&period=quarter&t={top['topic']}")
    page.locator(CHART).nth(2).wait_for(timeout=90_000)
    settle(page)
    assert page.locator("[data-testid='stException']").count() == 0
    shots = output_dir / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / "topics-groups.png"), full_page=True)
    metric = page.locator("[data-testid='stMetric']", has_text="Outliers")
    assert metric.count() == 1
    shown = float(metric.locator("[data-testid='stMetricValue']").inner_text().rstrip("%"))
    assert 0 < shown < 100
    assert outliers > 0
    assert page.get_by_text("Lineage", exact=False).count() >= 1
    title = pl.read_parquet(STORE / "papers.parquet").filter(
        pl.col("paper_id") == top["representative"][0])["title"].item()
    rep = page.get_by_role("button", name=title[:40], exact=False).first
    assert rep.is_visible()

    grid = page.locator(CHART).nth(2)  # trend, map, then the topic's words over time
    grid.scroll_into_view_if_needed()
    settle(page, 500)
    box = grid.locator("svg, canvas").first.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.55)
    page.get_by_text("Papers of this topic from the quarter starting").wait_for(timeout=60_000)
    page.wait_for_url("**pick=topic-words**")
    settle(page)
    page.screenshot(path=str(shots / "topic-words-drill.png"), full_page=True)
    rep.click()
    page.locator(".paper-title").wait_for(timeout=60_000)
    assert page.locator(".paper-title").inner_text() == title
