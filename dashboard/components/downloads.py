"""Download buttons' data, made on click by analysis.views.render from the views the page shows.

``analysis.views.render`` (and vl-convert behind it) is imported only when a file is made, so a page
that nobody downloads from never pays for it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import polars as pl

from analysis.views import render as export
from analysis.views.report import build_report


def file_name(v, fmt: str) -> str:
    """A safe file name from the view name, its filters and options."""
    return export.file_name(v.name, v.filters, fmt, v.options)


def maker(v, fmt: str) -> Callable[[], bytes]:
    """A callable producing the file (Streamlit calls it when the button is clicked)."""

    def make() -> bytes:

        return export.render(v, fmt, scale=2)

    return make


def report_maker(store, lf: pl.LazyFrame, filters, views: Sequence, title: str,
                 tables: Callable[[], dict[str, pl.DataFrame]] | None,
                 fmt: str) -> Callable[[], bytes]:
    """A callable making the page's report: one HTML page, or the zip with every file.

    ``tables`` is called only then too (e.g. the top papers shown as a table in the report).
    """

    def make() -> bytes:

        report = build_report(store, lf, filters, [v for v in views if v is not None],
                                     title=title, tables=tables() if tables else None)
        return report.html.encode("utf-8") if fmt == "html" else report.zip_bytes()

    return make
