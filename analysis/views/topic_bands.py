"""The data of the topic views: bands that make stacked shares whole, and the map's frame.

A stacked share chart shows a few topics one by one; every other paper of the period still has
to be somewhere, or the stack stops short of 100%. :func:`with_bands` puts it in one of three
bands: the outliers (``OUTLIER``), papers the model has not seen yet (``UNASSIGNED``), and all
other topics together (``OTHER_TOPICS``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import numpy as np
import polars as pl

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
from analysis.trends.keywords import share_columns
from analysis.trends.shares import TopicCounts
from analysis.views import topic_map

#: The map marks at most this many papers that match a title search (the most upvoted).
MAX_MARKED = 12
#: Their titles are written on the map when at most this many papers match.
MAX_NAMED = 3


def shown_topics(got: TopicCounts | None, picked: Sequence[int], top: int) -> list[int]:
    """The topic ids drawn one by one: the picked ones, else the ``top`` largest (0: all)."""
    if picked:
        return [t for t in picked if t >= 0]
    if got is None:
        return []
    real = got.ids >= 0
    ids, sizes = got.ids[real], got.counts[:, real].sum(axis=0)
    out = ids[np.lexsort((ids, -sizes))].tolist()  # largest first, then by id
    return out[:top] if top else out


def with_bands(got: TopicCounts | None, labels: Mapping[int, str], ids: Sequence[int],
               picked: Sequence[int] = (), *, bands: bool = True) -> pl.DataFrame:
    """The rows of the shown topics, plus one row per period for each band that has papers.

    Args:
        got: ``trends.topic_counts`` over all topics (no topic filter).
        labels: topic id -> label (``trends.labels_of``).
        ids: the topics drawn one by one.
        picked: the topics the filters pick; the outliers are a band of their own only when
            nothing is picked or they are picked.
        bands: add the bands (outliers, not yet assigned, other topics).

    Returns:
        Columns ``period, topic, label, count, total, share, ci_low, ci_high, small``, by
        period, then topic; the counts of a period add up to its total when ``bands``. Made
        from the counts as arrays, in one frame (a Polars operation costs ~0.3 ms, on every
        filter change).
    """
    if got is None:
        return pl.DataFrame(schema=ROWS)
    keep = set(ids) | ({OUTLIER} if bands and (not picked or OUTLIER in picked) else set())
    drawn = np.isin(got.ids, list(keep))
    series = [(int(t), labels.get(int(t)), got.counts[:, j])
              for j, t in enumerate(got.ids) if drawn[j]]
    if bands:
        assigned = got.ids != UNASSIGNED
        topics = got.counts[:, assigned].sum(axis=1)
        other = topics - got.counts[:, drawn].sum(axis=1)
        made = [(OTHER_TOPICS, OTHER_TOPICS_LABEL, other)]
        if (~assigned).any():  # given by the counts
            series += [(UNASSIGNED, labels.get(UNASSIGNED), got.counts[:, ~assigned][:, 0])]
        else:  # papers without a topic count in the total only: the rest of it
            made.append((UNASSIGNED, UNASSIGNED_LABEL, got.totals - topics))
        if assigned.any():  # a band has a row in every period once some topic has
            series += [band for band in made if band[2].sum() > 0]
    series.sort(key=lambda s: s[0])
    n, width = got.axis.height, len(series)
    if not width:
        return pl.DataFrame(schema=ROWS)
    count = np.stack([c for *_, c in series], axis=1).reshape(-1).astype(np.int64)
    total = np.repeat(got.totals, width).astype(np.int64)
    days = got.axis.get_column("period").to_physical().to_numpy()
    return pl.DataFrame([
        pl.Series("period", np.repeat(days, width), dtype=pl.Int32).cast(pl.Date),
        pl.Series("topic", np.tile([t for t, *_ in series], n), dtype=pl.Int32),
        pl.Series("label", [label for _, label, _ in series], dtype=pl.Utf8)
        .gather(np.tile(np.arange(width), n)),
        pl.Series("count", count), pl.Series("total", total), *share_columns(count, total),
    ])


#: The columns of :func:`with_bands`.
ROWS = {"period": pl.Date(), "topic": pl.Int32(), "label": pl.Utf8(), "count": pl.Int64(),
        "total": pl.Int64(), "share": pl.Float64(), "ci_low": pl.Float64(),
        "ci_high": pl.Float64(), "small": pl.Boolean()}


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
