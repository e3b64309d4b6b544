"""The smallest shared UI pieces: empty states, a row of metrics, a guarded page body."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from analysis.schema import InputError


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
