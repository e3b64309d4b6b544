"""Incomplete periods, found from both ends, are the periods a day-by-day look finds."""

from __future__ import annotations

import datetime as dt
import itertools

import polars as pl
import pytest

from analysis.names import PERIODS
from analysis.store import Store
from analysis.views.periods import (
    MIN_WEEKDAY_SHARE,
    Coverage,
    _paper_day,
    bounds,
    incomplete_periods,
    next_start,
)
from tests.support.paths import BUNDLED


def every_period_looked_at(periods, cov, period):
    """The plain way: each period's first and last paper day against the data's days."""
    out = []
    for start in periods:
        end = next_start(start, period) - dt.timedelta(days=1)
        if (_paper_day(start, end, cov.weekdays, 1) < cov.first
                or _paper_day(end, start, cov.weekdays, -1) > cov.last):
            out.append(start)
    return out


def starts(first: dt.date, last: dt.date, period: str) -> list[dt.date]:
    if period == "week":
        day = first - dt.timedelta(days=first.weekday())
    else:
        months = {"month": 1, "quarter": 3, "year": 12}[period]
        day = dt.date(first.year, (first.month - 1) // months * months + 1, 1)
    out = []
    while day <= last:
        out.append(day)
        day = next_start(day, period)
    return out


@pytest.mark.parametrize("period", PERIODS)
def test_incomplete_periods_equal_a_look_at_every_period(period):
    weekday_sets = [frozenset(range(5)), frozenset(range(7)), frozenset({0, 2, 4}), frozenset()]
    checked = 0
    for shift, weekdays in itertools.product(range(0, 400, 23), weekday_sets):
        first = dt.date(2024, 5, 3) + dt.timedelta(days=shift)
        last = first + dt.timedelta(days=90 + 7 * shift % 500)
        cov = Coverage(first, last, weekdays)
        # periods inside, around and beyond the data, as an axis of a date range has them
        periods = starts(first - dt.timedelta(days=40), last + dt.timedelta(days=40), period)
        assert incomplete_periods(periods, cov, period) == every_period_looked_at(
            periods, cov, period)
        checked += 1
    assert checked == 72


def _bounds_by_query(lf: pl.LazyFrame, basis: str) -> Coverage:
    """The same facts by two Polars queries: min and max, papers per weekday (Monday = 1)."""
    col = pl.col(basis)
    first, last = lf.select(col.min(), col.max().alias("b")).collect().row(0)
    days = lf.select(col.dt.weekday().alias("w")).drop_nulls().group_by("w").len().collect()
    total = int(days["len"].sum()) if days.height else 0
    return Coverage(first, last, frozenset(int(w) - 1 for w, n in days.iter_rows()
                                           if n >= MIN_WEEKDAY_SHARE * total))


@pytest.mark.parametrize("basis", ["listed", "published"])
def test_bounds_equal_the_polars_queries(basis):
    bundled = Store(BUNDLED).scan_papers().collect()
    rare = [dt.date(1969, 12, 28) + dt.timedelta(days=i) for i in range(7)]  # Sun..Sat
    frames = {
        "bundled": bundled,
        "half without a day": bundled.with_columns(
            pl.when(pl.int_range(pl.len()) % 2 == 0).then(pl.col(basis)).alias(basis)),
        "no day at all": bundled.with_columns(pl.lit(None, dtype=pl.Date).alias(basis)),
        "around 1970, a rare Saturday": bundled.head(700).with_columns(
            pl.Series(basis, [rare[i % 6] for i in range(699)] + [rare[6]])),
    }
    for name, frame in frames.items():
        got = bounds(frame.lazy(), basis)
        assert got == _bounds_by_query(frame.lazy(), basis), name
    assert bounds(bundled.lazy(), "listed").weekdays == frozenset(range(5))  # Mon-Fri
