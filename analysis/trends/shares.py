"""Topic frequency over time and emerging topics.

The share of a topic in a period is its papers over *all* papers of that period left by the
filters other than the topic filter, so picking a few topics does not turn their shares into
shares of each other. The outlier topic (-1) is kept as a row of its own, and so are the papers
not yet assigned a topic (-2, ``UNASSIGNED``): with them the shares of a period add up to one.
At the ``group`` level the same is counted for the topic groups (the outliers are group -1, the
papers not yet assigned -2), so the shares of all groups in a period add up to one too.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import polars as pl

from analysis.filters import Filters
from analysis.trends import cube, memo
from analysis.trends.frame import LEVELS, filled_label, period_axis
from analysis.trends.keywords import share_columns
from analysis.trends.stats import logistic_trend

EMERGING_METHOD = "binomial GLM (logit) slope of share per period, likelihood-ratio test"
#: The method of a topic whose papers all sit at one end of the window (no finite slope).
EMERGING_FIRTH = (f"{EMERGING_METHOD}; all papers at one end of the window, so the slope "
                  "is Firth's penalised estimate (the plain one is infinite)")


def _labels(data: pl.LazyFrame, key: str) -> pl.LazyFrame:
    return (
        data.group_by(key)
        .agg(pl.col(f"{key}_label").drop_nulls().first().alias("label"))
        .with_columns(filled_label("label", key))
    )


@dataclasses.dataclass(frozen=True)
class TopicCounts:
    """Papers per period and topic (or group) under one filter state, as arrays.

    Attributes:
        axis: the periods of the range (``period_axis``), ``n`` rows.
        ids: the topic (or group) ids present, ascending (``k``); -1 outliers, -2 not yet
            assigned.
        counts: (``n``, ``k``) papers of each period and topic.
        totals: (``n``,) all papers of each period, whatever their topic.
    """

    axis: pl.DataFrame
    ids: np.ndarray
    counts: np.ndarray
    totals: np.ndarray


def topic_counts(lf: pl.LazyFrame | pl.DataFrame, filters: Filters,
                 level: str = "topic") -> TopicCounts | None:
    """Papers per period and topic as arrays (None when no paper has a topic), once per state.

    What :func:`topic_frequency` lays out as a frame; emerging topics and the headline counts
    read it directly (:mod:`.memo`: one count per filter state for all of them).
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
    return memo.per_frame(lf, ("topic-counts", filters, level),
                          lambda: _topic_counts(lf, filters, level))


def _topic_counts(lf: pl.LazyFrame | pl.DataFrame, filters: Filters,
                  level: str) -> TopicCounts | None:
    everything = cube.mask(lf, dataclasses.replace(filters, topics=(), groups=()))
    key = cube.ids(lf, level)[everything]
    picked = key != cube.NULL  # of the papers kept without the topic and group filters
    if filters.topics:
        picked &= np.isin(cube.ids(lf, "topic")[everything], list(filters.topics))
    if filters.groups:
        picked &= np.isin(cube.ids(lf, "group")[everything], list(filters.groups))
    chosen = key[picked]
    if not len(chosen):
        return None
    low = int(chosen.min())  # ids are small integers (-2 and up): counted, not sorted
    present = np.flatnonzero(np.bincount(chosen - low)) + low
    day = cube.days(lf, filters.basis)[everything]
    axis = period_axis(cube.day_of(day.min()), cube.day_of(day.max()), filters)
    at = cube.positions(axis, cube.period_starts(day, filters.period))
    n, k = axis.height, len(present)
    rank = np.zeros(int(present[-1]) - low + 1, dtype=np.int64)
    rank[present - low] = np.arange(k)
    counts = np.bincount(at[picked] * k + rank[chosen - low], minlength=n * k).reshape(n, k)
    totals = np.bincount(at, minlength=n)
    for array in (present, counts, totals):
        array.flags.writeable = False  # shared by every reader of this state
    return TopicCounts(axis, present, counts, totals)


