"""Views: each registered view builds from the paper frame and plots exactly its data.

Each view also carries a caption with the filters and the data span, and takes its numbers from
analysis.trends.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from analysis import trends
from analysis.filters import Filters
from analysis.ingest import ingest
from analysis.names import OTHER_TOPICS
from analysis.schema import InputError
from analysis.store import Store
from analysis.views.charts import plot_data
from analysis.views.rankings import EMERGING_FIELDS, RISING_FIELDS
from analysis.views.registry import (
    NEEDS_TOPICS,
    PERIOD_FREE,
    VIEWS,
    View,
    build_view,
    build_views,
)
from analysis.views.render import to_svg
from tests.support.export_store import build_store
from tests.support.paths import DAILY

PHRASES = ["language model", "diffusion"]
FILTERS = Filters(start=dt.date(2024, 6, 1), end=dt.date(2026, 3, 31), period="quarter")


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Store:
    return build_store(tmp_path_factory.mktemp("views-store"))


@pytest.fixture(scope="module")
def lf(store) -> pl.LazyFrame:
    return trends.paper_frame(store)


@pytest.fixture(scope="module")
def views(lf) -> dict[str, View]:
    return {name: build_view(name, lf, FILTERS, phrases=PHRASES) for name in VIEWS}


def chart_rows(chart) -> list[dict]:
    """The rows inlined in a chart's spec (every view plots one data set)."""
    spec = chart.to_dict()
    (rows,) = spec["datasets"].values()
    return rows


def test_registry_has_every_view_the_dashboard_needs():
    assert set(VIEWS) == {"papers-per-period", "topic-trend", "topic-map", "keyword-trend",
                          "upvote-distribution", "upvotes-by-topic", "upvotes-by-period",
                          "emerging", "rising"}


def span(lf, filters: Filters) -> tuple[int, dt.date, dt.date]:
    """Papers in the filters' range on their basis, with the first and last date."""
    col = pl.col(filters.basis)
    return (lf.filter(col.is_between(filters.start, filters.end))
            .select(pl.len(), col.min().alias("a"), col.max().alias("b")).collect().row(0))


def test_every_view_builds_with_title_caption_and_data(views, lf):
    assert FILTERS.basis == "listed"  # the default basis
    papers = span(lf, FILTERS)
    for name, view in views.items():
        assert view.name == name
        assert view.data.height > 0, name
        assert view.papers == papers[0]
        assert view.span == (papers[1], papers[2])
        # the views that do not bucket by period do not mention it
        assert FILTERS.describe(period=name not in PERIOD_FREE) in view.caption
        assert f"{papers[0]:,} papers, listed {papers[1]} to {papers[2]}" in view.caption
        title = view.chart.to_dict()["title"]
        assert title["text"] == view.title
        assert title["subtitle"] == view.caption.split("\n")


def test_views_on_the_published_basis(lf):
    f = replace(FILTERS, basis="published")
    papers = span(lf, f)
    assert papers != span(lf, FILTERS)
    for name in ("papers-per-period", "upvote-distribution", "topic-map"):
        view = build_view(name, lf, f)
        assert (view.papers, *view.span) == papers, name
        assert f"{papers[0]:,} papers, published {papers[1]} to {papers[2]}" in view.caption
    per = build_view("papers-per-period", lf, f, partial=("2025-08",)).data
    assert_frame_equal(per.drop("partial", "incomplete"), trends.papers_per_period(lf, f))
    assert not per["partial"].any()  # coverage is known by listing month: not marked here


def test_chart_plots_exactly_the_view_data(views):
    for name, view in views.items():
        # the map works out ``shown`` in Vega from its filters (tests/views/test_map_keep.py)
        data = view.data.drop("shown") if name == "topic-map" else view.data
        # these two embed only the fields their marks, tooltips and pick read
        fields = {"emerging": EMERGING_FIELDS, "rising": RISING_FIELDS}.get(name)
        if fields:
            assert set(fields) <= set(data.columns), name
            data = data.select(fields)
        expected = json.loads(json.dumps(plot_data(data).to_dicts()))
        assert chart_rows(view.chart) == expected, name


