"""Topics page: topic frequency over time, the 2-D topic map, and one topic's detail.

The frequency chart shows count or share, stacked or as lines, of the fine topics or of the
groups above them, every paper of a period in some band (outliers, other topics, not yet assigned
in greys); the map keeps its layout under every filter and marks the papers a title search finds;
the detail gives a topic's label, words, lineage, representative papers, words over time, size
over time and most upvoted papers (of the topics the sidebar keeps).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import polars as pl
import streamlit as st

from analysis import trends
from analysis.names import OUTLIER, OUTLIER_LABEL
from analysis.trends.shares import TopicCounts, topic_counts
from dashboard import context, state, text
from dashboard.components import basics, charts, drill, listing, topic_story

PAGE = "topics"
LAYOUT = state.text_param("layout", "stacked", PAGE, values=("stacked", "lines"))
LEVEL = state.text_param("level", "topic", PAGE, values=("topic", "group"))
TOPIC = state.int_param("t", None, PAGE)
FIND = state.text_param("find", "", PAGE)
SELECT = "topic_select"
PARAMS: tuple[state.Param, ...] = (LAYOUT, LEVEL, TOPIC, FIND)


def outlier_share(got: TopicCounts | None) -> float | None:
    """Share of the filtered papers that fall in no clear topic (-1), from the topic counts."""
    if got is None or not got.totals.sum():
        return None
    outliers = got.counts[:, np.flatnonzero(got.ids == OUTLIER)]
    return int(outliers.sum()) / int(got.totals.sum())


def outlier_help(meta: dict) -> str:
    """How the fit treated outliers, for the metric's help (counts from the fit's quality)."""
    q = meta.get("quality") or {}
    status = q.get("status") or {}
    text = "Papers in no clear topic, drawn in grey and counted in every share."
    left_out = status.get("reassigned", 0) + status.get("outlier", 0)
    n = q.get("n_papers") or 0
    if left_out and n:
        text += (f" HDBSCAN left {left_out / n:.1%} of the fitted papers out; "
                 f"{status.get('reassigned', 0) / n:.1%} were close enough to a topic's centre "
                 f"(cosine >= {meta.get('settings', {}).get('reassign_threshold')}) to join it, "
                 f"{status.get('outlier', 0) / n:.1%} stay outliers.")
    return text


def render() -> None:
    """Draw the page: the topic trend, the topic map and one topic's detail."""
    ctx = context.get()
    st.title("Topics")
    basics.data_note(ctx)
    if ctx.loaded.topic_problem:
        st.error(ctx.loaded.topic_problem, icon=":material/report:")
        return
    if not ctx.loaded.has_topics:
        basics.empty("This store has no topic model yet: run `papertrends fit --store DIR`, "
                     "then reload.")
        return
    c1, c2, c3, c4 = st.columns([1, 1, 1, 2])
    c1.segmented_control("Measure", ("share", "count"), key=state.MEASURE.key)
    c2.segmented_control("Layout", ("stacked", "lines"), key=LAYOUT.key)
    levels = ("topic", "group") if ctx.loaded.groups.height else ("topic",)
    c3.segmented_control("Level", levels, key=LEVEL.key,
                         help="group: the topic groups, every paper in one (shares sum to 100%)")
    measure = state.get(state.MEASURE) or "share"
    stacked = (state.get(LAYOUT) or "stacked") == "stacked"
    level = state.get(LEVEL) if state.get(LEVEL) in levels else "topic"
    trend = charts.view(ctx, "topic-trend", measure=measure, stacked=stacked, level=level,
                        top=0 if level == "group" else 10)
    if trend is not None and trend.data.height:
        share = outlier_share(topic_counts(ctx.lf, ctx.filters))
        if share is not None:
            c4.metric(OUTLIER_LABEL, f"{share:.1%}", help=outlier_help(ctx.loaded.meta))
    pick = charts.chart(ctx, trend, key="tp_trend")
    if (pick is not None and "topic" in pick.values
            and st.session_state.get("_tp_applied") != pick.encode()):
        st.session_state["_tp_applied"] = pick.encode()  # a newly picked topic opens its detail
        state.put(TOPIC, pick.values.get("topic"))
    drawn = (trend.data.get_column(level).unique().to_list()
             if trend is not None and trend.data.height else [])
    listing.drill_list(ctx, pick, key="tp_trend", drawn=drawn)
    st.subheader("Topic map")
    st.text_input("Find papers on the map by title", key=FIND.key, icon=":material/search:",
                  placeholder="e.g. diffusion transformer")
    tmap = charts.view(ctx, "topic-map", search=state.get(FIND) or "")
    mpick = charts.chart(ctx, tmap, key="tp_map")
    if mpick is not None:
        if tmap is not None and tmap.options.get("sampled"):
            map_topic_list(ctx, mpick)
        listing.open_paper(ctx)
    else:
        st.caption("Click a dot to open that paper; scroll to zoom, drag to pan, double-click "
                   "to reset.")
    detail(ctx)
    charts.report(ctx, [trend, tmap], "papertrends topics")


