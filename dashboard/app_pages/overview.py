"""Overview page: papers per period, headline counts, top and emerging topics, rising phrases.

Under the papers-per-period chart, a strip shows how much of each month's full list the store
holds (periods it holds only part of are hollow in the chart). Run by st.navigation
(``__name__ == "__main__"``).
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from analysis import trends
from analysis.coverage import UNKNOWN
from analysis.views.charts import plot_data
from analysis.views.coverage import coverage_strip, strip_data
from dashboard import context
from dashboard.components import basics, charts, listing, vega

PAGE = "overview"
PARAMS: tuple = ()  # this page keeps nothing of its own in the URL


def counts(ctx: context.Context, per_period) -> list[tuple[str, str]]:
    """The headline numbers: papers, topics, first and last date (papers-per-period view)."""
    first, last = per_period.span if per_period else (None, None)
    n_topics = "–"
    if ctx.loaded.has_topics and per_period is not None and per_period.papers:
        n_topics = str(trends.topic_sizes(ctx.lf, ctx.filters).height)
    papers = per_period.papers if per_period else 0
    return [("Papers", f"{papers:,}"), ("Topics", n_topics), ("First paper", str(first or "–")),
            ("Last paper", str(last or "–"))]


def top_topics(ctx: context.Context, n: int = 10) -> pl.DataFrame:
    """The largest topics under the filters (papers per topic; outliers left out)."""
    return trends.topic_sizes(ctx.lf, ctx.filters).head(n)


def strip(ctx: context.Context, per_period) -> None:
    """The coverage strip for the months of the chart above, and what it means in words."""
    table = ctx.loaded.coverage
    if table.height == 0 or (table["status"] == UNKNOWN).all():
        st.caption("No source told the size of any month's full list, so coverage is unknown "
                   "(a month fetch tells it: `papertrends fetch --month YYYY-MM`).")
        return
    first, last = per_period.span
    spec, partial = _strip_spec(ctx.loaded.root, ctx.loaded.stamp, first, last, _table=table)
    st.vega_lite_chart(vega.fresh(spec), key="ov_coverage", width="content", theme=None)
    if partial:
        st.caption(f"The store holds only part of the list in {len(partial)} month(s) "
                   f"({', '.join(partial[:8])}{' …' if len(partial) > 8 else ''}): their counts "
                   "show what was collected, not what was listed. Trends use shares for that "
                   "reason; `papertrends fetch --fill-gaps` fetches those months whole.")


@st.cache_resource(show_spinner=False, max_entries=4)
def _strip_template(root: str, stamp: tuple, *, _table: pl.DataFrame) -> dict:
    """The strip's spec, made once per store version; each date span puts in its own months.

    The spec depends on the months only through its one dataset (tests/dashboard/test_vega.py
    checks it). Building the chart and having ``st.altair_chart`` validate it took 35 ms of
    every rerun of this page.
    """
    return vega.to_spec(coverage_strip(strip_data(_table)))


@st.cache_resource(show_spinner=False, max_entries=64)
def _strip_spec(root: str, stamp: tuple, first, last, *,
                _table: pl.DataFrame) -> tuple[dict, list[str]]:
    """The strip of one date span, and the months of the span the store holds only part of.

    The spec is the template with that span's months as its dataset.
    """
    data = strip_data(_table, first, last)
    partial = data.filter(pl.col("status") == "partial")["month"].to_list()
    return vega.with_dataset(_strip_template(root, stamp, _table=_table), plot_data(data)), partial


def render() -> None:
    """Draw the page: counts, papers per period, top and emerging topics, rising phrases."""
    ctx = context.get()
    st.title("Paper trends")
    basics.data_note(ctx)
    per_period = charts.view(ctx, "papers-per-period")
    basics.metric_row(counts(ctx, per_period))
    pick = charts.chart(ctx, per_period, key="ov_per_period")
    if per_period is None or not per_period.papers:
        return
    strip(ctx, per_period)
    listing.drill_list(ctx, pick, key="ov_per_period")
    shown = [per_period]
    st.subheader("Top topics")
    if ctx.loaded.has_topics:
        st.dataframe(top_topics(ctx), hide_index=True, width="stretch",
                     column_config={"topic": None,
                                    "label": st.column_config.TextColumn("topic", width="large"),
                                    "papers": st.column_config.NumberColumn("papers")})
    else:
        basics.empty("This store has no topics yet: run `papertrends fit --store DIR`.")
    st.subheader("Emerging topics")
    if ctx.loaded.has_topics:
        emerging = charts.view(ctx, "emerging")
        shown.append(emerging)
        epick = charts.chart(ctx, emerging, key="ov_emerging")
        listing.drill_list(ctx, epick, key="ov_emerging")
    else:
        basics.empty("Emerging topics need a topic model: run `papertrends fit --store DIR`.")
    st.subheader("Rising phrases")
    rising = charts.view(ctx, "rising")
    shown.append(rising)
    if rising is not None and rising.data.height == 0:
        basics.empty("No phrase rose clearly: widen the date range to give the recent and "
                 "baseline windows enough papers.")
    else:
        rpick = charts.chart(ctx, rising, key="ov_rising")
        listing.drill_list(ctx, rpick, key="ov_rising")
    charts.report(ctx, shown, "papertrends overview",
              lambda: {"Top papers": trends.top_papers(ctx.lf, ctx.filters, n=10)})


if __name__ == "__main__":
    basics.guarded(render)