def test_view_data_comes_from_the_trend_functions(views, lf):
    f = FILTERS

    def timed(view):  # the period views add ``incomplete`` (and gaps where no paper is)
        return view.data.drop("incomplete")

    per = views["papers-per-period"].data
    assert_frame_equal(timed(views["papers-per-period"]).drop("partial"),
                       trends.papers_per_period(lf, f))
    assert not per["partial"].any()  # no partial months given
    assert_frame_equal(timed(views["keyword-trend"]), trends.keyword_trend(lf, PHRASES, f))
    assert_frame_equal(views["upvote-distribution"].data, trends.upvote_distribution(lf, f))
    assert_frame_equal(timed(views["upvotes-by-period"]),
                       trends.upvote_stats(lf, f, by="period", split_at=30))
    assert_frame_equal(views["upvotes-by-topic"].data.drop("label", strict=False),
                       trends.upvote_stats(lf, f, by="topic").sort("topic").drop(
                           "label", strict=False))
    assert_frame_equal(views["emerging"].data, trends.emerging_topics(lf, f, k=6).head(12))
    ranked = trends.rising_phrases(lf, f, limit=None).sort(["g2", "phrase"],
                                                           descending=[True, False])
    assert_frame_equal(views["rising"].data, ranked.head(20))
    every = timed(build_view("topic-trend", lf, f, top=0))
    assert_frame_equal(every, trends.topic_frequency(lf, f).sort("period", "topic"))


def test_topic_trend_keeps_the_largest_topics_and_the_outliers(lf):
    freq = trends.topic_frequency(lf, FILTERS)
    sizes = (freq.filter(pl.col("topic") >= 0).group_by("topic").agg(pl.col("count").sum())
             .sort(["count", "topic"], descending=[True, False]))
    view = build_view("topic-trend", lf, FILTERS, top=3, measure="count", stacked=False)
    shown = set(view.data["topic"].unique().to_list())
    # the three largest one by one, the outliers, and every other topic in one band
    assert shown == set(sizes["topic"].head(3).to_list()) | {-1, OTHER_TOPICS}
    layers = view.chart.to_dict()["layer"]
    assert {layer["mark"]["type"] for layer in layers} == {"line", "point"}
    assert {layer["encoding"]["y"]["field"] for layer in layers} == {"count"}


def test_filters_grey_the_map_and_reach_the_other_data(lf):
    picked = Filters(topics=(1, 2), min_upvotes=5)
    data = build_view("topic-map", lf, picked).data
    kept = data.filter(pl.col("shown"))
    assert set(kept["topic"].unique().to_list()) <= {1, 2}
    assert kept["upvotes"].min() >= 5
    expected = lf.filter(pl.col("topic").is_in([1, 2]) & (pl.col("upvotes") >= 5)
                         & pl.col("listed").is_not_null()).select(pl.len()).collect().item()
    assert kept.height == expected
    # every paper stays on the map (greyed), so the layout never changes with the filters
    placed = lf.filter(pl.col("x").is_not_null()).select(pl.len()).collect().item()
    assert data.height == placed > kept.height
    dist = build_view("upvote-distribution", lf, Filters(min_upvotes=10)).data
    liked = lf.filter((pl.col("upvotes") >= 10) & pl.col("listed").is_not_null())
    assert dist["count"].sum() == liked.select(pl.len()).collect().item()


def test_topic_views_need_a_topic_model(tmp_path):
    bare = Store(tmp_path / "bare")
    ingest(bare, [str(DAILY)])
    plain = trends.paper_frame(bare)
    for name in NEEDS_TOPICS:
        with pytest.raises(InputError, match="papertrends fit"):
            build_view(name, plain, Filters())
    views, notes = build_views(plain, Filters())
    assert {v.name for v in views} == set(VIEWS) - NEEDS_TOPICS - {"keyword-trend"}
    assert len(notes) == len(NEEDS_TOPICS) + 1
    assert any("--phrase" in n for n in notes)


def test_bad_view_requests_say_what_to_do(lf):
    with pytest.raises(InputError, match="--phrase"):
        build_view("keyword-trend", lf, FILTERS)
    with pytest.raises(InputError, match="choose one of"):
        build_view("no-such-chart", lf, FILTERS)
    with pytest.raises(InputError, match="measure"):
        build_view("topic-trend", lf, FILTERS, measure="mean")


def test_views_give_the_same_data_on_every_build(lf):
    """The dashboard and the CLI build separately; ties must not reorder or swap rows."""
    for name in VIEWS:
        first = build_view(name, lf, FILTERS, phrases=PHRASES).data
        for _ in range(3):
            assert_frame_equal(build_view(name, lf, FILTERS, phrases=PHRASES).data, first)


def test_views_survive_filters_that_match_nothing(lf):
    nothing = Filters(start=dt.date(2030, 1, 1), end=dt.date(2030, 12, 31))
    for name in VIEWS:
        view = build_view(name, lf, nothing, phrases=PHRASES)
        assert view.papers == 0
        assert "no papers match" in view.caption
        svg = to_svg(view.chart)  # still a chart that renders, with its title
        assert view.title in svg
        assert "no papers match" in svg
