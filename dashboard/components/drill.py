"""Drill-down: from a picked chart mark to the papers behind it (no Streamlit here).

Charts from ``analysis.views.charts`` carry a point selection named ``pick``. ``st.altair_chart``
returns it as ``{"selection": {"pick": [{field: value, ...}]}}``; temporal fields arrive as epoch
milliseconds. A pick is kept in the URL as ``view|field=value|field=value`` so a drill-down can be
shared and reopened.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import polars as pl

from analysis import trends
from analysis.filters import Filters, apply
from analysis.names import BRUSH, OTHER_TOPICS, OUTLIER, PERIODS, SELECTION, UNASSIGNED
from analysis.trends import upvotes
from analysis.trends.frame import period_start
from analysis.views.periods import next_start

PICK = SELECTION
#: Columns a paper list shows, in this order (those present).
LIST_COLUMNS = ("paper_id", "title", "date", "upvotes", "topic_label", "n_authors")
#: How a paper list can be sorted: name -> (columns, descending), applied to the whole list.
SORTS: dict[str, tuple[list[str], list[bool]]] = {
    "upvotes": (["upvotes", "paper_id"], [True, False]),
    "newest": (["date", "paper_id"], [True, False]),
    "oldest": (["date", "paper_id"], [False, False]),
    "title": (["title", "paper_id"], [False, False]),
}
DEFAULT_SORT = "upvotes"
#: How each sort is named on the page.
SORT_NAMES = {"upvotes": "most upvoted", "newest": "newest", "oldest": "oldest", "title": "title"}


@dataclass(frozen=True)
class Pick:
    """One picked mark: which view it came from and the field values it holds."""

    view: str
    values: dict = field(default_factory=dict)

    def encode(self) -> str:
        """The pick as URL text, ``view|field=value|...`` with the fields sorted (see decode)."""
        parts = [self.view] + [f"{k}={_text(v)}" for k, v in sorted(self.values.items())]
        return "|".join(parts)

    def describe(self, labels: dict[int, str] | None = None,
                 group_labels: dict[int, str] | None = None) -> str:
        """A short human description, e.g. 'period from 2025-03-01, topic Diffusion models'."""
        out = []
        for k, v in sorted(self.values.items()):
            if k == "topic" and labels is not None:
                out.append(f"topic {labels.get(int(v), v)}")
            elif k == "group" and group_labels is not None:
                out.append(f"group {group_labels.get(int(v), v)}")
            elif k == "period":
                out.append(f"period from {v}")
            else:
                out.append(f"{k.replace('_', ' ')} {v}")
        return ", ".join(out)


def _text(value: object) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def _value(key: str, value: object) -> object:
    """Normalise one selection value: epoch ms / ISO text -> date for temporal fields, ints."""
    if key in ("period", "date"):
        if isinstance(value, int | float):
            return dt.datetime.fromtimestamp(value / 1000, tz=dt.UTC).date()
        try:
            return dt.date.fromisoformat(str(value)[:10])
        except ValueError:
            return None
    if key in ("topic", "group"):
        try:
            return int(value) if isinstance(value, int | float | str) else None
        except ValueError:
            return None
    if key in ("bin_low", "bin_high"):
        try:
            return float(value) if isinstance(value, int | float | str) else None
        except ValueError:
            return None
    return None if value is None else str(value)


def decode(text: str) -> Pick | None:
    """The Pick in a URL value, or None when it is empty or malformed."""
    if not text or "|" not in text:
        return None
    view, *parts = text.split("|")
    values = {}
    for part in parts:
        key, sep, raw = part.partition("=")
        if not sep:
            return None
        val = _value(key, raw)
        if val is None:
            return None
        values[key] = val
    return Pick(view, values) if values else None


def from_event(view: str, event: object) -> Pick | None:
    """The Pick in an ``st.altair_chart`` selection event (None: nothing picked)."""
    try:
        rows = event["selection"][PICK]  # type: ignore[index]
    except (KeyError, TypeError):
        return None
    if not rows:
        return None
    row = rows[0]
    values = {k: _value(k, v) for k, v in row.items() if not k.startswith("_vg")}
    values = {k: v for k, v in values.items() if v is not None}
    return Pick(view, values) if values else None


def span_from_event(event: object, period: str = "month") -> tuple[dt.date, dt.date] | None:
    """The date range a drag across a time axis chose: whole periods, first to last day.

    None when the event holds no brush (a click, or the brush was cleared).
    """
    try:
        span = event["selection"][BRUSH]  # type: ignore[index]
    except (KeyError, TypeError):
        return None
    if not span or period not in PERIODS:
        return None
    values = span.get("period") if isinstance(span, dict) else None
    if not values or len(values) != 2:
        return None
    days = [d for d in (_value("period", v) for v in values) if isinstance(d, dt.date)]
    if len(days) != 2:
        return None
    first, last = sorted(days)
    filters = Filters(period=period)  # type: ignore[arg-type]
    start = period_start(first, filters)
    end = next_start(period_start(last, filters), period) - dt.timedelta(days=1)
    return start, end


def papers_for(lf: pl.LazyFrame, filters: Filters, pick: Pick, *, field: str = "both",
               regex: bool = False, drawn: Sequence[int] = (),
               upvote_age: int | None = None) -> pl.DataFrame:
    """The papers behind a picked mark, most upvoted first (see :func:`papers_lazy`)."""
    return papers_lazy(lf, filters, pick, field=field, regex=regex, drawn=drawn,
                       upvote_age=upvote_age).collect()


def papers_lazy(lf: pl.LazyFrame, filters: Filters, pick: Pick, *, field: str = "both",
                regex: bool = False, drawn: Sequence[int] = (),
                upvote_age: int | None = None) -> pl.LazyFrame:
    """The papers behind a picked mark, most upvoted first, as a query not yet run.

    A page shows the first rows and the count of such a list; only a CSV download reads it
    whole, so a mark of a million papers never materialises them on a rerun.

    Args:
        lf: the paper frame (trends.paper_frame).
        filters: the shared filters the chart was drawn with.
        pick: the picked mark; ``period``, ``topic``, ``group``, ``paper_id``, ``phrase`` and
            upvote bins (``bin_low``/``bin_high``) narrow the papers.
        field: where the keyword page looks for a picked ``phrase`` (title, abstract or both).
        regex: whether a picked ``phrase`` is a regular expression.
        drawn: the topics (groups at the group level) a topic trend draws one by one; its
            "other topics" band (a picked ``topic`` or ``group`` of ``OTHER_TOPICS``) holds the
            papers of every other topic (group).
        upvote_age: the upvote page's age filter (only counts read that many days after
            listing), so a picked bin lists the papers it counted.

    Returns:
        The list columns of those papers (see list_frame).
    """
    vals = pick.values
    if "phrase" in vals:
        lf = trends.match_papers(lf, str(vals["phrase"]), field=field, regex=regex)
    for key, kept in (("topic", filters.topics), ("group", filters.groups)):
        value = vals.get(key)
        if value is not None and value >= OUTLIER and kept and value not in kept:
            return list_frame(lf.head(0))
    if "topic" in vals or "group" in vals:  # the trend draws every paper; the pick says which
        filters = replace(filters, topics=(), groups=())
    out = apply(lf, filters)
    out = upvotes.with_age(out, upvote_age)
    if "period" in vals:
        out = out.filter(pl.col("period") == vals["period"])
    for key in ("topic", "group"):
        value = vals.get(key)
        if value == OTHER_TOPICS:
            out = out.filter(pl.col(key).is_not_null() & ~pl.col(key).is_in(list(drawn)))
        elif value == UNASSIGNED:  # the store's own -2, or no topic at all
            out = out.filter((pl.col(key) == UNASSIGNED) | pl.col(key).is_null())
        elif value is not None:
            out = out.filter(pl.col(key) == value)
    if "paper_id" in vals:
        out = out.filter(pl.col("paper_id") == vals["paper_id"])
    if "bin_low" in vals:
        out = out.filter(pl.col("upvotes") >= vals["bin_low"])
    if "bin_high" in vals:
        out = out.filter(pl.col("upvotes") < vals["bin_high"])
    return list_frame(out)


def as_list(lf: pl.LazyFrame, basis: str = "listed", sort: str = DEFAULT_SORT) -> pl.DataFrame:
    """A paper frame as a list to show: the list columns, sorted over all of its papers.

    Args:
        lf: the papers; a frame without a ``date`` column takes it from ``basis``.
        basis: the filters' date basis (``listed`` or ``published``).
        sort: one of :data:`SORTS` (the most upvoted first by default); papers without the
            value sort last.
    """
    return list_frame(lf, basis, sort).collect()


def list_frame(lf: pl.LazyFrame, basis: str = "listed", sort: str = DEFAULT_SORT
               ) -> pl.LazyFrame:
    """:func:`as_list` as a query not yet run (a page reads its head and its length only)."""
    names = lf.collect_schema().names()
    if "date" not in names:
        lf = lf.with_columns(pl.col(basis).alias("date"))
        names = [*names, "date"]
    cols = [c for c in LIST_COLUMNS if c in names]
    by, descending = SORTS.get(sort, SORTS[DEFAULT_SORT])
    return lf.select(cols).sort(by, descending=descending, nulls_last=True)


def empty_list(lf: pl.LazyFrame) -> pl.DataFrame:
    """A paper list with no rows, with the columns as_list would give for lf."""
    return as_list(lf.head(0))
