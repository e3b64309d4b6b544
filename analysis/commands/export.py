"""Commands: export (one chart as PNG/SVG/HTML/CSV) and report (HTML page + zip with provenance).

Both build the same ``analysis.views`` View objects the dashboard shows, so a chart exported here
holds the same data as the one downloaded from the dashboard with the same filters.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from analysis import coverage, trends
from analysis.commands.common import add_filter_args, filters_from, open_frame
from analysis.names import EXPORT_FORMATS, TEXT_FIELDS, TOPIC_VIEWS, VIEW_NAMES
from analysis.schema import InputError
from analysis.trends import phrase_index
from analysis.trends.upvotes import parse_age
from analysis.views import render as export
from analysis.views import report as reports
from analysis.views.registry import MEASURES, build_view, build_views


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {value}")
    return value


def _pixels(text: str) -> int:
    value = _count(text)
    if not 16 <= value <= 20_000:
        raise argparse.ArgumentTypeError(f"must be between 16 and 20000 pixels, not {value}")
    return value


def _scale(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0.1 <= value <= 10:
        raise argparse.ArgumentTypeError(f"must be between 0.1 and 10, not {value}")
    return value


def _view_args(p: argparse.ArgumentParser) -> None:
    add_filter_args(p)
    p.add_argument("--phrase", action="append", default=[], metavar="PHRASE",
                   help="phrase for keyword-trend (repeatable)")
    p.add_argument("--field", choices=TEXT_FIELDS, default="both",
                   help="where keyword-trend looks for the phrases (default: both)")
    p.add_argument("--regex", action="store_true", help="take each --phrase as a regex")
    p.add_argument("--measure", choices=MEASURES, default="share",
                   help="topic-trend and keyword-trend: share of papers (default) or counts")
    p.add_argument("--lines", action="store_true", help="topic-trend: lines instead of areas")
    p.add_argument("--top", type=_count, default=10, metavar="N",
                   help="topic-trend: the N largest topics one by one, the rest in grey bands "
                   "(0: all; default 10)")
    p.add_argument("--upvote-age", type=_age, default=None, metavar="AGE",
                   help="upvote charts: only counts read at least AGE after listing "
                        "(30d, 4w; default all)")
    p.add_argument("--level", choices=trends.LEVELS, default="topic",
                   help="topic-trend: fine topics (default) or every topic group")


def _age(text: str) -> int | None:
    try:
        return parse_age(text)
    except InputError as err:
        raise argparse.ArgumentTypeError(f"{err.message} ({err.hint})") from None


def _options(args: argparse.Namespace, store) -> dict:
    """The view options the arguments give, and the store's partial months (coverage)."""
    return {"phrases": list(args.phrase), "field": args.field, "regex": args.regex,
            "measure": args.measure, "stacked": not args.lines, "top": args.top,
            "upvote_age": args.upvote_age, "level": args.level,
            "partial": coverage.partial_months(coverage.store_coverage(store)),
            "index": phrase_index.load(store) if args.phrase else None}


def register(sub) -> None:
    """Add this module's commands to the parser."""
    p = sub.add_parser(
        "export", help="write one chart as PNG, SVG, interactive HTML or its data as CSV",
        description="Write one chart (the same the dashboard shows) as PNG (2x scale), SVG, a "
        "self-contained HTML page that opens offline, or the plotted data as CSV.")
    p.add_argument("chart", choices=VIEW_NAMES, metavar="CHART",
                   help="one of: " + ", ".join(VIEW_NAMES))
    p.add_argument("--format", choices=EXPORT_FORMATS, default=None,
                   help="output format (default: from the --out suffix, else png)")
    p.add_argument("--out", default=None, metavar="FILE",
                   help="output file, '-' for standard output (default: a name made from the "
                   "chart and the filters, in the current folder)")
    p.add_argument("--scale", type=_scale, default=2.0, help="PNG scale factor (default 2)")
    p.add_argument("--width", type=_pixels, default=None,
                   help="PNG/SVG: overall chart width in pixels before scaling")
    p.add_argument("--height", type=_pixels, default=None,
                   help="PNG/SVG: overall chart height in pixels before scaling")
    _view_args(p)
    p.set_defaults(func=cmd_export)

    p = sub.add_parser(
        "report", help="write a report: charts, tables and provenance in one HTML page (+ zip)",
        description="Write every chart this store can draw (or those given with --view) with "
        "its data table and a provenance block into one self-contained HTML page. With --out "
        "DIR, also write report.zip holding each chart's PNG, SVG and CSV; with --out "
        "FILE.zip, only the zip.")
    p.add_argument("--out", required=True, metavar="FILE.html|FILE.zip|DIR")
    p.add_argument("--view", action="append", choices=VIEW_NAMES, default=None, metavar="CHART",
                   help="chart to include (repeatable; default: all that can be drawn)")
    p.add_argument("--title", default="papertrends report", help="heading of the page")
    _view_args(p)
    p.set_defaults(func=cmd_report)


def _paper_frame(args: argparse.Namespace, names: list[str] | None):
    """The store and its paper frame, read once (a report runs ~20 queries on it)."""
    wanted = set(names) if names is not None else set()
    store, frame = open_frame(args, topics=bool(wanted & TOPIC_VIEWS) or bool(args.topic))
    return store, frame.collect().lazy()


def cmd_export(args: argparse.Namespace) -> int:
    """`papertrends export`: write one view as PNG, SVG, HTML or CSV; returns 0.

    The format comes from ``--format``, else from the ``--out`` suffix, else PNG. ``--out -``
    writes the bytes to stdout; without ``--out`` the file is named from the view and filters.

    Raises:
        InputError: ``--out`` is a folder, or the view cannot be drawn with these options.
    """
    fmt = args.format
    if fmt is None:
        suffix = Path(args.out).suffix.lower().lstrip(".") if args.out not in (None, "-") else ""
        fmt = suffix if suffix in EXPORT_FORMATS else "png"
    filters = filters_from(args)
    store, lf = _paper_frame(args, [args.chart])
    view = build_view(args.chart, lf, filters, **_options(args, store))
    if args.out == "-":
        sys.stdout.buffer.write(export.render(view, fmt, scale=args.scale, width=args.width,
                                              height=args.height))
        sys.stdout.flush()
        return 0
    out = Path(args.out) if args.out else Path(export.file_name(view.name, filters, fmt,
                                                                view.options))
    if out.is_dir():
        raise InputError(f"{out} is a folder", hint="give a file name with --out")
    size = export.write(view, fmt, out, scale=args.scale, width=args.width, height=args.height)
    print(f"wrote {out} ({size:,} bytes, {view.data.height:,} data rows)")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """`papertrends report`: write the HTML report and/or zip of the views; returns 0.

    Without ``--view``, views the store cannot draw are left out with a note on stderr.

    Raises:
        InputError: no view can be drawn, or a view given with ``--view`` cannot.
    """
    filters = filters_from(args)
    store, lf = _paper_frame(args, args.view)
    views, notes = build_views(lf, filters, args.view, **_options(args, store))
    if not views:
        raise InputError("no chart can be drawn from this store with these options",
                         hint="; ".join(notes) or "widen the filters")
    top = trends.top_papers(lf, filters, n=10)
    built = reports.build_report(store, lf, filters, views, title=args.title,
                                 tables={"Most upvoted papers": top}, notes=notes)
    for path in reports.write_report(built, Path(args.out)):
        print(f"wrote {path}")
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    return 0
