"""The shared filters in the sidebar: date range, date basis, topics, minimum upvotes, period.

Widgets are created with ``key=`` only; their values live in Session State, which
:mod:`dashboard.state` keeps in step with the URL.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import streamlit as st

from analysis.filters import Filters
from analysis.names import BASES, OUTLIER, PERIODS, UNASSIGNED
from dashboard import state
from dashboard.loader import Loaded
from dashboard.text import md_escape

DATES_KEY = "w_dates"


def _bounds(loaded: Loaded, basis: str) -> tuple[dt.date, dt.date]:
    col = loaded.frame.get_column(basis) if loaded.frame.height else pl.Series([], dtype=pl.Date)
    lo, hi = col.min(), col.max()
    today = dt.date.today()
    return (lo if isinstance(lo, dt.date) else today), (hi if isinstance(hi, dt.date) else today)


def _clamp(day: dt.date | None, lo: dt.date, hi: dt.date) -> dt.date | None:
    return None if day is None else min(max(day, lo), hi)


def filters(loaded: Loaded) -> Filters:
    """Draw the filter widgets and return the Filters they describe."""
    ss = st.session_state
    sb = st.sidebar
    sb.segmented_control("Date basis", BASES, key=state.BASIS.key,
                         help="listed: the day on the daily list; published: the arXiv date "
                         "(papers from page dumps have only this one)")
    basis = state.get(state.BASIS) or "listed"
    _unlisted_note(loaded, basis)
    lo, hi = _bounds(loaded, basis)
    start, end = _clamp(state.get(state.FROM), lo, hi), _clamp(state.get(state.TO), lo, hi)
    wanted = (start or lo, end or hi)
    current = ss.get(DATES_KEY)
    # follow the URL, a new basis, or new data (an untouched end stays "first"/"last")
    if (ss.get(state.RESTORED) or ss.pop(state.RANGE_SET, False) or not current
            or ss.get("_dates_bounds") != (basis, lo, hi)):
        ss[DATES_KEY] = wanted
    ss["_dates_bounds"] = (basis, lo, hi)
    picked = sb.date_input("Date range", min_value=lo, max_value=hi, key=DATES_KEY,
                           format="YYYY-MM-DD")
    if isinstance(picked, tuple | list) and len(picked) == 2 and tuple(picked) != wanted:
        a, b = picked  # the person changed the range (an untouched end stays open)
        state.put(state.FROM, None if a == lo else a)
        state.put(state.TO, None if b == hi else b)
    _group_filter(loaded)
    topic_ids = _topic_options(loaded)
    if topic_ids:
        ss[state.TOPIC.key] = [t for t in ss.get(state.TOPIC.key, []) if t in topic_ids]
        labels = loaded.labels()
        sb.multiselect("Topics", topic_ids, key=state.TOPIC.key,
                       format_func=lambda t: labels.get(t, f"topic {t}"),
                       placeholder="All topics", help="Keep only papers in these topics")
    else:
        ss[state.TOPIC.key] = []
    sb.number_input("Minimum upvotes", min_value=0, step=1, key=state.MIN_UP.key,
                    help="0 keeps every paper, also those without an upvote count")
    sb.segmented_control("Period", tuple(PERIODS), key=state.PERIOD.key)
    sb.button("Reset filters", key="reset_filters", icon=":material/restart_alt:",
              type="tertiary", on_click=_reset)
    return build()


def build() -> Filters:
    """The Filters the shared parameters describe (raises ValueError for a reversed range)."""
    min_up = state.get(state.MIN_UP) or 0
    return Filters(
        start=state.get(state.FROM), end=state.get(state.TO),
        basis=state.get(state.BASIS) or "listed",
        topics=tuple(state.get(state.TOPIC) or ()), groups=tuple(state.get(state.GROUP) or ()),
        min_upvotes=min_up or None,
        period=state.get(state.PERIOD) or "month",
    )


def _group_filter(loaded: Loaded) -> None:
    """The topic-group filter, above the topic filter (only when the fit has groups)."""
    ss = st.session_state
    if not loaded.has_topics or loaded.groups.height == 0:
        ss[state.GROUP.key] = []
        return
    labels = loaded.group_labels()
    ids = (loaded.groups.get_column("group").to_list() + [OUTLIER]
           + ([UNASSIGNED] if loaded.unassigned else []))
    ss[state.GROUP.key] = [g for g in ss.get(state.GROUP.key, []) if g in ids]
    st.sidebar.multiselect("Topic groups", ids, key=state.GROUP.key,
                           format_func=lambda g: labels.get(g, f"group {g}"),
                           placeholder="All groups",
                           help="Keep only papers whose topic is in these groups")


def _unlisted_note(loaded: Loaded, basis: str) -> None:
    """On the listed basis, say how many papers have no listing day (they are left out)."""
    if basis != "listed" or "listed" not in loaded.frame.columns:
        return
    missing = loaded.frame.get_column("listed").null_count()
    if missing:
        noun = "paper" if missing == 1 else "papers"
        st.sidebar.caption(f"{missing:,} {noun} without a listing day are shown only on the "
                           "published basis.")


def _topic_options(loaded: Loaded) -> list[int]:
    """Topic ids, largest first, then the outliers and (if any) the papers not yet assigned.

    Only the topics of the chosen topic groups, if any (with the outliers and the papers not yet
    assigned when their own groups, -1 and -2, are chosen).
    """
    if not loaded.has_topics:
        return []
    table = loaded.topics
    if "size" in table.columns:
        table = table.sort(["size", "topic"], descending=[True, False])
    groups = state.get(state.GROUP) or []
    if groups and "group" in table.columns:
        table = table.filter(pl.col("group").is_in(groups))
    ids = [t for t in table.get_column("topic").to_list() if t >= 0]
    extra = [OUTLIER] + ([UNASSIGNED] if loaded.unassigned else [])
    return ids + [t for t in extra if not groups or t in groups]


def _reset() -> None:
    for param in (state.FROM, state.TO, state.BASIS, state.TOPIC, state.GROUP, state.MIN_UP,
                  state.PERIOD):
        state.put(param, param.default)
    st.session_state.pop(DATES_KEY, None)


def nav_links(pages) -> None:
    """Links to the pages that carry the shared filters along (one history entry per move)."""
    query = state.shared_query()
    for page in pages:
        st.page_link(page, query_params=query or None)


def store_note(loaded: Loaded, root: str) -> None:
    """Which store is open, at the bottom of the sidebar."""
    st.sidebar.caption(f"Store: {md_escape(root)} · {loaded.frame.height:,} papers")
