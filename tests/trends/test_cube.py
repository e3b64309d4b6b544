"""Counts over the filter columns as arrays equal the Polars queries over ``filters.apply``.

The references below are the queries these functions ran before they counted over arrays: one
``group_by`` over the filtered papers, joined onto the period axis.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from analysis.filters import Filters, apply
from analysis.store import Store
from analysis.trends import cube, papers_per_period, topic_frequency
from analysis.trends.frame import period_axis, period_start
from analysis.trends.keywords import finish_share
from analysis.trends.shares import _labels
from analysis.views.view import scope
from tests.support.paths import REPO

D = dt.date
#: Filter states: every period and basis, date ranges (one end, both, none, none inside the
#: data), upvote floors (0 drops the papers without a count), topics (outliers and papers not yet
#: assigned included), groups, and both.
FILTERS = [
    Filters(),
    *(Filters(period=p, basis=b) for p in ("week", "month", "quarter", "year")
      for b in ("listed", "published")),
    Filters(start=D(2024, 6, 14), end=D(2025, 3, 2), period="week"),
    Filters(start=D(2025, 1, 1), basis="published", period="quarter"),
    Filters(end=D(2024, 12, 31), period="year", min_upvotes=3),
    Filters(min_upvotes=0), Filters(min_upvotes=25, basis="published"),
    Filters(topics=(0, 3, -1)), Filters(topics=(-2, 5), period="week"),
    Filters(groups=(1,)), Filters(groups=(0, 2), topics=(4,), min_upvotes=1),
    Filters(start=D(2030, 1, 1), end=D(2030, 6, 30)),  # no paper in range: zeros
    Filters(start=D(2030, 1, 1)),  # no paper, one end open: no period at all
]
IDS = [f.describe() for f in FILTERS]


@pytest.fixture(scope="module")
def lf() -> pl.LazyFrame:
    from analysis.trends import paper_frame

    return paper_frame(Store(REPO / "data")).collect().lazy()


def reference_papers_per_period(lf: pl.LazyFrame, filters: Filters) -> pl.DataFrame:
    counts = apply(lf, filters).group_by("period").agg(
        pl.len().cast(pl.Int64).alias("count"),
        pl.col("upvotes").is_not_null().sum().cast(pl.Int64).alias("with_upvotes"),
        pl.col("upvotes").sum().cast(pl.Int64).alias("upvotes"),
    ).collect()
    first, last = (counts["period"].min(), counts["period"].max()) if counts.height else (None,
                                                                                        None)
    axis = period_axis(first, last, filters)  # type: ignore[arg-type]
    return (axis.join(counts, on="period", how="left")
            .with_columns(pl.col("count", "with_upvotes", "upvotes").fill_null(0)).sort("period"))


def reference_topic_frequency(lf: pl.LazyFrame, filters: Filters, level: str) -> pl.DataFrame:
    everything = apply(lf, dataclasses.replace(filters, topics=(), groups=()))
    totals = everything.group_by("period").agg(
        pl.len().cast(pl.Int64).alias("total"), pl.col("date").min().alias("first"),
        pl.col("date").max().alias("last")).collect()
    picked = everything.filter(pl.col(level).is_not_null())
    if filters.topics:
        picked = picked.filter(pl.col("topic").is_in(list(filters.topics)))
    if filters.groups:
        picked = picked.filter(pl.col("group").is_in(list(filters.groups)))
    counts = picked.group_by("period", level).agg(pl.len().cast(pl.Int64).alias("count"))
    labels = _labels(picked, level).collect()
    if labels.height == 0:
        return labels
    axis = period_axis(totals["first"].min(), totals["last"].max(), filters)  # type: ignore[arg-type]
    out = (axis.join(labels.sort(level), how="cross")
           .join(counts.collect(), on=["period", level], how="left")
           .join(totals.select("period", "total"), on="period", how="left")
           .with_columns(pl.col("count", "total").fill_null(0))
           .select("period", level, "label", "count", "total"))
    return finish_share(out).sort(level, "period")


@pytest.mark.parametrize("filters", FILTERS, ids=IDS)
def test_papers_per_period_is_the_group_by_over_the_filtered_papers(lf, filters):
    got = papers_per_period(lf, filters)
    assert_frame_equal(got, reference_papers_per_period(lf, filters))
    if filters.start == D(2030, 1, 1) and filters.end:
        assert got.height == 6  # Jan to Jun 2030
        assert got["count"].sum() == 0


@pytest.mark.parametrize("level", ["topic", "group"])
@pytest.mark.parametrize("filters", FILTERS, ids=IDS)
def test_topic_frequency_is_the_group_by_over_the_filtered_papers(lf, filters, level):
    got = topic_frequency(lf, filters, level=level)
    want = reference_topic_frequency(lf, filters, level)
    if want.height == 0:
        assert got.height == 0
        return
    assert_frame_equal(got, want)


@pytest.mark.parametrize("filters", FILTERS, ids=IDS)
def test_early_periods_are_the_group_by_over_the_filtered_papers(lf, filters):
    from analysis.trends.upvotes import count_age, early_periods

    for mature in (1, 30, 400):
        row = (apply(lf, filters).filter(pl.col("upvotes").is_not_null()).group_by("period")
               .agg((count_age() < mature).any().alias("early"))
               .select(pl.col("early").sum(), pl.len()).collect().row(0))
        assert early_periods(lf, filters, mature) == (int(row[0] or 0), int(row[1] or 0))


@pytest.mark.parametrize("filters", FILTERS, ids=IDS)
def test_the_upvote_counts_kept_are_those_of_the_filtered_papers(lf, filters):
    from analysis.trends.upvotes import _counts, upvote_null_count, with_age

    for age in (None, 0, 30):
        want = (with_age(apply(lf, filters), age).filter(pl.col("upvotes").is_not_null())
                .select("upvotes").collect().to_series().sort().to_list())
        assert sorted(_counts(lf, filters, age).astype(int).tolist()) == want
        kept = apply(lf, filters).select(pl.len()).collect().item()
        assert upvote_null_count(lf, filters, age) == kept - len(want)


def _stats() -> list[pl.Expr]:
    u = pl.col("upvotes")
    return [u.count().cast(pl.Int64).alias("n"), u.null_count().cast(pl.Int64).alias("n_null"),
            u.median().alias("median"), u.quantile(0.25, "linear").alias("q1"),
            u.quantile(0.75, "linear").alias("q3"), u.quantile(0.90, "linear").alias("p90"),
            u.max().alias("max"), u.mean().alias("mean")]


def reference_upvote_stats(lf: pl.LazyFrame, filters: Filters, by: str, upvote_age,
                           split_at) -> pl.DataFrame:
    """The group_by over the filtered papers that upvote_stats ran before it counted arrays."""
    from analysis.trends.frame import axis_of, filled_label
    from analysis.trends.upvotes import EARLY, MATURED, UNKNOWN_AGE, count_age, with_age

    data = with_age(apply(lf, filters), upvote_age)
    if by == "topic":
        return (data.filter(pl.col("topic").is_not_null()).group_by("topic")
                .agg(pl.col("topic_label").drop_nulls().first().alias("label"), *_stats())
                .collect().with_columns(filled_label("label")).sort("topic"))
    if split_at is None:
        out = data.group_by("period").agg(*_stats(), pl.col("date").min().alias("_a"),
                                          pl.col("date").max().alias("_b")).collect()
        axis = axis_of(out, filters, "_a", "_b")
        return (axis.join(out.drop("_a", "_b"), on="period", how="left")
                .with_columns(pl.col("n", "n_null").fill_null(0)).sort("period"))
    age = count_age()
    kind = (pl.when(age.is_null()).then(pl.lit(UNKNOWN_AGE)).when(age < split_at)
            .then(pl.lit(EARLY)).otherwise(pl.lit(MATURED)).alias("counts"))
    out = data.with_columns(kind).group_by("period", "counts").agg(
        *_stats(), pl.col("date").min().alias("_a"), pl.col("date").max().alias("_b")).collect()
    axis = axis_of(out, filters, "_a", "_b")
    stats = out.drop("_a", "_b")
    missing = axis.filter(~pl.col("period").is_in(stats["period"].implode()))
    empty = missing.with_columns(counts=pl.lit(EARLY))
    rank = pl.col("counts").replace_strict({EARLY: 0, MATURED: 1, UNKNOWN_AGE: 2})
    return (pl.concat([stats, empty], how="diagonal").sort(pl.col("period"), rank)
            .with_columns(pl.col("n", "n_null").fill_null(0)))


@pytest.mark.parametrize("filters", FILTERS, ids=IDS)
@pytest.mark.parametrize(("by", "split_at"), [("topic", None), ("period", None),
                                              ("period", 30), ("period", 7)])
def test_upvote_stats_are_the_group_by_over_the_filtered_papers(lf, filters, by, split_at):
    from analysis.trends.upvotes import upvote_stats

    for age in (None, 0, 30):
        assert_frame_equal(upvote_stats(lf, filters, by=by, upvote_age=age, split_at=split_at),
                           reference_upvote_stats(lf, filters, by, age, split_at))


@pytest.mark.parametrize("filters", FILTERS, ids=IDS)
def test_the_scope_is_the_count_and_span_of_the_filtered_papers(lf, filters):
    row = apply(lf, filters).select(pl.len(), pl.col("date").min().alias("first"),
                                    pl.col("date").max().alias("last")).collect().row(0)
    got = scope(lf, filters)
    assert (got.papers, got.first, got.last) == row


def test_the_arrays_of_a_lazy_scan_line_up(lf):
    # a frame scanned and joined lazily may give its rows in another order on every collect:
    # its columns are read in one query, so a paper's day and topic stay together
    from analysis.trends import paper_frame

    lazy = paper_frame(Store(REPO / "data"))
    filters = Filters(period="quarter", min_upvotes=2)
    assert_frame_equal(topic_frequency(lazy, filters),
                       reference_topic_frequency(lf, filters, "topic"))
    assert cube.columns(lazy) is cube.columns(lazy)  # read once per frame object


@pytest.mark.parametrize("period", ["week", "month", "quarter", "year"])
def test_a_period_starts_where_polars_truncates(period):
    filters = Filters(period=period)
    days = pl.date_range(D(2023, 12, 25), D(2026, 1, 10), "1d", eager=True)
    want = days.dt.truncate(filters.every).to_list()
    assert [period_start(d, filters) for d in days.to_list()] == want


@pytest.mark.parametrize("period", ["week", "month", "quarter", "year"])
def test_the_period_axis_is_polars_date_range(period):
    filters = Filters(period=period)
    days = pl.date_range(D(2023, 11, 27), D(2026, 2, 3), "1d", eager=True).to_list()
    for start in days[::9]:
        for end in (start, *(d for d in days[::37] if d > start)):
            want = pl.date_range(period_start(start, filters), period_start(end, filters),
                                 interval=filters.every, eager=True).rename("period")
            assert_frame_equal(period_axis(start, end, filters), want.to_frame())


@pytest.mark.parametrize("basis", ["listed", "published"])
@pytest.mark.parametrize("period", ["week", "month", "quarter", "year"])
def test_period_starts_over_arrays_are_polars_truncate(lf, period, basis):
    filters = Filters(period=period, basis=basis)
    want = (lf.select(pl.col(basis).dt.truncate(filters.every).cast(pl.Int32)
                      .fill_null(cube.NULL)).collect().to_series().to_numpy())
    day = cube.days(lf, basis)
    dated = day != cube.NULL
    assert (cube.period_starts(day[dated], period) == want[dated]).all()
    assert (want[~dated] == cube.NULL).all()
    assert dated.sum() > 10_000
