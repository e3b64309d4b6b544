"""A view's chart as the Vega-Lite spec Streamlit draws, made once per view (not once per run).

``st.altair_chart`` turns the chart into a spec on every rerun, validating it against the
Vega-Lite schema each time (20-40 ms a chart). The views come from :mod:`analysis.views`, where
the same charts are validated whenever they are exported; here the spec is made once per cached
view, without validation, with its data as Arrow bytes (as Streamlit sends it), and handed to
``st.vega_lite_chart``. A rerun that changes no filter then costs no chart conversion at all.

Views whose chart has a template (``View.template``, e.g. the topic map: every paper, whatever
the filters) are drawn from the spec of an earlier view with the same template key: only the
dataset, the title and the parameter values of ``View.params`` are put in, and the Altair chart
is never built (building and converting the map's six layers is most of a filter change on the
Topics page). A template is kept only after checking that its one dataset is the view's
``plotted()`` frame and its title the view's. A dataset is encoded once per frame object: the
map's frame is the same object under every filter (the filters reach it as its ``keep``
parameter), so a filter change does not encode its papers again.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import threading
import weakref
from collections.abc import Callable
from typing import TypeVar

import altair as alt
import polars as pl
import pyarrow as pa

from analysis.views.charts import titled

#: Altair's data transformers are global: one conversion at a time.
_LOCK = threading.Lock()
#: id(view) -> (weak reference to the view, its spec).
_SPECS: dict[int, tuple[weakref.ref, dict]] = {}
#: View.template -> a spec of that template (the last one made; a few per store and search).
_TEMPLATES: dict[tuple, dict] = {}
MAX_TEMPLATES = 32
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
    table = frame.rechunk().to_arrow()  # one chunk a column, however the frame was made
    sink = pa.BufferOutputStream()
    with pa.RecordBatchStreamWriter(sink, table.schema) as writer:
        writer.write_table(table)
    raw = sink.getvalue().to_pybytes()
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
    return titled(view.title, view.caption).to_dict(validate=False)


def _renamed(node, old: str, new: str):
    """The spec with every reference to dataset ``old`` made one to ``new``."""
    if isinstance(node, dict):
        return {k: _renamed(v, old, new) for k, v in node.items()}
    if isinstance(node, list):
        return [_renamed(v, old, new) for v in node]
    return new if node == old else node


def with_dataset(spec: dict, frame: pl.DataFrame) -> dict:
    """A spec with one dataset, that dataset replaced by ``frame`` (as the chart embeds it).

    Raises:
        ValueError: the spec does not have exactly one dataset.
    """
    if len(spec.get("datasets", {})) != 1:
        raise ValueError("with_dataset needs a spec with exactly one dataset")
    (old,) = spec["datasets"]
    name, raw = encoded(frame)
    out = _renamed({k: v for k, v in spec.items() if k != "datasets"}, old, name)
    out["datasets"] = {name: raw}
    return out


def _from_template(view) -> dict | None:
    """The view's spec from a template of the same key, or None (none yet, or no template)."""
    spec = _TEMPLATES.get(view.template) if view.template is not None else None
    if spec is None:
        return None
    out = with_dataset(spec, view.plotted())
    out["title"] = _title(view)
    for param in out.get("params", []):
        if param.get("name") in view.params:
            param["value"] = copy.deepcopy(view.params[param["name"]])
    return out


def _keep_template(view, spec: dict) -> None:
    """Keep a view's spec as its template, once it is checked to differ only in data and title."""
    if view.template is None or len(spec.get("datasets", {})) != 1:
        return
    if next(iter(spec["datasets"])) != encoded(view.plotted())[0]:
        return  # the chart embeds some other frame: no template
    if spec.get("title") != _title(view):
        return
    if len(_TEMPLATES) >= MAX_TEMPLATES:
        _TEMPLATES.pop(next(iter(_TEMPLATES)))
    _TEMPLATES[view.template] = spec


def spec_of(view) -> dict:
    """The spec of a view's chart, made on its first use and kept as long as the view is."""
    return fresh(per_object(_SPECS, view, functools.partial(_make_spec, view)))


def _make_spec(view) -> dict:
    spec = _from_template(view)
    if spec is None:
        spec = to_spec(view.chart)
        _keep_template(view, spec)
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
