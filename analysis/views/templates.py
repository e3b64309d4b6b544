"""Template keys: when two views' charts have the same Vega-Lite spec apart from data and title.

A chart builder (``build(frame, title, caption, **options)``) reads its frame for three things:
the rows it embeds as its one dataset, a few facts that shape the spec (the columns, the phrases,
whether a period is incomplete), and a few parts of the spec that follow the rows (:func:`slots`:
the period axis, whose ticks follow the span, the colour scale of the topics present, the upvote
bins, the kinds of upvote count).
:func:`key` gathers the facts; views with equal keys differ only in the dataset
(:func:`plotted`), the title and their slots, so the dashboard converts one chart of a key to a
spec and draws the others from it by putting their dataset, title and slots in
(``dashboard.components.vega``), without building their Altair charts. A filter change that
moves the date range therefore keeps the template. ``tests/dashboard/test_vega.py`` checks, for
every view and many filters, that a spec drawn this way equals the one converted from the view's
chart.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import polars as pl

from analysis.views import charts, rankings, topic_map
from analysis.views.axes import period_x_dict
from analysis.views.colours import scale_dict, topic_scale

#: Chart builders with a template: builder -> (the frame as the chart embeds it, the facts of
#: the frame its spec depends on besides the columns (see :func:`facts`), its slots (see
#: :func:`slots`)).
TEMPLATES: dict[Callable, tuple[Callable[[pl.DataFrame], pl.DataFrame], tuple[str, ...],
                                tuple[str, ...]]] = {
    charts.papers_per_period: (charts.plot_data, ("incomplete",), ("axis",)),
    charts.topic_trend: (charts.plot_data, ("incomplete",), ("axis", "colours")),
    charts.keyword_trend: (charts.plot_data, ("phrases", "incomplete"), ("axis",)),
    charts.upvote_distribution: (charts.plot_data, (), ("bins",)),
    charts.upvotes_by_topic: (charts.plot_data, (), ("colours",)),
    charts.upvotes_by_period: (charts.plot_data, ("incomplete",), ("axis", "counts")),
    rankings.emerging: (rankings.emerging_plot, (), ("colours",)),
    rankings.rising: (rankings.rising_plot, (), ()),
    topic_map.topic_map: (topic_map.plot_frame, ("topics",), ()),
}


def _frozen(value):
    """A hashable form of a chart option (mappings and sequences as sorted/plain tuples)."""
    if isinstance(value, Mapping):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_frozen(v) for v in value)
    return value


def _column(df: pl.DataFrame, name: str) -> tuple:
    """A column's distinct values in order of appearance (empty without that column)."""
    if name not in df.columns:
        return ()
    return tuple(df.get_column(name).unique(maintain_order=True).to_list())


def facts(df: pl.DataFrame, needs: tuple[str, ...] = (), **options) -> tuple:
    """What of a frame and the chart options shapes a chart's spec, other than its rows.

    Always the columns and their types, whether the frame is empty, and the options; then, as
    ``needs`` says: ``topics`` the colour scale (topics present, their labels and colours),
    ``phrases`` that column's values in order, ``incomplete`` whether some period is
    incomplete.
    """
    out: list = [tuple((n, str(t)) for n, t in df.schema.items()), df.height == 0,
                 _frozen(options)]
    if "topics" in needs and "topic" in df.columns and "label" in df.columns:
        scale = topic_scale(df, options.get("colours"))
        out += [tuple(scale.domain), tuple(scale.range)]
    if "phrases" in needs:
        out.append(_column(df, "phrase"))
    if "incomplete" in needs and "incomplete" in df.columns:
        out.append(bool(df.get_column("incomplete").any()))
    return tuple(out)


def slots(build: Callable, df: pl.DataFrame, **options) -> dict[str, Any]:
    """The parts of a chart's spec that follow its rows, as the spec holds them (JSON values).

    ``axis``: the x channel of the period axis (its ticks follow the span); ``colours``: the
    colour scale of the topics (or groups: option ``key``) present; ``bins``: the upvote bins
    of the distribution (up to the largest count); ``counts``: the colours of the kinds of
    upvote count present. A spec drawn from a
    template of the same key gets these in place of the template's own (the dashboard replaces
    every part of the template's spec equal to the template's slot).
    """
    names = TEMPLATES[build][2] if build in TEMPLATES else ()
    out: dict[str, Any] = {}
    if "axis" in names and "period" in df.columns:
        out["axis"] = period_x_dict(df, options.get("period", "month"))
    if "bins" in names and "label" in df.columns:
        out["bins"] = charts.bin_scale(df).to_dict(validate=False)
    if "counts" in names:
        out["counts"] = charts.counts_scale(df).to_dict(validate=False)
    ident = options.get("key", "topic")
    if "colours" in names and ident in df.columns and "label" in df.columns:
        out["colours"] = scale_dict(df, options.get("colours"), key=ident)
    return out


def key(name: str, build: Callable, df: pl.DataFrame, **options) -> tuple | None:
    """The template key of a view's chart, or None when its builder has no template."""
    if build not in TEMPLATES:
        return None
    return (name, build.__qualname__, facts(df, TEMPLATES[build][1], **options))


def plotted(build: Callable, df: pl.DataFrame) -> pl.DataFrame:
    """The frame exactly as the chart of ``build`` embeds it."""
    return TEMPLATES[build][0](df)
