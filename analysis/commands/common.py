"""Arguments shared by the commands, and turning them into Filters."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

import polars as pl

from analysis.filters import Filters
from analysis.names import BASES, ENGINES, PERIODS
from analysis.schema import InputError
from analysis.store import Store
from analysis.topics.engine import Engine
from analysis.views.csv import safe_csv


def parse_date(text: str) -> dt.date:
    """An argparse ``type`` for YYYY-MM-DD days.

    Raises:
        argparse.ArgumentTypeError: the text is not an ISO date.
    """
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (use YYYY-MM-DD)") from None


def add_store_arg(p: argparse.ArgumentParser) -> None:
    """Add the ``--store DIR`` option to a command."""
    p.add_argument("--store", type=Path, default=None,
                   help="store directory (default: $PAPERTRENDS_STORE or the bundled data/)")


def add_engine_args(p: argparse.ArgumentParser) -> None:
    """Add --engine, --address and --batch-size: where and how missing embeddings are computed."""
    g = p.add_argument_group("embedding engine")
    g.add_argument("--engine", choices=ENGINES, default="local",
                   help="compute missing embeddings here (local) or on a Ray cluster (ray; "
                   "needs papertrends[scale])")
    g.add_argument("--address", default=None,
                   help="Ray cluster to join: auto, or ray://HOST:10001 (default: start a "
                   "private one on this machine for the run)")
    g.add_argument("--batch-size", type=int, default=None,
                   help="texts per model call (default: 64 for minilm, 32 for minilm-openvino, "
                   "1024 for fast)")


def engine_from(args: argparse.Namespace) -> Engine:
    """The Engine given by the options of :func:`add_engine_args`.

    Raises:
        InputError: the options do not fit together (e.g. --address without --engine ray).
    """
    return Engine(args.engine, args.address, args.batch_size)


def add_filter_args(p: argparse.ArgumentParser) -> None:
    """--store, --from, --to, --basis, --period, --topic, --min-upvotes."""
    add_store_arg(p)
    p.add_argument("--from", dest="start", type=parse_date, help="first day, YYYY-MM-DD")
    p.add_argument("--to", dest="end", type=parse_date, help="last day, YYYY-MM-DD")
    p.add_argument("--basis", choices=BASES, default="listed",
                   help="which date to use: listed (day on the daily list) or published (arXiv)")
    p.add_argument("--period", choices=list(PERIODS), default="month")
    p.add_argument("--topic", type=int, action="append", default=[],
                   help="topic id to keep (repeatable)")
    p.add_argument("--min-upvotes", type=int, default=None)


def add_output_args(p: argparse.ArgumentParser) -> None:
    """Add the ``--json`` / ``--csv`` output choice (a readable table when neither is given)."""
    g = p.add_mutually_exclusive_group()
    g.add_argument("--json", action="store_true", help="print JSON")
    g.add_argument("--csv", action="store_true", help="print CSV")


def filters_from(args: argparse.Namespace) -> Filters:
    """The Filters given by the options of :func:`add_filter_args`.

    Raises:
        InputError: the options do not make valid filters (e.g. ``--from`` after ``--to``).
    """
    try:
        return Filters(start=args.start, end=args.end, basis=args.basis,
                       topics=tuple(args.topic or ()), min_upvotes=args.min_upvotes,
                       period=args.period)
    except ValueError as exc:
        raise InputError(str(exc)) from None


def open_store(args: argparse.Namespace, *, must_exist: bool = True) -> Store:
    """The store named by ``--store`` (or the default one).

    Raises:
        InputError: ``must_exist`` is set and the store has no paper table yet.
    """
    store = Store(args.store)
    if must_exist and not store.exists():
        raise InputError(f"no paper table in {store.root}",
                         hint="run `papertrends ingest SOURCE --store DIR` first")
    return store


def emit(df: pl.DataFrame, args: argparse.Namespace) -> None:
    """Print a frame as JSON (a list of objects), CSV, or a readable table."""
    if getattr(args, "json", False):
        print(json.dumps(df.to_dicts(), default=str, ensure_ascii=False, indent=1))
    elif getattr(args, "csv", False):

        sys.stdout.write(safe_csv(df))
    else:
        with pl.Config(tbl_rows=60, tbl_cols=12, fmt_str_lengths=60, tbl_hide_dataframe_shape=True):
            print(df)
