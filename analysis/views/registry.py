"""Views: a named chart plus exactly the data it plots, built from the paper frame and filters.

The dashboard and the CLI export both render from these, so what they show and export is the
same. ``VIEWS`` maps a view name to ``build(lf, filters, **options) -> View``; ``lf`` is
``analysis.trends.paper_frame(store)``.

Example:
    >>> view = build_view("topic-trend", paper_frame(store), Filters(period="quarter"))
    >>> view.chart, view.data  # alt.Chart, pl.DataFrame
"""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import altair as alt
import polars as pl

from analysis import trends
from analysis.filters import Filters, apply
from analysis.names import TOPIC_VIEWS
from analysis.schema import InputError
from analysis.views import charts


@dataclass(frozen=True)
class View:
    """One chart and the frame it plots.

    Attributes:
        name: the registry name (``topic-trend``, ...).
        title: the chart title.
        caption: filters and data span, one or two lines; also the chart's subtitle.
        chart: the Altair chart.
        data: exactly the rows and values the chart plots (what CSV exports hold).
        filters: the filters the view was built with.
        options: the view options it was built with (phrases, measure, ...).
        papers: how many papers pass the filters.
        span: first and last date of those papers (None when there are none).
    """

    name: str
    title: str
    caption: str
    chart: alt.TopLevelMixin
    data: pl.DataFrame
    filters: Filters = field(default_factory=Filters)
    options: dict = field(default_factory=dict)
    papers: int = 0
    span: tuple[dt.date | None, dt.date | None] = (None, None)


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
    """Paper count and first/last date of the papers passing the filters."""
    row = apply(lf, filters).select(
        pl.len().alias("n"), pl.col("date").min().alias("a"), pl.col("date").max().alias("b"),
    ).collect().row(0)
    return Scope(int(row[0]), row[1], row[2])


def _view(name: str, title: str, build_chart: Callable, data: pl.DataFrame, lf: pl.LazyFrame,
          filters: Filters, options: dict, extra: str = "", **chart_options) -> View:
    """Assemble a View: caption from filters (+ extra) and the data span, then the chart."""
    sc = scope(lf, filters)
    first = filters.describe() + (f"; {extra}" if extra else "")
    caption = f"{first}\n{sc.describe(filters)}"
    chart = build_chart(data, title, caption, **chart_options)
    return View(name, title, caption, chart, data, filters, options, sc.papers, (sc.first, sc.last))


def _need_topics(lf: pl.LazyFrame) -> None:
    has = lf.select(pl.col("topic").is_not_null().any()).collect().item()
    if not has:
        raise InputError("this store has no topic model yet, so this view cannot be drawn",
                         hint="run `papertrends fit --store DIR` first")


def papers_per_period(lf: pl.LazyFrame, filters: Filters) -> View:
    """Papers per period (empty periods as zero)."""
    data = trends.papers_per_period(lf, filters)
    return _view("papers-per-period", f"Papers per {filters.period}", charts.papers_per_period,
                 data, lf, filters, {}, period=filters.period)


def topic_trend(lf: pl.LazyFrame, filters: Filters, *, measure: str = "share",
                stacked: bool = True, top: int = 10) -> View:
    """Topic share (or count) per period: the ``top`` largest topics, outliers, not yet assigned.

    Args:
        lf: the paper frame.
        filters: the common filters.
        measure: ``share`` (of all papers in the period) or ``count``.
        stacked: stacked areas (True) or one line per topic.
        top: how many of the largest topics to show (0: all); the outliers (-1) and the papers
            not yet assigned a topic (-2) are always shown.

    Raises:
        InputError: unknown measure, or the store has no topic model.
    """
    if measure not in ("share", "count"):
        raise InputError(f"measure must be 'share' or 'count', not {measure!r}")
    _need_topics(lf)
    freq = trends.topic_frequency(lf, filters)
    if top:
        sizes = freq.filter(pl.col("topic") >= 0).group_by("topic").agg(pl.col("count").sum())
        keep = sizes.sort(["count", "topic"], descending=[True, False]).head(top)["topic"]
        freq = freq.filter(pl.col("topic").is_in(keep.implode()) | (pl.col("topic") < 0))
    data = freq.sort("period", "topic")
    shown = f"largest {top} topics and outliers" if top else "all topics"
    what = "Share of papers" if measure == "share" else "Papers"
    return _view("topic-trend", f"{what} per topic per {filters.period}", charts.topic_trend,
                 data, lf, filters, {"measure": measure, "stacked": stacked, "top": top},
                 extra=shown, measure=measure, stacked=stacked, period=filters.period)


def topic_map(lf: pl.LazyFrame, filters: Filters) -> View:
    """Every paper passing the filters on the 2-D topic map."""
    _need_topics(lf)
    data = (
        apply(lf, filters)
        .filter(pl.col("x").is_not_null() & pl.col("y").is_not_null())
        .select("paper_id", "title", "date", "upvotes", "topic",
                pl.col("topic_label").alias("label"), "x", "y")
        .sort("topic", "paper_id").collect()
    )
    return _view("topic-map", "Topic map of papers", charts.topic_map, data, lf, filters, {})


