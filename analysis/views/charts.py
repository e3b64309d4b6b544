"""Altair chart builders: a tidy frame in, an ``alt.Chart`` out, no I/O.

Every builder takes the frame a view plots plus a title and a caption (filters and data span),
so an exported image stands on its own. Charts that the dashboard drills down from carry a point
selection named ``pick`` (see ``PICK``); each builder's docstring names the fields it holds. The
dashboard reads it with ``st.altair_chart(chart, on_select="rerun", selection_mode="pick")``;
temporal fields (``period``) arrive as epoch milliseconds (UTC midnight of the period start).

Paper text (titles, labels, phrases) only ever travels as data fields, tooltips and scale domains,
never inside a Vega expression.
"""

from __future__ import annotations

import datetime as dt

import altair as alt
import polars as pl

from analysis.names import SELECTION, UNASSIGNED

#: Name of the point selection that the dashboard drills down from.
PICK = SELECTION
WIDTH = 640
HEIGHT = 320
OUTLIER_COLOUR = "#b0b0b0"
#: Papers the topic model has not placed yet (UNASSIGNED): a pale sand band, unlike any topic.
UNASSIGNED_COLOUR = "#e6d8b8"
#: A fixed colour per topic id (id modulo the length); the outlier topic -1 is always grey
#: (no grey in the palette, so no topic looks like the outliers).
PALETTE = (
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#1f77b4", "#17becf", "#bcbd22", "#8c564b", "#d62728", "#2ca02c", "#9467bd",
    "#393b79", "#e377c2", "#aec7e8", "#ffbb78",
    # category20b: 40 colours in all, so the ~37 topics of the bundled corpus rarely share one
    "#5254a3", "#637939", "#8ca252", "#b5cf6b", "#8c6d31", "#bd9e39", "#e7ba52", "#843c39",
    "#ad494a", "#d6616b", "#e7969c", "#7b4173", "#a55194", "#ce6dbd", "#de9ed6", "#6b6ecf",
    "#9c9ede", "#cedb9c", "#e7cb94", "#17a2b8",
)
#: Colours for keyword phrases, in the order the phrases are given.
PHRASE_PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2")


def topic_colour(topic: int | None) -> str:
    """The colour of a topic id, the same in every chart (outliers and no topic: grey)."""
    if topic == UNASSIGNED:
        return UNASSIGNED_COLOUR
    if topic is None or topic < 0:
        return OUTLIER_COLOUR
    return PALETTE[topic % len(PALETTE)]


def topic_scale(df: pl.DataFrame, field: str = "label") -> alt.Scale:
    """A colour scale mapping each topic's ``field`` value to that topic's fixed colour."""
    pairs = df.select("topic", field).unique().sort("topic").rows() if df.height else []
    seen: dict[str, str] = {}
    for topic, name in pairs:
        seen.setdefault(str(name), topic_colour(topic))
    return alt.Scale(domain=list(seen), range=list(seen.values()))


def titled(title: str, caption: str) -> alt.TitleParams:
    """Chart title with the caption (one subtitle line per caption line) under it."""
    return alt.TitleParams(text=title, subtitle=caption.split("\n"), anchor="start",
                           fontSize=15, subtitleColor="#555", subtitleFontSize=11)


def plot_data(df: pl.DataFrame) -> pl.DataFrame:
    """The frame as the chart gets it: dates as ISO day strings (Vega reads them as UTC days)."""
    dates = [n for n, t in df.schema.items() if t in (pl.Date(), pl.Datetime())]
    return df.with_columns(pl.col(dates).dt.strftime("%Y-%m-%d")) if dates else df


#: Tick steps for a period axis, finest first: (Vega time unit, step, label format).
_TICKS = (
    ("week", 1, "%d %b"), ("week", 2, "%d %b"), ("month", 1, "%b %Y"), ("month", 2, "%b %Y"),
    ("month", 3, "%b %Y"), ("month", 6, "%b %Y"), ("year", 1, "%Y"), ("year", 2, "%Y"),
    ("year", 5, "%Y"), ("year", 10, "%Y"),
)
#: Days in one step of each unit (roughly), to count ticks; and the finest tick per period.
_UNIT_DAYS = {"week": 7, "month": 30.44, "year": 365.25}
_FINEST = {"week": 0, "month": 2, "quarter": 4, "year": 6}
MAX_TICKS = 12


