"""The columns the filters read, as arrays: a filter state's counts without a query per count.

A filter change on the dashboard needs the same few counts several times over (the papers and
their span in every caption, papers per period, papers per period and topic). A Polars query over
a few thousand rows costs 0.3-0.9 ms whatever its size (planning, threads), and a change made
~50 of them. Here the columns that :func:`analysis.filters.apply` reads (each basis's day, the
upvotes, topic and group, and the upvote count's age) are taken out of a paper frame once per
frame object (:func:`memo.whole`). A filter state is then a boolean mask (:func:`mask`); the
kept days' period starts (:func:`period_starts`, what ``dt.truncate`` gives) place them on the
period axis (:func:`positions`), and the counts are ``np.bincount``. The callers
(``papers_per_period``, ``topic_frequency``, ``early_periods``, ``upvote_stats``, the views'
scope, rising phrases, the map's kept papers) are checked against the Polars queries over
``filters.apply`` under many filters in ``tests/trends/test_cube.py``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import polars as pl

from analysis.filters import Filters
from analysis.names import DEFAULT_PERIOD
from analysis.trends import memo
from analysis.trends.phrase_index import text_hashes

#: A null day or id in the integer arrays (no real day or topic id is this small).
NULL = np.iinfo(np.int32).min
EPOCH = dt.date(1970, 1, 1)


#: Days from listing (else publication) to the moment the upvote count was read.
COUNT_AGE = (pl.col("upvotes_at").dt.date()
             - pl.coalesce(pl.col("listed"), pl.col("published"))).dt.total_days()
#: The arrays read from a frame: name -> (the columns it needs, its expression), ids and days
#: as Int32, upvotes as a float.
COLUMNS: dict[str, tuple[tuple[str, ...], pl.Expr]] = {
    **{c: ((c,), pl.col(c).cast(pl.Int32)) for c in ("listed", "published", "topic", "group")},
    "upvotes": (("upvotes",), pl.col("upvotes").cast(pl.Float64)),
    "count_age": (("upvotes_at", "listed", "published"), COUNT_AGE.cast(pl.Int32)),
}


#: One 64-bit hash of a paper's title and abstract (same text, same hash): the key of the rising
#: phrases' index, the same hash as the keyword index's.
TEXT_HASH = text_hashes()


def columns(lf: pl.LazyFrame | pl.DataFrame, *, texts: bool = False) -> dict[str, np.ndarray]:
    """The frame's filter columns as arrays, read in one query (the rows of one collect line up).

    Days are days since 1970-01-01; a null day, id or count age is :data:`NULL`, a null upvote
    count NaN. Arrays whose columns the frame lacks are left out. ``texts``: also ``text_hash``
    (:data:`TEXT_HASH`), read with its own copy of the other columns, so the rows line up
    whatever the frame.
    """
    def make() -> dict[str, np.ndarray]:
        frame = lf.lazy()
        names = set(frame.collect_schema().names())
        there = [c for c, (need, _) in COLUMNS.items() if names.issuperset(need)]
        got = frame.select(*(COLUMNS[c][1].alias(c) for c in there),
                           *([TEXT_HASH.alias("text_hash")] if texts else [])).collect()
        out = {c: (got[c].fill_null(np.nan) if c == "upvotes"
                   else got[c].fill_null(NULL)).to_numpy() for c in there}
        if texts:
            out["text_hash"] = got["text_hash"].to_numpy()
        return out

    return memo.whole(lf, "filter-columns+texts" if texts else "filter-columns", make)


def days(lf: pl.LazyFrame | pl.DataFrame, basis: str) -> np.ndarray:
    """Each paper's day on a basis (``listed`` or ``published``), as days since 1970-01-01."""
    return columns(lf)[basis]


