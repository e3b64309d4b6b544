"""The topic map: every paper at its 2-D place, coloured by topic, named at the cluster centres.

As in Atlas or datamapplot: the layout never moves (the axes span the whole store's map, so a
filter greys papers out instead of rescaling), each topic's name sits at the median of its papers
(words on separate lines), the legend lists every topic, a search marks the matching papers
(the ``match`` column, filled in server-side: 1 rings a paper, 2 also writes its title; no
search text reaches Vega), and the map zooms
and pans (scroll, drag; double-click resets).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import altair as alt
import polars as pl

from analysis.filters import Filters
from analysis.names import BASES, SELECTION
from analysis.views.charts import sized
from analysis.views.colours import topic_scale

# The map plots every paper of the store (8,558 in the bundled one). Altair's 5,000-row guard
# is meant for notebooks; the data still travels once, as one dataset (Arrow in Streamlit).
alt.data_transformers.disable_max_rows()

#: Name of the scale-bound interval that zooms and pans the map.
ZOOM = "zoom"
WIDTH = 860
HEIGHT = 600
HIDDEN_COLOUR = "#dcdcdc"


#: The map's parameter holding the filters (:func:`keep_param`): the chart greys out
#: the papers they leave out, so a filter change sends new parameter values, not new data.
KEEP = "keep"
#: A Vega expression true for a paper the filters keep, as ``analysis.filters.apply`` keeps it
#: (no paper text in it: dates, upvotes and ids only).
KEPT = ("isValid(datum[keep.basis])"
        " && (keep.from == null || datum[keep.basis] >= keep.from)"
        " && (keep.to == null || datum[keep.basis] <= keep.to)"
        " && (keep.min == null || (isValid(datum.upvotes) && datum.upvotes >= keep.min))"
        " && (length(keep.topics) == 0 || indexof(keep.topics, datum.topic) >= 0)"
        " && (length(keep.groups) == 0 || indexof(keep.groups, datum.group) >= 0)")


def keep_param(filters: Filters) -> dict:
    """The filters as the map's ``keep`` parameter (what :data:`KEPT` reads).

    ``basis`` the date column the range reads (``listed`` or ``published``), ``from``/``to``
    ISO days or None, ``min`` the upvote floor or None, ``topics`` and ``groups`` lists
    (empty: all). :data:`KEPT` keeps the papers
    :func:`analysis.filters.apply` keeps; tests/views/test_map_keep.py checks it paper by paper.
    """
    return {"basis": filters.basis,
            "from": filters.start.isoformat() if filters.start else None,
            "to": filters.end.isoformat() if filters.end else None,
            "min": filters.min_upvotes, "topics": list(filters.topics),
            "groups": list(filters.groups)}


def plot_frame(df: pl.DataFrame) -> pl.DataFrame:
    """The map's frame as the chart embeds it: ISO day strings, no ``shown`` (see KEEP).

    The days and the topic labels repeat from paper to paper: they are categorical (an Arrow
    dictionary, each value sent once), which makes the map's dataset a third smaller.
    """
    df = df.drop("shown", strict=False)
    days = [c for c in BASES if c in df.columns]
    labels = ["label"] if "label" in df.columns else []
    return df.with_columns(pl.col(days).dt.strftime("%Y-%m-%d").cast(pl.Categorical),
                           pl.col(labels).cast(pl.Categorical))


def _scale(extent: Sequence[float] | None, axis: int) -> alt.Scale:
    if not extent:
        return alt.Scale(zero=False)
    lo, hi = extent[2 * axis], extent[2 * axis + 1]
    pad = (hi - lo) * 0.02 or 1.0
    return alt.Scale(domain=[lo - pad, hi + pad], zero=False, nice=False)


def topic_map(df: pl.DataFrame, title: str, caption: str, *,
              colours: Mapping[int, str] | None = None,
              extent: Sequence[float] | None = None,
              keep: Mapping[str, Any] | None = None) -> alt.TopLevelMixin:
    """Papers on the 2-D topic map; papers outside the filters in light grey.

    Args:
        df: one row per paper: ``paper_id, title, listed, published, upvotes, topic, label,
            x, y, shown, match``.
        title: the chart title.
        caption: the subtitle lines.
        colours: topic id -> colour (see :func:`analysis.views.colours.topic_colours`).
        extent: ``(x_min, x_max, y_min, y_max)`` of the whole map, so filters never rescale it.
        keep: the filters as :func:`keep_param` gives them (None: every paper kept);
            the chart's ``keep`` parameter, which greys out the papers they leave out.

    Selection ``pick``: fields ``paper_id``.
    """
    pick = alt.selection_point(name=SELECTION, fields=["paper_id"])
    zoom = alt.selection_interval(name=ZOOM, bind="scales")
    x = alt.X("x:Q", axis=None, scale=_scale(extent, 0))
    y = alt.Y("y:Q", axis=None, scale=_scale(extent, 1))
    kept = alt.param(name=KEEP, value=dict(keep if keep is not None else keep_param(Filters())))
    base = alt.Chart(plot_frame(df)).transform_calculate(shown=KEPT).encode(x=x, y=y)
    legend = alt.Legend(title="topic", orient="bottom", columns=2, symbolLimit=0, labelLimit=0,
                        columnPadding=24)
    hidden = base.transform_filter("!datum.shown").mark_circle(size=10, color=HIDDEN_COLOUR,
                                                               opacity=0.6)
    shown = base.transform_filter("datum.shown").mark_circle(size=14).encode(
        color=alt.Color("label:N", scale=topic_scale(df, colours), legend=legend),
        opacity=alt.OpacityValue(**alt.when(pick).then(alt.value(0.85))
                                 .otherwise(alt.value(0.25))),
        tooltip=[alt.Tooltip("title:N", title="title"), alt.Tooltip("paper_id:N", title="paper"),
                 alt.Tooltip("label:N", title="topic"),
                 *(alt.Tooltip(f"{c}:N", title=c) for c in BASES if c in df.columns),
                 alt.Tooltip("upvotes:Q", title="upvotes")],
    ).add_params(pick, zoom)
    centres = base.transform_filter("datum.topic >= 0").transform_calculate(
        on="datum.shown ? 1 : 0",
    ).transform_aggregate(
        cx="median(x)", cy="median(y)", on="sum(on)", groupby=["topic", "label"],
    ).encode(x=alt.X("cx:Q", scale=_scale(extent, 0), axis=None),
             y=alt.Y("cy:Q", scale=_scale(extent, 1), axis=None), text=alt.Text("label:N"))
    words: dict[str, Any] = {"lineBreak": " · ", "fontSize": 9.5, "fontWeight": "bold",
                             "baseline": "middle", "lineHeight": 11}
    halo = centres.mark_text(stroke="white", strokeWidth=3, strokeOpacity=0.85, **words)
    names = centres.mark_text(**words).encode(
        color=alt.ColorValue(**alt.when("datum.on > 0").then(alt.value("#1f2333"))
                             .otherwise(alt.value("#aaa"))))
    ring = base.transform_filter("datum.match > 0").mark_point(size=220, color="#111",
                                                                strokeWidth=2.5, filled=False)
    found_title = base.transform_filter("datum.match > 1").mark_text(
        align="left", dx=12, fontSize=11, fontWeight="bold", color="#111").encode(
        text=alt.Text("title:N"))
    return sized(alt.layer(hidden, shown, halo, names, ring, found_title).add_params(kept),
                 title, caption, height=HEIGHT, width=WIDTH)
