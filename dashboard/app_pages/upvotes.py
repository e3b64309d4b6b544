"""Upvotes page: how upvotes are spread, by topic and over time, and the most upvoted papers.

It shows the distribution (log scale), upvotes per topic, the median per period (early and
matured counts apart) and the most upvoted papers; click a bar, box or point for its papers.
``?upvote_age=30`` keeps only counts read at least 30 days after listing: counts read on the
listing day are far lower than the same papers' counts later.
"""

from __future__ import annotations

import streamlit as st

from analysis import trends
from analysis.trends.upvotes import MATURE_DAYS, early_periods
from dashboard import context, state
from dashboard.components import basics, charts, drill, listing

PAGE = "upvotes"
UPVOTE_AGE = state.int_param("upvote_age", None, PAGE)
PARAMS: tuple[state.Param, ...] = (UPVOTE_AGE,)


def age_caption(ctx: context.Context, age: int | None) -> str:
    """One line on when the counts were read, and how to compare like with like."""
    if age is not None:
        return (f"Only counts read at least {age} days after listing; papers whose count was "
                "read earlier (or at an unknown time) are left out.")
    early, total = early_periods(ctx.lf, ctx.filters, MATURE_DAYS)
    if not early:
        return f"Every count here was read at least {MATURE_DAYS} days after listing."
    return (f"All counts: {early} of {total} periods hold early counts (read less than "
            f"{MATURE_DAYS} days after listing, so lower than later ones). Set the age to "
            f"{MATURE_DAYS} to compare matured counts only.")


def render() -> None:
    """Draw the page: distribution, upvotes by topic and by period, and the most upvoted papers."""
    ctx = context.get()
    st.title("Upvotes")
    basics.data_note(ctx)
    st.number_input("Only counts read at least this many days after listing (empty: all)",
                    min_value=0, step=1, key=UPVOTE_AGE.key, placeholder="all counts",
                    width=420)
    age = state.get(UPVOTE_AGE)
    st.caption(age_caption(ctx, age))
    dist = charts.view(ctx, "upvote-distribution", upvote_age=age)
    pick = charts.chart(ctx, dist, key="up_dist")
    if dist is None or not dist.papers:
        return
    listing.drill_list(ctx, pick, key="up_dist", upvote_age=age)
    shown = [dist]
    if ctx.loaded.has_topics:
        st.subheader("Upvotes by topic")
        by_topic = charts.view(ctx, "upvotes-by-topic", upvote_age=age)
        shown.append(by_topic)
        tpick = charts.chart(ctx, by_topic, key="up_topic")
        listing.drill_list(ctx, tpick, key="up_topic", upvote_age=age)
    st.subheader("Median upvotes per period")
    by_period = charts.view(ctx, "upvotes-by-period", upvote_age=age)
    shown.append(by_period)
    ppick = charts.chart(ctx, by_period, key="up_period")
    listing.drill_list(ctx, ppick, key="up_period", upvote_age=age)
    st.subheader("Most upvoted papers")
    top = trends.top_papers(ctx.lf, ctx.filters, n=25, upvote_age=age)
    listing.paper_list(ctx, drill.as_list(top.lazy(), ctx.filters.basis), key="up_top")
    listing.open_paper(ctx)
    charts.report(ctx, shown, "papertrends upvotes", lambda: {"Most upvoted papers": top})


if __name__ == "__main__":
    basics.guarded(render)
