"""A view on the page: its chart (with drill-down picks), its downloads, and the page's report.

Every chart comes from :mod:`analysis.views` through :func:`view` (cached per data version and
filters); clicks on its marks become a ``pick`` in the URL (see :mod:`dashboard.components.drill`).
"""

from __future__ import annotations

import streamlit as st

from analysis.names import EXPORT_FORMATS, MIME, SELECTION
from analysis.schema import InputError
from dashboard import state
from dashboard.components import downloads, drill
from dashboard.components.basics import no_papers
from dashboard.context import Context

#: Download buttons under a chart: (label, format).
BUTTONS = tuple(zip(("PNG 2x", "SVG", "HTML", "CSV"), EXPORT_FORMATS, strict=True))


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
        event = st.altair_chart(v.chart, on_select="rerun", selection_mode=SELECTION, key=key,
                                width="stretch")
        pick = _track_pick(v.name, key, event)
    else:
        st.altair_chart(v.chart, key=key, width="stretch")
        pick = None
    download_buttons(v, key)
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


def download_buttons(v, key: str) -> None:
    """PNG (2x), SVG, HTML and CSV downloads of exactly this view, made on click."""
    cols = st.columns(len(BUTTONS), gap="small", width=520)
    for col, (label, fmt) in zip(cols, BUTTONS, strict=True):
        with col:
            st.download_button(label, data=downloads.maker(v, fmt),
                               file_name=downloads.file_name(v, fmt), mime=MIME[fmt],
                               key=f"dl_{key}_{fmt}", on_click="ignore",
                               icon=":material/download:", width="stretch")


def report(ctx: Context, shown, title: str, tables=None) -> None:
    """Downloads of the whole page as a report: one HTML page, or a zip with every file."""
    st.divider()
    st.markdown("**Report of this page** (charts, tables and provenance)")
    cols = st.columns(2, width=420)
    for col, (label, fmt) in zip(cols, (("Report (HTML)", "html"), ("Report files (zip)", "zip")),
                                 strict=True):
        with col:
            st.download_button(
                label, data=downloads.report_maker(ctx.store, ctx.lf, ctx.filters, shown, title,
                                                 tables, fmt),
                file_name=f"papertrends-{title.split()[-1]}-report.{fmt}",
                mime=MIME[fmt], key=f"report_{fmt}", on_click="ignore",
                icon=":material/summarize:", width="stretch")
