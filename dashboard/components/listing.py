"""Papers on the page: a list of papers, the papers behind a picked mark, one paper's detail.

The detail shows title, authors, dates, upvotes, the abstract (phrase matches highlighted), topic,
similar papers and links. All paper text is escaped before it reaches the page
(:mod:`dashboard.text`).
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from analysis.names import MIME
from analysis.schema import arxiv_url, hf_url
from analysis.views.csv import safe_csv
from dashboard import loader, state
from dashboard.components import drill
from dashboard.components.basics import empty, metric_row
from dashboard.context import Context
from dashboard.text import escape, highlight, md_escape

SHOWN = "_paper_shown"  # set once the open paper is drawn in this run


#: Rows a list shows on the page (sorting and the CSV cover all of its papers).
LIST_ROWS = 500
#: How a list's order is said under it.
SORT_WORDS = {"upvotes": "most upvoted first", "newest": "newest first",
              "oldest": "oldest first", "title": "by title"}
#: Authors named in a paper's detail before the rest are folded away.
AUTHORS_SHOWN = 12


def paper_list(ctx: Context, papers: pl.DataFrame | pl.LazyFrame, *, key: str,
               caption: str = "", sort_key: str | None = None) -> None:
    """A table of papers, sorted over all of them; a row opens its detail; a CSV of them all.

    Only the first :data:`LIST_ROWS` of the chosen order and the count are computed on a rerun
    (a top-k over the shared frame); the CSV reads the whole list when it is downloaded.

    Args:
        ctx: the context of this run.
        papers: every paper of the list (``drill.list_frame`` columns), lazily or not.
        key: the table's widget key.
        caption: a line above the table.
        sort_key: the widget key of the sort choice (a URL parameter's, on the Papers page);
            by default ``<key>_sort``, kept for the session.
    """
    if caption:
        st.caption(caption)
    papers = papers.lazy()
    total = count(papers)
    if total == 0:
        empty("No papers behind this mark under the current filters.")
        return
    sort_key = sort_key or f"{key}_sort"
    if st.session_state.get(sort_key) not in drill.SORTS:
        st.session_state[sort_key] = drill.DEFAULT_SORT
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    left.segmented_control(f"Sort all {total:,} papers by", tuple(drill.SORTS),
                           key=sort_key, format_func=lambda k: drill.SORT_NAMES.get(k, k))
    order = st.session_state.get(sort_key) or drill.DEFAULT_SORT
    by, descending = drill.SORTS[order]
    papers = papers.sort(by, descending=descending, nulls_last=True)
    right.download_button(f"CSV of all {total:,}", data=csv_maker(papers),
                          file_name=f"papertrends-{key}-papers.csv", mime=MIME["csv"],
                          key=f"{key}_csv", on_click="ignore", icon=":material/download:")
    shown = papers.head(LIST_ROWS).collect()
    event = st.dataframe(
        shown, key=key, on_select="rerun", selection_mode="single-row", hide_index=True,
        height=min(38 + 35 * shown.height, 360), width="stretch",
        column_config={"paper_id": st.column_config.TextColumn("paper"),
                       "title": st.column_config.TextColumn("title", width="large"),
                       "date": st.column_config.DateColumn("date", format="YYYY-MM-DD"),
                       "topic_label": st.column_config.TextColumn("topic"),
                       "upvotes": st.column_config.NumberColumn("upvotes", format="%d"),
                       "n_authors": st.column_config.NumberColumn("authors", format="%d")},
    )
    if total > shown.height:
        st.caption(f"Showing the first {shown.height} of {total:,} papers "
                   f"({SORT_WORDS[order]}); the CSV holds them all.")
    rows = event.selection.rows if event is not None else []
    chosen = shown["paper_id"][rows[0]] if rows else ""
    seen_key = f"_seen_{key}"
    if st.session_state.get(seen_key, "") != chosen:
        st.session_state[seen_key] = chosen
        state.put(state.PAPER, chosen)


def count(papers: pl.DataFrame | pl.LazyFrame) -> int:
    """How many papers a list holds (only the count is computed for a lazy list)."""
    if isinstance(papers, pl.DataFrame):
        return papers.height
    return int(papers.select(pl.len()).collect().item())


def csv_maker(papers: pl.DataFrame | pl.LazyFrame):
    """A callable making the CSV of a paper list (formula-looking cells neutralised).

    The list is read when the button is clicked, not on every rerun.
    """
    return lambda: safe_csv(papers.lazy().collect()).encode("utf-8")


def drill_list(ctx: Context, pick: drill.Pick | None, *, key: str, pattern: str | None = None,
               **match) -> None:
    """The papers behind a picked mark, beneath its chart, then the open paper's detail.

    Args:
        ctx: the context of this run.
        pick: the picked mark; None shows a hint to click one instead.
        key: the widget key prefix of the chart (the list's key is ``<key>_list``).
        pattern: a regular expression to highlight in the open paper's abstract.
        match: ``field``/``regex`` for a picked phrase, ``upvote_age`` on the upvote page (see
            drill.papers_for).
    """
    if pick is None:
        st.caption("Click a mark in the chart to list the papers behind it.")
        return
    papers = drill.papers_lazy(ctx.lf, ctx.filters, pick, **match)
    what = pick.describe(ctx.labels, ctx.group_labels)
    st.markdown(f"**Papers behind the mark** — {escape(what)}", unsafe_allow_html=True)
    paper_list(ctx, papers, key=f"{key}_list")
    open_paper(ctx, pattern=pattern)


def open_paper(ctx: Context, pattern: str | None = None) -> None:
    """The detail of the paper in the URL (``?paper=ID``), if any."""
    pid = state.get(state.PAPER)
    if pid and not st.session_state.get(SHOWN):
        st.session_state[SHOWN] = True
        show(ctx, pid, pattern=pattern)


def show(ctx: Context, paper_id: str, *, pattern: str | None = None) -> None:
    """Show the paper ``paper_id`` (a message when the store has no such paper)."""
    rows = ctx.loaded.frame.filter(pl.col("paper_id") == paper_id)
    with st.container(border=True, key="paper_detail"):
        if rows.height == 0:
            st.warning("This paper is not in the store (the link may come from another store). "
                       "Pick a paper from a list instead.")
            return
        p = rows.row(0, named=True)
        st.markdown(f"<h3 class='paper-title'>{escape(p['title'])}</h3>",
                    unsafe_allow_html=True)
        _authors(p["authors"] or [])
        metric_row([
            ("Published", str(p["published"] or "–")),
            ("Listed", str(p["listed"] or "–")),
            ("Upvotes", "–" if p["upvotes"] is None else f"{p['upvotes']:,}"),
        ])
        topic = ctx.labels.get(p["topic"], "–") if p["topic"] is not None else "not yet assigned"
        st.markdown(f"<p class='paper-topic'><b>Topic</b>: {escape(topic)}</p>",
                    unsafe_allow_html=True)
        if p.get("organization"):
            st.caption(f"Organization: {md_escape(p['organization'])}")
        st.markdown(f"<div class='paper-abstract'>{highlight(p['abstract'], pattern)}</div>",
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


def _authors(names: list[str]) -> None:
    """The authors; a long list names the first few and folds the rest into an expander."""
    if not names:
        return
    if len(names) <= AUTHORS_SHOWN:
        st.markdown(f"<p><b>Authors</b>: {escape(', '.join(names))}</p>", unsafe_allow_html=True)
        return
    first = escape(", ".join(names[:AUTHORS_SHOWN]))
    st.markdown(f"<p><b>Authors</b>: {first} and {len(names) - AUTHORS_SHOWN:,} more</p>",
                unsafe_allow_html=True)
    with st.expander(f"All {len(names):,} authors"):
        st.markdown(f"<p class='paper-authors'>{escape(', '.join(names))}</p>",
                    unsafe_allow_html=True)


def _similar(ctx: Context, paper_id: str) -> None:
    if not ctx.loaded.has_topics:
        return
    try:
        sim = loader.similar_papers(ctx.loaded.root, ctx.loaded.stamp, paper_id, k=5)
    except (FileNotFoundError, KeyError, ValueError):
        sim = None
    if sim is None or sim.height == 0:
        st.caption("No similar papers known for this paper.")
        return
    info = sim.join(ctx.loaded.frame.select("paper_id", "title", "published", "upvotes"),
                    on="paper_id", how="left")
    st.markdown("**Similar papers**")
    for pid, score, title in info.select("paper_id", "score", "title").iter_rows():
        st.button(f"{md_escape(title or pid)} ({score:.2f})", key=f"sim_{pid}",
                  type="tertiary", on_click=state.put, args=(state.PAPER, pid))