def period_ticks(df: pl.DataFrame, period: str = "month") -> tuple[str, int, str]:
    """(time unit, step, label format) for a period axis: one label per tick, at most ~12.

    Ticks are never finer than the period itself (a monthly chart never gets weekly ticks, so
    no label repeats), and the step grows until the frame's span holds at most ``MAX_TICKS``.
    """
    first = _FINEST[period]
    dates = df.get_column("period") if "period" in df.columns else pl.Series([], dtype=pl.Date)
    dates = dates.cast(pl.Date, strict=False).drop_nulls()
    if dates.len() == 0:
        return _TICKS[first]
    start, end = _date_span(dates)
    span = (end - start).days
    for unit, step, fmt in _TICKS[first:]:
        if span / (_UNIT_DAYS[unit] * step) + 1 <= MAX_TICKS:
            return unit, step, fmt
    return _TICKS[-1]


def _date_span(dates: pl.Series) -> tuple[dt.date, dt.date]:
    """The first and last day of a Date series that holds at least one day."""
    first, last = dates.min(), dates.max()
    assert isinstance(first, dt.date)
    assert isinstance(last, dt.date)
    return first, last


def _period_x(df: pl.DataFrame, period: str = "month", title: str = "period") -> alt.X:
    unit, step, fmt = period_ticks(df, period)
    ticks: dict = {"tickCount": {"interval": unit, "step": step}}
    if unit == "week" and "period" in df.columns and df.height:
        # Vega's weeks start on Sunday, the periods on Monday: tick the period starts themselves
        first, last = _date_span(df.get_column("period"))
        days = pl.date_range(first, last, f"{7 * step}d", eager=True)
        ticks = {"values": [{"year": d.year, "month": d.month, "date": d.day, "utc": True}
                            for d in days]}
    return alt.X("period:T", title=title, scale=alt.Scale(type="utc"),
                 axis=alt.Axis(format=fmt, labelAngle=0, labelOverlap=True, **ticks))


def _ranked_y(field: str, by: str, label_limit: int = 300) -> alt.Y:
    """A nominal y axis listing ``field`` values by ``by``, largest first, untitled."""
    return alt.Y(f"{field}:N", title=None, sort=alt.EncodingSortField(by, order="descending"),
                 axis=alt.Axis(labelLimit=label_limit))


def _pick(*fields: str) -> alt.Parameter:
    return alt.selection_point(name=PICK, fields=list(fields))


def _lit(pick: alt.Parameter) -> alt.typing.ChannelOpacity:
    return alt.when(pick).then(alt.value(1.0)).otherwise(alt.value(0.3))


#: Period name -> (Vega time unit, step) for the end of a period's bar.
_STEPS = {"week": ("week", 1), "month": ("month", 1), "quarter": ("month", 3), "year": ("year", 1)}


def papers_per_period(df: pl.DataFrame, title: str, caption: str,
                      period: str = "month") -> alt.Chart:
    """Bars of papers per period, each as wide as its period. Selection ``pick``: ``period``."""
    pick = _pick("period")
    unit, step = _STEPS[period]
    return alt.Chart(plot_data(df)).transform_calculate(
        period_end=f"utcOffset('{unit}', toDate(datum.period), {step})",
    ).mark_bar(color=PALETTE[0], stroke="white", strokeWidth=0.5).encode(
        x=_period_x(df, period), x2="period_end:T",
        y=alt.Y("count:Q", title="papers"), y2=alt.datum(0),
        opacity=_lit(pick),
        tooltip=[alt.Tooltip("period:N", title="period from"),
                 alt.Tooltip("count:Q", title="papers")],
    ).add_params(pick).properties(title=titled(title, caption), width=WIDTH, height=HEIGHT)


def topic_trend(df: pl.DataFrame, title: str, caption: str, *, measure: str = "share",
                stacked: bool = True, period: str = "month") -> alt.Chart:
    """Topic count or share per period, stacked areas or lines; outliers (-1) in grey.

    Selection ``pick``: fields ``topic`` (click an area or line).
    """
    pick = _pick("topic")
    y_title = "share of papers" if measure == "share" else "papers"
    base = alt.Chart(plot_data(df))
    mark = base.mark_area() if stacked else base.mark_line(point=True)
    return mark.encode(
        x=_period_x(df, period),
        y=alt.Y(f"{measure}:Q", title=y_title, stack="zero" if stacked else None,
                axis=alt.Axis(format=".0%" if measure == "share" else "d")),
        color=alt.Color("label:N", title="topic", scale=topic_scale(df),
                        legend=alt.Legend(labelLimit=260, symbolLimit=40)),
        order=alt.Order("topic:Q"),
        opacity=_lit(pick),
        tooltip=["period:N", "topic:Q", "label:N", "count:Q", "total:Q",
                 alt.Tooltip("share:Q", format=".1%")],
    ).add_params(pick).properties(title=titled(title, caption), width=WIDTH, height=HEIGHT)


