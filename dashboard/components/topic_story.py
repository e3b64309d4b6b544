"""A topic's story in its detail: where it came from, the papers that show it, its words by period.

Self-contained: the topics page calls :func:`show` with the topic id under the topic's heading.
All text that comes from papers or labels is escaped (:mod:`dashboard.text`).
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from analysis.filters import Filters
from analysis.views import topic_words as tw
from analysis.views.view import View
from dashboard import loader, state
from dashboard.components import charts, drill
from dashboard.components.listing import paper_list
from dashboard.context import Context
from dashboard.text import md_escape

KEY = "tp_words"


def show(ctx: Context, topic: int) -> None:
    """Lineage, representative papers and words over time of one topic."""
    rows = ctx.loaded.topics.filter(pl.col("topic") == topic)
    if rows.height == 0:
        return
    row = rows.row(0, named=True)
    lineage(ctx, row)
    representatives(ctx, row)
    words(ctx, topic, row["label"])


def lineage_text(row: dict, previous: dict[str, str], fitted_at: str | None) -> str | None:
    """One sentence on how the topic relates to the previous fit (None when nothing is known)."""
    status = row.get("lineage")
    if not status:
        return None
    if status == "first fit":
        return "First fit of this store: no earlier topics to compare with."

    def named(ids) -> str:
        return ", ".join(f"{t} “{previous[str(t)]}”" if str(t) in previous else str(t)
                         for t in ids or [])

    when = f" (fitted {fitted_at[:10]})" if fitted_at else ""
    parents = row.get("lineage_from") or []
    text = {"kept": f"Kept from the previous fit{when}: it continues topic {named(parents)}.",
            "split": f"Split from topic {named(parents)} of the previous fit{when}, which "
                     "another topic continues.",
            "new": f"New since the previous fit{when}."}.get(status, status)
    merged = row.get("merged_from") or []
    if merged:
        text += f" Earlier topics merged into it: {named(merged)}."
    return text


def lineage(ctx: Context, row: dict) -> None:
    """The lineage sentence under the topic's heading."""
    prev = ctx.loaded.meta.get("previous") or {}
    text = lineage_text(row, prev.get("labels") or {}, prev.get("fitted_at"))
    if text:
        st.markdown(f"**Lineage** · {md_escape(text)}")


def representatives(ctx: Context, row: dict) -> None:
    """The 2-3 papers closest to the topic's centre; a click opens one."""
    ids = row.get("representative") or []
    if not ids:
        return
    titles = dict(ctx.loaded.frame.filter(pl.col("paper_id").is_in(ids))
                  .select("paper_id", "title").iter_rows())
    st.markdown("**Representative papers** (closest to the topic's centre)")
    for pid in ids:
        st.button(md_escape(titles.get(pid) or pid), key=f"rep_{pid}", type="tertiary",
                  icon=":material/article:", on_click=state.put, args=(state.PAPER, pid))


@st.cache_resource(show_spinner=False, max_entries=64)
def _words_view(root: str, stamp: tuple, every: str, topic: int, label: str,
                filters: Filters) -> View:
    """The words-by-period view, kept per store version, topic and the filters it uses.

    Kept like the other views (``context._view``), so a rerun that changes nothing neither
    rebuilds its chart nor converts it to a spec again (the spec is kept per view object).
    ``filters`` holds only the date range and the period: the words were counted by listing
    day over all of a topic's papers, so the basis and the upvote floor leave the grid as it is.
    """
    data = loader.topic_words(root, stamp, every)
    return tw.topic_words_view(data, topic=topic, label=label, every=every, filters=filters)


def words(ctx: Context, topic: int, label: str) -> None:
    """The words-by-period grid; a clicked period lists the topic's papers of that period."""
    every = tw.word_period(ctx.filters.period)
    data = loader.topic_words(ctx.loaded.root, ctx.loaded.stamp, every)
    if data.height == 0:
        st.caption("This fit has no words over time; refit to add them.")
        return
    st.markdown(f"**Words over time** (per {every})")
    used = Filters(start=ctx.filters.start, end=ctx.filters.end, period=every)
    view = _words_view(ctx.loaded.root, ctx.loaded.stamp, every, topic, label, used)
    pick = charts.chart(ctx, view, key=KEY)
    if pick is None or "period" not in pick.values:
        st.caption("Click a row to list the topic's papers of that period.")
        return
    period = pick.values["period"]
    papers = drill.list_frame(tw.papers_in_period(ctx.lf, topic, every, period), ctx.filters.basis)
    st.markdown(f"**Papers of this topic from the {every} starting {period}**")
    paper_list(ctx, papers, key=f"{KEY}_list")
