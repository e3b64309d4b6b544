"""Which periods of a time series the data covers only in part, and gaps for empty periods.

A period is incomplete when the data (on the filters' date basis, within the date range) misses
some of its days on which papers of that basis appear at all: the listing basis has papers on
weekdays only, so a month whose data ends on its last Friday is complete, while the current
month, or one cut by the date range, is not. Such periods are drawn hollow or dashed, and named in
the caption.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import polars as pl

from analysis.filters import Filters
from analysis.trends import cube
from analysis.views.axes import period_name


@dataclass(frozen=True)
class Coverage:
    """The days the data covers: first and last day, and the weekdays (0 = Monday) with papers."""

    first: dt.date | None
    last: dt.date | None
    weekdays: frozenset[int]


#: A weekday counts as one on which papers appear when it holds at least this share of them:
#: the month lists hold a few Sunday listings (76 of 12,526 papers, up to 2024-11), which must
#: not make every later month that ends on a Friday look incomplete.
MIN_WEEKDAY_SHARE = 0.01


def bounds(lf: pl.LazyFrame, basis: str) -> Coverage:
    """The store's first and last day on a date basis, and the weekdays that have papers.

    A weekday with fewer than :data:`MIN_WEEKDAY_SHARE` of the papers is left out. Read from
    the frame's filter columns (:func:`analysis.trends.cube.columns`, kept per frame): two
    Polars queries took ~2 ms of the first filter change to each basis.
    """
    day = cube.columns(lf)[basis]
    day = day[day != cube.NULL]
    if not len(day):
        return Coverage(None, None, frozenset())
    per_weekday = np.bincount((day.astype(np.int64) + 3) % 7, minlength=7)  # 1970-01-01: a Thu
    keep = np.flatnonzero(per_weekday >= max(MIN_WEEKDAY_SHARE * len(day), 1))
    return Coverage(cube.day_of(day.min()), cube.day_of(day.max()),
                    frozenset(int(w) for w in keep))


def coverage(lf: pl.LazyFrame, filters: Filters, whole: Coverage | None = None) -> Coverage:
    """The store's days on the filters' basis (``whole``, if known) cut to their date range."""
    whole = whole or bounds(lf, filters.basis)
    first, last = whole.first, whole.last
    if first is not None and filters.start:
        first = max(first, filters.start)
    if last is not None and filters.end:
        last = min(last, filters.end)
    return Coverage(first, last, whole.weekdays)


def next_start(start: dt.date, period: str) -> dt.date:
    """The first day of the period after the one starting on ``start``."""
    months = {"month": 1, "quarter": 3, "year": 12}.get(period)
    if months is None:
        return start + dt.timedelta(days=7)
    m = start.month - 1 + months
    return dt.date(start.year + m // 12, m % 12 + 1, 1)


def incomplete_periods(periods: list[dt.date], cov: Coverage, period: str) -> list[dt.date]:
    """The periods (by first day, ascending) holding a paper day that the data does not cover.

    Only the first and the last periods can: a period's first paper day grows with its start,
    and its last paper day with its end, so the periods starting before the data are a prefix
    and those ending after it a suffix. Looked for from both ends, not in every period.
    """
    first, last = cov.first, cov.last
    if first is None or last is None:
        return list(periods)

    def short(start: dt.date) -> bool:
        end = next_start(start, period) - dt.timedelta(days=1)
        return (_paper_day(start, end, cov.weekdays, 1) < first
                or _paper_day(end, start, cov.weekdays, -1) > last)

    lo, hi = 0, len(periods)
    while lo < hi and short(periods[lo]):
        lo += 1
    while hi > lo and short(periods[hi - 1]):
        hi -= 1
    return [*periods[:lo], *periods[hi:]]


def _paper_day(day: dt.date, limit: dt.date, weekdays: frozenset[int], step: int) -> dt.date:
    """From ``day`` towards ``limit``, the first day on a weekday with papers (else ``day``)."""
    for i in range(min(7, abs((limit - day).days) + 1)):
        d = day + dt.timedelta(days=step * i)
        if d.weekday() in weekdays:
            return d
    return day


def mark_incomplete(df: pl.DataFrame, lf: pl.LazyFrame, filters: Filters,
                    whole: Coverage | None = None) -> tuple[pl.DataFrame, str]:
    """Add ``incomplete`` (bool) to a frame with ``period``; and a caption note naming them.

    ``whole`` is :func:`bounds` of ``lf`` on the filters' basis, when already known.
    """
    if df.height == 0 or "period" not in df.columns:
        return df, ""
    cov = coverage(lf, filters, whole)
    days = df.get_column("period").to_list()
    gone = incomplete_periods(sorted(set(days) - {None}), cov, filters.period)
    flags = set(gone)
    out = df.with_columns(pl.Series("incomplete", [d in flags for d in days],
                                    dtype=pl.Boolean()))
    return out, incomplete_note(gone, cov, filters.period)


def incomplete_note(periods: list[dt.date], cov: Coverage, period: str) -> str:
    """Caption words for the incomplete periods, e.g. ``incomplete (hollow): May 2026 (to ...)``."""
    if not periods:
        return ""
    if len(periods) > 3:
        return f"{len(periods)} incomplete periods drawn hollow/dashed"
    named = []
    for start in periods:
        end = next_start(start, period) - dt.timedelta(days=1)
        parts = []
        if cov.first and start < cov.first <= end:
            parts.append(f"from {cov.first}")
        if cov.last and start <= cov.last < end:
            parts.append(f"to {cov.last}")
        named.append(period_name(start, period) + (f" (data {' '.join(parts)})" if parts else ""))
    return "incomplete, drawn hollow/dashed: " + ", ".join(named)


def gaps(df: pl.DataFrame, columns: tuple[str, ...] = ("share",)) -> pl.DataFrame:
    """Null ``columns`` where the period has no paper at all (``total`` 0): a gap, not a zero."""
    cols = [c for c in columns if c in df.columns]
    if not cols or "total" not in df.columns:
        return df
    return df.with_columns(pl.when(pl.col("total") > 0).then(pl.col(c)).alias(c) for c in cols)