def topic_map(df: pl.DataFrame, title: str, caption: str) -> alt.Chart:
    """Papers on the 2-D topic map, coloured by topic; titles only in tooltips.

    Selection ``pick``: fields ``paper_id``.
    """
    pick = _pick("paper_id")
    return alt.Chart(plot_data(df)).mark_circle(size=14).encode(
        x=alt.X("x:Q", axis=None, scale=alt.Scale(zero=False)),
        y=alt.Y("y:Q", axis=None, scale=alt.Scale(zero=False)),
        color=alt.Color("label:N", title="topic", scale=topic_scale(df),
                        legend=alt.Legend(labelLimit=260, symbolLimit=40)),
        opacity=alt.when(pick).then(alt.value(0.85)).otherwise(alt.value(0.25)),
        tooltip=[alt.Tooltip("title:N", title="title"), "paper_id:N", "label:N", "date:N",
                 "upvotes:Q"],
    ).add_params(pick).properties(title=titled(title, caption), width=WIDTH, height=480)


def keyword_trend(df: pl.DataFrame, title: str, caption: str,
                  period: str = "month") -> alt.Chart:
    """Share of papers matching each phrase per period, with its 95% Wilson band.

    Periods with few papers (``small``) are drawn as hollow points. Selection ``pick``: fields
    ``phrase``, ``period`` (on the points).
    """
    pick = _pick("phrase", "period")
    phrases = df.get_column("phrase").unique(maintain_order=True).to_list() if df.height else []
    scale = alt.Scale(domain=phrases,
                      range=[PHRASE_PALETTE[i % len(PHRASE_PALETTE)] for i in range(len(phrases))])
    colour = alt.Color("phrase:N", scale=scale, legend=alt.Legend(symbolOpacity=1, labelLimit=300))
    base = alt.Chart(plot_data(df)).encode(x=_period_x(df, period), color=colour)
    band = base.mark_area(opacity=0.18).encode(y=alt.Y("ci_low:Q", title="share of papers",
                                                       axis=alt.Axis(format=".1%")), y2="ci_high:Q")
    line = base.mark_line().encode(y="share:Q")
    points = base.mark_point(size=45, filled=True).encode(
        y="share:Q",
        fill=alt.when(alt.datum.small).then(alt.value("white"))
        .otherwise(alt.Fill("phrase:N", scale=scale)),
        opacity=_lit(pick),
        tooltip=["phrase:N", alt.Tooltip("period:N", title="period from"), "count:Q", "total:Q",
                 alt.Tooltip("share:Q", format=".2%"), alt.Tooltip("ci_low:Q", format=".2%"),
                 alt.Tooltip("ci_high:Q", format=".2%"),
                 alt.Tooltip("small:N", title="few papers")],
    ).add_params(pick)
    return (band + line + points).properties(title=titled(title, caption), width=WIDTH,
                                             height=HEIGHT)


def upvote_distribution(df: pl.DataFrame, title: str, caption: str) -> alt.Chart:
    """Papers per log-spaced upvote bin (``label`` "0", "1", "2-4", ...), counts on a log scale.

    Selection ``pick``: fields ``bin_low``, ``bin_high``.
    """
    pick = _pick("bin_low", "bin_high")
    return alt.Chart(plot_data(df)).transform_filter("datum.count > 0").mark_bar(
        color=PALETTE[0]).encode(
        x=alt.X("label:O", title="upvotes", sort=alt.EncodingSortField("bin_low"),
                axis=alt.Axis(labelAngle=0), scale=alt.Scale(domain=df["label"].to_list())),
        y=alt.Y("count:Q", title="papers (log scale)",
                scale=alt.Scale(type="log", domainMin=0.5, nice=False),
                axis=alt.Axis(values=[1, 10, 100, 1_000, 10_000, 100_000], format=",d")),
        y2=alt.datum(0.5),  # a log scale has no zero: bars start below 1
        opacity=_lit(pick),
        tooltip=[alt.Tooltip("label:N", title="upvotes"), alt.Tooltip("count:Q", title="papers")],
    ).add_params(pick).properties(title=titled(title, caption), width=WIDTH, height=HEIGHT)


