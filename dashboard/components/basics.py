"""The smallest shared UI pieces: empty states, metrics, the data note, a guarded page body."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import streamlit as st

from analysis.commands.data import summarise
from analysis.schema import InputError
from analysis.store import Store
from analysis.views.notes import data_note as note_text
from dashboard.text import md_escape


def empty(message: str) -> None:
    """An empty state that says what to change."""
    st.info(message, icon=":material/filter_alt_off:")


def no_papers() -> None:
    """The empty state of a view that no paper matches."""
    empty("No papers match these filters: widen the date range, clear the topic choice or "
          "lower the minimum upvotes in the sidebar.")


def metric_row(items: list[tuple[str, str]]) -> None:
    """Metrics side by side: (label, value) pairs."""
    cols = st.columns(len(items))
    for col, (label, value) in zip(cols, items, strict=True):
        col.metric(label, value)


def guarded(render: Callable[[], None]) -> None:
    """Run a page body; bad input becomes a one-line error, never a traceback."""
    try:
        render()
    except InputError as err:
        st.error(str(err))


@st.cache_data(show_spinner=False, max_entries=16)
def _note(root: str, stamp: tuple) -> tuple[str, str]:
    """(the one-line note, the store's README text or "") of a store version."""
    store = Store(root)
    readme = Path(root) / "README.md"
    about = readme.read_text(encoding="utf-8") if readme.is_file() else ""
    return note_text(summarise(store)), about


def data_note(ctx) -> None:
    """One line under a page's title: source, span, papers a day, the upvote caveat.

    The facts come from the store (``papertrends info``); "About the data" opens the store's
    README (for the bundled data: source, license and caveats).
    """
    line, about = _note(ctx.loaded.root, ctx.loaded.stamp)
    left, right = st.columns([16, 1], vertical_alignment="center", gap="small")
    left.caption(md_escape(line))
    if about:
        with right.popover("", icon=":material/info:", help="About the data"):
            st.markdown(about)