def topic_frequency(lf: pl.LazyFrame | pl.DataFrame, filters: Filters,
                    level: str = "topic") -> pl.DataFrame:
    """Per period and topic (or group): papers, all papers of the period, share, Wilson interval.

    Args:
        lf: the paper frame (``paper_frame(store)``).
        filters: the common filters; ``filters.topics`` and ``filters.groups`` pick the papers
            shown, not the total.
        level: ``topic`` (the fine topics) or ``group`` (the groups above them).

    Returns:
        Columns ``period, topic, label, count, total, share, ci_low, ci_high, small`` (``group``
        instead of ``topic`` at the group level); every period of the range for every topic
        present (zero where it has no paper), the outliers (-1) and the papers not yet assigned a
        topic (-2, added or changed since the fit) included. Empty when the store has no topic
        model (or, at the group level, no topic groups).

    Raises:
        ValueError: an unknown level.
    """
    got = topic_counts(lf, filters, level)
    if got is None:
        return _empty(level)
    n, k = got.counts.shape
    names = labels_of(lf, level)
    count, total = got.counts.T.reshape(-1).astype(np.int64), np.tile(got.totals, k)
    total = total.astype(np.int64)
    return pl.DataFrame([
        pl.Series("period", np.tile(got.axis.get_column("period").to_physical().to_numpy(), k),
                  dtype=pl.Int32).cast(pl.Date),
        pl.Series(level, np.repeat(got.ids, n), dtype=pl.Int32),
        pl.Series("label", [names.get(t) for t in got.ids.tolist()], dtype=pl.Utf8)
        .gather(np.repeat(np.arange(k), n)),
        pl.Series("count", count), pl.Series("total", total), *share_columns(count, total),
    ])


def topic_sizes(lf: pl.LazyFrame | pl.DataFrame, filters: Filters) -> pl.DataFrame:
    """Papers of each topic under the filters, largest first (then by id).

    Outliers and papers not yet assigned are left out. Columns ``topic, label, papers``. Made
    once per filter state (the Overview's headline and its top topics both read it, on every
    rerun).
    """
    return memo.per_frame(lf, ("topic-sizes", filters), lambda: _topic_sizes(lf, filters))


def _topic_sizes(lf: pl.LazyFrame | pl.DataFrame, filters: Filters) -> pl.DataFrame:
    got = topic_counts(lf, filters)
    if got is None:
        return pl.DataFrame(schema={"topic": pl.Int32(), "label": pl.Utf8(),
                                    "papers": pl.Int64()})
    real = got.ids >= 0
    ids, papers = got.ids[real], got.counts.sum(axis=0)[real]
    order = np.lexsort((ids, -papers))
    names = labels_of(lf, "topic")
    return pl.DataFrame([pl.Series("topic", ids[order], dtype=pl.Int32),
                         pl.Series("label", [names.get(t) for t in ids[order].tolist()],
                                   dtype=pl.Utf8),
                         pl.Series("papers", papers[order], dtype=pl.Int64)])


def labels_of(lf: pl.LazyFrame | pl.DataFrame, level: str) -> dict[int, str]:
    """Topic (or group) id -> its label as the views show it, once per frame.

    A label comes with its id (``paper_frame`` joins them), so the first label of an id in the
    whole frame is the one of every subset of it.
    """
    return memo.whole(lf, f"labels-{level}", lambda: dict(
        _labels(lf.lazy().filter(pl.col(level).is_not_null()), level).collect().iter_rows()))


def _empty(level: str = "topic") -> pl.DataFrame:
    return pl.DataFrame(schema={
        "period": pl.Date(), level: pl.Int32(), "label": pl.Utf8(), "count": pl.Int64(),
        "total": pl.Int64(), "share": pl.Float64(), "ci_low": pl.Float64(),
        "ci_high": pl.Float64(), "small": pl.Boolean(),
    })


