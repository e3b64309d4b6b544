"""Exports: a chart as PNG, SVG or self-contained HTML, a view's data as CSV, safe file names.

Rendering goes through Altair's ``chart.save`` with vl-convert, which runs Vega in-process: no
browser and no network. The HTML export inlines the Vega JavaScript bundle, so the file opens
with no network.

The report of a whole page is in :mod:`analysis.views.report`.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import altair as alt

from analysis.filters import Filters
from analysis.names import EXPORT_FORMATS
from analysis.store import atomic_write_bytes
from analysis.views.csv import safe_csv

#: SVG rendering (crisp when zoomed or printed); vega-embed's menu keeps "save as PNG/SVG" but
#: not the links that would open the online Vega editor.
EMBED_OPTIONS = {"renderer": "svg",
                 "actions": {"export": True, "source": False, "compiled": False, "editor": False}}


class HtmlSafeJSONEncoder(json.JSONEncoder):
    r"""JSON that is safe inside an HTML ``<script>``: ``<``, ``>`` and ``&`` become ``\u00XX``.

    Paper titles travel in the chart data; a title holding ``</script>`` must not end the
    script element. The escapes decode to the same characters in JavaScript.
    """

    def encode(self, o: object) -> str:
        """The JSON text of ``o``, escaped."""
        return _html_safe(super().encode(o))

    def iterencode(self, o: object, _one_shot: bool = False):
        """The JSON text of ``o`` in escaped chunks (as ``json.dump`` writes it)."""
        for chunk in super().iterencode(o, _one_shot):
            yield _html_safe(chunk)


def _html_safe(text: str) -> str:
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def sized(chart: alt.TopLevelMixin, width: int | None = None,
          height: int | None = None) -> alt.TopLevelMixin:
    """The chart fitted to ``width`` x ``height`` pixels overall (title, axes, legend included)."""
    if width is None and height is None:
        return chart
    props = {k: v for k, v in (("width", width), ("height", height)) if v is not None}
    return chart.properties(**props, autosize=alt.AutoSizeParams(type="fit", contains="padding"))


def to_png(chart: alt.TopLevelMixin, scale: float = 2, *, width: int | None = None,
           height: int | None = None) -> bytes:
    """The chart as PNG bytes, ``scale`` times its size in pixels.

    Args:
        chart: the chart.
        scale: pixel density; 2 doubles width and height (sharp in print and on HiDPI screens).
        width: the chart's overall width before scaling (default: its natural width).
        height: the chart's overall height before scaling (default: its natural height).
    """
    buf = io.BytesIO()
    sized(chart, width, height).save(buf, format="png", scale_factor=scale)
    return buf.getvalue()


def to_svg(chart: alt.TopLevelMixin, *, width: int | None = None,
           height: int | None = None) -> str:
    """The chart as an SVG document (text), optionally fitted to ``width`` x ``height``."""
    buf = io.StringIO()
    sized(chart, width, height).save(buf, format="svg")
    return buf.getvalue()


def to_html(chart: alt.TopLevelMixin) -> str:
    """The chart as one interactive HTML page with the Vega libraries inlined (works offline)."""
    buf = io.StringIO()
    chart.save(buf, format="html", inline=True, embed_options=EMBED_OPTIONS,
               json_kwds={"cls": HtmlSafeJSONEncoder})
    return buf.getvalue()


def to_csv(view) -> str:
    """The view's data (exactly what the chart plots) as CSV, formula-looking cells neutralised."""
    return safe_csv(view.data)


def render(view, fmt: str, *, scale: float = 2, width: int | None = None,
           height: int | None = None) -> bytes:
    """A view in one of ``EXPORT_FORMATS`` as bytes (text formats UTF-8 encoded)."""
    if fmt == "png":
        return to_png(view.chart, scale=scale, width=width, height=height)
    if fmt == "svg":
        return to_svg(view.chart, width=width, height=height).encode("utf-8")
    if fmt == "html":
        return to_html(view.chart).encode("utf-8")
    if fmt == "csv":
        return to_csv(view).encode("utf-8")
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(EXPORT_FORMATS)}")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def file_name(name: str, filters: Filters, fmt: str, options: dict | None = None) -> str:
    """A safe file name from the view name, the filters and the phrases.

    For example ``topic-trend_published_2024-01-01_to_last_month_topics-3-5.png``: only
    ``[a-z0-9._-]``, never empty, no path separators, at most ~120 characters.
    """
    parts = [_slug(name) or "chart", filters.basis,
             f"{filters.start or 'first'}_to_{filters.end or 'last'}", filters.period]
    if filters.topics:
        parts.append("topics-" + "-".join(str(t) for t in filters.topics))
    if filters.min_upvotes is not None:
        parts.append(f"min{filters.min_upvotes}up")
    for phrase in (options or {}).get("phrases", ()) or ():
        parts.append(_slug(phrase)[:30])
    stem = "_".join(p for p in parts if p)[:120].strip("_-.")
    return f"{stem}.{_slug(fmt) or 'out'}"


def write(view, fmt: str, out: Path, *, scale: float = 2, width: int | None = None,
          height: int | None = None) -> int:
    """Write a view to ``out`` atomically; returns the number of bytes written."""
    data = render(view, fmt, scale=scale, width=width, height=height)
    atomic_write_bytes(Path(out), data)
    return len(data)