def upvotes_by_topic(df: pl.DataFrame, title: str, caption: str) -> alt.Chart:
    """Box per topic from precomputed quartiles: box q1-q3, white tick median, whisker to p90.

    Selection ``pick``: fields ``topic``.
    """
    pick = _pick("topic")
    base = alt.Chart(plot_data(df)).encode(y=_ranked_y("label", "median", 260))
    whisker = base.mark_rule(color="#666").encode(x="q1:Q", x2="p90:Q")
    box = base.mark_bar(size=12).encode(
        x=alt.X("q1:Q", title="upvotes (box: quartiles, line: median, whisker: 90th pct.)"),
        x2="q3:Q", color=alt.Color("label:N", scale=topic_scale(df), legend=None),
        opacity=_lit(pick),
        tooltip=["topic:Q", "label:N", "n:Q", "n_null:Q", "median:Q", "q1:Q", "q3:Q", "p90:Q",
                 "max:Q"],
    ).add_params(pick)
    median = base.mark_tick(color="white", thickness=2, size=12).encode(x="median:Q")
    return (whisker + box + median).properties(title=titled(title, caption), width=WIDTH)


def upvotes_by_period(df: pl.DataFrame, title: str, caption: str,
                      period: str = "month") -> alt.Chart:
    """Median upvotes per period with the q1-q3 band. Selection ``pick``: fields ``period``."""
    pick = _pick("period")
    base = alt.Chart(plot_data(df)).encode(x=_period_x(df, period))
    band = base.mark_area(opacity=0.25, color=PALETTE[0]).encode(
        y=alt.Y("q1:Q", title="upvotes (line: median, band: quartiles)"), y2="q3:Q")
    line = base.mark_line(color=PALETTE[0], point=True).encode(
        y="median:Q", opacity=_lit(pick),
        tooltip=[alt.Tooltip("period:N", title="period from"), "n:Q", "n_null:Q", "median:Q",
                 "q1:Q", "q3:Q", "p90:Q", "max:Q"],
    ).add_params(pick)
    return (band + line).properties(title=titled(title, caption), width=WIDTH, height=HEIGHT)


def emerging(df: pl.DataFrame, title: str, caption: str) -> alt.Chart:
    """Bars of each topic's trend slope (change in log-odds of its share per period).

    Significant rises are drawn solid, the rest hollow. Selection ``pick``: fields ``topic``.
    """
    pick = _pick("topic")
    scale = topic_scale(df)
    return alt.Chart(plot_data(df)).mark_bar().encode(
        x=alt.X("slope:Q", title="trend slope (log-odds of share per period)"),
        y=_ranked_y("label", "slope"),
        color=alt.Color("label:N", scale=scale, legend=None),
        stroke=alt.Stroke("label:N", scale=scale, legend=None),
        fillOpacity=alt.when(alt.datum.significant).then(alt.value(1.0))
        .otherwise(alt.value(0.25)),
        opacity=_lit(pick),
        tooltip=["rank:Q", "topic:Q", "label:N", alt.Tooltip("slope:Q", format=".3f"),
                 alt.Tooltip("p_value:Q", format=".2g"), "significant:N", "papers:Q",
                 alt.Tooltip("first_share:Q", format=".2%"),
                 alt.Tooltip("last_share:Q", format=".2%"), "method:N"],
    ).add_params(pick).properties(title=titled(title, caption), width=WIDTH)


def rising(df: pl.DataFrame, title: str, caption: str) -> alt.Chart:
    """Dumbbells: each phrase's share in the baseline (grey) and recent (blue) window.

    Selection ``pick``: fields ``phrase``.
    """
    pick = _pick("phrase")
    base = alt.Chart(plot_data(df)).encode(y=_ranked_y("phrase", "g2"))
    rule = base.mark_rule(color="#999").encode(
        x=alt.X("baseline_share:Q", title="share of papers (grey: baseline, blue: recent)",
                axis=alt.Axis(format=".0%")), x2="recent_share:Q")
    old = base.mark_circle(size=60, color="#999").encode(x="baseline_share:Q")
    new = base.mark_circle(size=80, color=PALETTE[0]).encode(
        x="recent_share:Q", opacity=_lit(pick),
        tooltip=["phrase:N", "recent_count:Q", "baseline_count:Q",
                 alt.Tooltip("recent_share:Q", format=".2%"),
                 alt.Tooltip("baseline_share:Q", format=".2%"), alt.Tooltip("g2:Q", format=".1f"),
                 alt.Tooltip("p_value:Q", format=".2g")],
    ).add_params(pick)
    return (rule + old + new).properties(title=titled(title, caption), width=WIDTH)
