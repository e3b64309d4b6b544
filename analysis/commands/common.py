"""Arguments shared by the commands, and turning them into Filters."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

import polars as pl

from analysis.filters import Filters
from analysis.health import Health, require
from analysis.names import BASES, ENGINES, PERIODS, UNASSIGNED, UNASSIGNED_LABEL
from analysis.schema import InputError
from analysis.store import Store
from analysis.topics.engine import Engine
from analysis.trends import paper_frame
from analysis.user_store import writable_store
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


STORE_HELP = ("store directory (default: $PAPERTRENDS_STORE, else your own store once a command "
              "wrote to it, else the bundled data/)")
WRITE_STORE_HELP = ("store directory (default: $PAPERTRENDS_STORE, else your own store in the user "
                    "data folder, made on first use as a copy of the bundled data/, which is "
                    "never written)")


def add_store_arg(p: argparse.ArgumentParser, *, writes: bool = False) -> None:
    """Add the ``--store DIR`` option to a command (``writes``: a command that writes)."""
    p.add_argument("--store", type=Path, default=None,
                   help=WRITE_STORE_HELP if writes else STORE_HELP)


def say(args: argparse.Namespace, kind: str, message: str) -> None:
    """One line on stderr: ``papertrends <command>: <kind>: <message>``."""
    print(f"papertrends {args.command}: {kind}: {' '.join(message.split())}", file=sys.stderr,
          flush=True)


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
    """--store, --from, --to, --basis, --period, --topic, --group, --min-upvotes."""
    add_store_arg(p)
    p.add_argument("--from", dest="start", type=parse_date, help="first day, YYYY-MM-DD")
    p.add_argument("--to", dest="end", type=parse_date, help="last day, YYYY-MM-DD")
    p.add_argument("--basis", choices=BASES, default="listed",
                   help="which date to use: listed (day on the daily list) or published (arXiv)")
    p.add_argument("--period", choices=list(PERIODS), default="month")
    p.add_argument("--topic", type=int, action="append", default=[],
                   help="topic id to keep (repeatable)")
    p.add_argument("--group", type=int, action="append", default=[],
                   help="topic group id to keep (repeatable; see `papertrends topics`)")
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
                       topics=tuple(args.topic or ()),
                       groups=tuple(getattr(args, "group", None) or ()),
                       min_upvotes=args.min_upvotes,
                       period=args.period)
    except ValueError as exc:
        raise InputError(str(exc)) from None


def open_store(args: argparse.Namespace, *, must_exist: bool = True,
               needs: tuple[str, ...] = ("papers",)) -> Store:
    """The store named by ``--store`` (or the default one), checked for damage.

    A damaged file of a part in ``needs`` stops the command with one message naming the file
    and what mends it; damaged files of other parts are warned about on stderr, one line each
    (:attr:`args.health` tells the command which parts it can use).

    Raises:
        InputError: ``must_exist`` is set and the store has no paper table yet, or a needed
            file is damaged.
    """
    store = Store(args.store)
    if must_exist and not store.exists():
        raise InputError(f"no paper table in {store.root}",
                         hint="run `papertrends ingest SOURCE --store DIR` first")
    args.health = require(store, needs)
    for line in args.health.warnings():
        say(args, "warning", line)
    return store


def open_frame(args: argparse.Namespace, *, topics: bool = False) -> tuple[Store, pl.LazyFrame]:
    """The store (checked, see :func:`open_store`) and its paper frame.

    With ``topics`` the topic files are needed; without, damaged ones are left out (warned).
    Where the store has a topic model, one stderr line counts the papers not yet assigned.
    """
    store = open_store(args, needs=("papers", "topics") if topics else ("papers",))
    health: Health = args.health
    frame = paper_frame(store, topics=health.usable("topics"))
    if topics or health.usable("topics"):
        note_unassigned(args, store, frame)
    return store, frame


def note_unassigned(args: argparse.Namespace, store: Store, frame: pl.LazyFrame) -> int:
    """Say on stderr how many papers have no topic yet, and what gives them one; the count."""
    n = int(frame.select((pl.col("topic") == UNASSIGNED).sum()).collect().item() or 0)
    if n:
        say(args, "note", f"{n:,} paper(s) not yet assigned a topic, counted as "
            f"“{UNASSIGNED_LABEL}”: run `papertrends assign --store {store.root}`")
    return n


def write_store(args: argparse.Namespace) -> Store:
    """The store a writing command uses (see ``analysis.user_store.writable_store``), said aloud."""
    store, created = writable_store(args.store)
    if created:
        say(args, "note", f"made your own store at {store.root} as a copy of the bundled data "
            "(which stays as shipped); commands without --store read it from now on")
    return store


def waiting(args: argparse.Namespace):
    """A store-lock ``on_wait`` callback that says on stderr whom the command waits for."""
    return lambda holder: say(args, "note", f"waiting for the store lock ({holder})")


def emit(df: pl.DataFrame, args: argparse.Namespace) -> None:
    """Print a frame as JSON (a list of objects), CSV, or a readable table."""
    if getattr(args, "json", False):
        print(json.dumps(df.to_dicts(), default=str, ensure_ascii=False, indent=1))
    elif getattr(args, "csv", False):

        sys.stdout.write(safe_csv(df))
    else:
        with pl.Config(tbl_rows=60, tbl_cols=12, fmt_str_lengths=60, tbl_hide_dataframe_shape=True):
            print(df)
