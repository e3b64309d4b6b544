"""Views: a named chart plus exactly the data it plots, built from the paper frame and filters.

The dashboard and the CLI export both render from these, so what they show and export is the
same. ``VIEWS`` maps a view name to ``build(lf, filters, **options) -> View``; ``lf`` is
``analysis.trends.paper_frame(store)``.

Example:
    >>> view = build_view("topic-trend", paper_frame(store), Filters(period="quarter"))
    >>> view.chart, view.data  # alt.Chart, pl.DataFrame
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Sequence

import polars as pl

from analysis import trends
from analysis.coverage import partial_flags
from analysis.filters import Filters
from analysis.names import TOPIC_VIEWS
from analysis.schema import InputError
from analysis.store import map_points
from analysis.trends import memo, shares, upvotes
from analysis.trends.phrase_index import PhraseIndex
from analysis.views import charts, rankings, topic_bands
from analysis.views.caveats import age_note, coverage_note, partial_in_range
from analysis.views.topic_map import KEEP, keep_param
from analysis.views.topic_map import topic_map as topic_map_chart
from analysis.views.view import (
    MEASURES,
    PERIOD_FREE,
    View,
    colours_of,
    fixed_sample,
    make_view,
    need_topics,
    relevant,
    scope,
    timed,
)

__all__ = ["MEASURES", "NEEDS_TOPICS", "PERIOD_FREE", "VIEWS", "View", "build_view", "build_views",
           "relevant", "scope"]


def papers_per_period(lf: pl.LazyFrame, filters: Filters, *,
                      partial: Sequence[str] = ()) -> View:
    """Papers per period (empty periods as zero), periods known to be incomplete marked.

    Args:
        lf: the paper frame.
        filters: the common filters.
        partial: months the store holds only part of (:func:`analysis.coverage.partial_months`);
            on the listed basis a period touching one has ``partial`` true (a hollow bar), as
            has a period the data covers only in part (``incomplete``).
    """
    data, note = timed(trends.papers_per_period(lf, filters), lf, filters)
    months = partial_in_range(data, filters, partial)
    data = data.with_columns(partial_flags(data["period"], filters.every, months))
    return make_view("papers-per-period", f"Papers per {filters.period}", charts.papers_per_period,
                 data, lf, filters, {}, extra=note,
                 note=coverage_note(data, filters, partial, True), period=filters.period)


def topic_trend(lf: pl.LazyFrame, filters: Filters, *, measure: str = "share",
                stacked: bool = True, top: int = 10, bands: bool = True,
                level: str = "topic", partial: Sequence[str] = ()) -> View:
    """Topic (or group) share or count per period: the largest, then one band for the rest.

    Every paper of a period is in exactly one row, so stacked shares add up to 100%: the
    ``top`` largest topics (or the picked ones), the outliers (-1), papers not yet assigned
    (-2) and the other topics together (-3), each when it has papers. At the group level the
    same for the topic groups, every group drawn unless some are picked.

    Args:
        lf: the paper frame.
        filters: the common filters; picked topics are shown one by one, the rest as a band.
        measure: ``share`` (of all papers in the period) or ``count``.
        stacked: stacked bars (True) or one line per topic.
        top: without picked topics, how many of the largest to show one by one (0: all; the
            group level draws every group).
        bands: add the bands for outliers, unassigned and other topics (False: the picked or
            largest topics only, e.g. one topic's size over time).
        level: ``topic`` or ``group`` (the 8-15 groups above the topics).
        partial: months the store holds only part of (named in the caption).

    Raises:
        InputError: unknown measure or level, or the store has no topic model (or no groups).
    """
    if measure not in MEASURES:
        raise InputError(f"measure must be 'share' or 'count', not {measure!r}",
                         field="measure")
    if level not in trends.LEVELS:
        raise InputError(f"level must be 'topic' or 'group', not {level!r}", field="level")
    need_topics(lf, level)
    whole = dataclasses.replace(filters, topics=(), groups=())
    got = shares.topic_counts(lf, whole, level)
    picked = _picked(lf, filters, level)
    ids = topic_bands.shown_topics(got, picked, 0 if level == "group" else top)
    data = topic_bands.with_bands(got, shares.labels_of(lf, level), ids, picked, bands=bands)
    data, note = timed(data, lf, filters)
    if level == "group":
        data = data.rename({"topic": "group"})
        shown = "" if picked else "all topic groups"
    else:
        shown = "" if picked else f"largest {top} topics" if top else "all topics"
    bands_said = topic_bands.describe(data.rename({level: "topic"}), shown) if bands else ""
    extra = "; ".join(p for p in (bands_said, note) if p)
    what = "Share of papers" if measure == "share" else "Papers"
    return make_view("topic-trend", f"{what} per {level} per {filters.period}", charts.topic_trend,
                 data, lf, filters,
                 {"measure": measure, "stacked": stacked, "top": top, "bands": bands,
                  "level": level},
                 extra=extra, note=coverage_note(data, filters, partial, measure == "count"),
                 measure=measure, stacked=stacked, period=filters.period,
                 colours=colours_of(lf) if level == "topic" else None, key=level)


def _picked(lf: pl.LazyFrame, filters: Filters, level: str) -> tuple[int, ...]:
    """The topics (groups at the group level) the filters pick, drawn one by one.

    At the topic level: the topics named, else those of the groups named. At the group level:
    the groups named, else the groups of the topics named.
    """
    named, other = ((filters.topics, filters.groups) if level == "topic"
                    else (filters.groups, filters.topics))
    if named or not other:
        return tuple(named)
    key, by = (level, "group" if level == "topic" else "topic")
    rows = lf.filter(pl.col(by).is_in(list(other))).select(key).unique().collect()
    return tuple(sorted(int(v) for v in rows.get_column(key).drop_nulls().to_list()))


def topic_map(lf: pl.LazyFrame, filters: Filters, *, search: str = "",
              points: int | None = None) -> View:
    """Papers on the 2-D topic map; those outside the filters greyed.

    Args:
        lf: the paper frame.
        filters: the common filters (they grey papers out; the layout never changes).
        search: words to look for in titles (case-insensitive, literal); the most upvoted
            matches are marked on the map (``match``).
        points: the most papers drawn (default ``analysis.store.map_points()``, 50,000); a
            larger store draws a fixed sample of that many (the caption says so), the marked
            search matches always among them.
    """
    need_topics(lf)
    points = map_points() if points is None else points
    drawn = topic_bands.map_frame(lf, filters, search, points=points)
    data, found = drawn.frame, drawn.found
    notes = []
    if drawn.sampled:
        notes.append(f"drawn: a fixed sample of {points:,} of the {drawn.placed:,} papers "
                     "(the same under every filter)")
    if search.strip():
        marked = int((data.get_column("match") > 0).sum())
        notes.append(f"title search “{search.strip()}”: {found:,} papers"
                     + (f", the {marked} most upvoted marked" if found > marked else " marked"))
    return make_view("topic-map", "Topic map of papers", topic_map_chart, data, lf, filters,
                 {"search": search, "points": points, "sampled": drawn.sampled},
                 extra="; ".join(notes), plot=drawn.plot,
                 params={KEEP: keep_param(filters)},
                 colours=colours_of(lf), extent=drawn.extent)


def keyword_trend(lf: pl.LazyFrame, filters: Filters, *, phrases: Sequence[str] = (),
                  field: str = "both", regex: bool = False, measure: str = "share",
                  partial: Sequence[str] = (), index: PhraseIndex | None = None) -> View:
    """Papers per period whose text mentions each phrase: share with 95% Wilson bands, or count.

    Args:
        lf: the paper frame.
        filters: the common filters.
        phrases: the phrases (or regular expressions with ``regex``) to track; one to
            ``trends.MAX_PHRASES``.
        field: ``title``, ``abstract`` or ``both``.
        regex: take each phrase as a regular expression.
        measure: ``share`` of the period's papers, or ``count`` of papers.
        partial: months the store holds only part of (named in the caption).
        index: the store's word index (``trends.phrase_index.load``), when it has one: plain
            phrases are looked up in it rather than scanned for (same counts, and 10 phrases
            cost about what one does on a large store).

    Raises:
        InputError: no phrase given, too many, or an unknown measure.
    """
    phrases = [p for p in phrases if p and p.strip()]
    if not phrases:
        raise InputError("keyword-trend needs at least one phrase",
                         hint="give one with --phrase 'training parameters'")
    if measure not in MEASURES:
        raise InputError(f"measure must be 'share' or 'count', not {measure!r}",
                         field="measure")
    names = trends.phrase_list(phrases)
    # whether a paper matches does not change with the filters: matched once per frame
    hits = memo.per_frame(lf, ("phrase-hits", tuple(names), field, regex, id(index)),
                          lambda: trends.phrase_hits(lf, names, field, regex, index))
    data = trends.keyword_trend(lf, names, filters, field=field, regex=regex, hits=hits)
    data, note = timed(data, lf, filters)
    where = {"both": "title or abstract"}.get(field, field)
    quoted = ", ".join(f"“{p}”" for p in phrases)
    title = f"Papers mentioning {quoted} per {filters.period}"
    extra = f"{'regex' if regex else 'phrase'} in {where}"
    if measure == "share":
        extra += "; band: 95% interval; hollow points: few papers in period"
    extra = "; ".join(p for p in (extra, note) if p)
    return make_view("keyword-trend", title, charts.keyword_trend, data, lf, filters,
                 {"phrases": list(phrases), "field": field, "regex": regex, "measure": measure},
                 extra=extra, note=coverage_note(data, filters, partial, measure == "count"),
                 period=filters.period, measure=measure)


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
    return make_view("upvote-distribution", "Upvote distribution", charts.upvote_distribution, data,
                 lf, filters, {"upvote_age": upvote_age},
                 extra=f"{missing:,} papers without {left} left out; "
                       + age_note(lf, filters, upvote_age))


def upvotes_by_topic(lf: pl.LazyFrame, filters: Filters, *,
                     upvote_age: int | None = None) -> View:
    """Upvote quartiles per topic (only counts read ``upvote_age``+ days after listing)."""
    need_topics(lf)
    data = trends.upvote_stats(lf, filters, by="topic", upvote_age=upvote_age)
    return make_view("upvotes-by-topic", "Upvotes by topic", charts.upvotes_by_topic, data, lf,
                 filters, {"upvote_age": upvote_age}, extra=age_note(lf, filters, upvote_age),
                 colours=colours_of(lf))


def upvotes_by_period(lf: pl.LazyFrame, filters: Filters, *,
                      upvote_age: int | None = None) -> View:
    """Median upvotes per period with the quartile band, early and matured counts apart.

    A count is early when read less than ``upvote_age`` (default 30) days after listing; with
    ``upvote_age`` set, only the matured counts are shown. Incomplete periods are marked.
    """
    split = upvote_age if upvote_age is not None else upvotes.MATURE_DAYS
    data = trends.upvote_stats(lf, filters, by="period", upvote_age=upvote_age, split_at=split)
    data, note = timed(data, lf, filters)
    extra = "; ".join(p for p in (f"early: read < {split} days after listing",
                                  age_note(lf, filters, upvote_age), note) if p)
    return make_view("upvotes-by-period", f"Upvotes per {filters.period}", charts.upvotes_by_period,
                 data, lf, filters, {"upvote_age": upvote_age}, extra=extra,
                 period=filters.period)


def emerging(lf: pl.LazyFrame, filters: Filters, *, k: int = 6, n: int = 12) -> View:
    """The ``n`` topics whose share grew fastest over the last ``k`` periods."""
    need_topics(lf)
    data = trends.emerging_topics(lf, filters, k=k).head(n)  # from the state's topic counts
    extra = f"binomial trend in topic share over the last {k} periods; hollow: not significant"
    return make_view("emerging", "Emerging topics", rankings.emerging, data, lf, filters,
                 {"k": k, "n": n}, extra=extra, colours=colours_of(lf))


#: Rising phrases index every distinct text once; above this many papers they are counted on
#: a fixed sample of this many (indexing a million abstracts takes tens of GB and minutes).
RISING_PAPERS = 25_000


def rising(lf: pl.LazyFrame, filters: Filters, *, recent_months: int = 3,
           baseline_months: int = 12, n: int = 20, sample: int = RISING_PAPERS) -> View:
    """The ``n`` phrases rising most in the recent window against the baseline (by G²).

    On a frame of more than ``sample`` papers, counted on a fixed sample of ``sample`` papers
    (the same under every filter; the caption says so): the shares are estimates, the test
    is the same test on fewer papers, and a picked phrase lists all its papers.
    """
    # rising_phrases ranks ties in G² by phrase, so the top n are the same on every run.
    counted, total = fixed_sample(lf, sample)
    data = trends.rising_phrases(counted, filters, recent_months=recent_months,
                                 baseline_months=baseline_months, limit=n)
    extra = f"last {recent_months} months against the {baseline_months} before"
    if data.height:
        w = data.row(0, named=True)
        extra = (f"recent {w['recent_start']} to {w['recent_end']} against baseline "
                 f"{w['baseline_start']} to {w['baseline_end']}")
    if counted is not lf:
        extra += f"; counted on a fixed sample of {sample:,} of the {total:,} papers"
    return make_view("rising", "Rising phrases", rankings.rising, data, lf, filters,
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
    return fn(lf, relevant(name, filters), **{k: v for k, v in options.items() if k in accepted})


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