def keyword_trend(lf: pl.LazyFrame, filters: Filters, *, phrases: Sequence[str] = (),
                  field: str = "both", regex: bool = False) -> View:
    """Share of papers per period whose text mentions each phrase, with 95% Wilson bands.

    Args:
        lf: the paper frame.
        filters: the common filters.
        phrases: the phrases (or regular expressions with ``regex``) to track; at least one.
        field: ``title``, ``abstract`` or ``both``.
        regex: take each phrase as a regular expression.

    Raises:
        InputError: no phrase given.
    """
    phrases = [p for p in phrases if p and p.strip()]
    if not phrases:
        raise InputError("keyword-trend needs at least one phrase",
                         hint="give one with --phrase 'training parameters'")
    data = trends.keyword_trend(lf, phrases, filters, field=field, regex=regex)
    where = {"both": "title or abstract"}.get(field, field)
    quoted = ", ".join(f"“{p}”" for p in phrases)
    title = f"Papers mentioning {quoted} per {filters.period}"
    extra = f"{'regex' if regex else 'phrase'} in {where}; hollow points: few papers in period"
    return _view("keyword-trend", title, charts.keyword_trend, data, lf, filters,
                 {"phrases": list(phrases), "field": field, "regex": regex}, extra=extra,
                 period=filters.period)


def upvote_distribution(lf: pl.LazyFrame, filters: Filters) -> View:
    """Histogram of upvote counts; papers without a count are left out (counted in the caption)."""
    data = trends.upvote_distribution(lf, filters)
    missing = trends.upvote_null_count(lf, filters)
    return _view("upvote-distribution", "Upvote distribution", charts.upvote_distribution, data,
                 lf, filters, {}, extra=f"{missing:,} papers without an upvote count left out")


def upvotes_by_topic(lf: pl.LazyFrame, filters: Filters) -> View:
    """Upvote quartiles per topic."""
    _need_topics(lf)
    data = trends.upvote_stats(lf, filters, by="topic")  # has ``label``, sorted by topic
    return _view("upvotes-by-topic", "Upvotes by topic", charts.upvotes_by_topic, data, lf,
                 filters, {})


def upvotes_by_period(lf: pl.LazyFrame, filters: Filters) -> View:
    """Median upvotes per period with the quartile band."""
    data = trends.upvote_stats(lf, filters, by="period").sort("period")
    return _view("upvotes-by-period", f"Upvotes per {filters.period}", charts.upvotes_by_period,
                 data, lf, filters, {}, period=filters.period)


def emerging(lf: pl.LazyFrame, filters: Filters, *, k: int = 6, n: int = 12) -> View:
    """The ``n`` topics whose share grew fastest over the last ``k`` periods."""
    _need_topics(lf)
    data = trends.emerging_topics(lf, filters, k=k).head(n)
    extra = f"binomial trend in topic share over the last {k} periods; hollow: not significant"
    return _view("emerging", "Emerging topics", charts.emerging, data, lf, filters,
                 {"k": k, "n": n}, extra=extra)


def rising(lf: pl.LazyFrame, filters: Filters, *, recent_months: int = 3,
           baseline_months: int = 12, n: int = 20) -> View:
    """The ``n`` phrases rising most in the recent window against the baseline (by G²)."""
    # rising_phrases ranks ties in G² by phrase, so the top n are the same on every run.
    data = trends.rising_phrases(lf, filters, recent_months=recent_months,
                                 baseline_months=baseline_months, limit=n)
    extra = f"last {recent_months} months against the {baseline_months} before"
    if data.height:
        w = data.row(0, named=True)
        extra = (f"recent {w['recent_start']} to {w['recent_end']} against baseline "
                 f"{w['baseline_start']} to {w['baseline_end']}")
    return _view("rising", "Rising phrases", charts.rising, data, lf, filters,
                 {"recent_months": recent_months, "baseline_months": baseline_months, "n": n},
                 extra=extra)


#: View name -> build(lf, filters, **options) -> View.
VIEWS: dict[str, Callable[..., View]] = {
    "papers-per-period": papers_per_period,
    "topic-trend": topic_trend,
    "topic-map": topic_map,
    "keyword-trend": keyword_trend,
    "upvote-distribution": upvote_distribution,
    "upvotes-by-topic": upvotes_by_topic,
    "upvotes-by-period": upvotes_by_period,
    "emerging": emerging,
    "rising": rising,
}
#: Views that need a fitted topic model.
NEEDS_TOPICS = TOPIC_VIEWS


def build_view(name: str, lf: pl.LazyFrame, filters: Filters, **options) -> View:
    """Build the view ``name``, passing it only the options it takes.

    Raises:
        InputError: unknown view name, or the view cannot be drawn from this store.
    """
    if name not in VIEWS:
        raise InputError(f"no view named {name!r}", hint="choose one of " + ", ".join(VIEWS))
    fn = VIEWS[name]
    accepted = inspect.signature(fn).parameters
    return fn(lf, filters, **{k: v for k, v in options.items() if k in accepted})


def build_views(lf: pl.LazyFrame, filters: Filters, names: Sequence[str] | None = None,
                **options) -> tuple[list[View], list[str]]:
    """Build several views (all by default).

    Without ``names``, views this store or these options cannot draw (no topic model, no
    phrase) are left out with a note saying why; a view named in ``names`` raises instead.

    Returns:
        (views, notes): the views in registry order and one note per view left out.
    """
    built, notes = [], []
    for name in names or list(VIEWS):
        if names is None and name == "keyword-trend" and not options.get("phrases"):
            notes.append("keyword-trend left out: no phrase given (--phrase)")
            continue
        try:
            built.append(build_view(name, lf, filters, **options))
        except InputError as err:
            if names is not None:
                raise
            notes.append(f"{name} left out: {err}")
    return built, notes