def period_starts(day: np.ndarray, period: str) -> np.ndarray:
    """The first day of each day's period (days since 1970-01-01, none of them null).

    What Polars' ``dt.truncate`` gives (weeks start on Monday; tests/trends/test_cube.py
    compares them for every period). Worked out once per day of the days' range, then looked
    up: calendar arithmetic over a million days took ~50 ms, the lookup ~2 ms.
    """
    if not len(day):
        return np.zeros(0, dtype=np.int64)
    low = int(day.min())
    span = np.arange(low, int(day.max()) + 1, dtype=np.int64)
    if period == "week":  # 1970-01-01 was a Thursday: its Monday is 3 days before
        first = span - (span + 3) % 7
    elif period == "year":
        first = span.astype("datetime64[D]").astype("datetime64[Y]").astype("datetime64[D]")
        first = first.astype(np.int64)
    else:
        month = span.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
        if period == "quarter":
            month -= month % 3
        first = month.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    return first[day - low]


def period_range(first: int, last: int, period: str) -> np.ndarray:
    """The starts of every period from the one holding day ``first`` to the one holding ``last``.

    Days since 1970-01-01, ascending: what ``pl.date_range`` from the two periods' starts by
    the period gives (0.2 ms a call; this runs twice on every filter change).
    """
    lo, hi = period_starts(np.array([first, last], dtype=np.int64), period)
    if period == "week":
        return np.arange(lo, hi + 1, 7, dtype=np.int64)
    month = np.array([lo, hi]).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    step = {"month": 1, "quarter": 3, "year": 12}[period]
    months = np.arange(month[0], month[1] + 1, step)
    return months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)


def ids(lf: pl.LazyFrame | pl.DataFrame, name: str) -> np.ndarray:
    """Each paper's ``topic`` or ``group`` id (:data:`NULL` where it has none)."""
    return columns(lf)[name]


def upvotes(lf: pl.LazyFrame | pl.DataFrame) -> np.ndarray:
    """Each paper's upvote count as a float (NaN where the paper shows none)."""
    return columns(lf)["upvotes"]


def ordinal(day: dt.date) -> int:
    """A date as days since 1970-01-01."""
    return (day - EPOCH).days


def day_of(value: int) -> dt.date:
    """Days since 1970-01-01 as a date."""
    return EPOCH + dt.timedelta(days=int(value))


def mask(lf: pl.LazyFrame | pl.DataFrame, filters: Filters, *, texts: bool = False) -> np.ndarray:
    """The papers ``filters.apply`` keeps (a dated paper in range, topics, groups, upvotes).

    Over the rows of ``columns(lf, texts=texts)``. Made once per filter state (the period does
    not change it) and shared by every count of that state; read-only.
    """
    def make() -> np.ndarray:
        cols = columns(lf, texts=texts)
        day = cols[filters.basis]
        keep = day != NULL
        if filters.start:
            keep &= day >= ordinal(filters.start)
        if filters.end:
            keep &= day <= ordinal(filters.end)
        if filters.topics:
            keep &= np.isin(cols["topic"], list(filters.topics))
        if filters.groups:
            keep &= np.isin(cols["group"], list(filters.groups))
        if filters.min_upvotes is not None:
            keep &= cols["upvotes"] >= filters.min_upvotes  # NaN (no count) is never kept
        keep.flags.writeable = False
        return keep

    state = dataclasses.replace(filters, period=DEFAULT_PERIOD)  # type: ignore[arg-type]
    return memo.per_frame(lf, ("mask", state, texts), make)


def distinct(values: np.ndarray) -> int:
    """How many distinct values (days, small ids) an integer array holds, without sorting it."""
    if not len(values):
        return 0
    return int(np.count_nonzero(np.bincount(values - values.min())))


def positions(axis: pl.DataFrame, starts: np.ndarray) -> np.ndarray:
    """Where each period start falls on a period axis (``period``, sorted, every one there)."""
    return np.searchsorted(axis.get_column("period").cast(pl.Int32).to_numpy(), starts)


def scope(lf: pl.LazyFrame | pl.DataFrame, filters: Filters) -> tuple[int, dt.date | None,
                                                                       dt.date | None]:
    """How many papers the filters keep, and their first and last day on the basis."""
    kept = days(lf, filters.basis)[mask(lf, filters)]
    if not len(kept):
        return 0, None, None
    return len(kept), day_of(kept.min()), day_of(kept.max())