def emerging_topics(
    lf: pl.LazyFrame | pl.DataFrame,
    filters: Filters,
    k: int = 6,
    min_size: int = 10,
    alpha: float = 0.05,
    *,
    counts: TopicCounts | None = None,
) -> pl.DataFrame:
    """Topics ranked by the growth of their share over the last ``k`` periods, with a test.

    For each topic (outliers and papers not yet assigned left out) a binomial GLM with a logit
    link is fitted to its papers per period out of all papers per period over the last ``k``
    periods of the range;
    the slope is the change in log-odds of its share per period, and the p-value comes from a
    likelihood-ratio test against a flat share.

    Args:
        lf: the paper frame.
        filters: the common filters; the last ``k`` periods are those of the filtered range.
        k: number of periods (at least 3).
        min_size: topics with fewer papers than this in the window are left out.
        alpha: significance level for the ``significant`` column.
        counts: the topic counts to rank (default: ``topic_counts(lf, filters)``, kept per
            filter state).

    Returns:
        Columns ``rank, topic, label, slope, p_value, significant, method, papers,
        first_share, last_share, share_change, periods, window_start, window_end``, sorted by
        slope (fastest growing first), equal slopes by p-value, then by topic id (the same
        input, the same order). ``first_share``/``last_share`` are the shares over the first
        and the last half of the window.
    """
    if k < 3:
        raise ValueError("k must be at least 3 periods to fit a trend")
    got = topic_counts(lf, filters) if counts is None else counts
    if got is None or not (got.ids >= 0).any():  # outliers and unassigned are no topic
        return _empty_emerging()
    real = got.ids >= 0
    window = got.axis.get_column("period").to_physical().to_numpy()[-k:]
    ids, rows = got.ids[real], got.counts[-k:, real].T.astype(float)
    totals = got.totals[-k:].astype(float)
    labels = labels_of(lf, "topic")
    papers = rows.sum(axis=1)
    keep = papers >= min_size
    if not keep.any():
        return _empty_emerging()
    ids, rows, papers = ids[keep], rows[keep], papers[keep]
    fit = logistic_trend(rows, totals)
    half = len(totals) // 2
    first_share = rows[:, :half].sum(1) / max(totals[:half].sum(), 1)
    last_share = rows[:, -half:].sum(1) / max(totals[-half:].sum(), 1)
    start, end = cube.day_of(window[0]), cube.day_of(window[-1])
    slope, p_value = fit["slope"], fit["p_value"]
    order = np.lexsort((ids, p_value, -slope))  # fastest growing first, then by p, then by id
    n = len(ids)
    ids, slope, p_value, papers = ids[order], slope[order], p_value[order], papers[order]
    first_share, last_share = first_share[order], last_share[order]
    return pl.DataFrame([
        pl.Series("rank", np.arange(1, n + 1), dtype=pl.Int64),
        pl.Series("topic", ids, dtype=pl.Int32),
        pl.Series("label", [labels.get(t) for t in ids.tolist()], dtype=pl.Utf8),
        pl.Series("slope", slope), pl.Series("p_value", p_value),
        pl.Series("significant", (p_value < alpha) & (slope > 0)),
        pl.Series("method", np.where(fit["separated"][order] != 0, EMERGING_FIRTH,
                                     EMERGING_METHOD), dtype=pl.Utf8),
        pl.Series("papers", papers.astype(np.int64)),
        pl.Series("first_share", first_share), pl.Series("last_share", last_share),
        pl.Series("share_change", last_share - first_share),
        pl.Series("periods", [len(totals)] * n, dtype=pl.Int32),
        pl.Series("window_start", [start] * n, dtype=pl.Date),
        pl.Series("window_end", [end] * n, dtype=pl.Date),
    ])


def _empty_emerging() -> pl.DataFrame:
    return pl.DataFrame(schema={
        "rank": pl.Int64(), "topic": pl.Int32(), "label": pl.Utf8(), "slope": pl.Float64(),
        "p_value": pl.Float64(), "significant": pl.Boolean(), "method": pl.Utf8(),
        "papers": pl.Int64(), "first_share": pl.Float64(), "last_share": pl.Float64(),
        "share_change": pl.Float64(), "periods": pl.Int32(), "window_start": pl.Date(),
        "window_end": pl.Date(),
    })
