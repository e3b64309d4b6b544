"""A view's chart as the Vega-Lite spec Streamlit draws, made once per view (not once per run).

``st.altair_chart`` turns the chart into a spec on every rerun, validating it against the
Vega-Lite schema each time (20-40 ms a chart). The views come from :mod:`analysis.views`, where
the same charts are validated whenever they are exported; here the spec is made once per cached
view, without validation, with its data as Arrow bytes (as Streamlit sends it), and handed to
``st.vega_lite_chart``. A rerun that changes no filter then costs no chart conversion at all.

Views whose chart has a template (``View.template``, e.g. the topic map: every paper, whatever
the filters) are drawn from the spec of an earlier view with the same template key: only the
dataset, the title, the parameter values of ``View.params`` and the slots of ``View.slots`` (the
period axis, the topic colours) are put in, and the Altair chart is never built (building and
converting the map's six layers is most of a filter change on the Topics page). A template is
kept only after checking that its one dataset is the view's ``plotted()`` frame, its title the
view's, and that each of its slots is in it. When a chart that takes a period gets its
template, the templates of the other period sizes are made from the same rows, so the first
change of period is drawn from a template too. A dataset is encoded once per frame object: the
map's frame is the same object under every filter (the filters reach it as its ``keep``
parameter), so a filter change does not encode its papers again.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import io
import threading
import weakref
from collections.abc import Callable, Sequence
from typing import TypeVar

import altair as alt
import polars as pl

from analysis.views.charts import title_dict
from analysis.views.view import other_periods

#: Altair's data transformers are global: one conversion at a time.
_LOCK = threading.Lock()
#: id(view) -> (weak reference to the view, its spec).
_SPECS: dict[int, tuple[weakref.ref, dict]] = {}
#: View.template -> (a spec of that template without its datasets, that spec's slots, and the
#: paths in it of each slot and, under None, of the dataset's name); a few per store and search.
_TEMPLATES: dict[tuple, tuple[dict, dict, dict]] = {}
MAX_TEMPLATES = 128
TRANSFORMER = "papertrends_arrow"
#: id(frame) -> (weak reference to the frame, its Arrow dataset): a frame drawn again (the map's
#: papers under another filter) is not encoded again.
_ENCODED: dict[int, tuple[weakref.ref, tuple[str, bytes]]] = {}
T = TypeVar("T")


def per_object(table: dict, obj, make: Callable[[], T]) -> T:
    """``make()``, kept in ``table`` while ``obj`` lives.

    Keyed by identity (views and frames have no hash); the entry goes when ``obj`` is collected.
    """
    key = id(obj)
    hit = table.get(key)
    if hit is not None and hit[0]() is obj:
        return hit[1]
    value = make()
    table[key] = (weakref.ref(obj, functools.partial(_drop, table, key)), value)
    return value


def _drop(table: dict, key: int, _ref: weakref.ref) -> None:
    table.pop(key, None)


def encoded(frame: pl.DataFrame) -> tuple[str, bytes]:
    """:func:`arrow_dataset` of a frame, made once while that frame object lives."""
    return per_object(_ENCODED, frame, functools.partial(arrow_dataset, frame))


def arrow_dataset(frame: pl.DataFrame) -> tuple[str, bytes]:
    """A frame as Arrow IPC stream bytes, and its content name (equal frames, equal bytes)."""
    sink = io.BytesIO()
    # one chunk a column, however the frame was made; written by Polars itself (a third of the
    # time of a pyarrow table and writer) in the IPC types pyarrow gives (large strings)
    frame.rechunk().write_ipc_stream(sink, compat_level=pl.CompatLevel.oldest())
    raw = sink.getvalue()
    return "data-" + hashlib.blake2b(raw, digest_size=16).hexdigest(), raw


def _arrow_dataset(data, datasets: dict[str, bytes]) -> dict[str, str]:
    """Altair data transformer: the chart's frame as Arrow IPC bytes under a content name."""
    name, raw = arrow_dataset(data if isinstance(data, pl.DataFrame) else pl.DataFrame(data))
    datasets[name] = raw
    return {"name": name}


alt.data_transformers.register(TRANSFORMER, _arrow_dataset)


def to_spec(chart: alt.TopLevelMixin) -> dict:
    """The chart as a Vega-Lite dict with its data as named Arrow datasets (not validated)."""
    datasets: dict[str, bytes] = {}
    with _LOCK, alt.data_transformers.enable(TRANSFORMER, datasets=datasets):
        spec = chart.to_dict(validate=False)
    spec["datasets"] = {**spec.get("datasets", {}), **datasets}
    return spec


def _title(view) -> dict:
    return title_dict(view.title, view.caption)


