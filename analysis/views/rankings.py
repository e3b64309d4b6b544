"""The ranked charts of one filter state: emerging topics and rising phrases.

Each is a list, largest first, not a time series: a bar per topic (its trend slope) or a dumbbell
per phrase (its share in the baseline and the recent window). They embed only the fields their
marks, tooltips and pick read (:data:`EMERGING_FIELDS`, :data:`RISING_FIELDS`), not the window
dates and method that every row of the view's frame repeats (the CSV export keeps those).
"""

from __future__ import annotations

from collections.abc import Mapping

import altair as alt
import polars as pl

from analysis.views.charts import PALETTE, lit, pick_param, plot_data, ranked_y, sized
from analysis.views.colours import topic_scale

#: The columns the emerging-topics and rising-phrases charts read (encodings, tooltips, pick):
#: they embed only these, not the window dates and method of every row.
EMERGING_FIELDS = ("rank", "topic", "label", "slope", "p_value", "significant", "papers",
                   "first_share", "last_share")
RISING_FIELDS = ("phrase", "g2", "baseline_share", "recent_share", "recent_count",
                 "baseline_count", "p_value")


def emerging_plot(df: pl.DataFrame) -> pl.DataFrame:
    """The emerging-topics frame as its chart embeds it (:data:`EMERGING_FIELDS`)."""
    return plot_data(_columns(df, EMERGING_FIELDS))


def rising_plot(df: pl.DataFrame) -> pl.DataFrame:
    """The rising-phrases frame as its chart embeds it (:data:`RISING_FIELDS`)."""
    return plot_data(_columns(df, RISING_FIELDS))


def _columns(df: pl.DataFrame, names: tuple[str, ...]) -> pl.DataFrame:
    """Those of ``names`` the frame has, in that order.

    By indexing: a select is a query, 6x as slow, and this runs on every filter change.
    """
    return df[[c for c in names if c in df.columns]]


def emerging(df: pl.DataFrame, title: str, caption: str,
             colours: Mapping[int, str] | None = None) -> alt.Chart:
    """Bars of each topic's trend slope (change in log-odds of its share per period).

    Significant rises are drawn solid, the rest hollow. Selection ``pick``: fields ``topic``.
    """
    pick = pick_param("topic")
    scale = topic_scale(df, colours)
    chart = alt.Chart(emerging_plot(df)).mark_bar().encode(
        x=alt.X("slope:Q", title="trend slope (log-odds of share per period)"),
        y=ranked_y("label", "slope"),
        color=alt.Color("label:N", scale=scale, legend=None),
        stroke=alt.Stroke("label:N", scale=scale, legend=None),
        fillOpacity=alt.FillOpacityValue(**alt.when(alt.datum.significant)
                                         .then(alt.value(1.0)).otherwise(alt.value(0.25))),
        opacity=lit(pick),
        tooltip=[alt.Tooltip("rank:Q", title="rank"), alt.Tooltip("label:N", title="topic"),
                 alt.Tooltip("slope:Q", title="slope", format=".3f"),
                 alt.Tooltip("p_value:Q", title="p-value", format=".2g"),
                 alt.Tooltip("significant:N", title="significant rise"),
                 alt.Tooltip("papers:Q", title="papers in window", format=","),
                 alt.Tooltip("first_share:Q", title="share, first half", format=".2%"),
                 alt.Tooltip("last_share:Q", title="share, last half", format=".2%")],
    ).add_params(pick)
    return sized(chart, title, caption, height=None)


def rising(df: pl.DataFrame, title: str, caption: str) -> alt.Chart:
    """Dumbbells: each phrase's share in the baseline (grey) and recent (blue) window.

    Selection ``pick``: fields ``phrase``.
    """
    pick = pick_param("phrase")
    base = alt.Chart(rising_plot(df)).encode(y=ranked_y("phrase", "g2"))
    rule = base.mark_rule(color="#999").encode(
        x=alt.X("baseline_share:Q", title="share of papers (grey: baseline, blue: recent)",
                axis=alt.Axis(format=".0%")), x2=alt.X2("recent_share"))
    old = base.mark_circle(size=60, color="#999").encode(x=alt.X("baseline_share:Q"))
    new = base.mark_circle(size=80, color=PALETTE[0]).encode(
        x=alt.X("recent_share:Q"), opacity=lit(pick),
        tooltip=[alt.Tooltip("phrase:N", title="phrase"),
                 alt.Tooltip("recent_count:Q", title="papers, recent", format=","),
                 alt.Tooltip("baseline_count:Q", title="papers, baseline", format=","),
                 alt.Tooltip("recent_share:Q", title="share, recent", format=".2%"),
                 alt.Tooltip("baseline_share:Q", title="share, baseline", format=".2%"),
                 alt.Tooltip("g2:Q", title="G² (log-likelihood)", format=".1f"),
                 alt.Tooltip("p_value:Q", title="p-value", format=".2g")],
    ).add_params(pick)
    return sized(alt.layer(rule, old, new), title, caption, height=None)