def map_topic_list(ctx: context.Context, pick: drill.Pick) -> None:
    """Under a sampled map: every paper (not only the drawn ones) of the clicked paper's topic."""
    pid = str(pick.values.get("paper_id", ""))
    rows = ctx.loaded.frame.filter(pl.col("paper_id") == pid).select("topic")
    if rows.height == 0 or rows.item() is None:
        return
    topic = drill.Pick("topic-map", {"topic": int(rows.item())})
    st.caption("The map draws a sample of the papers; the list holds all papers of the clicked "
               "paper's topic under the filters.")
    listing.drill_list(ctx, topic, key="tp_map")


def detail(ctx: context.Context) -> None:
    """One topic of those the sidebar keeps: label, words, its size over time, top papers."""
    st.subheader("Topic detail")
    table = ctx.loaded.topics
    ids = [t for t in table.sort(["size", "topic"], descending=[True, False])
           .get_column("topic").to_list() if t >= 0]
    if ctx.filters.topics:
        ids = [t for t in ids if t in ctx.filters.topics]
    if ctx.filters.groups and "group" in table.columns:
        kept = set(table.filter(pl.col("group").is_in(list(ctx.filters.groups)))["topic"])
        ids = [t for t in ids if t in kept]
    if not ids:
        basics.empty("The sidebar keeps no topic with a detail (only the outliers).")
        return
    # the largest topic shows until one is chosen; only a choice reaches the URL
    topic = state.get(TOPIC) if state.get(TOPIC) in ids else ids[0]
    st.session_state[SELECT] = topic
    labels = ctx.labels  # made once, not once per option
    st.selectbox("Topic", ids, key=SELECT, format_func=lambda t: labels.get(t, str(t)),
                 on_change=lambda: state.put(TOPIC, st.session_state[SELECT]))
    row = table.filter(pl.col("topic") == topic).row(0, named=True)
    words = row.get("words") or []
    st.markdown(f"**{text.md_escape(row['label'])}** · {row.get('size', 0):,} papers in all")
    if words:
        st.caption("Words: " + text.md_escape(", ".join(words[:12])))
    topic_story.show(ctx, topic)
    one = dataclasses.replace(ctx.filters, topics=(topic,))
    size = ctx.view("topic-trend", filters=one, measure="count", stacked=False, top=0,
                    bands=False)
    charts.chart(ctx, size, key="tp_size", drill_down=False)
    top = trends.top_papers(ctx.lf, one, n=10)
    st.markdown("**Most upvoted papers in this topic**")
    listing.paper_list(ctx, drill.as_list(top.lazy(), ctx.filters.basis), key="tp_top")
    listing.open_paper(ctx)


if __name__ == "__main__":
    basics.guarded(render)
