"""Upvote statistics against NumPy over the same values; nulls are never zeros."""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict

import numpy as np
import polars as pl
import pytest

from analysis.filters import Filters
from analysis.ingest import load_sources
from analysis.names import OUTLIER_LABEL
from analysis.trends import (
    log_bins,
    top_papers,
    upvote_distribution,
    upvote_null_count,
    upvote_stats,
)
from tests.support.paths import DAILY, PAGE_DUMP


@pytest.fixture(scope="module")
def frame() -> pl.LazyFrame:
    """API papers (all with counts) and the page dump (most without a count shown)."""
    result = load_sources([str(DAILY), str(PAGE_DUMP)], reference_date=dt.date(2025, 12, 31))
    df = result.frame
    assert df["upvotes"].null_count() > 20  # the comparison below covers real nulls
    return df.with_columns(
        ((pl.col("paper_id").hash(7) % 4).cast(pl.Int32) - 1).alias("topic"),
        pl.lit(None, dtype=pl.Utf8).alias("topic_label"),
    ).lazy()


def rows(frame, basis: str = "listed") -> list[dict]:
    """The papers a basis can place in time (page-dump papers have no listing day)."""
    return frame.filter(pl.col(basis).is_not_null()).collect().to_dicts()


def on(basis: str | None, **kw) -> Filters:
    """Filters on ``basis``, or on the default basis (listed) when it is None."""
    return Filters(basis=basis, **kw) if basis else Filters(**kw)


def summary(values: list[int]) -> dict:
    a = np.array(values, dtype=float)
    return {"n": len(a), "median": np.median(a), "q1": np.percentile(a, 25),
            "q3": np.percentile(a, 75), "p90": np.percentile(a, 90), "max": a.max()}


@pytest.mark.parametrize("basis", [None, "published"])
@pytest.mark.parametrize("by", ["period", "topic"])
def test_stats_match_numpy(frame, by, basis):
    col = basis or "listed"
    groups: dict[object, list] = defaultdict(list)
    for r in rows(frame, col):
        key = r[col].replace(month=1, day=1) if by == "period" else r["topic"]
        groups[key].append(r["upvotes"])
    got = upvote_stats(frame, on(basis, period="year"), by=by)
    assert got.height == len(groups)
    for r in got.iter_rows(named=True):
        values = groups[r[by]]
        present = [v for v in values if v is not None]
        assert r["n"] == len(present)
        assert r["n_null"] == len(values) - len(present)
        if not present:  # only papers without a count: no statistics, not zeros
            assert r["median"] is None
            assert r["max"] is None
            continue
        ref = summary(present)
        for name in ("median", "q1", "q3", "p90", "max"):
            assert r[name] == pytest.approx(ref[name], abs=1e-9), (r[by], name)
    if basis == "published":  # the page dump's papers, most without a count, are placed here
        assert got["n_null"].sum() > 20
    if by == "topic":
        assert got.filter(pl.col("topic") == -1)["label"].to_list() == [OUTLIER_LABEL]


@pytest.mark.parametrize("basis", [None, "published"])
def test_nulls_are_not_zeros(frame, basis):
    values = [r["upvotes"] for r in rows(frame, basis or "listed")]
    dist = upvote_distribution(frame, on(basis))
    assert dist["count"].sum() == sum(v is not None for v in values)
    assert dist.filter(pl.col("bin_low") == 0)["count"].item() == sum(v == 0 for v in values)
    assert upvote_null_count(frame, on(basis)) == sum(v is None for v in values)
    if basis == "published":
        assert sum(v is None for v in values) > 20


def test_distribution_bins(frame):
    values = [r["upvotes"] for r in rows(frame) if r["upvotes"] is not None]
    dist = upvote_distribution(frame, Filters())
    edges = dist["bin_low"].to_list() + [dist["bin_high"][-1]]
    assert edges == log_bins(max(values))
    assert (dist["bin_low"].shift(-1).drop_nulls() == dist["bin_high"].head(-1)).all()
    expected = [0] * dist.height
    for v in values:
        expected[bisect.bisect_right(edges, v) - 1] += 1
    assert dist["count"].to_list() == expected
    assert dist["bin_high"][-1] > max(values)
    assert dist["label"][:3].to_list() == ["0", "1", "2-4"]


def test_log_bins_are_log_spaced():
    assert log_bins(0) == [0, 1]
    assert log_bins(1) == [0, 1, 2]
    assert log_bins(250) == [0, 1, 2, 5, 10, 20, 50, 100, 200, 500]
    assert log_bins(1000) == [0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000]


def test_periods_without_papers_have_zero_n(frame):
    got = upvote_stats(frame, Filters(period="week"), by="period")
    empty = got.filter(pl.col("n") + pl.col("n_null") == 0)
    assert empty.height > 0
    assert empty["median"].null_count() == empty.height
    assert got["period"].to_list() == sorted(got["period"].to_list())


def test_top_papers(frame):
    values = sorted((r["upvotes"] for r in rows(frame) if r["upvotes"] is not None), reverse=True)
    top = top_papers(frame, Filters(), n=7)
    assert top["upvotes"].to_list() == values[:7]
    per_topic = top_papers(frame, Filters(), n=3, by="topic")
    counts = per_topic.group_by("topic").len()
    assert (counts["len"] <= 3).all()
    assert counts.height == 4
    for _topic, group in per_topic.group_by("topic"):
        assert group["upvotes"].is_sorted(descending=True)
    assert per_topic["upvotes"].null_count() == 0


def test_min_upvotes_filter_drops_nulls(frame):
    # the published basis places the page dump's papers, most of them without a count
    every = upvote_stats(frame, Filters(period="year", basis="published"), by="period")
    assert every["n_null"].sum() > 20
    got = upvote_stats(frame, Filters(period="year", basis="published", min_upvotes=0),
                       by="period")
    assert got["n_null"].sum() == 0
    assert got["n"].sum() == every["n"].sum()
