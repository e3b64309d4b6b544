"""A view's chart as the Vega-Lite spec Streamlit draws, made once per view (not once per run).

``st.altair_chart`` turns the chart into a spec on every rerun, validating it against the
Vega-Lite schema each time (20-40 ms a chart). The views come from :mod:`analysis.views`, where
the same charts are validated whenever they are exported; here the spec is made once per cached
view, without validation, with its data as Arrow bytes (as Streamlit sends it), and handed to
``st.vega_lite_chart``. A rerun that changes no filter then costs no chart conversion at all.
"""

from __future__ import annotations

import copy
import hashlib
import threading
import weakref

import altair as alt
import polars as pl
import pyarrow as pa

#: Altair's data transformers are global: one conversion at a time.
_LOCK = threading.Lock()
#: id(view) -> (weak reference to the view, its spec).
_SPECS: dict[int, tuple[weakref.ref, dict]] = {}
TRANSFORMER = "papertrends_arrow"


def _arrow_dataset(data, datasets: dict[str, bytes]) -> dict[str, str]:
    """Altair data transformer: the chart's frame as Arrow IPC bytes under a content name."""
    frame = data if isinstance(data, pl.DataFrame) else pl.DataFrame(data)
    table = frame.to_arrow()
    sink = pa.BufferOutputStream()
    with pa.RecordBatchStreamWriter(sink, table.schema) as writer:
        writer.write_table(table)
    raw = sink.getvalue().to_pybytes()
    name = "data-" + hashlib.blake2b(raw, digest_size=16).hexdigest()
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


def spec_of(view) -> dict:
    """The spec of a view's chart, made on its first use and kept as long as the view is."""
    key = id(view)
    hit = _SPECS.get(key)
    if hit is None or hit[0]() is not view:
        spec = to_spec(view.chart)
        _SPECS[key] = (weakref.ref(view, lambda _ref, k=key: _SPECS.pop(k, None)), spec)
        hit = _SPECS[key]
    return fresh(hit[1])


def fresh(spec: dict) -> dict:
    """A copy Streamlit may change (the Arrow bytes are shared, the rest is copied)."""
    out = copy.deepcopy({k: v for k, v in spec.items() if k != "datasets"})
    out["datasets"] = dict(spec.get("datasets", {}))
    return out
