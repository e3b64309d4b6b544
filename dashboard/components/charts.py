"""A view on the page: its chart (with drill-down picks and the date brush), downloads, reports.

Every chart comes from :mod:`analysis.views` through :func:`view` (cached per data version and
filters). A click on a mark becomes the ``pick`` in the URL, a drag across a time axis the date
range (see :mod:`dashboard.components.drill`). Both are taken in the chart's ``on_select``
callback, which Streamlit runs before the page: every list on the page then follows the one pick
in the URL, and the other charts are drawn afresh (their old selection cleared).
"""

from __future__ import annotations

import functools

import streamlit as st

from analysis.names import BRUSH, EXPORT_FORMATS, MIME, SELECTION
from analysis.schema import InputError
from dashboard import state
from dashboard.components import downloads, drill, vega
from dashboard.components.basics import no_papers
from dashboard.context import Context

#: Download buttons under a chart: (label, format).
BUTTONS = tuple(zip(("PNG 2x", "SVG", "HTML", "CSV"), EXPORT_FORMATS, strict=True))
#: Session State: chart key -> generation (a new generation draws the chart with no selection).
GENERATIONS = "_chart_generations"


def view(ctx: Context, name: str, **options):
    """Build a view through analysis.views (cached); None with a message when it cannot be drawn."""
    try:
        return ctx.view(name, **options)
    except InputError as err:
        st.warning(str(err))
        return None


def selections(spec: dict) -> list[str]:
    """The selection parameters of a view's chart the page listens to (pick, date brush)."""
    names = vega.selections(spec)
    return [n for n in (SELECTION, BRUSH) if n in names]


def _widget_key(key: str) -> str:
    return f"{key}~{st.session_state.get(GENERATIONS, {}).get(key, 0)}"


def _redraw_others(key: str) -> None:
    """Give every other chart a new generation, so none keeps a stale selection on screen."""
    gens = st.session_state.setdefault(GENERATIONS, {})
    for other in list(gens):
        if other != key:
            gens[other] += 1


def chart(ctx: Context, v, *, key: str, drill_down: bool = True) -> drill.Pick | None:
    """Show a view's chart, its downloads, and (when a mark is picked) the papers behind it.

    Returns:
        The current pick of this chart (the URL's, when it came from this view), or None.
    """
    if v is None:
        return None
    if v.papers == 0:
        no_papers()
        return None
    gens = st.session_state.setdefault(GENERATIONS, {})
    if st.session_state.get(state.RESTORED):  # a URL from outside: no old selection stays
        gens[key] = gens.get(key, 0) + 1
    gens.setdefault(key, 0)
    spec = vega.spec_of(v)
    listen = selections(spec) if drill_down else []
    wkey = _widget_key(key)
    if listen:
        st.vega_lite_chart(spec, key=wkey, theme=None, width="content", selection_mode=listen,
                           on_select=functools.partial(_selected, key, wkey, v.name,
                                                       v.filters.period))
    else:
        st.vega_lite_chart(spec, key=wkey, theme=None, width="content")
    download_buttons(v, key)
    pick = drill.decode(state.get(state.PICK))
    return pick if pick and pick.view == v.name else None


def _selected(key: str, wkey: str, view_name: str, period: str) -> None:
    """A chart's selection changed (a click or a drag): update the URL state before the page."""
    event = st.session_state.get(wkey)
    span = drill.span_from_event(event, period)
    if span is not None:  # a drag across the time axis: it sets the date range
        state.set_range(*span)
        state.put(state.PICK, "")
        gens = st.session_state.setdefault(GENERATIONS, {})
        gens[key] = gens.get(key, 0) + 1  # drawn again without the brush, on the new range
        return
    clicked = drill.from_event(view_name, event)
    current = drill.decode(state.get(state.PICK))
    if clicked is None and current is not None and current.view != view_name:
        return  # this chart lost its selection because another took the pick
    state.put(state.PICK, clicked.encode() if clicked else "")
    state.put(state.PAPER, str(clicked.values.get("paper_id", "")) if clicked else "")
    _redraw_others(key)


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
