"""The report: a page of views as one self-contained HTML file or a zip, with provenance.

``build_report(store, lf, filters, views)`` gives one HTML page (charts as SVG images, tables
escaped, a provenance block) and a zip with every chart as PNG and SVG and its data as CSV. The
page carries a Content-Security-Policy that allows no script and no request.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import importlib.metadata
import io
import json
import platform
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from analysis.filters import Filters
from analysis.names import iso
from analysis.schema import InputError
from analysis.store import atomic_write_bytes, atomic_write_text
from analysis.topics import artifacts
from analysis.views.notes import model_text
from analysis.views.render import file_name, to_csv, to_svg
from analysis.views.view import scope

PACKAGES = ("papertrends", "polars", "altair", "vl-convert-python", "numpy", "scipy", "bertopic",
            "sentence-transformers", "umap-learn", "hdbscan", "scikit-learn", "model2vec",
            "streamlit")
TABLE_ROWS = 25
#: Larger SVGs go into the report page as their PNG (smaller, and quicker to show).
SVG_INLINE_MAX = 1_000_000


def package_versions() -> dict[str, str]:
    """Installed versions of the packages that shape the results (and Python's)."""
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def topic_meta(store) -> dict | None:
    """The topic model's meta (seed, embedder, ...) when the store has one, else None."""
    if not artifacts.has_topics(store):
        return None
    return artifacts.read_meta(store)


def provenance(store, lf: pl.LazyFrame, filters: Filters, views: Sequence = ()) -> dict:
    """Where a report's numbers come from, as JSON-ready values.

    Filters, period, paper count and date span, store and corpus hash, topic-model settings and
    seed, package versions, when the report was made and the views it holds.
    """
    sc = scope(lf, filters)
    meta = topic_meta(store)
    return {
        "filters": filters.as_dict(),
        "filters_text": filters.describe(),
        "period": filters.period,
        "papers": sc.papers,
        "date_span": {"basis": filters.basis, "first": iso(sc.first), "last": iso(sc.last)},
        "store": str(Path(store.root).resolve()),
        "corpus_hash": store.corpus_hash(),
        "topic_model": meta,
        "seed": _seed(meta),
        "packages": package_versions(),
        "made_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "views": [{"name": v.name, "title": v.title, "options": v.options} for v in views],
    }


def _seed(meta: dict | None) -> int | None:
    if not meta:
        return None
    typed = artifacts.TopicMeta.from_dict(meta)
    return typed.seed if typed.seed is not None else typed.settings.get("seed")


@dataclass
class Report:
    """A report: the HTML page, the files for the zip and the provenance it was built with."""

    html: str
    provenance: dict
    files: dict[str, bytes] = field(default_factory=dict)

    def zip_bytes(self) -> bytes:
        """A zip with the page, provenance.json and each chart's PNG, SVG and CSV."""
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("report.html", self.html)
            zf.writestr("provenance.json", json.dumps(self.provenance, indent=2, default=str))
            for name, data in self.files.items():
                zf.writestr(name, data)
        return buf.getvalue()


def build_report(store, lf: pl.LazyFrame, filters: Filters, views: Sequence, *,
                 title: str = "papertrends report", tables: dict[str, pl.DataFrame] | None = None,
                 notes: Sequence[str] = (), scale: float = 2,
                 svg_max: int = SVG_INLINE_MAX) -> Report:
    """One self-contained HTML page with the views' charts and tables, plus the zip files.

    Args:
        store: the ``analysis.store.Store`` the data came from (for provenance).
        lf: the paper frame the views were built from.
        filters: the filters of the views.
        views: ``analysis.views.View`` objects, in page order.
        title: the page heading.
        tables: extra tables to show (heading -> frame), e.g. the top papers.
        notes: lines shown under the provenance (e.g. views left out and why).
        scale: PNG scale factor for the zip.
        svg_max: charts whose SVG is larger than this many bytes show as PNG on the page.
    """
    import vl_convert

    prov = provenance(store, lf, filters, views)
    files: dict[str, bytes] = {}
    sections = []
    for view in views:
        svg = to_svg(view.chart)
        stem = file_name(view.name, filters, "x", view.options)[:-2]
        files[f"{stem}.svg"] = svg.encode("utf-8")
        # the SVG already holds the rendered chart: rasterise it rather than run Vega again
        files[f"{stem}.png"] = vl_convert.svg_to_png(svg, scale=scale)
        files[f"{stem}.csv"] = to_csv(view).encode("utf-8")
        sections.append(_view_section(view, files, stem, svg_max))
    for heading, frame in (tables or {}).items():
        sections.append(f"<section class='table'><h2>{_e(heading)}</h2>{_table(frame)}</section>")
    if notes:
        sections.insert(0, "<ul class='notes'>" + "".join(f"<li>{_e(n)}</li>" for n in notes)
                        + "</ul>")
    page = _PAGE.format(title=_e(title), style=_STYLE, provenance=_provenance_html(prov),
                        sections="\n".join(sections))
    return Report(page, prov, files)


def write_report(report: Report, out: Path) -> list[Path]:
    """Write the report; returns the paths written.

    ``out`` ending in .html (or .htm) gets the page, ending in .zip the zip; any other ``out``
    is a folder that gets both, as report.html and report.zip.

    Raises:
        InputError: ``out`` names an existing file that is neither .html nor .zip.
    """
    out = Path(out)
    if out.suffix.lower() in (".html", ".htm"):
        atomic_write_text(out, report.html)
        return [out]
    if out.suffix.lower() == ".zip":
        atomic_write_bytes(out, report.zip_bytes())
        return [out]
    if out.exists() and not out.is_dir():
        raise InputError(f"{out} is a file, not a folder",
                         hint="give a folder, or a name ending in .html or .zip")
    atomic_write_text(out / "report.html", report.html)
    atomic_write_bytes(out / "report.zip", report.zip_bytes())
    return [out / "report.html", out / "report.zip"]


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _cell(value: object) -> str:
    if isinstance(value, float):
        return _e(f"{value:.4g}")
    if isinstance(value, list):
        return _e("; ".join(map(str, value)))
    return _e(value)


def _table(frame: pl.DataFrame, limit: int = TABLE_ROWS) -> str:
    head = "".join(f"<th>{_e(c)}</th>" for c in frame.columns)
    rows = "".join("<tr>" + "".join(f"<td>{_cell(v)}</td>" for v in row) + "</tr>"
                   for row in frame.head(limit).iter_rows())
    note = (f"<p class='note'>first {limit} of {frame.height:,} rows</p>"
            if frame.height > limit else "")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>{note}"


def _view_section(view, files: dict[str, bytes], stem: str, svg_max: int) -> str:
    """A chart as an <img> (SVG; PNG when the SVG is large, e.g. a map of thousands of points)."""
    svg = files[f"{stem}.svg"]
    kind, data = ("svg+xml", svg) if len(svg) <= svg_max else ("png", files[f"{stem}.png"])
    uri = f"data:image/{kind};base64," + base64.b64encode(data).decode("ascii")
    alt = _e(f"{view.title}. {view.caption}".replace("\n", "; "))
    return (f"<section class='view' id='view-{_e(view.name)}'><h2>{_e(view.title)}</h2>"
            f"<img alt='{alt}' src='{uri}'>"
            f"<details><summary>data ({view.data.height:,} rows; all in {_e(stem)}.csv)</summary>"
            f"{_table(view.data)}</details></section>")


def _provenance_html(prov: dict) -> str:
    span = prov["date_span"]
    meta = prov["topic_model"]
    rows = [
        ("filters", prov["filters_text"]),
        ("period", prov["period"]),
        ("papers", f"{prov['papers']:,}"),
        ("date span", f"{span['basis']} {span['first']} to {span['last']}"),
        ("store", prov["store"]),
        ("corpus hash", prov["corpus_hash"]),
        ("topic model", model_text(meta, prov["corpus_hash"])),
        ("seed", prov["seed"]),
        ("packages", ", ".join(f"{k} {v}" for k, v in prov["packages"].items())),
        ("made at", prov["made_at"]),
    ]
    body = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in rows)
    return f"<section id='provenance'><h2>Provenance</h2><table>{body}</table></section>"


_STYLE = """body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1000px;color:#222}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem}.caption,.note{color:#555;font-size:.9rem}
img{max-width:100%;height:auto}table{border-collapse:collapse;font-size:.8rem;margin:.5rem 0}
th,td{border:1px solid #ddd;padding:2px 6px;text-align:left;vertical-align:top}
#provenance td{word-break:break-all}"""

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; \
style-src 'unsafe-inline'">
<title>{title}</title>
<style>{style}</style>
</head>
<body>
<h1>{title}</h1>
{provenance}
{sections}
</body>
</html>
"""
