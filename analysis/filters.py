"""The common filters, applied the same way by the CLI, the dashboard and the exports."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

import polars as pl

from analysis.names import BASES, PERIODS, Basis, Period

__all__ = ["BASES", "PERIODS", "Basis", "Filters", "Period", "apply"]


@dataclass(frozen=True)
class Filters:
    """Which papers a view covers and how it buckets them in time.

    Attributes:
        start: first day included (None: from the earliest paper).
        end: last day included (None: to the newest paper).
        basis: which date the range and the periods use: ``listed`` (the day the paper was on
            the daily list; the default) or ``published`` (the arXiv date). Papers without a
            listing day (e.g. from a page dump) appear only on the ``published`` basis.
        topics: topic ids to keep (empty: all topics, the outliers included).
        min_upvotes: keep papers with at least this many upvotes (None: no upvote filter;
            papers without an upvote count are dropped only when this is set).
        period: bucket size for time series.
    """

    start: dt.date | None = None
    end: dt.date | None = None
    basis: Basis = "listed"
    topics: tuple[int, ...] = field(default_factory=tuple)
    min_upvotes: int | None = None
    period: Period = "month"

    def __post_init__(self) -> None:
        """Check the filters.

        Raises:
            ValueError: unknown basis or period, or a range that starts after it ends.
        """
        if self.basis not in BASES:
            raise ValueError(f"basis must be one of {', '.join(BASES)}, not {self.basis!r}")
        if self.period not in PERIODS:
            raise ValueError(f"period must be one of {', '.join(PERIODS)}, not {self.period!r}")
        if self.start and self.end and self.start > self.end:
            raise ValueError(f"the range starts ({self.start}) after it ends ({self.end})")

    @property
    def every(self) -> str:
        """The Polars duration string of the period (for group_by_dynamic / date.truncate)."""
        return PERIODS[self.period]

    def describe(self, topic_names: Mapping[int, str] | None = None, *,
                 period: bool = True) -> str:
        """One line for chart captions and report provenance.

        Args:
            topic_names: topic id -> label; picked topics are named by label when given (the
                caption of a chart), by id otherwise.
            period: name the period size (left out for charts that do not use it).
        """
        if self.start and self.end:
            span = f"{self.basis} {self.start} to {self.end}"
        elif self.start:
            span = f"{self.basis} from {self.start}"
        elif self.end:
            span = f"{self.basis} up to {self.end}"
        else:
            span = f"all {self.basis} dates"
        parts = [span] + ([f"per {self.period}"] if period else [])
        if self.topics and topic_names is not None:
            names = [topic_names.get(t, f"topic {t}") for t in self.topics]
            parts.append(("topic " if len(names) == 1 else "topics ") + "; ".join(names))
        elif self.topics:
            parts.append("topics " + ", ".join(map(str, self.topics)))
        if self.min_upvotes is not None:
            parts.append(f"upvotes >= {self.min_upvotes}")
        return "; ".join(parts)

    def as_dict(self) -> dict:
        """The filters as JSON-ready values (ISO dates, topics as a list), for provenance."""
        d = asdict(self)
        d["start"] = self.start.isoformat() if self.start else None
        d["end"] = self.end.isoformat() if self.end else None
        d["topics"] = list(self.topics)
        return d


def apply(frame: pl.LazyFrame | pl.DataFrame, filters: Filters, *,
          undated: bool = False) -> pl.LazyFrame:
    """Filter a paper frame (with a ``topic`` column when topics are filtered) and add ``date``.

    Args:
        frame: the paper frame.
        filters: the filters to apply.
        undated: keep papers without a basis date while no date range is set (a paper list);
            by default they are dropped, since a time series cannot place them.

    Returns:
        The filtered frame with ``date`` (the basis date) and ``period`` (the first day of the
        paper's period).
    """
    lf = frame.lazy().with_columns(pl.col(filters.basis).alias("date"))
    if not (undated and filters.start is None and filters.end is None):
        lf = lf.filter(pl.col("date").is_not_null())
    if filters.start:
        lf = lf.filter(pl.col("date") >= filters.start)
    if filters.end:
        lf = lf.filter(pl.col("date") <= filters.end)
    if filters.topics:
        lf = lf.filter(pl.col("topic").is_in(list(filters.topics)))
    if filters.min_upvotes is not None:
        lf = lf.filter(pl.col("upvotes") >= filters.min_upvotes)
    return lf.with_columns(pl.col("date").dt.truncate(filters.every).alias("period"))