def _paths(node, part, at: tuple = ()) -> list[tuple]:
    """Where ``part`` is in the spec: the key/index path of each place, outermost only."""
    if type(node) is type(part) and node == part:
        return [at]
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in _paths(v, part, (*at, k))]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in _paths(v, part, (*at, i))]
    return []


def _put(node, places: Sequence[tuple[tuple, object]]):
    """The spec with the value at each path of ``places`` (path, new) replaced.

    Only the dicts and lists on those paths are copied; the rest is shared with ``node``. No
    path may lie inside another.
    """
    if any(not path for path, _ in places):
        return places[0][1]
    out = dict(node) if isinstance(node, dict) else list(node)
    below: dict = {}
    for path, new in places:
        below.setdefault(path[0], []).append((path[1:], new))
    for key, inner in below.items():
        out[key] = _put(node[key], inner)
    return out


def with_dataset(spec: dict, frame: pl.DataFrame) -> dict:
    """A spec with one dataset, that dataset replaced by ``frame`` (as the chart embeds it).

    Raises:
        ValueError: the spec does not have exactly one dataset.
    """
    if len(spec.get("datasets", {})) != 1:
        raise ValueError("with_dataset needs a spec with exactly one dataset")
    (old,) = spec["datasets"]
    name, raw = encoded(frame)
    bare = {k: v for k, v in spec.items() if k != "datasets"}
    out = _put(bare, [(path, name) for path in _paths(bare, old)])
    out["datasets"] = {name: raw}
    return out


def _from_template(view) -> dict | None:
    """The view's spec from a template of the same key, or None (none yet, or no template)."""
    kept = _TEMPLATES.get(view.template) if view.template is not None else None
    if kept is None:
        return None
    spec, slots, paths = kept
    name, raw = encoded(view.plotted())
    places = [(path, name) for path in paths[None]]
    places += [(path, view.slots[k]) for k in slots if slots[k] != view.slots.get(k)
               for path in paths[k]]
    out = _put(spec, places)
    out["datasets"] = {name: raw}
    out["title"] = _title(view)
    if out.get("params"):
        out["params"] = [dict(param, value=copy.deepcopy(view.params[param["name"]]))
                         if param.get("name") in view.params else param
                         for param in out["params"]]
    return out


def _keep_template(view, spec: dict, key: tuple | None = None,
                   slots: dict | None = None) -> bool:
    """Keep a spec of the view as the template of ``key`` (default: the view's own).

    Kept once it is checked to differ from others of its key only in data, title and slots;
    returns whether it was kept.
    """
    key = view.template if key is None else key
    slots = view.slots if slots is None else slots
    if key is None or len(spec.get("datasets", {})) != 1:
        return False
    if next(iter(spec["datasets"])) != encoded(view.plotted())[0]:
        return False  # the chart embeds some other frame: no template
    if spec.get("title") != _title(view):
        return False
    bare = {k: v for k, v in spec.items() if k != "datasets"}
    paths = {k: _paths(bare, part) for k, part in slots.items()}
    paths[None] = _paths(bare, next(iter(spec["datasets"])))
    if not all(paths.values()):
        return False  # a slot that could not be put in
    every = sorted(path for found in paths.values() for path in found)
    if any(b[:len(a)] == a for a, b in zip(every, every[1:], strict=False)):
        return False  # one slot inside another (or the same place twice): no single filling
    if len(_TEMPLATES) >= MAX_TEMPLATES:
        _TEMPLATES.pop(next(iter(_TEMPLATES)))
    _TEMPLATES[key] = (bare, slots, paths)
    return True


def spec_of(view) -> dict:
    """The spec of a view's chart, made on its first use and kept as long as the view is."""
    return fresh(per_object(_SPECS, view, functools.partial(_make_spec, view)))


def _make_spec(view) -> dict:
    spec = _from_template(view)
    if spec is None:
        spec = to_spec(view.chart)
        if _keep_template(view, spec):
            for key, slots, make in other_periods(view):
                if key not in _TEMPLATES:
                    _keep_template(view, to_spec(make()), key, slots)
    return spec


def selections(spec: dict) -> set[str]:
    """Names of the spec's selection parameters not bound to an input (where the page listens)."""
    found: set[str] = set()
    for layer in [spec, *spec.get("layer", [])]:
        for param in layer.get("params", []):
            if "select" in param and "bind" not in param:
                found.add(str(param["name"]))
    return found


def fresh(spec: dict) -> dict:
    """A copy Streamlit may change (the Arrow bytes are shared, the rest is copied)."""
    out = copy.deepcopy({k: v for k, v in spec.items() if k != "datasets"})
    out["datasets"] = dict(spec.get("datasets", {}))
    return out
