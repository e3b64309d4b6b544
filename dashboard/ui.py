"""Small UI helpers shared by the pages: a chart with its downloads and drill-down list,
paper lists, empty states, and escaped text."""

from __future__ import annotations

from collections.abc import Callable

import polars as pl
import streamlit as st

from analysis.schema import InputError
from dashboard import drill, state
from dashboard.context import Context

#: Characters turned into numeric entities so that neither HTML nor Markdown reads them.
SHOWN = "_paper_shown"  # set once the open paper is drawn in this run
_MARKUP = set("<>&\"'`*_[](){}#!|~\\:=+-.$")


def escape(text: str | None) -> str:
    """Paper text made inert for ``st.markdown(unsafe_allow_html=True)``: every HTML or
    Markdown-significant character becomes a numeric entity, newlines become spaces."""
    if not text:
        return ""
    return "".join(f"&#{ord(c)};" if c in _MARKUP else c for c in text.replace("\n", " "))


def md_escape(text: str | None) -> str:
    """Paper text for places that read Markdown (button labels, captions): every ASCII
    punctuation character is backslash-escaped, so no link, emphasis or directive forms."""
    if not text:
        return ""
    return "".join("\\" + c if c in _PUNCT else c for c in text.replace("\n", " "))


_PUNCT = set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


def highlight(text: str | None, pattern: str | None) -> str:
    """Escaped text with the matches of a (Rust, case-insensitive) pattern wrapped in <mark>."""
    if not text:
        return ""
    if not pattern:
        return escape(text)
    try:
        found = pl.Series([text]).str.extract_all(pattern).item().to_list()
    except pl.exceptions.PolarsError:
        return escape(text)
    out, pos = [], 0
    for match in found:
        if not match:
            continue
        at = text.find(match, pos)
        if at < 0:
            continue
        out.append(escape(text[pos:at]))
        out.append(f"<mark>{escape(match)}</mark>")
        pos = at + len(match)
    out.append(escape(text[pos:]))
    return "".join(out)


def empty(message: str) -> None:
    """An empty state that says what to change."""
    st.info(message, icon=":material/filter_alt_off:")


def no_papers() -> None:
    empty("No papers match these filters: widen the date range, clear the topic choice or "
          "lower the minimum upvotes in the sidebar.")


def view(ctx: Context, name: str, **options):
    """Build a view through analysis.views (cached); None with a message when it cannot be drawn."""
    try:
        return ctx.view(name, **options)
    except InputError as err:
        st.warning(str(err))
        return None


def chart(ctx: Context, v, *, key: str, drill_down: bool = True) -> drill.Pick | None:
    """Show a view's chart, its downloads, and (when a mark is picked) the papers behind it.

    Returns:
        The current pick for this chart (from a click, or from the URL), or None.
    """
    if v is None:
        return None
    if v.papers == 0:
        no_papers()
        return None
    if drill_down:
        event = st.altair_chart(v.chart, on_select="rerun", selection_mode=drill.PICK, key=key,
                                width="stretch")
        pick = _track_pick(v.name, key, event)
    else:
        st.altair_chart(v.chart, key=key, width="stretch")
        pick = None
    downloads(v, key)
    return pick


def _track_pick(view_name: str, key: str, event) -> drill.Pick | None:
    """Keep the URL's pick in step with clicks on this chart; return this chart's pick."""
    clicked = drill.from_event(view_name, event)
    seen_key = f"_seen_{key}"
    clicked_text = clicked.encode() if clicked else ""
    if st.session_state.get(seen_key, "") != clicked_text:  # a click (or un-click) happened
        st.session_state[seen_key] = clicked_text
        state.put(state.PICK, clicked_text)
        state.put(state.PAPER, str(clicked.values.get("paper_id", "")) if clicked else "")
    pick = drill.decode(state.get(state.PICK))
    return pick if pick and pick.view == view_name else None


def downloads(v, key: str) -> None:
    """PNG (2x), SVG, HTML and CSV downloads of exactly this view, made on click."""
    from dashboard import exports

    cols = st.columns(len(exports.FORMATS), gap="small", width=520)
    for col, (label, fmt) in zip(cols, exports.FORMATS, strict=True):
        with col:
            st.download_button(label, data=exports.maker(v, fmt),
                               file_name=exports.file_name(v, fmt), mime=exports.MIME[fmt],
                               key=f"dl_{key}_{fmt}", on_click="ignore",
                               icon=":material/download:", width="stretch")


def paper_list(ctx: Context, papers: pl.DataFrame, *, key: str, caption: str = "") -> None:
    """A table of papers; choosing a row opens that paper's detail beneath it."""
    if caption:
        st.caption(caption)
    if papers.height == 0:
        empty("No papers behind this mark under the current filters.")
        return
    shown = papers.head(500)
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
    if papers.height > shown.height:
        st.caption(f"Showing the {shown.height} most upvoted of {papers.height:,} papers.")
    rows = event.selection.rows if event is not None else []
    chosen = shown["paper_id"][rows[0]] if rows else ""
    seen_key = f"_seen_{key}"
    if st.session_state.get(seen_key, "") != chosen:
        st.session_state[seen_key] = chosen
        state.put(state.PAPER, chosen)


def drill_list(ctx: Context, pick: drill.Pick | None, *, key: str, pattern: str | None = None,
               **match) -> None:
    """The papers behind a picked mark, beneath its chart, then the open paper's detail.

    Args:
        match: ``field``/``regex`` for a picked phrase; ``pattern`` highlights it in the abstract.
    """
    if pick is None:
        st.caption("Click a mark in the chart to list the papers behind it.")
        return
    papers = drill.papers_for(ctx.lf, ctx.filters, pick, **match)
    st.markdown(f"**Papers behind the mark** — {escape(pick.describe(ctx.labels))}",
                unsafe_allow_html=True)
    paper_list(ctx, papers, key=f"{key}_list")
    open_paper(ctx, pattern=pattern)


def open_paper(ctx: Context, pattern: str | None = None) -> None:
    """The detail of the paper in the URL (``?paper=ID``), if any."""
    pid = state.get(state.PAPER)
    if pid and not st.session_state.get(SHOWN):
        st.session_state[SHOWN] = True
        from dashboard import paper_detail

        paper_detail.show(ctx, pid, pattern=pattern)


def metric_row(items: list[tuple[str, str]]) -> None:
    cols = st.columns(len(items))
    for col, (label, value) in zip(cols, items, strict=True):
        col.metric(label, value)


def guarded(render: Callable[[], None]) -> None:
    """Run a page body; bad input becomes a one-line error, never a traceback."""
    try:
        render()
    except InputError as err:
        st.error(str(err))


def report(ctx: Context, shown, title: str, tables=None) -> None:
    """Downloads of the whole page as a report: one HTML page, or a zip with every file."""
    from dashboard import exports as _exports

    st.divider()
    st.markdown("**Report of this page** (charts, tables and provenance)")
    cols = st.columns(2, width=420)
    for col, (label, fmt) in zip(cols, (("Report (HTML)", "html"), ("Report files (zip)", "zip")),
                                 strict=True):
        with col:
            st.download_button(
                label, data=_exports.report_maker(ctx.store, ctx.lf, ctx.filters, shown, title,
                                                 tables, fmt),
                file_name=f"papertrends-{title.split()[-1]}-report.{fmt}",
                mime=_exports.MIME[fmt], key=f"report_{fmt}", on_click="ignore",
                icon=":material/summarize:", width="stretch")
