"""The shared words of papertrends: one spelling for each, imported by every other module.

Pure: standard library only, nothing here reads a file or imports another project module.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal, Protocol

#: The date a view buckets papers by: the day on the daily list, or the arXiv date.
Basis = Literal["listed", "published"]
BASES: tuple[str, ...] = ("listed", "published")
DEFAULT_BASIS = "listed"

#: Period name -> the Polars duration string (``group_by_dynamic`` / ``dt.truncate``).
Period = Literal["week", "month", "quarter", "year"]
PERIODS: dict[str, str] = {"week": "1w", "month": "1mo", "quarter": "1q", "year": "1y"}
DEFAULT_PERIOD = "month"

#: Where keyword trends look for a phrase.
TEXT_FIELDS: tuple[str, ...] = ("both", "title", "abstract")

#: The views both faces (dashboard, CLI) draw and export, in menu order.
VIEW_NAMES: tuple[str, ...] = (
    "papers-per-period", "topic-trend", "topic-map", "keyword-trend", "upvote-distribution",
    "upvotes-by-topic", "upvotes-by-period", "emerging", "rising",
)
#: Views that need a topic model.
TOPIC_VIEWS = frozenset({"topic-trend", "topic-map", "upvotes-by-topic", "emerging"})

#: Export formats of one view, and the MIME type of every file papertrends offers.
EXPORT_FORMATS: tuple[str, ...] = ("png", "svg", "html", "csv")
MIME: dict[str, str] = {"png": "image/png", "svg": "image/svg+xml", "html": "text/html",
                        "csv": "text/csv", "zip": "application/zip"}

#: The name of the point selection on every chart (``st.altair_chart(selection_mode=...)``).
SELECTION = "pick"
#: The name of the date brush on the time charts (drag across the time axis to set the range).
BRUSH = "span"

#: Embedding backends: the real MiniLM, a static model distilled from it, and MiniLM exported to
#: OpenVINO int8 (about three times faster on a CPU; needs the extra ``scale``).
EMBEDDERS: tuple[str, ...] = ("minilm", "fast", "minilm-openvino")
DEFAULT_EMBEDDER = "minilm"
#: Where embeddings are computed: this process, or a Ray cluster (needs the extra ``scale``).
ENGINES: tuple[str, ...] = ("local", "ray")

#: The topic id of papers no topic holds, and the one label they carry everywhere.
OUTLIER = -1
OUTLIER_LABEL = "Outliers (no clear topic)"
#: Papers the topic model has not seen yet (added after the fit, not yet assigned): their own
#: row or band in every topic view, never silently left out.
UNASSIGNED = -2
UNASSIGNED_LABEL = "Not yet assigned"
#: The band of a stacked share chart that holds the topics not drawn one by one.
OTHER_TOPICS = -3
OTHER_TOPICS_LABEL = "Other topics"


class Progress(Protocol):
    """Told how far a long task is: ``progress(done, total, message)``."""

    def __call__(self, done: int, total: int, message: str) -> None:
        """Report that ``done`` of ``total`` steps are finished, with a one-line message."""


def iso(day: dt.date | dt.datetime | None) -> str | None:
    """ISO text of a date (``2026-01-15``) or a UTC moment (``2026-01-15T07:45:00Z``)."""
    if day is None:
        return None
    if isinstance(day, dt.datetime):
        return day.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return day.isoformat()
