"""Colours of the charts: one fixed colour per topic across every chart, neutral bands last.

Up to 60 topics each get their own colour (:data:`PALETTE`, 60 colours at least 11 CIEDE2000
apart, none of them grey). Beyond that, when the topic table says which group each topic belongs
to (a ``group`` column, the hierarchy), the topics of a group share its hue in lighter and darker
shades; without groups the palette repeats. The bands that hold no single topic (outliers, papers
not yet assigned, the other topics) are greys and a pale sand, so no topic looks like them.
"""

from __future__ import annotations

import colorsys
from collections.abc import Mapping

import altair as alt
import polars as pl

from analysis.names import OTHER_TOPICS, OUTLIER, UNASSIGNED

#: The colours of the bands that are not one topic.
#: Papers the topic model has not placed yet (UNASSIGNED): a pale sand band, unlike any topic.
NEUTRAL: dict[int, str] = {OUTLIER: "#b0b0b0", UNASSIGNED: "#e6d8b8", OTHER_TOPICS: "#8a8a8a"}
OUTLIER_COLOUR = NEUTRAL[OUTLIER]
UNASSIGNED_COLOUR = NEUTRAL[UNASSIGNED]
#: 60 colours picked greedily for the largest smallest CIEDE2000 distance (Glasbey's method) from
#: sRGB colours of medium lightness and clear chroma, starting from Tableau 10; greys excluded.
PALETTE = (
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#8400c0", "#006048", "#605400", "#903054", "#a80c00", "#a8a8fc", "#00b4fc",
    "#e40cfc", "#78e400", "#9c8400", "#00e4a8", "#fc9cfc", "#fc0090", "#6c5484", "#306c00",
    "#844800", "#009078", "#d8540c", "#b4cc90", "#3048b4", "#8460e4", "#0090a8", "#f0c090",
    "#90a800", "#fc8460", "#c0009c", "#b46c00", "#00d8fc", "#c0183c", "#84483c", "#a8606c",
    "#78843c", "#b4a86c", "#609cfc", "#9084c0", "#fc78b4", "#d89c00", "#c084fc", "#846c3c",
    "#00cc54", "#e40018", "#00b484", "#c09060", "#248448", "#d8c0fc", "#fcb4d8", "#fcb49c",
    "#9c5484", "#cc54b4", "#00d8cc", "#3024fc",
)
#: Colours for keyword phrases, in the order the phrases are given.
PHRASE_PALETTE = PALETTE[:10]


def topic_colours(topics: pl.DataFrame) -> dict[int, str]:
    """A colour for every topic id of a topic table (``topic``, optional ``group``).

    Topics are ranked by id; with at most ``len(PALETTE)`` of them each gets its own colour. With
    more, and a ``group`` column, each group gets a palette colour and its topics shades of it;
    without one the palette repeats. Ids below zero get their neutral grey.
    """
    ids = sorted({int(t) for t in topics.get_column("topic").drop_nulls().to_list() if t >= 0})
    out = {t: NEUTRAL.get(t, NEUTRAL[OUTLIER]) for t in NEUTRAL}
    if len(ids) <= len(PALETTE) or "group" not in topics.columns:
        out.update({t: PALETTE[i % len(PALETTE)] for i, t in enumerate(ids)})
        return out
    group_of = dict(topics.filter(pl.col("topic") >= 0).select("topic", "group").iter_rows())
    groups = sorted({str(g) for g in group_of.values()})
    for g_rank, group in enumerate(groups):
        members = [t for t in ids if str(group_of.get(t)) == group]
        base = PALETTE[g_rank % len(PALETTE)]
        out.update({t: shade(base, i, len(members)) for i, t in enumerate(members)})
    return out


def shade(colour: str, i: int, n: int) -> str:
    """The ``i``-th of ``n`` shades of a colour: same hue, lightness from dark to light."""
    r, g, b = (int(colour[k:k + 2], 16) / 255 for k in (1, 3, 5))
    h, _, s = colorsys.rgb_to_hls(r, g, b)
    light = 0.5 if n == 1 else 0.3 + 0.45 * i / (n - 1)
    rgb = colorsys.hls_to_rgb(h, light, max(s, 0.45))
    return "#" + "".join(f"{round(v * 255):02x}" for v in rgb)


def colour_of(topic: int | None, colours: Mapping[int, str] | None = None) -> str:
    """The colour of one topic id (from ``colours`` when given, else by id); greys below 0."""
    if topic is None:
        return NEUTRAL[UNASSIGNED]
    if topic < 0:
        return NEUTRAL.get(topic, NEUTRAL[OUTLIER])
    if colours and topic in colours:
        return colours[topic]
    return PALETTE[topic % len(PALETTE)]


def topic_scale(df: pl.DataFrame, colours: Mapping[int, str] | None = None,
                field: str = "label", key: str = "topic") -> alt.Scale:
    """A colour scale mapping each topic's ``field`` value to that topic's fixed colour.

    The domain lists the topics by id with the neutral bands (outliers, not yet assigned, other
    topics) last, which is also the legend's order. ``key``: the id column (``group`` for the
    topic groups, coloured by id).
    """
    spec = scale_dict(df, colours, field, key)
    return alt.Scale(domain=spec["domain"], range=spec["range"])


def scale_dict(df: pl.DataFrame, colours: Mapping[int, str] | None = None,
               field: str = "label", key: str = "topic") -> dict[str, list[str]]:
    """:func:`topic_scale` as its Vega-Lite JSON (``domain``, ``range``), with no Altair object.

    The dashboard's template slots compare and put in this JSON on every filter change.
    """
    if df.height > 1_000:  # e.g. the map's papers: one Polars query beats a Python pass
        pairs = set(df.select(key, field).unique().rows())
    else:  # a few hundred rows (a trend's): a Python pass beats a query's fixed cost
        pairs = set(zip(df.get_column(key).to_list(), df.get_column(field).to_list(),
                        strict=True))
    seen: dict[str, str] = {}
    for topic, name in sorted(pairs, key=lambda p: stack_rank(p[0])):
        seen.setdefault(str(name), colour_of(topic, colours))
    return {"domain": list(seen), "range": list(seen.values())}


def stack_rank(topic: int | None) -> int:
    """Order of a topic in stacks and legends: topics by id, then other, outliers, unassigned."""
    if topic is None:
        return 10**9 + 3
    if topic >= 0:
        return topic
    return 10**9 + {OTHER_TOPICS: 0, OUTLIER: 1, UNASSIGNED: 2}.get(topic, 3)
