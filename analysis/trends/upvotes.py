"""Upvote statistics: distribution in log-spaced bins, summaries per topic or period, top papers.

Papers without an upvote count (null) are left out of every statistic and counted in ``n_null``;
they are never taken as zero.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from analysis.filters import Filters
from analysis.schema import InputError
from analysis.trends.frame import axis_of, filled_label, filtered

BY: tuple[str, ...] = ("topic", "period")
#: Columns top_papers returns (those present in the frame).
TOP_COLUMNS = ("paper_id", "title", "published", "listed", "upvotes", "organization",
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


def upvote_distribution(lf: pl.LazyFrame | pl.DataFrame, filters: Filters) -> pl.DataFrame:
    """Papers per log-spaced upvote bin, empty bins included.

    Args:
        lf: the paper frame.
        filters: the common filters.

    Returns:
        Columns ``bin_low`` (inclusive), ``bin_high`` (exclusive), ``label`` ("0", "1",
        "2-4", ...) and ``count``. Papers without an upvote count are not in any bin; see
        :func:`upvote_null_count`.
    """
    known = filtered(lf, filters).select("upvotes").filter(pl.col("upvotes").is_not_null())
    ups = known.collect()["upvotes"].to_numpy()
    edges = log_bins(int(ups.max()) if len(ups) else 0)
    index = np.searchsorted(np.array(edges), ups, side="right") - 1
    counts = np.bincount(index, minlength=len(edges) - 1)
    return pl.DataFrame(
        {"bin_low": edges[:-1], "bin_high": edges[1:], "count": counts},
        schema={"bin_low": pl.Int64(), "bin_high": pl.Int64(), "count": pl.Int64()},
    ).with_columns(
        pl.when(pl.col("bin_high") - pl.col("bin_low") == 1)
        .then(pl.col("bin_low").cast(pl.Utf8))
        .otherwise(pl.format("{}-{}", "bin_low", pl.col("bin_high") - 1)).alias("label"),
    ).select("bin_low", "bin_high", "label", "count")


def upvote_null_count(lf: pl.LazyFrame | pl.DataFrame, filters: Filters) -> int:
    """How many papers left by the filters show no upvote count."""
    data = filtered(lf, filters)
    return int(data.select(pl.col("upvotes").is_null().sum()).collect().item())


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
    lf: pl.LazyFrame | pl.DataFrame, filters: Filters, by: str = "topic"
) -> pl.DataFrame:
    """Upvote summary per topic or per period.

    Args:
        lf: the paper frame.
        filters: the common filters.
        by: "topic" (with a ``label`` column) or "period" (every period of the range).

    Returns:
        Columns ``<by>, [label,] n, n_null, median, q1, q3, p90, max, mean``; ``n`` counts
        papers with an upvote count, ``n_null`` those without. Quantiles interpolate linearly.
    """
    if by not in BY:
        raise InputError(f"by must be one of {', '.join(BY)}, not {by!r}", field="by")
    data = filtered(lf, filters)
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


def top_papers(
    lf: pl.LazyFrame | pl.DataFrame, filters: Filters, n: int = 10, by: str | None = None
) -> pl.DataFrame:
    """The papers with the most upvotes (papers without a count are left out).

    Args:
        lf: the paper frame.
        filters: the common filters.
        n: how many papers (per group when ``by`` is set).
        by: None for the overall top, or "topic"/"period" for the top ``n`` of each group.

    Returns:
        ``paper_id, title, published, listed, upvotes, organization, topic, topic_label``
        (plus ``period``), most upvoted first; ties broken by newer date, then paper_id.
    """
    if by is not None and by not in BY:
        raise InputError(f"by must be one of {', '.join(BY)}, not {by!r}", field="by")
    data = filtered(lf, filters).filter(pl.col("upvotes").is_not_null())
    cols = [c for c in TOP_COLUMNS if c in data.collect_schema().names()] + ["period"]
    data = data.sort(["upvotes", "date", "paper_id"], descending=[True, True, False])
    data = data.select(cols)
    if by is None:
        return data.head(n).collect()
    key = "topic" if by == "topic" else "period"
    data = data.filter(pl.col(key).is_not_null())
    return data.group_by(key, maintain_order=True).head(n).sort(key, maintain_order=True).collect()
