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
from analysis.trends.frame import axis_of, filled_label, filtered

BY: tuple[str, ...] = ("topic", "period")
#: Counts read at least this many days after listing are "matured" when no age is chosen.
MATURE_DAYS = 30
#: The ``counts`` values of :func:`upvote_stats` split by age.
EARLY, MATURED, UNKNOWN_AGE = "early", "matured", "age unknown"


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


def age_class(mature: int) -> pl.Expr:
    """``early`` (read < ``mature`` days after listing), ``matured``, or ``age unknown``."""
    age = count_age()
    return (pl.when(age.is_null()).then(pl.lit(UNKNOWN_AGE))
            .when(age < mature).then(pl.lit(EARLY)).otherwise(pl.lit(MATURED)).alias("counts"))


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
    keep = cube.mask(lf, filters) & ~np.isnan(arrays["upvotes"])
    if upvote_age is not None:
        check_age(upvote_age)
        age = arrays["count_age"]
        keep &= (age != cube.NULL) & (age >= upvote_age)
    return arrays["upvotes"][keep]


def upvote_null_count(lf: pl.LazyFrame | pl.DataFrame, filters: Filters,
                      upvote_age: int | None = None) -> int:
    """How many papers left by the filters show no upvote count (or none old enough)."""
    kept = cube.scope(lf, filters)[0]
    return kept - len(_counts(lf, filters, upvote_age))


def _stats() -> list[pl.Expr]:
    u = pl.col("upvotes")
    return [
        u.count().cast(pl.Int64).alias("n"),
        u.null_count().cast(pl.Int64).alias("n_null"),
        u.median().alias("median"),
        u.quantile(0.25, "linear").alias("q1"),
        u.quantile(0.75, "linear").alias("q3"),
        u.quantile(0.90, "linear").alias("p90"),
        u.max().alias("max"),
        u.mean().alias("mean"),
    ]


def upvote_stats(
    lf: pl.LazyFrame | pl.DataFrame, filters: Filters, by: str = "topic",
    upvote_age: int | None = None, split_at: int | None = None,
) -> pl.DataFrame:
    """Upvote summary per topic or per period.

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
    data = with_age(filtered(lf, filters), upvote_age)
    if by == "period" and split_at is not None:
        return _by_period_and_age(data, filters, split_at)
    if by == "topic":
        data = data.filter(pl.col("topic").is_not_null())
        out = data.group_by("topic").agg(
            pl.col("topic_label").drop_nulls().first().alias("label"), *_stats()
        ).collect()
        return out.with_columns(filled_label("label")).sort("topic")
    out = data.group_by("period").agg(
        *_stats(), pl.col("date").min().alias("_a"), pl.col("date").max().alias("_b")
    ).collect()
    axis = axis_of(out, filters, "_a", "_b")
    return (
        axis.join(out.drop("_a", "_b"), on="period", how="left")
        .with_columns(pl.col("n", "n_null").fill_null(0))
        .sort("period")
    )


def _by_period_and_age(data: pl.LazyFrame, filters: Filters, split_at: int) -> pl.DataFrame:
    """Per period and kind of count; a period without counts gets one empty "early" row."""
    out = data.with_columns(age_class(split_at)).group_by("period", "counts").agg(
        *_stats(), pl.col("date").min().alias("_a"), pl.col("date").max().alias("_b")
    ).collect()
    axis = axis_of(out, filters, "_a", "_b")
    stats = out.drop("_a", "_b")
    held = set(stats.get_column("period").to_list())
    missing = [p for p in axis.get_column("period").to_list() if p not in held]
    empty = pl.DataFrame({"period": missing, "counts": [EARLY] * len(missing)},
                         schema={"period": pl.Date(), "counts": pl.Utf8()})
    rows = pl.concat([stats, empty], how="diagonal")
    rank = {EARLY: 0, MATURED: 1, UNKNOWN_AGE: 2}
    order = np.lexsort((np.array([rank.get(c, 3) for c in rows.get_column("counts").to_list()]),
                        rows.get_column("period").to_physical().to_numpy()))
    return rows[order].with_columns(pl.col("n", "n_null").fill_null(0))


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
