"""Chart and data exports in every format, with safe names and no network.

Checks PNG size, SVG content, self-contained HTML, CSV equal to the plotted frame with formula
cells neutralised, safe file names, and rendering without network.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import replace

import numpy as np
import polars as pl
import pytest

from analysis import trends
from analysis.filters import Filters
from analysis.views import render as export
from analysis.views.registry import VIEWS, build_view
from tests.support.export_store import FORMULA_TITLE, SCRIPT_TITLE, build_store, png_size
from tests.support.paths import REPO

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture(scope="module")
def lf(tmp_path_factory) -> pl.LazyFrame:
    return trends.paper_frame(build_store(tmp_path_factory.mktemp("export-store")))


@pytest.fixture(scope="module")
def views(lf) -> dict:
    f = Filters(start=dt.date(2024, 7, 1), period="quarter")
    return {n: build_view(n, lf, f, phrases=["language model", "agent"]) for n in VIEWS}


def expected_cell(value) -> str:
    """How a value must read in the CSV, derived without analysis.views.csv."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        value = "; ".join(value)
    if isinstance(value, str):
        return "'" + value if value.startswith(DANGEROUS) else value
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def assert_csv_holds(text: str, frame: pl.DataFrame) -> None:
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == frame.columns
    assert len(rows) - 1 == frame.height
    single = [dtype == pl.Float32() for dtype in frame.dtypes]
    for got, want in zip(rows[1:], frame.iter_rows(), strict=True):
        for cell, value, f32 in zip(got, want, single, strict=True):
            if isinstance(value, float) and f32:  # written in float32's shortest form
                assert np.float32(cell) == np.float32(value)
            elif isinstance(value, float):
                assert float(cell) == pytest.approx(value, rel=1e-15, nan_ok=True)
            else:
                assert cell == expected_cell(value)


def test_png_has_the_magic_and_the_requested_size(views):
    chart = views["keyword-trend"].chart
    one, two = export.to_png(chart, scale=1), export.to_png(chart, scale=2)
    w1, h1 = png_size(one)
    assert png_size(two) == (2 * w1, 2 * h1)
    assert w1 > 640
    assert h1 > 320
    assert png_size(export.to_png(chart, scale=2, width=500, height=300)) == (1000, 600)
    assert png_size(export.to_png(views["topic-map"].chart, scale=1.5, width=400,
                                  height=400)) == (600, 600)


def test_svg_parses_and_holds_title_and_caption(views):
    for name in ("topic-trend", "upvotes-by-topic", "rising"):
        view = views[name]
        root = ET.fromstring(export.to_svg(view.chart))
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        texts = {el.text for el in root.iter() if el.text
                 and el.tag in ("{http://www.w3.org/2000/svg}text",
                                "{http://www.w3.org/2000/svg}tspan")}
        assert view.title in texts, name
        for line in view.caption.split("\n"):
            assert line in texts, name
    sized = ET.fromstring(export.to_svg(views["rising"].chart, width=300, height=200))
    assert (sized.get("width"), sized.get("height")) == ("300", "200")


def test_html_is_self_contained_and_keeps_script_tags_out(views):
    view = views["topic-map"]
    page = export.to_html(view.chart)
    assert not re.search(r"<script[^>]+src=", page)
    assert not re.search(r"<link[^>]+href=", page)
    assert SCRIPT_TITLE not in page
    assert "</script><script>window" not in page
    spec_text = page.split("const spec = ", 1)[1].split(";\n", 1)[0]
    spec = json.loads(spec_text)
    (rows,) = spec["datasets"].values()
    assert {SCRIPT_TITLE, FORMULA_TITLE} <= {r["title"] for r in rows}
    assert spec["title"]["text"] == view.title
    assert '"editor": false' in page  # no link out to the online editor


def test_csv_has_exactly_the_rows_and_values_of_the_plotted_frame(views):
    for name, view in views.items():
        text = export.to_csv(view)
        assert_csv_holds(text, view.data)
        (plotted,) = view.chart.to_dict()["datasets"].values()
        assert len(plotted) == view.data.height, name


def test_formula_titles_are_neutralised_in_the_csv(views):
    text = export.to_csv(views["topic-map"])
    rows = list(csv.DictReader(io.StringIO(text)))
    titles = {r["title"] for r in rows}
    assert "'" + FORMULA_TITLE in titles
    assert FORMULA_TITLE not in titles
    for row in rows:  # text cells only: -1 is the outlier topic's number, not a formula
        for key in ("paper_id", "title", "label"):
            assert not row[key].startswith(DANGEROUS), row[key]


def test_file_names_are_safe_and_follow_the_filters():
    f = Filters(start=dt.date(2025, 1, 1), topics=(3, 7), min_upvotes=5, period="week")
    name = export.file_name("topic-trend", f, "png")  # the default basis: listed
    assert name == "topic-trend_listed_2025-01-01_to_last_week_topics-3-7_min5up.png"
    name = export.file_name("topic-trend", replace(f, basis="published"), "png")
    assert name == "topic-trend_published_2025-01-01_to_last_week_topics-3-7_min5up.png"
    hostile = export.file_name("../../etc/passwd", Filters(), "csv",
                               {"phrases": ["../x", "<script>", "Ünïcode/\\ phrase", ""]})
    assert re.fullmatch(r"[a-z0-9][a-z0-9._-]*\.csv", hostile)
    assert "/" not in hostile
    assert ".." not in hostile
    assert len(export.file_name("x", Filters(), "svg", {"phrases": ["word " * 200]})) <= 125
    assert export.file_name("rising", Filters(), "png") != export.file_name(
        "rising", Filters(period="year"), "png")


def test_write_is_atomic_and_leaves_nothing_on_error(views, tmp_path):
    out = tmp_path / "chart.svg"
    size = export.write(views["rising"], "svg", out)
    assert out.stat().st_size == size
    ET.parse(out)
    with pytest.raises(ValueError, match="unknown format"):
        export.write(views["rising"], "gif", tmp_path / "chart.gif")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chart.svg"]


RENDER = """
import datetime as dt, socket, sys
import polars as pl
from analysis.views import charts
from analysis.views import render as export
if sys.argv[1] == "control":  # prove that the trace sees a connection attempt
    try:
        socket.create_connection(("127.0.0.1", 9), timeout=1)
    except OSError:
        pass
df = pl.DataFrame({"period": [dt.date(2025, 1, 1), dt.date(2025, 2, 1)], "count": [3, 1]})
chart = charts.papers_per_period(df, "Papers per month", "caption")
export.to_png(chart); export.to_svg(chart); export.to_html(chart)
print("rendered")
"""


@pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace to watch syscalls")
def test_rendering_opens_no_network_connection(tmp_path):
    def trace(mode: str) -> str:
        log = tmp_path / f"{mode}.log"
        done = subprocess.run(
            ["strace", "-f", "-e", "trace=socket,connect", "-o", str(log), sys.executable,
             "-c", RENDER, mode], cwd=REPO, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
        assert "rendered" in done.stdout
        return log.read_text()

    assert "AF_INET" in trace("control")
    calls = trace("render")
    assert "AF_INET" not in calls
    assert "AF_INET6" not in calls
