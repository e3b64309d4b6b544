"""The topic map greys papers out in Vega, from its ``keep`` parameter, as the filters do.

The papers it keeps are those ``analysis.filters.apply`` keeps, checked by rendering the real
chart offline.

The map embeds one frame (per search marks) whatever the filters and basis, so a filter change
sends parameter values, not 12,000 papers again; these tests hold that the picture is still
exactly the filters' (vl-convert runs the same Vega the browser does).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
import vl_convert as vlc

from analysis import trends
from analysis.filters import Filters, apply
from analysis.store import Store
from analysis.views import registry, topic_map

REPO = Path(__file__).resolve().parents[2]

#: Filters that reach every clause of the expression, nulls included (the page-dump papers have
#: no listing day and most have no upvote count).
CASES = [
    Filters(),
    Filters(start=dt.date(2025, 1, 1), end=dt.date(2025, 6, 30), min_upvotes=5),
    Filters(min_upvotes=0, basis="published"),
    Filters(topics=(-1, 3, 15)),
    Filters(groups=(2,), start=dt.date(2024, 9, 1)),
    Filters(basis="published", end=dt.date(2024, 3, 31)),
]


@pytest.fixture(scope="module")
def lf():
    return trends.paper_frame(Store(REPO / "data")).collect().lazy()


def marks(scenegraph, marktype: str):
    """The items of each named mark of one type in a rendered scene, in layer order."""
    if isinstance(scenegraph, dict):
        if scenegraph.get("marktype") == marktype and scenegraph.get("name"):
            yield scenegraph.get("items", [])
        for value in scenegraph.values():
            yield from marks(value, marktype)
    elif isinstance(scenegraph, list):
        for value in scenegraph:
            yield from marks(value, marktype)


@pytest.mark.parametrize("filters", CASES, ids=lambda f: f.describe() or "all")
def test_the_rendered_map_greys_exactly_the_papers_the_filters_leave_out(lf, filters):
    view = registry.build_view("topic-map", lf, filters)
    spec = view.chart.to_dict()
    (keep,) = [p for p in spec["params"] if p["name"] == topic_map.KEEP]
    assert keep["value"]["min"] == filters.min_upvotes
    # the grey layer is drawn first, then the coloured one
    hidden, shown = [len(items) for items in marks(vlc.vegalite_to_scenegraph(spec), "symbol")][:2]
    kept = int(view.data["shown"].sum())
    assert shown == kept
    assert hidden == view.data.height - kept
    expected = (apply(lf, filters).filter(pl.col("x").is_not_null()).select(pl.len())
                .collect().item())
    assert kept == expected


@pytest.mark.parametrize("filters", CASES[1:4], ids=lambda f: f.describe())
def test_paper_by_paper_the_expression_keeps_what_apply_keeps(lf, filters):
    view = registry.build_view("topic-map", lf, filters)
    spec = view.chart.to_dict()
    ids = {
        "$schema": spec["$schema"], "datasets": spec["datasets"], "data": spec["layer"][0]["data"]
        if "data" in spec["layer"][0] else spec["data"],
        "params": [p for p in spec["params"] if p["name"] == topic_map.KEEP],
        "transform": [{"calculate": topic_map.KEPT, "as": "shown"},
                      {"filter": "datum.shown"}],
        "mark": "text", "encoding": {"text": {"field": "paper_id", "type": "nominal"}},
    }
    texts = [item["text"] for items in marks(vlc.vegalite_to_scenegraph(ids), "text")
             for item in items]
    assert set(texts) == set(view.data.filter(pl.col("shown"))["paper_id"])
    assert len(texts) == int(view.data["shown"].sum())


def test_a_filter_change_draws_the_same_frame_object(lf):
    first = registry.build_view("topic-map", lf, CASES[1])
    other = registry.build_view("topic-map", lf, CASES[3])
    assert first.plotted() is other.plotted()  # encoded once (dashboard.components.vega)
    assert first.params["keep"] != other.params["keep"]
    assert first.template == other.template
    assert "shown" not in first.plotted().columns
    published = registry.build_view("topic-map", lf, CASES[2])  # the other basis: the same
    assert published.plotted() is first.plotted()
    assert published.template == first.template
    assert published.params["keep"]["basis"] == "published"
    assert {"listed", "published"} <= set(published.plotted().columns)
    searched = registry.build_view("topic-map", lf, CASES[1], search="diffusion")
    assert searched.plotted() is not first.plotted()  # marks differ: another frame
    assert int((searched.plotted()["match"] > 0).sum()) > 0
