"""Incomplete periods, found from both ends, are the periods a day-by-day look finds."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from analysis.names import PERIODS
from analysis.views.periods import Coverage, _paper_day, incomplete_periods, next_start


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
