"""One paper's detail: title, authors, dates, upvotes, abstract (matches highlighted, escaped),
topic, similar papers and links. All paper text is escaped before it reaches the page."""

from __future__ import annotations

import polars as pl
import streamlit as st

from analysis.schema import arxiv_url, hf_url
from dashboard import data, state, ui
from dashboard.context import Context


def show(ctx: Context, paper_id: str, *, pattern: str | None = None) -> None:
    """Show the paper ``paper_id`` (a message when the store has no such paper)."""
    rows = ctx.loaded.frame.filter(pl.col("paper_id") == paper_id)
    with st.container(border=True, key="paper_detail"):
        if rows.height == 0:
            st.warning("This paper is not in the store (the link may come from another store). "
                       "Pick a paper from a list instead.")
            return
        p = rows.row(0, named=True)
        st.markdown(f"<h3 class='paper-title'>{ui.escape(p['title'])}</h3>",
                    unsafe_allow_html=True)
        authors = ", ".join(p["authors"] or [])
        if authors:
            st.markdown(f"<p><b>Authors</b>: {ui.escape(authors)}</p>", unsafe_allow_html=True)
        ui.metric_row([
            ("Published", str(p["published"] or "–")),
            ("Listed", str(p["listed"] or "–")),
            ("Upvotes", "–" if p["upvotes"] is None else f"{p['upvotes']:,}"),
            ("Topic", ctx.labels.get(p["topic"], "–") if p["topic"] is not None else "–"),
        ])
        if p.get("organization"):
            st.caption(f"Organization: {ui.md_escape(p['organization'])}")
        st.markdown(f"<div class='paper-abstract'>{ui.highlight(p['abstract'], pattern)}</div>",
                    unsafe_allow_html=True)
        links = [(lbl, url) for lbl, url in (("arXiv", arxiv_url(p["paper_id"])),
                                             ("Hugging Face", hf_url(p["paper_id"]))) if url]
        if links:
            cols = st.columns(len(links), width=320)
            for col, (label, url) in zip(cols, links, strict=True):
                col.link_button(label, url, icon=":material/open_in_new:")
        _similar(ctx, paper_id)
        st.button("Close paper", key="close_paper", icon=":material/close:",
                  on_click=state.put, args=(state.PAPER, ""))


def _similar(ctx: Context, paper_id: str) -> None:
    if not ctx.loaded.has_topics:
        return
    try:
        sim = data.similar_papers(ctx.loaded.root, ctx.loaded.stamp, paper_id, k=5)
    except (FileNotFoundError, KeyError, ValueError):
        sim = None
    if sim is None or sim.height == 0:
        st.caption("No similar papers known for this paper.")
        return
    info = sim.join(ctx.loaded.frame.select("paper_id", "title", "published", "upvotes"),
                    on="paper_id", how="left")
    st.markdown("**Similar papers**")
    for pid, score, title in info.select("paper_id", "score", "title").iter_rows():
        st.button(f"{ui.md_escape(title or pid)} ({score:.2f})", key=f"sim_{pid}",
                  type="tertiary", on_click=state.put, args=(state.PAPER, pid))
