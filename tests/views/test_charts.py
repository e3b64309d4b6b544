"""Chart builders: titles, captions, selections, colours and safe Vega expressions.

Checks titles and captions, the documented ``pick`` selection, a fixed colour per topic id across
charts, and paper text kept out of every Vega expression.
"""

from __future__ import annotations

import datetime as dt
import re

import polars as pl
import pytest

from analysis import trends
from analysis.filters import Filters
from analysis.views import charts, rankings, topic_map
from analysis.views.registry import VIEWS, build_view
from tests.support.export_store import FORMULA_TITLE, SCRIPT_TITLE, build_store

BUILDERS = {
    "papers-per-period": charts.papers_per_period, "topic-trend": charts.topic_trend,
    "topic-map": topic_map.topic_map, "keyword-trend": charts.keyword_trend,
    "upvote-distribution": charts.upvote_distribution, "upvotes-by-topic": charts.upvotes_by_topic,
    "upvotes-by-period": charts.upvotes_by_period, "emerging": rankings.emerging,
    "rising": rankings.rising,
}
#: Spec keys whose string values Vega parses as expressions.
EXPRESSION_KEYS = {"expr", "test", "filter", "calculate", "signal", "update", "predicate"}


@pytest.fixture(scope="module")
def lf(tmp_path_factory) -> pl.LazyFrame:
    return trends.paper_frame(build_store(tmp_path_factory.mktemp("charts-store")))


@pytest.fixture(scope="module")
def views(lf) -> dict:
    return {n: build_view(n, lf, Filters(), phrases=["language model"]) for n in VIEWS}


def documented_fields(fn) -> list[str]:
    """The selection fields a builder's docstring names after 'Selection ``pick``'."""
    doc = " ".join(fn.__doc__.split())
    tail = doc.split("Selection ``pick``", 1)[1].split(".")[0]
    return re.findall(r"``([a-z_]+)``", tail)


def params(spec: dict) -> list[dict]:
    """Every parameter of a spec, its layers included."""
    found = list(spec.get("params", []))
    for layer in spec.get("layer", []):
        found += params(layer)
    return found


def expressions(node, key: str | None = None):
    """Every string in the spec that Vega reads as an expression."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "datasets":
                continue
            yield from expressions(v, k)
    elif isinstance(node, list):
        for v in node:
            yield from expressions(v, key)
    elif isinstance(node, str) and key in EXPRESSION_KEYS:
        yield node


def test_every_view_has_a_builder():
    assert set(BUILDERS) == set(VIEWS)


def test_each_builder_documents_its_pick_selection(views):
    for name, fn in BUILDERS.items():
        spec = views[name].chart.to_dict()
        picks = [p for p in params(spec) if p["name"] == charts.PICK]
        assert len(picks) == 1, name
        assert picks[0]["select"]["type"] == "point"
        assert picks[0]["select"]["fields"] == documented_fields(fn), name


def test_titles_and_captions_travel_with_the_chart():
    df = pl.DataFrame({"period": [dt.date(2025, 1, 1), dt.date(2025, 2, 1)], "count": [3, 0]})
    spec = charts.papers_per_period(df, "Papers per month", "line one\nline two").to_dict()
    assert spec["title"]["text"] == "Papers per month"
    assert spec["title"]["subtitle"] == ["line one", "line two"]
    assert spec["width"] == charts.WIDTH


def test_each_topic_keeps_its_colour_across_charts(views):
    def colours(view) -> dict[str, str]:
        spec = view.chart.to_dict()
        enc = spec.get("encoding") or next(la["encoding"] for la in spec["layer"]
                                           if "color" in la.get("encoding", {}))
        scale = enc["color"]["scale"]
        return dict(zip(scale["domain"], scale["range"], strict=True))

    trend, tmap, box = (colours(views[n]) for n in ("topic-trend", "topic-map", "upvotes-by-topic"))
    labels = dict(views["topic-map"].data.select("label", "topic").unique().iter_rows())
    assert len(labels) >= 4
    for label, topic in labels.items():
        assert tmap[label] == charts.topic_colour(topic)
        for other in (trend, box):
            if label in other:
                assert other[label] == tmap[label]
    assert charts.topic_colour(-1) == charts.OUTLIER_COLOUR
    assert len({charts.topic_colour(t) for t in range(len(charts.PALETTE))}) == len(charts.PALETTE)
    # a frame holding only some topics still gives each the same colour
    part = views["topic-trend"].data.filter(pl.col("topic").is_in([3, 5]))
    scale = charts.topic_scale(part).to_dict()
    assert scale["range"] == [charts.topic_colour(3), charts.topic_colour(5)]


def test_paper_text_never_enters_an_expression(views):
    data = views["topic-map"].data
    assert {FORMULA_TITLE, SCRIPT_TITLE} <= set(data["title"].to_list())
    seen = 0
    for name, view in views.items():
        spec = view.chart.to_dict()
        texts = set(view.data.select(pl.col(pl.Utf8)).unpivot()["value"].drop_nulls())
        for expr in expressions(spec):
            seen += 1
            assert not any(t in expr for t in texts if len(t) > 3), (name, expr)
    assert seen >= 3  # the walk does reach the expressions (filters, calculate, tests)
    # the titles are in the data and the tooltip, nowhere else
    spec = views["topic-map"].chart.to_dict()
    (rows,) = spec["datasets"].values()
    assert FORMULA_TITLE in {r["title"] for r in rows}
    tips = [t for layer in spec["layer"] for t in layer.get("encoding", {}).get("tooltip", [])]
    assert {"field": "title", "title": "title", "type": "nominal"} in tips


def test_plot_data_turns_dates_into_utc_days():
    df = pl.DataFrame({"period": [dt.date(2025, 3, 1)], "n": [1], "label": ["x"]})
    out = charts.plot_data(df)
    assert out.to_dicts() == [{"period": "2025-03-01", "n": 1, "label": "x"}]
    spec = charts.papers_per_period(df.rename({"n": "count"}), "t", "c").to_dict()
    assert spec["encoding"]["x"]["scale"]["type"] == "utc"
