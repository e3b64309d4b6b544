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
from analysis.coverage import describe_partial, partial_flags
from analysis.filters import Filters, apply
from analysis.names import TOPIC_VIEWS
from analysis.schema import InputError
from analysis.trends import upvotes
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
          filters: Filters, options: dict, extra: str = "", note: str = "",
          **chart_options) -> View:
    """Assemble a View: caption from filters (+ extra), a note line, the data span; the chart."""
    sc = scope(lf, filters)
    first = filters.describe() + (f"; {extra}" if extra else "")
    caption = "\n".join(line for line in (first, note, sc.describe(filters)) if line)
    chart = build_chart(data, title, caption, **chart_options)
    return View(name, title, caption, chart, data, filters, options, sc.papers, (sc.first, sc.last))


def _need_topics(lf: pl.LazyFrame) -> None:
    has = lf.select(pl.col("topic").is_not_null().any()).collect().item()
    if not has:
        raise InputError("this store has no topic model yet, so this view cannot be drawn",
                         hint="run `papertrends fit --store DIR` first")


def partial_in_range(data: pl.DataFrame, filters: Filters, partial: Sequence[str]) -> list[str]:
    """The partial months that fall in the periods of ``data`` (by listing day only)."""
    if filters.basis != "listed" or not partial or data.height == 0:
        return []
    first = data["period"].min()
    last = data["period"].max()
    assert isinstance(first, dt.date)
    assert isinstance(last, dt.date)
    end = pl.Series([last]).dt.offset_by(filters.every).item() - dt.timedelta(days=1)
    return [m for m in partial if first.strftime("%Y-%m") <= m <= end.strftime("%Y-%m")]


def coverage_note(data: pl.DataFrame, filters: Filters, partial: Sequence[str],
                  counts: bool) -> str:
    """Caption words on periods the store holds only part of (empty when there are none)."""
    months = partial_in_range(data, filters, partial)
    if not months:
        return ""
    if counts:
        return (f"hollow: only part of the list held ({describe_partial(months)}), so counts "
                "there show what was collected")
    return f"shares, not counts: only part of the list held in {describe_partial(months)}"


def papers_per_period(lf: pl.LazyFrame, filters: Filters, *,
                      partial: Sequence[str] = ()) -> View:
    """Papers per period (empty periods as zero), periods known to be incomplete marked.

    Args:
        lf: the paper frame.
        filters: the common filters.
        partial: months the store holds only part of (:func:`analysis.coverage.partial_months`);
            on the listed basis a period touching one has ``partial`` true (a hollow bar).
    """
    data = trends.papers_per_period(lf, filters)
    months = partial_in_range(data, filters, partial)
    data = data.with_columns(partial_flags(data["period"], filters.every, months))
    return _view("papers-per-period", f"Papers per {filters.period}", charts.papers_per_period,
                 data, lf, filters, {}, note=coverage_note(data, filters, partial, True),
                 period=filters.period)


def topic_trend(lf: pl.LazyFrame, filters: Filters, *, measure: str = "share",
                stacked: bool = True, top: int = 10, partial: Sequence[str] = ()) -> View:
    """Topic share (or count) per period: the ``top`` largest topics, outliers, not yet assigned.

    Args:
        lf: the paper frame.
        filters: the common filters.
        measure: ``share`` (of all papers in the period) or ``count``.
        stacked: stacked areas (True) or one line per topic.
        top: how many of the largest topics to show (0: all); the outliers (-1) and the papers
            not yet assigned a topic (-2) are always shown.
        partial: months the store holds only part of (named in the caption).

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
                 extra=shown, note=coverage_note(data, filters, partial, measure == "count"),
                 measure=measure, stacked=stacked, period=filters.period)


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
                  field: str = "both", regex: bool = False,
                  partial: Sequence[str] = ()) -> View:
    """Share of papers per period whose text mentions each phrase, with 95% Wilson bands.

    Args:
        lf: the paper frame.
        filters: the common filters.
        phrases: the phrases (or regular expressions with ``regex``) to track; at least one.
        field: ``title``, ``abstract`` or ``both``.
        regex: take each phrase as a regular expression.
        partial: months the store holds only part of (named in the caption).

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
                 note=coverage_note(data, filters, partial, False), period=filters.period)


def age_note(lf: pl.LazyFrame, filters: Filters, upvote_age: int | None) -> str:
    """The caption's word on when the counts were read (how many periods hold early ones)."""
    if upvote_age is not None:
        return f"only counts read {upvote_age}+ days after listing"
    early, total = upvotes.early_periods(lf, filters, upvotes.MATURE_DAYS)
    if not early:
        return f"all counts read {upvotes.MATURE_DAYS}+ days after listing"
    return (f"{early} of {total} periods hold early counts (read < {upvotes.MATURE_DAYS} days "
            f"after listing, lower than later ones); upvote age {upvotes.MATURE_DAYS}d compares "
            "matured counts only")


def upvote_distribution(lf: pl.LazyFrame, filters: Filters, *,
                        upvote_age: int | None = None) -> View:
    """Histogram of upvote counts; papers without a count are left out (counted in the caption).

    Args:
        lf: the paper frame.
        filters: the common filters.
        upvote_age: only counts read at least this many days after listing (None: all).
    """
    data = trends.upvote_distribution(lf, filters, upvote_age=upvote_age)
    missing = trends.upvote_null_count(lf, filters, upvote_age=upvote_age)
    left = "an upvote count" if upvote_age is None else "a count that old"
    return _view("upvote-distribution", "Upvote distribution", charts.upvote_distribution, data,
                 lf, filters, {"upvote_age": upvote_age},
                 extra=f"{missing:,} papers without {left} left out; "
                       + age_note(lf, filters, upvote_age))


def upvotes_by_topic(lf: pl.LazyFrame, filters: Filters, *,
                     upvote_age: int | None = None) -> View:
    """Upvote quartiles per topic (only counts read ``upvote_age``+ days after listing)."""
    _need_topics(lf)
    data = trends.upvote_stats(lf, filters, by="topic", upvote_age=upvote_age)
    return _view("upvotes-by-topic", "Upvotes by topic", charts.upvotes_by_topic, data, lf,
                 filters, {"upvote_age": upvote_age}, extra=age_note(lf, filters, upvote_age))


def upvotes_by_period(lf: pl.LazyFrame, filters: Filters, *,
                      upvote_age: int | None = None) -> View:
    """Median upvotes per period with the quartile band, early and matured counts apart.

    A count is early when read less than ``upvote_age`` (default 30) days after listing; with
    ``upvote_age`` set, only the matured counts are shown.
    """
    split = upvote_age if upvote_age is not None else upvotes.MATURE_DAYS
    data = trends.upvote_stats(lf, filters, by="period", upvote_age=upvote_age, split_at=split)
    return _view("upvotes-by-period", f"Upvotes per {filters.period}", charts.upvotes_by_period,
                 data, lf, filters, {"upvote_age": upvote_age},
                 extra=f"early: read < {split} days after listing; "
                       + age_note(lf, filters, upvote_age), period=filters.period)


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
