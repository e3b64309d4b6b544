"""What every view is made of: the View record, its scope (paper count and span), its caption.

:mod:`analysis.views.registry` builds the views; this module holds what they share: the
:class:`View` and :class:`Scope` records, :func:`make_view` (caption from the filters, a note and
the span; the chart built on first use or drawn from a template), and the facts about a whole
paper frame that no filter changes (whether it has topics, every topic's colour, the period
bounds), worked out once per frame.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import altair as alt
import polars as pl

from analysis.filters import Filters
from analysis.names import DEFAULT_PERIOD, PERIODS
from analysis.schema import InputError
from analysis.trends import cube, memo
from analysis.views import colours, periods, templates

#: What a topic or keyword trend counts: the share of the period's papers, or papers.
MEASURES = ("share", "count")
#: Views that do not bucket papers by period (the period filter does not change them).
PERIOD_FREE = frozenset({"topic-map", "upvote-distribution", "upvotes-by-topic", "rising"})
#: Caption lines are wrapped at about this many characters (the chart is ~640 px wide).
CAPTION_WIDTH = 110


@dataclass(frozen=True)
class View:
    """One chart and the frame it plots.

    Attributes:
        name: the registry name (``topic-trend``, ...).
        title: the chart title.
        caption: filters and data span, one or two lines; also the chart's subtitle.
        data: exactly the rows and values the chart plots (what CSV exports hold).
        filters: the filters the view was built with.
        options: the view options it was built with (phrases, measure, ...).
        papers: how many papers pass the filters.
        span: first and last date of those papers (None when there are none).
        make_chart: builds the chart (:attr:`chart` calls it once, on first use).
        template: a key (:mod:`analysis.views.templates`) such that views with the same key
            have the same Vega-Lite spec apart from their one dataset (``plotted()``) and
            their title; None for charts without a template. The dashboard reuses such specs (see
            ``dashboard.components.vega``) without building the chart.
        plotted: the frame exactly as the chart embeds it (with ``template``), else None.
        params: values of the chart's top-level parameters that differ between views of one
            template (e.g. the map's ``keep``: the filters it greys papers out by); a spec
            drawn from a template gets these values put in.
        slots: the parts of the spec that follow the rows (``templates.slots``: the period
            axis, the topic colours, the upvote bins and kinds of count); a spec drawn from a
            template gets these in place of the template's own.
    """

    name: str
    title: str
    caption: str
    data: pl.DataFrame
    filters: Filters = field(default_factory=Filters)
    options: dict = field(default_factory=dict)
    papers: int = 0
    span: tuple[dt.date | None, dt.date | None] = (None, None)
    make_chart: Callable[[], alt.TopLevelMixin] = field(default=alt.Chart, repr=False,
                                                        compare=False)
    template: tuple | None = None
    plotted: Callable[[], pl.DataFrame] | None = field(default=None, repr=False, compare=False)
    params: dict = field(default_factory=dict)
    slots: dict = field(default_factory=dict)

    @functools.cached_property
    def chart(self) -> alt.TopLevelMixin:
        """The Altair chart, built on first use (a view drawn from a template never needs it)."""
        return self.make_chart()


@dataclass(frozen=True)
class Scope:
    """What the filters select: paper count and date span, used in captions."""

    papers: int
    first: dt.date | None
    last: dt.date | None

    def describe(self, filters: Filters) -> str:
        """The caption's second line: paper count and date span, or that no paper matches."""
        if not self.papers:
            return "no papers match these filters"
        return f"{self.papers:,} papers, {filters.basis} {self.first} to {self.last}"


def scope(lf: pl.LazyFrame, filters: Filters) -> Scope:
    """Paper count and first/last date of the papers passing the filters.

    The period does not change it: the views of one filter state share one (:mod:`.memo`).
    """
    def make() -> Scope:
        return Scope(*cube.scope(lf, filters))

    same = dataclasses.replace(filters, period=DEFAULT_PERIOD)  # type: ignore[arg-type]
    return memo.per_frame(lf, ("scope", same), make)


def relevant(name: str, filters: Filters) -> Filters:
    """The filters as a view uses them: the views that do not bucket by period ignore it.

    A change of period then leaves those views as they were (the dashboard's cache keeps them).
    """
    if name in PERIOD_FREE and filters.period != DEFAULT_PERIOD:
        return dataclasses.replace(filters, period=DEFAULT_PERIOD)  # type: ignore[arg-type]
    return filters


def make_view(name: str, title: str, build_chart: Callable, data: pl.DataFrame, lf: pl.LazyFrame,
          filters: Filters, options: dict, extra: str = "", note: str = "",
          plot: pl.DataFrame | None = None, params: dict | None = None,
          **chart_options) -> View:
    """Assemble a View: caption from filters (+ extra), a note line, the data span; the chart.

    ``plot``: the frame as the chart embeds it, when the builder has it already (kept, so the
    same object comes back for the same data: see ``MapFrame.plot``). ``params``: chart
    parameter values passed to the builder but left out of the template key (View.params).
    """
    sc = scope(lf, filters)
    lines = [filters.describe(topic_names(lf, filters.topics), period=name not in PERIOD_FREE)]
    lines += [e for e in (*extra.split("\n"), note) if e]
    caption = "\n".join([*wrap("; ".join(lines)), sc.describe(filters)])
    template = templates.key(name, build_chart, data, **chart_options)
    plotted: Callable[[], pl.DataFrame] | None = None
    if template and plot is not None:
        def plotted() -> pl.DataFrame:
            return plot
    elif template:
        plotted = functools.partial(templates.plotted, build_chart, data)
    params = params or {}
    return View(name, title, caption, data, filters, options, sc.papers, (sc.first, sc.last),
                make_chart=functools.partial(build_chart, data, title, caption, **params,
                                             **chart_options),
                template=template, plotted=plotted, params=params,
                slots=templates.slots(build_chart, data, **chart_options) if template else {})


def other_periods(view: View) -> list[tuple[tuple, dict, Callable[[], Any]]]:
    """The templates of the same view at the other period sizes: (key, slots, chart builder).

    The same rows drawn with another period (its axis, tooltips and bar ends): a template for
    the first filter change to that period, whose own rows then go into it like any other's.
    Empty for views without a template or whose chart takes no period.
    """
    make = view.make_chart
    if (view.template is None or not isinstance(make, functools.partial)
            or "period" not in make.keywords):
        return []
    build, (data, *_) = make.func, make.args
    options = {k: v for k, v in make.keywords.items() if k not in view.params}
    out: list[tuple[tuple, dict, Callable[[], Any]]] = []
    for period in PERIODS:
        if period == options["period"]:
            continue
        other = {**options, "period": period}
        key = templates.key(view.name, build, data, **other)
        if key is not None:
            out.append((key, templates.slots(build, data, **other),
                        functools.partial(make, period=period)))
    return out


def wrap(text: str, width: int = CAPTION_WIDTH) -> list[str]:
    """Caption text split at "; " into lines of at most about ``width`` characters."""
    lines: list[str] = []
    for part in text.split("; "):
        if lines and len(lines[-1]) + 2 + len(part) <= width:
            lines[-1] += "; " + part
        else:
            lines.append(part)
    return lines


def topic_names(lf: pl.LazyFrame, topics: Sequence[int]) -> dict[int, str] | None:
    """Topic id -> label of the picked topics (None when no topic is picked)."""
    if not topics:
        return None

    def make() -> dict[int, str]:
        rows = lf.select("topic", "topic_label").unique().collect().rows()
        return {int(t): str(label) for t, label in rows if t is not None and label is not None}

    every = memo.whole(lf, "topic-names", make)  # a query per caption cost 1 ms
    return {t: every[t] for t in topics if t in every}


def need_topics(lf: pl.LazyFrame, level: str = "topic") -> None:
    """Raise InputError when the frame has no topics (or, at the group level, no groups)."""
    has = memo.whole(lf, "has-topics",
                     lambda: lf.select(pl.col("topic").is_not_null().any()).collect().item())
    if not has:
        raise InputError("this store has no topic model yet, so this view cannot be drawn",
                         hint="run `papertrends fit --store DIR` first")
    if level == "group" and not memo.whole(
            lf, "has-groups",
            lambda: lf.select(pl.col("group").is_not_null().any()).collect().item()):
        raise InputError("this topic model has no topic groups", field="level",
                         hint="refit with `papertrends fit --store DIR --force` to add them")


#: The seed of :func:`fixed_sample`'s order.
SAMPLE_SEED = 15


def fixed_sample(lf: pl.LazyFrame, n: int) -> tuple[pl.LazyFrame, int]:
    """The frame itself when it holds at most ``n`` papers, else a fixed sample of ``n`` papers.

    The sample is the ``n`` papers first in a seeded hash order of their ids: the same on every
    call (one object per frame, so what is learnt about it is kept) and under every filter.

    Returns:
        (the frame or its sample, how many papers the whole frame holds).
    """
    def make() -> tuple[pl.LazyFrame | None, int]:
        total = lf.select(pl.len()).collect().item()
        if total <= n:  # kept without the frame itself, which would never be forgotten
            return None, total
        rank = pl.col("paper_id").hash(SAMPLE_SEED).rank("ordinal")
        return lf.filter(rank <= n).collect().lazy(), total

    sample, total = memo.whole(lf, f"sample-{n}", make)
    return (lf if sample is None else sample), total


def colours_of(lf: pl.LazyFrame) -> dict[int, str]:
    """Every topic's colour, from all topics of the store (so it is the same in every view)."""
    def make() -> dict[int, str]:
        cols = ["topic"] + (["group"] if "group" in lf.collect_schema() else [])
        table = lf.select(cols).unique().collect()
        return colours.topic_colours(table)

    return memo.whole(lf, "colours", make)


def timed(data: pl.DataFrame, lf: pl.LazyFrame, filters: Filters) -> tuple[pl.DataFrame, str]:
    """Empty periods as gaps in shares, incomplete periods marked; and the caption note."""
    whole = memo.whole(lf, f"bounds-{filters.basis}", lambda: periods.bounds(lf, filters.basis))
    return periods.mark_incomplete(periods.gaps(data), lf, filters, whole)
