"""Upvotes page: how upvotes are spread, by topic and over time, and the most upvoted papers.

It shows the distribution (log scale), upvotes per topic, the median per period and the most
upvoted papers; click a bar, box or point for its papers.
"""

from __future__ import annotations

import streamlit as st

from analysis import trends
from dashboard import context
from dashboard.components import basics, charts, drill, listing

PAGE = "upvotes"
PARAMS: tuple = ()  # this page keeps nothing of its own in the URL


def render() -> None:
    """Draw the page: distribution, upvotes by topic and by period, and the most upvoted papers."""
    ctx = context.get()
    st.title("Upvotes")
    basics.data_note(ctx)
    dist = charts.view(ctx, "upvote-distribution")
    pick = charts.chart(ctx, dist, key="up_dist")
    if dist is None or not dist.papers:
        return
    listing.drill_list(ctx, pick, key="up_dist")
    shown = [dist]
    if ctx.loaded.has_topics:
        st.subheader("Upvotes by topic")
        by_topic = charts.view(ctx, "upvotes-by-topic")
        shown.append(by_topic)
        tpick = charts.chart(ctx, by_topic, key="up_topic")
        listing.drill_list(ctx, tpick, key="up_topic")
    st.subheader("Median upvotes per period")
    by_period = charts.view(ctx, "upvotes-by-period")
    shown.append(by_period)
    ppick = charts.chart(ctx, by_period, key="up_period")
    listing.drill_list(ctx, ppick, key="up_period")
    st.subheader("Most upvoted papers")
    top = trends.top_papers(ctx.lf, ctx.filters, n=25)
    listing.paper_list(ctx, drill.as_list(top.lazy(), ctx.filters.basis), key="up_top")
    listing.open_paper(ctx)
    charts.report(ctx, shown, "papertrends upvotes", lambda: {"Most upvoted papers": top})


if __name__ == "__main__":
    basics.guarded(render)
