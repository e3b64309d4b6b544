"""Upvote statistics: distribution in log-spaced bins, summaries per topic or period, top papers.

Papers without an upvote count (null) are left out of every statistic and counted in ``n_null``;
they are never taken as zero.

A count's *age* is the number of days between the paper's listing and the moment the count was
read (``upvotes_at``). Counts read early on the listing day (a crawler's snapshot) are far lower
than the same papers' counts months later, so every function here takes ``upvote_age``: keep
only counts at least that many days old (papers whose count has no known age are left out then).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from analysis.filters import Filters
from analysis.schema import InputError
from analysis.trends import cube, memo
from analysis.trends.frame import filtered, period_axis
from analysis.trends.shares import labels_of

BY: tuple[str, ...] = ("topic", "period")
#: Counts read at least this many days after listing are "matured" when no age is chosen.
MATURE_DAYS = 30
#: The ``counts`` values of :func:`upvote_stats` split by age.
EARLY, MATURED, UNKNOWN_AGE = "early", "matured", "age unknown"
#: The kinds of count per period, in the order they are listed.
KINDS = (EARLY, MATURED, UNKNOWN_AGE)


def count_age() -> pl.Expr:
    """Days from listing (else publication) to the moment the upvote count was read."""
    return cube.COUNT_AGE.alias("count_age")


def with_age(lf: pl.LazyFrame, upvote_age: int | None) -> pl.LazyFrame:
    """Only papers whose count was read at least ``upvote_age`` days after listing (None: all)."""
    if upvote_age is None:
        return lf
    check_age(upvote_age)
    return lf.filter(count_age() >= upvote_age)


def check_age(upvote_age: int) -> None:
    """Raise InputError for an upvote age below 0 days."""
    if upvote_age < 0:
        raise InputError(f"upvote age must be 0 days or more, not {upvote_age}",
                         field="upvote_age", hint="e.g. 30d")


def parse_age(text: str | int | None) -> int | None:
    """``30d``, ``4w``, ``30`` (days) or ``all``/empty -> days (None for all).

    Raises:
        InputError: not a number of days or weeks.
    """
    if text is None or isinstance(text, int):
        return text
    value = text.strip().lower()
    if value in ("", "all", "any"):
        return None
    unit = 7 if value.endswith("w") else 1
    digits = value.removesuffix("w").removesuffix("d").strip()
    if not digits.isdigit():
        raise InputError(f"upvote age {text!r} is not a number of days", field="upvote_age",
                         hint="use e.g. 30d, 4w or all")
    return int(digits) * unit


def early_periods(lf: pl.LazyFrame | pl.DataFrame, filters: Filters,
                  mature: int = MATURE_DAYS) -> tuple[int, int]:
    """(periods holding a count read < ``mature`` days after listing, periods with counts).

    Over the frame's filter columns as arrays (:mod:`analysis.trends.cube`): every upvote view
    names it in its caption, on every filter change.
    """
    def make() -> tuple[int, int]:
        arrays = cube.columns(lf)
        counted = cube.mask(lf, filters) & ~np.isnan(arrays["upvotes"])
        first = cube.period_starts(arrays[filters.basis][counted], filters.period)
        age = arrays["count_age"][counted]
        early = (age != cube.NULL) & (age < mature)
        return cube.distinct(first[early]), cube.distinct(first)

    # the Upvotes page names it on every rerun, and each of its views in its caption
    return memo.per_frame(lf, ("early-periods", filters, mature), make)
#: Columns top_papers returns (those present in the frame).
TOP_COLUMNS = ("paper_id", "title", "published", "listed", "upvotes", "upvotes_at", "organization",
               "topic", "topic_label")


def log_bins(max_value: int) -> list[int]:
    """Bin edges 0, 1, 2, 5, 10, 20, 50, ... (1-2-5 steps), the last one above max_value."""
    edges = [0, 1]
    step = 0
    while edges[-1] <= max(max_value, 0):
        base = 10 ** (step // 3)
        edges.append((2, 5, 10)[step % 3] * base)
        step += 1
    return edges


def upvote_distribution(lf: pl.LazyFrame | pl.DataFrame, filters: Filters,
                        upvote_age: int | None = None) -> pl.DataFrame:
    """Papers per log-spaced upvote bin, empty bins included.

    Args:
        lf: the paper frame.
        filters: the common filters.
        upvote_age: only counts read at least this many days after listing (None: all).

    Returns:
        Columns ``bin_low`` (inclusive), ``bin_high`` (exclusive), ``label`` ("0", "1",
        "2-4", ...) and ``count``. Papers without an upvote count are not in any bin; see
        :func:`upvote_null_count`.
    """
    ups = _counts(lf, filters, upvote_age)
    edges = log_bins(int(ups.max()) if len(ups) else 0)
    index = np.searchsorted(np.array(edges), ups, side="right") - 1
    counts = np.bincount(index, minlength=len(edges) - 1)
    low, high = edges[:-1], edges[1:]
    return pl.DataFrame([
        pl.Series("bin_low", low, dtype=pl.Int64), pl.Series("bin_high", high, dtype=pl.Int64),
        pl.Series("label", [str(a) if b - a == 1 else f"{a}-{b - 1}"
                            for a, b in zip(low, high, strict=True)], dtype=pl.Utf8),
        pl.Series("count", counts, dtype=pl.Int64)])


def _counts(lf: pl.LazyFrame | pl.DataFrame, filters: Filters,
            upvote_age: int | None) -> np.ndarray:
    """The upvote counts the filters keep (read ``upvote_age``+ days after listing), as floats.

    Over the frame's filter arrays (:mod:`analysis.trends.cube`), like :func:`with_age` over
    ``filters.apply``.
    """
    arrays = cube.columns(lf)
    keep = _kept(lf, filters, upvote_age) & ~np.isnan(arrays["upvotes"])
    return arrays["upvotes"][keep]


def _kept(lf: pl.LazyFrame | pl.DataFrame, filters: Filters,
          upvote_age: int | None) -> np.ndarray:
    """Which papers the filters keep whose count was read ``upvote_age``+ days after listing.

    Over the filter arrays, like :func:`with_age` over ``filters.apply`` (None: every age).
    """
    keep = cube.mask(lf, filters)
    if upvote_age is None:
        return keep
    check_age(upvote_age)
    age = cube.columns(lf)["count_age"]
    return keep & (age != cube.NULL) & (age >= upvote_age)


def upvote_null_count(lf: pl.LazyFrame | pl.DataFrame, filters: Filters,
                      upvote_age: int | None = None) -> int:
    """How many papers left by the filters show no upvote count (or none old enough)."""
    kept = cube.scope(lf, filters)[0]
    return kept - len(_counts(lf, filters, upvote_age))


def upvote_stats(
    lf: pl.LazyFrame | pl.DataFrame, filters: Filters, by: str = "topic",
    upvote_age: int | None = None, split_at: int | None = None,
) -> pl.DataFrame:
    """Upvote summary per topic or per period.

    Counted over the frame's filter arrays (:mod:`analysis.trends.cube`), like a ``group_by``
    over ``filters.apply`` (``tests/trends/test_cube.py`` compares them): the Upvotes page
    runs it twice on every filter change.

    Args:
        lf: the paper frame.
        filters: the common filters.
        by: "topic" (with a ``label`` column) or "period" (every period of the range).
        upvote_age: only counts read at least this many days after listing (None: all).
        split_at: per period only: summarise early counts (read < ``split_at`` days after
            listing), matured ones and those of unknown age apart, in a ``counts`` column.

    Returns:
        Columns ``<by>, [counts,] [label,] n, n_null, median, q1, q3, p90, max, mean``; ``n``
        counts papers with an upvote count, ``n_null`` those without. Quantiles interpolate
        linearly. Split by age, a period has one row per kind of count it holds (at least one).
    """
    if by not in BY:
        raise InputError(f"by must be one of {', '.join(BY)}, not {by!r}", field="by")
    arrays = cube.columns(lf)
    keep = _kept(lf, filters, upvote_age)
    votes, age = arrays["upvotes"][keep], arrays["count_age"][keep]
    schema = lf.lazy().collect_schema()
    if by == "topic":
        topic = arrays["topic"][keep]
        has = topic != cube.NULL
        ids, at = np.unique(topic[has], return_inverse=True)
        names = labels_of(lf, "topic")
        return pl.DataFrame([
            pl.Series("topic", ids, dtype=schema["topic"]),
            pl.Series("label", [names.get(t) for t in ids.tolist()], dtype=pl.Utf8),
            *_grouped(votes[has], at, len(ids), schema["upvotes"]),
        ])
    day = arrays[filters.basis][keep]
    axis = (period_axis(cube.day_of(day.min()), cube.day_of(day.max()), filters) if len(day)
            else period_axis(None, None, filters))
    at = cube.positions(axis, cube.period_starts(day, filters.period))
    if split_at is None:
        return axis.hstack(_grouped(votes, at, axis.height, schema["upvotes"]))
    # per period and kind of count, in the order of KINDS; a period without any paper gets one
    # empty "early" row
    kind = np.where(age == cube.NULL, 2, np.where(age < split_at, 0, 1))
    stats = pl.DataFrame(_grouped(votes, at * len(KINDS) + kind, axis.height * len(KINDS),
                                  schema["upvotes"]))
    held = (stats.get_column("n") + stats.get_column("n_null")).to_numpy() > 0
    period_held = held.reshape(-1, len(KINDS)).any(axis=1)
    shown = held | (np.arange(len(held)) % len(KINDS) == 0) & np.repeat(~period_held, len(KINDS))
    rows = np.flatnonzero(shown)
    periods = axis.get_column("period").gather(rows // len(KINDS))
    counts = pl.Series("counts", KINDS, dtype=pl.Utf8).gather(rows % len(KINDS))
    return stats[rows].insert_column(0, counts).insert_column(0, periods)


def _grouped(votes: np.ndarray, group: np.ndarray, groups: int,
             dtype: pl.DataType) -> list[pl.Series]:
    """Per group ``0 .. groups - 1``: ``n, n_null, median, q1, q3, p90, max, mean`` of the votes.

    A NaN vote is a paper without a count (``n_null``); a group without counts has null
    statistics. Quantiles interpolate linearly between the two nearest ranks (Polars' and
    NumPy's ``linear``).
    """
    null = np.isnan(votes)
    g, v = group[~null], votes[~null]
    n = np.bincount(g, minlength=groups)
    has = n > 0
    first = np.cumsum(n) - n  # where each group's counts start, sorted
    v_sorted = v[np.lexsort((v, g))]
    out = [pl.Series("n", n, dtype=pl.Int64),
           pl.Series("n_null", np.bincount(group[null], minlength=groups), dtype=pl.Int64)]
    for name, q in (("median", 0.5), ("q1", 0.25), ("q3", 0.75), ("p90", 0.9)):
        rank = q * np.maximum(n - 1, 0)
        low = np.floor(rank).astype(np.int64)
        frac = rank - low
        lo = v_sorted[np.where(has, first + low, 0)] if len(v) else np.zeros(groups)
        hi = v_sorted[np.where(has, first + np.minimum(low + 1, n - 1), 0)] if len(v) \
            else np.zeros(groups)
        out.append(pl.Series(name, np.where(has, lo + (hi - lo) * frac, np.nan),
                             nan_to_null=True))
    top = v_sorted[np.where(has, first + n - 1, 0)] if len(v) else np.zeros(groups)
    out.append(pl.Series("max", np.where(has, top, np.nan), nan_to_null=True).cast(dtype))
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.bincount(g, weights=v, minlength=groups) / n
    out.append(pl.Series("mean", np.where(has, mean, np.nan), nan_to_null=True))
    return out


def top_papers(
    lf: pl.LazyFrame | pl.DataFrame, filters: Filters, n: int = 10, by: str | None = None,
    upvote_age: int | None = None,
) -> pl.DataFrame:
    """The papers with the most upvotes (papers without a count are left out).

    Args:
        lf: the paper frame.
        filters: the common filters.
        n: how many papers (per group when ``by`` is set).
        by: None for the overall top, or "topic"/"period" for the top ``n`` of each group.
        upvote_age: only counts read at least this many days after listing (None: all).

    Returns:
        ``paper_id, title, published, listed, upvotes, organization, topic, topic_label``
        (plus ``period``), most upvoted first; ties broken by newer date, then paper_id.
    """
    if by is not None and by not in BY:
        raise InputError(f"by must be one of {', '.join(BY)}, not {by!r}", field="by")
    data = with_age(filtered(lf, filters), upvote_age).filter(pl.col("upvotes").is_not_null())
    cols = [c for c in TOP_COLUMNS if c in data.collect_schema().names()] + ["period"]
    data = data.sort(["upvotes", "date", "paper_id"], descending=[True, True, False])
    data = data.select(cols)
    if by is None:
        return data.head(n).collect()
    key = "topic" if by == "topic" else "period"
    data = data.filter(pl.col(key).is_not_null())
    return data.group_by(key, maintain_order=True).head(n).sort(key, maintain_order=True).collect()
