"""Results worked out from a paper frame, kept while that frame lives (the dashboard keeps one).

:func:`whole`: facts about the whole frame that no filter changes (e.g. its columns as arrays,
every topic's colour), kept until the frame goes. :func:`per_frame`: results of one filter state.

A page asks for some of them more than once per filter change (the topic frequency for the topic
trend, one topic's size and the headline counts; the paper count and span of every view's
caption): the first call computes, the others reuse. Keyed by the frame's identity and a
hashable key (e.g. the filters); a weak reference makes sure a new frame with a recycled id
never gets an old result.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import polars as pl

T = TypeVar("T")
_LOCK = threading.Lock()
#: (id of a paper frame, key) -> (weak reference to the frame, value), oldest first.
_KEPT: dict[tuple[int, Hashable], tuple[weakref.ref, Any]] = {}
#: How many results are kept (the last few filter states of every page).
MAX_KEPT = 64


def per_frame(lf: pl.LazyFrame | pl.DataFrame, key: Hashable, make: Callable[[], T]) -> T:
    """``make()``, or its earlier result for this frame and ``key``."""
    k = (id(lf), key)
    with _LOCK:
        hit = _KEPT.get(k)
    if hit is not None and hit[0]() is lf:
        return hit[1]
    value = make()
    with _LOCK:
        while len(_KEPT) >= MAX_KEPT:
            _KEPT.pop(next(iter(_KEPT)))
        _KEPT[k] = (weakref.ref(lf), value)
    return value


#: (id of a paper frame, what) -> (weak reference to the frame, value): facts about the whole
#: frame that no filter changes, worked out once per frame.
_FACTS: dict[tuple[int, str], tuple[weakref.ref, Any]] = {}


def whole(lf: object, what: str, make: Callable[[], T]) -> T:
    """``make()`` once per paper frame and ``what`` (forgotten with the frame).

    ``lf`` may be any object that takes weak references, e.g. the phrase index that
    ``analysis.trends.text_phrases`` orders once per index.
    """
    key = (id(lf), what)
    hit = _FACTS.get(key)
    if hit is None or hit[0]() is not lf:

        def forget(_ref: weakref.ref, k: tuple[int, str] = key,
                   facts: dict = _FACTS) -> None:  # bound now: at exit the global is gone
            facts.pop(k, None)

        hit = (weakref.ref(lf, forget), make())
        _FACTS[key] = hit
    return hit[1]


def forget() -> None:
    """Drop every kept result and fact, as in a new process (a benchmark's next round)."""
    with _LOCK:
        _KEPT.clear()
    _FACTS.clear()
