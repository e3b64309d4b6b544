"""Altair chart builders: a tidy frame in, an ``alt.Chart`` out, no I/O.

Every builder takes the frame a view plots plus a title and a caption (filters and data span),
so an exported image stands on its own. Charts that the dashboard drills down from carry a point
selection named ``pick`` (see ``PICK``); each builder's docstring names the fields it holds. The
time charts also carry the date brush ``BRUSH`` (drag across the time axis). The dashboard reads
them with ``st.altair_chart(chart, on_select="rerun", selection_mode=[...])``; temporal fields
(``period``) arrive as epoch milliseconds (UTC midnight of the period start).

Tooltips and axes name every field in words and format every date (:mod:`analysis.views.axes`).
Paper text (titles, labels, phrases) only ever travels as data fields, tooltips and scale domains,
never inside a Vega expression.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import altair as alt
import polars as pl

from analysis.names import BRUSH, SELECTION
from analysis.views.axes import (
    MAX_TICKS,
    brush,
    hollow_when_incomplete,
    incomplete_tip,
    period_end,
    period_ticks,
    period_tip,
    period_x,
    with_coverage,
)
from analysis.views.colours import (
    OUTLIER_COLOUR,
    PALETTE,
    PHRASE_PALETTE,
    UNASSIGNED_COLOUR,
    colour_of,
    topic_scale,
)

__all__ = [
    "BRUSH", "HEIGHT", "MAX_TICKS", "OUTLIER_COLOUR", "PALETTE", "PICK", "UNASSIGNED_COLOUR",
    "WIDTH",
    "keyword_trend", "papers_per_period", "period_ticks", "plot_data", "titled",
    "topic_colour", "topic_scale", "topic_trend", "upvote_distribution",
    "upvotes_by_period", "upvotes_by_topic",
]

#: Name of the point selection that the dashboard drills down from.
PICK = SELECTION
WIDTH = 640
HEIGHT = 320
#: Legends list every entry (no "…and N more"), labels never cut.
LEGEND: dict[str, Any] = {"symbolLimit": 0, "labelLimit": 0}


def topic_colour(topic: int | None, colours: Mapping[int, str] | None = None) -> str:
    """The colour of a topic id, the same in every chart (outliers and no topic: grey)."""
    return colour_of(topic, colours)


def titled(title: str, caption: str) -> alt.TitleParams:
    """Chart title with the caption (one subtitle line per caption line) under it."""
    return alt.TitleParams(**title_dict(title, caption))


def title_dict(title: str, caption: str) -> dict[str, Any]:
    """:func:`titled` as its Vega-Lite JSON, with no Altair object (a template's title)."""
    return {"text": title, "subtitle": caption.split("\n"), "anchor": "start", "fontSize": 15,
            "subtitleColor": "#555", "subtitleFontSize": 11, "limit": 0}


def plot_data(df: pl.DataFrame) -> pl.DataFrame:
    """The frame as the chart gets it: dates as ISO day strings (Vega reads them as UTC days)."""
    dates = [n for n, t in df.schema.items() if t in (pl.Date(), pl.Datetime())]
    return df.with_columns(pl.col(dates).dt.strftime("%Y-%m-%d")) if dates else df


def ranked_y(field: str, by: str) -> alt.Y:
    """A nominal y axis listing ``field`` values by ``by``, largest first, untitled."""
    return alt.Y(f"{field}:N", title=None, sort=alt.EncodingSortField(by, order="descending"),
                 axis=alt.Axis(labelLimit=0))


def pick_param(*fields: str) -> alt.Parameter:
    """The point selection ``pick`` on these fields (what the dashboard drills down from)."""
    return alt.selection_point(name=PICK, fields=list(fields))


def lit(pick: alt.Parameter) -> alt.OpacityValue:
    """Picked marks full, the others faint (a typed channel: Altair need not infer one)."""
    return alt.OpacityValue(**alt.when(pick).then(alt.value(1.0)).otherwise(alt.value(0.3)))


#: Natural size: the plot is WIDTH x HEIGHT, and title, axes and legends come on top of it
#: (in the dashboard as in every export; Streamlit keeps a chart's own autosize).
AUTOSIZE = alt.AutoSizeParams(type="pad", contains="padding")
#: Room around a chart, so the title never touches the edge (Streamlit sets no padding).
PADDING = {"top": 10, "left": 5, "right": 5, "bottom": 5}


def sized(chart, title: str, caption: str, height: int | alt.Step | None = HEIGHT,
           width: int = WIDTH):
    """The chart with its title, caption, size, autosize and padding.

    They are set directly on the chart just built (no copy): ``properties()`` checks each value
    against the schema again and copies a layered chart, which costs more than building it
    (exports are validated as a whole when saved).
    """
    out = chart
    out.title = titled(title, caption)
    out.autosize = AUTOSIZE
    out.padding = PADDING
    out.width = width
    if height:
        out.height = height
    return out


def papers_per_period(df: pl.DataFrame, title: str, caption: str,
                      period: str = "month") -> alt.Chart:
    """Bars of papers per period, each as wide as its period; incomplete periods hollow.

    A period is incomplete when the data covers only part of its days (``incomplete``) or the
    store holds only part of its month's full list (``partial``, see :mod:`analysis.coverage`).
    Selection ``pick``: ``period``. Drag across the axis for the date brush.
    """
    pick, span = pick_param("period"), brush()
    chart = with_coverage(alt.Chart(plot_data(df)), df).transform_calculate(
        period_end=period_end(period),
    ).mark_bar(color=PALETTE[0], stroke="white", strokeWidth=0.8).encode(
        x=period_x(df, period), x2=alt.X2("period_end"),
        y=alt.Y("count:Q", title="papers"), y2=alt.Y2Datum(0),
        opacity=lit(pick), **hollow_when_incomplete(df, outline=PALETTE[0]),
        tooltip=[period_tip(period), alt.Tooltip("count:Q", title="papers", format=","),
                 *incomplete_tip(df)],
    ).add_params(pick, span)
    return sized(chart, title, caption)


def _order(key: str = "topic") -> str:
    """Stack position: topics by id, then other topics, outliers, not yet assigned (on top).

    ``key`` is the id field (``topic`` or ``group``), a fixed name, never paper text.
    """
    return (f"datum.{key} >= 0 ? datum.{key} : datum.{key} == -3 ? 1000000 "
            f": 1000000 - datum.{key}")


def topic_trend(df: pl.DataFrame, title: str, caption: str, *, measure: str = "share",
                stacked: bool = True, period: str = "month",
                colours: Mapping[int, str] | None = None, key: str = "topic") -> alt.Chart:
    """Topic (or group) count or share per period, as stacked bars or lines; every paper in a band.

    The bands that are no single topic (other topics, outliers, not yet assigned) are greys on
    top of the stack, so stacked shares add up to 100%. With ``key="group"`` the frame holds
    topic groups (a ``group`` column instead of ``topic``) and the chart draws those.

    Selection ``pick``: fields ``topic``, ``period`` (click a bar segment or a point); at the
    group level the group id stands in for the topic's.
    """
    pick, span = pick_param(key, "period"), brush()
    share = measure == "share"
    y_axis: dict[str, Any] = {"title": "share of papers" if share else "papers",
              "axis": alt.Axis(format=".0%" if share else ",d"),
              "scale": alt.Scale(domain=[0, 1]) if share and stacked else alt.Undefined}
    legend = alt.Legend(title=key, **LEGEND)
    base = with_coverage(alt.Chart(plot_data(df)), df).transform_calculate(
        stack=_order(key)).encode(
        x=period_x(df, period),
        color=alt.Color("label:N", scale=topic_scale(df, colours, key=key), legend=legend,
                        sort=alt.EncodingSortField("stack")),
        tooltip=[period_tip(period), alt.Tooltip("label:N", title=key),
                 alt.Tooltip("count:Q", title="papers", format=","),
                 alt.Tooltip("total:Q", title="papers in period", format=","),
                 alt.Tooltip("share:Q", title="share", format=".1%"), *incomplete_tip(df)],
    )
    if stacked:  # stacked here, not by Vega-Lite: bars with x2 are not stacked reliably
        chart = base.transform_calculate(period_end=period_end(period)).transform_stack(
            stack=measure, groupby=["period"], as_=["low", "high"],
            sort=[alt.SortField("stack", order="ascending")],
        ).mark_bar(stroke="white", strokeWidth=0.3).encode(
            x2=alt.X2("period_end"), y=alt.Y("low:Q", **y_axis),
            y2=alt.Y2("high"), opacity=lit(pick), **hollow_when_incomplete(df),
        ).add_params(pick, span)
        return sized(chart, title, caption)
    y = alt.Y(f"{measure}:Q", **y_axis)
    points = base.mark_point(filled=True, size=30).encode(y=y, opacity=lit(pick))
    lines = _trend_lines(base, df, y)
    return sized(alt.layer(*lines, points.add_params(pick, span)), title, caption)


def _trend_lines(base: alt.Chart, df: pl.DataFrame, y: alt.Y, **mark) -> list[alt.Chart]:
    """A line through every period, solid over complete periods and dashed to incomplete ones."""
    solid = base.mark_line(invalid="break-paths-show-domains", **mark).encode(y=y)
    if "incomplete" not in df.columns or not df.get_column("incomplete").any():
        return [solid]
    dashed = base.mark_line(strokeDash=[4, 3], invalid="break-paths-show-domains",
                            **mark).encode(y=y)
    return [dashed, solid.transform_filter("!datum.incomplete")]


def keyword_trend(df: pl.DataFrame, title: str, caption: str, period: str = "month",
                  measure: str = "share") -> alt.Chart:
    """Papers matching each phrase per period: share with its 95% Wilson band, or count.

    Periods with few papers (``small``) are drawn as hollow points on the share chart; the line
    to an incomplete period is dashed. Selection ``pick``: fields ``phrase``, ``period`` (on the
    points).
    """
    pick, span = pick_param("phrase", "period"), brush()
    share = measure == "share"
    phrases = df.get_column("phrase").unique(maintain_order=True).to_list() if df.height else []
    scale = alt.Scale(domain=phrases,
                      range=[PHRASE_PALETTE[i % len(PHRASE_PALETTE)] for i in range(len(phrases))])
    colour = alt.Color("phrase:N", scale=scale, legend=alt.Legend(symbolOpacity=1, **LEGEND))
    base = with_coverage(alt.Chart(plot_data(df)), df).encode(x=period_x(df, period),
                                                              color=colour)
    y = alt.Y(f"{measure}:Q", title="share of papers" if share else "papers",
              axis=alt.Axis(format=".1%" if share else ",d"))
    fill = (alt.when(alt.datum.small).then(alt.value("white"))
            .otherwise(alt.Fill("phrase:N", scale=scale)) if share
            else alt.Fill("phrase:N", scale=scale))
    points = base.mark_point(size=45, filled=True).encode(
        y=y, fill=fill, opacity=lit(pick),
        tooltip=[alt.Tooltip("phrase:N", title="phrase"), period_tip(period),
                 alt.Tooltip("count:Q", title="matching papers", format=","),
                 alt.Tooltip("total:Q", title="papers in period", format=","),
                 alt.Tooltip("share:Q", title="share", format=".2%"),
                 alt.Tooltip("ci_low:Q", title="95% interval from", format=".2%"),
                 alt.Tooltip("ci_high:Q", title="95% interval to", format=".2%"),
                 alt.Tooltip("small:N", title="few papers in period"), *incomplete_tip(df)],
    ).add_params(pick, span)
    layers = [*_trend_lines(base, df, alt.Y(f"{measure}:Q")), points]
    if share:
        band = base.mark_area(opacity=0.18, invalid="break-paths-show-domains").encode(
            y=alt.Y("ci_low:Q", title="share of papers"), y2=alt.Y2("ci_high"))
        layers.insert(0, band)
    return sized(alt.layer(*layers), title, caption)


def bin_scale(df: pl.DataFrame) -> alt.Scale:
    """The upvote bins in order (their labels), as the distribution's x scale."""
    return alt.Scale(domain=df["label"].to_list())


def counts_scale(df: pl.DataFrame) -> alt.Scale:
    """Colours of the kinds of count (``counts``: early, matured, age unknown) present."""
    kinds = set(df.get_column("counts").to_list()) if "counts" in df.columns else set()
    shown = [k for k in COUNTS_COLOURS if k in kinds]
    return alt.Scale(domain=shown, range=[COUNTS_COLOURS[k] for k in shown])


def upvote_distribution(df: pl.DataFrame, title: str, caption: str) -> alt.Chart:
    """Papers per log-spaced upvote bin (``label`` "0", "1", "2-4", ...), counts on a log scale.

    Selection ``pick``: fields ``bin_low``, ``bin_high``.
    """
    pick = pick_param("bin_low", "bin_high")
    chart = alt.Chart(plot_data(df)).transform_filter("datum.count > 0").mark_bar(
        color=PALETTE[0]).encode(
        x=alt.X("label:O", title="upvotes", sort=alt.EncodingSortField("bin_low"),
                axis=alt.Axis(labelAngle=0), scale=bin_scale(df)),
        y=alt.Y("count:Q", title="papers (log scale)",
                scale=alt.Scale(type="log", domainMin=0.5, nice=False),
                axis=alt.Axis(values=[1, 10, 100, 1_000, 10_000, 100_000], format=",d")),
        y2=alt.Y2Datum(0.5),  # a log scale has no zero: bars start below 1
        opacity=lit(pick),
        tooltip=[alt.Tooltip("label:N", title="upvotes"),
                 alt.Tooltip("count:Q", title="papers", format=",")],
    ).add_params(pick)
    return sized(chart, title, caption)


def _stats_tips() -> list[alt.Tooltip]:
    return [alt.Tooltip("n:Q", title="papers with a count", format=","),
            alt.Tooltip("n_null:Q", title="papers without a count", format=","),
            alt.Tooltip("median:Q", title="median"),
            alt.Tooltip("q1:Q", title="lower quartile"),
            alt.Tooltip("q3:Q", title="upper quartile"),
            alt.Tooltip("p90:Q", title="90th percentile"),
            alt.Tooltip("max:Q", title="most")]


def upvotes_by_topic(df: pl.DataFrame, title: str, caption: str,
                     colours: Mapping[int, str] | None = None) -> alt.Chart:
    """Box per topic from precomputed quartiles: box q1-q3, white tick median, whisker to p90.

    Selection ``pick``: fields ``topic``.
    """
    pick = pick_param("topic")
    base = alt.Chart(plot_data(df)).encode(y=ranked_y("label", "median"))
    whisker = base.mark_rule(color="#666").encode(x=alt.X("q1:Q"), x2=alt.X2("p90"))
    box = base.mark_bar(size=12).encode(
        x=alt.X("q1:Q", title="upvotes (box: quartiles, line: median, whisker: 90th pct.)"),
        x2=alt.X2("q3"), color=alt.Color("label:N", scale=topic_scale(df, colours), legend=None),
        opacity=lit(pick),
        tooltip=[alt.Tooltip("label:N", title="topic"), *_stats_tips()],
    ).add_params(pick)
    median = base.mark_tick(color="white", thickness=2, size=12).encode(x=alt.X("median:Q"))
    return sized(alt.layer(whisker, box, median), title, caption, height=None)


#: Colours of early counts (read soon after listing), matured ones and those of unknown age.
COUNTS_COLOURS = {"early": "#f28e2b", "matured": PALETTE[0], "age unknown": OUTLIER_COLOUR}


def upvotes_by_period(df: pl.DataFrame, title: str, caption: str,
                      period: str = "month") -> alt.Chart:
    """Median upvotes per period with the q1-q3 band; early and matured counts (``counts``) apart.

    The line to an incomplete period is dashed. Selection ``pick``: fields ``period``.
    """
    pick, span = pick_param("period"), brush()
    colour = alt.Color("counts:N", title="counts", scale=counts_scale(df))
    base = with_coverage(alt.Chart(plot_data(df)), df).encode(x=period_x(df, period),
                                                              color=colour)
    band = base.mark_area(opacity=0.2, invalid="break-paths-show-domains").encode(
        y=alt.Y("q1:Q", title="upvotes (line: median, band: quartiles)", stack=None),
        y2=alt.Y2("q3"))
    points = base.mark_point(filled=True, size=40).encode(
        y=alt.Y("median:Q"), opacity=lit(pick),
        tooltip=[period_tip(period), alt.Tooltip("counts:N", title="counts"), *_stats_tips(),
                 *incomplete_tip(df)],
    ).add_params(pick, span)
    lines = _trend_lines(base, df, alt.Y("median:Q"))
    return sized(alt.layer(band, *lines, points), title, caption)
