"""The data of the topic views: bands that make stacked shares whole, and the map's frame.

A stacked share chart shows a few topics one by one; every other paper of the period still has
to be somewhere, or the stack stops short of 100%. :func:`with_bands` puts it in one of three
bands: the outliers (``OUTLIER``), papers the model has not seen yet (``UNASSIGNED``), and all
other topics together (``OTHER_TOPICS``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import polars as pl

from analysis import trends
from analysis.filters import Filters
from analysis.names import (
    BASES,
    OTHER_TOPICS,
    OTHER_TOPICS_LABEL,
    OUTLIER,
    UNASSIGNED,
    UNASSIGNED_LABEL,
)
from analysis.trends import cube, memo
from analysis.trends.keywords import finish_share
from analysis.views import topic_map


def frequency(lf: pl.LazyFrame, filters: Filters, level: str = "topic") -> pl.DataFrame:
    """``trends.topic_frequency``, kept for the last few filters of a frame (:mod:`.memo`).

    A page asks for it more than once per filter change (the topic trend, one topic's size over
    time, the headline counts): the first computes it, the others reuse it.
    """
    return memo.per_frame(lf, ("frequency", filters, level),
                          lambda: trends.topic_frequency(lf, filters, level=level))


#: The map marks at most this many papers that match a title search (the most upvoted).
MAX_MARKED = 12
#: Their titles are written on the map when at most this many papers match.
MAX_NAMED = 3


def shown_topics(freq: pl.DataFrame, picked: Sequence[int], top: int) -> list[int]:
    """The topic ids drawn one by one: the picked ones, else the ``top`` largest (0: all)."""
    if picked:
        return [t for t in picked if t >= 0]
    topic = freq.get_column("topic").to_numpy()
    ids, at = np.unique(topic[topic >= 0], return_inverse=True)
    sizes = np.bincount(at, weights=freq.get_column("count").to_numpy()[topic >= 0],
                        minlength=len(ids))
    order = np.lexsort((ids, -sizes))  # largest first, then by id
    out = ids[order].tolist()
    return out[:top] if top else out


def with_bands(freq: pl.DataFrame, ids: Sequence[int], picked: Sequence[int] = (), *,
               bands: bool = True) -> pl.DataFrame:
    """The rows of the shown topics, plus one row per period for each band that has papers.

    Args:
        freq: ``trends.topic_frequency`` over all topics (no topic filter).
        ids: the topics drawn one by one.
        picked: the topics the filters pick; the outliers are a band of their own only when
            nothing is picked or they are picked.
        bands: add the bands (outliers, not yet assigned, other topics).

    Returns:
        Columns of ``freq``; the counts of a period add up to its total when ``bands``.
        Worked out over arrays (a Polars operation costs ~0.3 ms, on every filter change).
    """
    keep = set(ids) | ({OUTLIER} if bands and (not picked or OUTLIER in picked) else set())
    topic = freq.get_column("topic").to_numpy()
    drawn = np.isin(topic, list(keep))
    rows = freq.filter(pl.Series(drawn))
    if not bands or freq.height == 0:
        return rows
    periods, at = np.unique(freq.get_column("period").to_physical().to_numpy(),
                            return_inverse=True)
    count = freq.get_column("count").to_numpy()
    total = np.zeros(len(periods), dtype=np.int64)
    total[at] = freq.get_column("total").to_numpy()
    assigned = topic != UNASSIGNED
    has = np.bincount(at[assigned], minlength=len(periods)) > 0  # periods with a topic row

    def per_period(where: np.ndarray) -> np.ndarray:
        return np.bincount(at[where], weights=count[where], minlength=len(periods)).astype(
            np.int64)

    topics = per_period(assigned)
    other = topics - per_period(drawn)
    if (~assigned).any():  # given by topic_frequency
        rows = pl.concat([rows, freq.filter(pl.Series(~assigned))])
        unassigned = np.zeros(0, dtype=np.int64)
    else:  # papers without a topic count in the total only: the rest of it
        unassigned = total - topics
    schema = freq.schema
    days = pl.Series(periods[has]).cast(schema["period"])
    added = [pl.DataFrame({"period": days,
                           "topic": pl.Series([band] * len(days), dtype=schema["topic"]),
                           "label": [label] * len(days),
                           "count": pl.Series(counts[has], dtype=schema["count"]),
                           "total": pl.Series(total[has], dtype=schema["total"])})
             for counts, band, label in ((unassigned, UNASSIGNED, UNASSIGNED_LABEL),
                                         (other, OTHER_TOPICS, OTHER_TOPICS_LABEL))
             if len(counts) and counts[has].sum() > 0]
    if not added:
        return rows
    return pl.concat([rows, finish_share(pl.concat(added)).select(freq.columns)],
                     how="vertical_relaxed")


def describe(data: pl.DataFrame, shown: str) -> str:
    """Caption words for the bands a topic trend holds, e.g. ``largest 10 topics; bands: ...``."""
    present = set(data.get_column("topic").unique().to_list()) if data.height else set()
    names = [name for band, name in ((OTHER_TOPICS, "other topics"), (OUTLIER, "outliers"),
                                     (UNASSIGNED, "not yet assigned")) if band in present]
    return "; ".join(p for p in (shown, "grey bands: " + ", ".join(names) if names else "") if p)


@dataclasses.dataclass(frozen=True)
class MapFrame:
    """What the topic map draws, and how much of the store that is.

    Attributes:
        frame: ``paper_id, title, listed, published, upvotes, topic, label, x, y, [group,]
            match, shown``: every paper with a map place, or on a store above the cap a fixed
            sample of them (plus the marked search matches); ``shown`` whether the filters keep
            it.
        plot: ``frame`` without ``shown``, as the chart embeds it (dates as ISO days). The
            same object under every filter (either basis) and search marks, so its encoding
            can be kept: the chart greys papers out itself, from the filters as a Vega
            parameter (``topic_map.keep_param``, which names the basis).
        extent: ``(x_min, x_max, y_min, y_max)`` of the whole map.
        found: how many papers (of all, not only the drawn ones) match the search.
        placed: how many papers have a map place (all of them, drawn or not).
    """

    frame: pl.DataFrame
    plot: pl.DataFrame
    extent: tuple[float, ...]
    found: int
    placed: int

    @property
    def sampled(self) -> bool:
        """True when the map draws a sample, not every paper."""
        return self.frame.height < self.placed


def map_frame(lf: pl.LazyFrame, filters: Filters, search: str = "", *,
              points: int | None = None) -> MapFrame:
    """The papers the map draws, whether the filters keep them, and the search matches.

    Up to ``points`` papers every paper is drawn; above, a fixed sample of ``points`` papers
    (chosen by a seeded hash of the paper id: the same on every rerun and under every filter,
    so the map never reshuffles), plus the marked matches of a search. ``match`` is 0 for papers
    not marked, 1 for the (at most ``MAX_MARKED``, most upvoted, of all papers) marked matches,
    2 when their titles are written too (few matches).

    Args:
        lf: the paper frame.
        filters: the filters (papers outside them are drawn grey: ``shown`` false).
        search: words to look for in titles (case-insensitive, literal).
        points: the most papers drawn (None: every paper).
    """
    # the same under every filter: kept with the frame, not among the last filter states'
    # results (evicted there, they were made, and their plot encoded, again)
    placed, extent = memo.whole(lf, "map", lambda: _placed(lf))
    shown = cube.mask(placed, filters)  # the papers filters.apply keeps, over arrays
    words = search.strip().lower()
    marked: tuple = ()
    found = 0
    if words:
        hits = placed.filter(pl.col("title").fill_null("").str.to_lowercase()
                             .str.contains(words, literal=True)
                             & pl.Series(shown))
        found = hits.height
        marked = tuple(hits.sort(["upvotes", "paper_id"], descending=[True, False],
                                 nulls_last=True).head(MAX_MARKED).get_column("paper_id"))
    named = 2 if found <= MAX_NAMED else 1
    def drawn() -> tuple[pl.DataFrame, np.ndarray, pl.DataFrame]:
        return _drawn(placed, points, marked, named)

    base, at, plot = (memo.whole(lf, f"map-drawn-{points}", drawn) if not marked
                      else memo.per_frame(lf, ("map-drawn", points, marked, named), drawn))
    frame = base.with_columns(pl.Series("shown", shown[at]))
    return MapFrame(frame, plot, extent, found, placed.height)


def _drawn(placed: pl.DataFrame, points: int | None, marked: tuple,
           named: int) -> tuple[pl.DataFrame, np.ndarray, pl.DataFrame]:
    """The drawn papers with ``match``, their rows in ``placed``, and ``MapFrame.plot``."""
    columns = [c for c in (*_MAP_COLUMNS, "group") if c in placed.columns]
    match = (pl.when(pl.col("paper_id").is_in(list(marked))).then(named).otherwise(0)
             .cast(pl.Int8).alias("match"))
    drawn = (pl.col("sample") < points) if points is not None else pl.lit(True)
    out = placed.with_columns(match).filter(drawn | (pl.col("match") > 0))
    base = out.select(*columns, "match")
    return base, out.get_column("row").to_numpy(), topic_map.plot_frame(base)


_MAP_COLUMNS = ("paper_id", "title", *BASES, "upvotes", "topic", "label", "x", "y")
#: The seed of the map's sample (see map_frame).
SAMPLE_SEED = 15


def _placed(lf: pl.LazyFrame) -> tuple[pl.DataFrame, tuple[float, ...]]:
    """The papers with a map place in map order, the columns the filters read, and the extent.

    The same under every filter (:func:`map_frame` keeps it per frame);
    ``row`` is the paper's position in this order, ``sample`` its rank in the map's fixed
    sample order (the first ``points`` are drawn on a large store).
    """
    names = lf.collect_schema().names()
    frame = (
        lf.filter(pl.col("x").is_not_null() & pl.col("y").is_not_null())
        .select("paper_id", "title", "upvotes", "topic", pl.col("topic_label").alias("label"),
                "x", "y",
                *(c for c in dict.fromkeys(BASES + ("group",)) if c in names))
        .sort("topic", "paper_id")
        .with_columns(pl.col("paper_id").hash(SAMPLE_SEED).rank("ordinal").cast(pl.Int64)
                      .sub(1).alias("sample"))
        .collect()
        .with_row_index("row")
    )
    extent = tuple(float(v or 0.0) for v in frame.select(
        pl.col("x").min().alias("x0"), pl.col("x").max().alias("x1"),
        pl.col("y").min().alias("y0"), pl.col("y").max().alias("y1")).row(0))
    return frame, extent


def one_topic(filters: Filters, topic: int) -> Filters:
    """The filters narrowed to one topic (for that topic's size over time)."""
    return dataclasses.replace(filters, topics=(topic,))
