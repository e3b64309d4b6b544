"""URL state: every filter and page setting lives in ``st.query_params``.

Each setting is a :class:`Param` with a widget key (``w_<name>``), a default and a text form. At the
start of a run, :func:`restore` copies the URL into Session State when the URL changed from outside
(first load, a pasted link, the browser's back button); widgets are then created with ``key=`` only.
At the end of a run, :func:`save` writes the widget values back to the URL, leaving out defaults,
so a copied URL reopens the same view.

Which parameters exist is said once, by the app: :func:`install` takes the shared ones
(:data:`SHARED`) and each page's ``PARAMS`` tuple. Declaring a parameter registers nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from analysis.names import BASES, DEFAULT_BASIS, DEFAULT_PERIOD, PERIODS, SELECTION

LAST = "_qp_last"  # the query string this session wrote last
LAST_PAGE = "_qp_page"  # the page of the previous run
RESTORED = "_qp_restored"  # True in a run whose state came from the URL
RANGE_SET = "_qp_range_set"  # the date range was set by the page (a brush): the date input follows
SHADOW = "_qp_shadow"  # last known value of every parameter (widget state of pages not shown
# is dropped by Streamlit; this brings it back when the page is shown again)


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _int(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


def _bool(text: str) -> bool:
    return text.lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class Param:
    """One piece of state that round-trips through the URL.

    Attributes:
        name: the query-parameter name.
        default: the value when the URL does not mention it (not written to the URL).
        parse: text -> value (None when the text is not valid: the default is used instead).
        text: value -> text.
        multi: a list of values (repeated parameter).
        page: the page url_path it belongs to ("" for shared filters, written on every page).
    """

    name: str
    default: Any
    parse: Callable[[str], Any] = str
    text: Callable[[Any], str] = str
    multi: bool = False
    page: str = ""
    values: tuple = field(default=())  # allowed values (empty: any)

    @property
    def key(self) -> str:
        """The Session State key of the parameter's widget, ``w_<name>``."""
        return f"w_{self.name}"

    def from_url(self, raw: list[str]) -> Any:
        """The value of the URL's texts for this parameter; the default when absent or invalid.

        A multi parameter keeps its valid values (an empty list when none is valid).
        """
        if self.multi:
            vals = [self.parse(r) for r in raw]
            return [v for v in vals if v is not None and (not self.values or v in self.values)]
        if not raw:
            return self.default
        val = self.parse(raw[-1])
        if val is None or (self.values and val not in self.values):
            return self.default
        return val

    def to_url(self, value: Any) -> list[str]:
        """The URL texts of a value: none for the default (or None), one per item when multi."""
        if value is None or value == self.default:
            return []
        if self.multi:
            return [self.text(v) for v in value]
        return [self.text(value)]


# Shared filters (sidebar) --------------------------------------------------------------------
FROM = Param("from", None, _date, dt.date.isoformat)
TO = Param("to", None, _date, dt.date.isoformat)
BASIS = Param("basis", DEFAULT_BASIS, values=BASES)
TOPIC = Param("topic", [], _int, str, multi=True)
MIN_UP = Param("min_upvotes", 0, _int, str)
PERIOD = Param("period", DEFAULT_PERIOD, values=tuple(PERIODS))
# What the trend charts count (topics and keywords alike): the share of a period, or papers.
MEASURE = Param("measure", "share", values=("share", "count"))
# Shared drill-down state: an open paper, a picked chart mark.
PAPER = Param("paper", "")
PICK = Param(SELECTION, "")
#: The parameters every page shares.
SHARED: tuple[Param, ...] = (FROM, TO, BASIS, TOPIC, MIN_UP, PERIOD, MEASURE, PAPER, PICK)

#: The parameters of this app, by name: set by :func:`install`.
PARAMS: dict[str, Param] = {}


def install(params: tuple[Param, ...]) -> None:
    """Say which parameters the app has (the shared ones and every page's); names are unique."""
    names = [p.name for p in params]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f"URL parameter(s) declared twice: {', '.join(repeated)}")
    PARAMS.clear()
    PARAMS.update((p.name, p) for p in params)


def bool_param(name: str, default: bool, page: str) -> Param:
    """A checkbox/toggle parameter of one page."""
    return Param(name, default, _bool, lambda v: "1" if v else "0", page=page)


def text_param(name: str, default: str, page: str, values: tuple = ()) -> Param:
    """A text/choice parameter of one page."""
    return Param(name, default, page=page, values=values)


def int_param(name: str, default: int | None, page: str) -> Param:
    """An integer parameter of one page."""
    return Param(name, default, _int, str, page=page)


def _current_query() -> dict[str, list[str]]:
    qp = st.query_params
    return {k: list(qp.get_all(k)) for k in qp}


def restore(page: str) -> None:
    """Copy the URL into Session State if the URL changed since this session last wrote it.

    On a move to another page (the sidebar links carry the shared filters), a page parameter
    the URL does not mention keeps the value the session last had for it; the open paper and
    the picked mark close. The app writes to the URL only what a person changed, so restoring
    a URL and saving it again gives the same URL (the back button never gets stuck).
    """
    ss = st.session_state
    query = _current_query()
    ss[RESTORED] = False
    last_page = ss.get(LAST_PAGE)
    ss[LAST_PAGE] = page
    moved = LAST in ss and last_page is not None and last_page != page
    shadow = ss.setdefault(SHADOW, {})
    for param in PARAMS.values():
        if param.key not in ss:
            ss[param.key] = shadow.get(param.name, param.default)
    if not moved and ss.get(LAST) == query:
        return
    for param in PARAMS.values():
        if param.name in query or not moved or param.page == "":
            ss[param.key] = param.from_url(query.get(param.name, []))
    ss[LAST] = query
    ss[RESTORED] = True


def shared_query() -> dict[str, list[str]]:
    """The shared filters as query parameters (for links to the other pages)."""
    query: dict[str, list[str]] = {}
    for param in PARAMS.values():
        if param.page == "" and param not in (PAPER, PICK):
            vals = param.to_url(st.session_state.get(param.key, param.default))
            if vals:
                query[param.name] = vals
    return query


def get(param: Param) -> Any:
    """The current value of a parameter (from Session State, else its default)."""
    return st.session_state.get(param.key, param.default)


def put(param: Param, value: Any) -> None:
    """Set a non-widget parameter (e.g. the open paper); it reaches the URL at :func:`save`."""
    st.session_state[param.key] = value


def set_range(start: dt.date | None, end: dt.date | None) -> None:
    """Set the date range from the page (e.g. a brush on a chart); the sidebar input follows."""
    put(FROM, start)
    put(TO, end)
    st.session_state[RANGE_SET] = True


def save(page: str) -> None:
    """Write the shared parameters and those of ``page`` to the URL (defaults left out)."""
    query: dict[str, list[str]] = {}
    shadow = st.session_state.setdefault(SHADOW, {})
    for param in PARAMS.values():
        if param.key in st.session_state:
            shadow[param.name] = st.session_state[param.key]
        if param.page not in ("", page):
            continue
        vals = param.to_url(st.session_state.get(param.key, param.default))
        if vals:
            query[param.name] = vals
    if query != _current_query():
        st.query_params.from_dict(query)
    st.session_state[LAST] = query
