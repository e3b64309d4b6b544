"""The paper frame every trend view starts from, and the time axis of the series.

``paper_frame(store)`` is the canonical paper table joined with the topic assignments (when the
store has a topic model); papers without a current topic carry ``UNASSIGNED`` and its label.
``period_axis`` gives every period between the first and the last one so that series show empty
periods as zero rather than as gaps.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from analysis.filters import Filters, apply
from analysis.names import OUTLIER, OUTLIER_LABEL, UNASSIGNED, UNASSIGNED_LABEL
from analysis.topics import artifacts as topic_artifacts
from analysis.trends import cube

#: Topic columns paper_frame adds to the canonical ones.
TOPIC_COLUMNS: dict[str, pl.DataType] = {
    "topic": pl.Int32(),
    "prob": pl.Float32(),
    "x": pl.Float32(),
    "y": pl.Float32(),
    "topic_label": pl.Utf8(),
    "group": pl.Int32(),
    "group_label": pl.Utf8(),
}
#: The levels topic views count at: fine topics, or the groups above them.
LEVELS: tuple[str, ...] = ("topic", "group")


def paper_frame(store, *, topics: bool = True) -> pl.LazyFrame:
    """The paper table with its topic columns, lazily.

    Args:
        store: an ``analysis.store.Store``.
        topics: join the topic model (False: leave it out, e.g. when its files are damaged).

    Returns:
        The canonical columns plus ``topic`` (Int32, -1 = outlier), ``prob``, ``x``, ``y``,
        ``topic_label``, ``group`` (the topic's group; -1 for the outliers) and ``group_label``.
        Papers the model has no current topic for (added since the fit, or whose text changed
        since: see ``analysis.topics.artifacts.current_assignments``) get ``UNASSIGNED`` (-2),
        as topic and as group, with the label "Not yet assigned" and no map position. The topic
        columns are null only when the store has no topic model (or ``topics`` is False); the
        group columns also for fits without groups.
    """
    lf = store.scan_papers()
    assignments, labels = _topic_tables(store) if topics else (None, None)
    if assignments is None or labels is None:
        return lf.with_columns(pl.lit(None, dtype=t).alias(c) for c, t in TOPIC_COLUMNS.items())
    assign = assignments.lazy().select(
        pl.col("paper_id").cast(pl.Utf8),
        *(pl.col(c).cast(TOPIC_COLUMNS[c]) for c in ("topic", "prob", "x", "y")),
    )
    lf = lf.join(assign, on="paper_id", how="left").with_columns(
        pl.col("topic").fill_null(UNASSIGNED))
    return lf.join(labels.lazy(), on="topic", how="left")


def _topic_tables(store) -> tuple[pl.DataFrame | None, pl.DataFrame | None]:
    """(current assignments, labels and groups per topic); (None, None) without topics."""
    if not store.topics_dir.is_dir():  # no fit yet: skip loading the topic reader at all
        return None, None
    if not topic_artifacts.has_topics(store):
        return None, None
    fit = topic_artifacts.read_fit(store)
    assignments = topic_artifacts.current_assignments(store, fit)
    labels = fit.table.select(
        pl.col("topic").cast(pl.Int32),
        pl.col("label").cast(pl.Utf8).alias("topic_label"),
        pl.col("group").cast(pl.Int32),
    )
    groups = topic_artifacts.read_groups(store).select(
        pl.col("group").cast(pl.Int32), pl.col("label").cast(pl.Utf8).alias("group_label"))
    labels = topic_labels(labels).join(groups, on="group", how="left")
    if groups.height == 0:  # a fit without groups: no paper has one
        labels = labels.with_columns(pl.lit(None, dtype=pl.Int32).alias("group"))
    return assignments, labels.with_columns(filled_label("group_label", "group"))


def topic_labels(labels: pl.DataFrame) -> pl.DataFrame:
    """Fill missing labels and add the outliers (-1) and "not yet assigned" (-2) rows."""
    for topic in (OUTLIER, UNASSIGNED):
        if not (labels["topic"] == topic).any():
            row = {c: [None] for c in labels.columns} | {"topic": [topic]}
            if "group" in labels.columns:
                row["group"] = [topic]
            labels = pl.concat([labels, pl.DataFrame(row, schema=labels.schema)])
    return labels.with_columns(filled_label("topic_label"))


def filled_label(name: str, key: str = "topic") -> pl.Expr:
    """Column ``name``: the outlier and "not yet assigned" labels, "Topic N" where missing.

    Args:
        name: the label column.
        key: the id column it labels (``topic``, or ``group``: "Group N" where missing).
    """
    label = pl.col(name)
    return (
        pl.when(pl.col(key) == OUTLIER).then(pl.lit(OUTLIER_LABEL))
        .when(pl.col(key) == UNASSIGNED).then(pl.lit(UNASSIGNED_LABEL))
        .when(pl.col(key).is_null()).then(label)
        .when(label.is_null() | (label == ""))
        .then(pl.format(f"{key.capitalize()} {{}}", pl.col(key)))
        .otherwise(label).alias(name)
    )


def period_start(day: dt.date, filters: Filters) -> dt.date:
    """The first day of the period holding ``day`` (Monday for weeks), as ``dt.truncate`` has it."""
    return cube.day_of(cube.period_starts(np.array([cube.ordinal(day)]), filters.period)[0])


def period_axis(
    first: dt.date | None, last: dt.date | None, filters: Filters
) -> pl.DataFrame:
    """Every period from the filter range (or the data's first/last day) as ``period`` (Date).

    Args:
        first: first paper date in the filtered data (None when there is none).
        last: last paper date in the filtered data.
        filters: gives the period size and, when set, the range ends.

    Returns:
        One column ``period``; empty when there is no date at all.
    """
    start = filters.start or first
    end = filters.end or last
    if start is None or end is None:
        return pl.DataFrame(schema={"period": pl.Date()})
    starts = cube.period_range(cube.ordinal(start), cube.ordinal(end), filters.period)
    return pl.DataFrame({"period": pl.Series(starts, dtype=pl.Int32).cast(pl.Date)})


def filtered(lf: pl.LazyFrame | pl.DataFrame, filters: Filters) -> pl.LazyFrame:
    """The paper frame with the filters applied (adds ``date`` and ``period``)."""
    return apply(lf, filters)


def axis_of(frame: pl.DataFrame, filters: Filters, first: str = "first",
            last: str = "last") -> pl.DataFrame:
    """:func:`period_axis` from the smallest ``first`` to the largest ``last`` of a frame."""
    if frame.height == 0:
        return period_axis(None, None, filters)
    return period_axis(_day(frame[first].min()), _day(frame[last].max()), filters)


def _day(value: object) -> dt.date | None:
    """The min or max of a Date column as Polars gives it: a date, or None for no value."""
    assert value is None or isinstance(value, dt.date)
    return value


def papers_per_period(lf: pl.LazyFrame | pl.DataFrame, filters: Filters) -> pl.DataFrame:
    """Papers per period, empty periods included as zero.

    Counted over the frame's filter columns as arrays (:mod:`analysis.trends.cube`), without a
    query: this runs on every filter change.

    Args:
        lf: the paper frame (``paper_frame(store)``).
        filters: the common filters.

    Returns:
        Columns ``period`` (Date, first day), ``count`` (papers), ``with_upvotes`` (papers that
        show an upvote count) and ``upvotes`` (their sum), sorted by period.
    """
    keep = cube.mask(lf, filters)
    first = cube.period_starts(cube.days(lf, filters.basis)[keep], filters.period)
    axis = (period_axis(cube.day_of(first.min()), cube.day_of(first.max()), filters)
            if len(first) else period_axis(None, None, filters))
    at = cube.positions(axis, first)
    votes = cube.upvotes(lf)[keep]
    shown = ~np.isnan(votes)
    n = axis.height
    return axis.with_columns(
        pl.Series("count", np.bincount(at, minlength=n).astype(np.int64)),
        pl.Series("with_upvotes", np.bincount(at[shown], minlength=n).astype(np.int64)),
        pl.Series("upvotes", np.rint(np.bincount(at[shown], weights=votes[shown], minlength=n))
                  .astype(np.int64)),
    )
