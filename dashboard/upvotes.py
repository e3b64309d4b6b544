"""Upvotes page: the distribution (log scale), upvotes per topic, the median per period, and the
most upvoted papers; click a bar, box or point for its papers."""

from __future__ import annotations

import streamlit as st

from analysis import trends
from dashboard import context, drill, ui

PAGE = "upvotes"


def render() -> None:
    ctx = context.get()
    st.title("Upvotes")
    dist = ui.view(ctx, "upvote-distribution")
    pick = ui.chart(ctx, dist, key="up_dist")
    if dist is None or not dist.papers:
        return
    ui.drill_list(ctx, pick, key="up_dist")
    shown = [dist]
    if ctx.loaded.has_topics:
        st.subheader("Upvotes by topic")
        by_topic = ui.view(ctx, "upvotes-by-topic")
        shown.append(by_topic)
        tpick = ui.chart(ctx, by_topic, key="up_topic")
        ui.drill_list(ctx, tpick, key="up_topic")
    st.subheader("Median upvotes per period")
    by_period = ui.view(ctx, "upvotes-by-period")
    shown.append(by_period)
    ppick = ui.chart(ctx, by_period, key="up_period")
    ui.drill_list(ctx, ppick, key="up_period")
    st.subheader("Most upvoted papers")
    top = trends.top_papers(ctx.lf, ctx.filters, n=25)
    ui.paper_list(ctx, drill.as_list(top.lazy(), ctx.filters.basis), key="up_top")
    ui.open_paper(ctx)
    ui.report(ctx, shown, "papertrends upvotes", lambda: {"Most upvoted papers": top})


if __name__ == "__main__":
    ui.guarded(render)
