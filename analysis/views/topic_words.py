"""One topic's words over time as a view: a words-by-period grid, and the papers behind a row.

The words come from the fit (``analysis.topics.artifacts.read_topic_words``); this module only
shapes them. A period's papers are those of the topic whose listing day (else arXiv date) falls in
it, the date the words were computed on, so a row's paper count and its paper list agree.
"""

from __future__ import annotations

import datetime as dt
import functools

import altair as alt
import polars as pl

from analysis.filters import Filters
from analysis.names import PERIODS, Period
from analysis.views import templates
from analysis.views.charts import PICK, WIDTH, plot_data, sized
from analysis.views.view import View

NAME = "topic-words"
N_WORDS = 5


#: A view's period -> the period size words over time are kept for that is closest to it.
WORD_PERIOD_OF: dict[str, Period] = {"week": "month", "month": "month", "quarter": "quarter",
                                   "year": "year"}


def word_period(period: str) -> Period:
    """The period size words over time are kept for that is closest to a view's period."""
    return WORD_PERIOD_OF[period]


def topic_words_view(words: pl.DataFrame, *, topic: int, label: str, every: str,
                     filters: Filters) -> View:
    """The words-by-period grid of one topic.

    Args:
        words: ``read_topic_words(store, every)`` rows (every topic).
        topic: the topic shown.
        label: its label (for the title; shown as text only).
        every: the period size of ``words``.
        filters: the common filters; their date range limits the periods shown.

    Returns:
        A View named ``topic-words``: data ``topic, period, count, small, rank, word`` (one row per
        word), chart with selection ``pick`` on ``period``.
    """
    rows = words.filter(pl.col("topic") == topic)
    if filters.start:
        rows = rows.filter(pl.col("period") >= pl.lit(filters.start).dt.truncate(PERIODS[every]))
    if filters.end:
        rows = rows.filter(pl.col("period") <= filters.end)
    data = (rows.sort("period").select("topic", "period", "count", "small", "words")
            .with_columns(pl.col("words").list.head(N_WORDS))
            .explode("words").rename({"words": "word"})
            .with_columns(pl.int_range(1, pl.len() + 1).over("period").cast(pl.Int32)
                          .alias("rank"))
            .select("topic", "period", "count", "small", "rank", "word"))
    n = rows.height
    caption = (f"words per {every} among the topic's papers (listing day, else arXiv date), "
               f"with the topic's global words; grey: fewer than 5 papers\n"
               f"{int(rows['count'].sum()):,} papers in {n} {every}s")
    title = f"Words over time: {label}"
    first, last = rows["period"].min(), rows["period"].max()
    span = (first if isinstance(first, dt.date) else None,
            last if isinstance(last, dt.date) else None)
    # the grid's spec depends on its rows only through their columns (its height is a step per
    # period): views of one key share a spec (dashboard.components.vega)
    template = (NAME, _grid.__qualname__, templates.facts(data))
    return View(NAME, title, caption, data, filters, {"topic": topic, "every": every},
                int(rows["count"].sum()), span,
                make_chart=functools.partial(_grid, data, title, caption),
                template=template, plotted=functools.partial(plot_data, data))


def _grid(df: pl.DataFrame, title: str, caption: str) -> alt.Chart:
    """Periods down, words across (by rank); click a row's cell to list that period's papers."""
    pick = alt.selection_point(name=PICK, fields=["period"])
    base = alt.Chart(plot_data(df)).encode(
        y=alt.Y("period:O", title=None, sort="ascending"),
        x=alt.X("rank:O", title="top words (1 = strongest)", axis=alt.Axis(labelAngle=0)),
        tooltip=[alt.Tooltip("period:N", title="period from"), alt.Tooltip("count:Q",
                                                                           title="papers"),
                 "word:N"])
    shade = alt.Color("count:Q", title="papers", scale=alt.Scale(range=["#eef4fb", "#8dbde3"]))
    cells = base.mark_rect(stroke="white").encode(
        color=alt.when(alt.datum.small).then(alt.value("#eeeeee")).otherwise(shade),
        opacity=alt.when(pick).then(alt.value(1.0)).otherwise(alt.value(0.35)),
    ).add_params(pick)
    text = base.mark_text(fontSize=11, limit=150).encode(text="word:N")
    # one 24 px row per period (a Vega-Lite step); title, caption and axes come on top
    return sized(cells + text, title, caption, height=alt.Step(24), width=WIDTH)


def papers_in_period(lf: pl.LazyFrame, topic: int, every: str, period) -> pl.LazyFrame:
    """The topic's papers whose listing day (else arXiv date) falls in the period."""
    day = pl.coalesce("listed", "published")
    return lf.filter((pl.col("topic") == topic)
                     & (day.dt.truncate(PERIODS[every]) == period))
