"""Commands: ingest (sources -> store), info, coverage (per month), papers, index (word index)."""

from __future__ import annotations

import argparse
import json
import sys

import polars as pl

from analysis import coverage
from analysis.commands.common import (
    add_output_args,
    add_store_arg,
    emit,
    open_frame,
    open_store,
    parse_date,
    waiting,
    write_store,
)
from analysis.filters import Filters, apply
from analysis.ingest import ingest
from analysis.names import BASES, iso
from analysis.schema import InputError
from analysis.sources.tables import parse_mapping
from analysis.store import Store
from analysis.trends import phrase_index


def register(sub) -> None:
    """Add this module's commands to the parser."""
    p = sub.add_parser(
        "ingest",
        help="load paper sources into a store",
        description="Load Daily Papers API JSON (files, folders, - for stdin), papers page text "
        "dumps, CSV, Parquet or JSON Lines into a store; the format is detected from the content. "
        "Papers are deduplicated by id; the store is replaced atomically. A copy of each file "
        "is kept under STORE/raw/ingested/ so that `papertrends rebuild` can use it.",
    )
    p.add_argument("sources", nargs="+", metavar="SOURCE", help="file, folder, or - for stdin")
    add_store_arg(p, writes=True)
    p.add_argument("--reference-date", type=parse_date, default=None,
                   help="capture day of page dumps (YYYY-MM-DD); needed for dates shown without "
                   "a year")
    p.add_argument("--map", dest="mapping", default=None, metavar="CANON=COLUMN,...",
                   help="column names of a table, e.g. title=Title,abstract=Summary")
    p.add_argument("--strict", action="store_true",
                   help="stop at any bad entry or cut value instead of skipping it")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("info", help="summarise a store: papers, dates, sources, upvotes")
    add_store_arg(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_info)

    p = sub.add_parser(
        "coverage", help="per month: papers per source, the full list's size, the share held",
        description="Per listing month: the papers each source saw, all of them together, and, "
        "where a source told the size of the month's full list (a month answer of the API or "
        "an archive index), that size and the share of it the store holds. A partial month's "
        "counts show what was collected, not what was listed; `fetch --fill-gaps` fetches "
        "such months whole.")
    add_store_arg(p)
    add_output_args(p)
    p.set_defaults(func=cmd_coverage)

    p = sub.add_parser("papers", help="list papers (id, title, dates, upvotes, topic)")
    add_store_arg(p)
    p.add_argument("--topic", type=int, default=None, help="only this topic id")
    p.add_argument("--from", dest="start", type=parse_date, help="first listing/published day")
    p.add_argument("--to", dest="end", type=parse_date, help="last listing/published day")
    p.add_argument("--basis", choices=BASES, default="listed",
                   help="which date --from/--to use")
    p.add_argument("--limit", type=int, default=None, help="at most this many rows")
    add_output_args(p)
    p.set_defaults(func=cmd_papers)

    p = sub.add_parser("index", help="build or update the word index of keyword trends",
                       description="Keyword trends on a large store look phrases up in a word "
                       "index instead of scanning every abstract once per phrase. Ingest and "
                       "fetch keep an existing index current and make one from "
                       f"{phrase_index.INDEX_FROM:,} papers on; this command makes or updates "
                       "it for any store.")
    add_store_arg(p)
    p.add_argument("--rebuild", action="store_true", help="build it anew as one part")
    p.add_argument("--json", action="store_true", help="print the index's meta as JSON")
    p.set_defaults(func=cmd_index)


def cmd_ingest(args: argparse.Namespace) -> int:
    """`papertrends ingest`: load the sources into the store and print the report; returns 0.

    Notes about cut values go to stderr (the first ten), as does a summary of skipped entries.
    """
    mapping = parse_mapping(args.mapping)
    store = write_store(args)
    report = ingest(store, args.sources, reference_date=args.reference_date, mapping=mapping,
                    strict=args.strict, on_wait=waiting(args))
    for note in report.notes[:10]:
        print(f"papertrends ingest: note: {note}", file=sys.stderr)
    if len(report.notes) > 10:
        print(f"papertrends ingest: note: ... and {len(report.notes) - 10} more cut values",
              file=sys.stderr)
    if len(report.problems):
        print(f"papertrends ingest: warning: {report.problems.summary()}", file=sys.stderr)
    if args.json:
        print(json.dumps(report.to_dict(), indent=1, ensure_ascii=False))
    else:
        print(report.summary())
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    """`papertrends info`: print :func:`summarise` of the store as text or JSON; returns 0."""
    store = open_store(args)
    info = summarise(store)
    if args.json:
        print(json.dumps(info, indent=1, ensure_ascii=False, default=str))
        return 0
    up = info["upvotes"]
    print(f"store       {info['store']}")
    print(f"papers      {info['papers']:,}")
    print(f"listed      {info['first_date']} .. {info['last_date']}"
          + (f" ({info['unlisted']:,} without a listing day)" if info["unlisted"] else ""))
    pub = info["published"]
    print(f"published   {pub['first']} .. {pub['last']} ({pub['nulls']} undated)")
    print("sources     " + ", ".join(f"{k} {v:,}" for k, v in info["sources"].items()))
    print(f"upvotes     q1 {up['q1']}  median {up['median']}  q3 {up['q3']}  max {up['max']}"
          f"  ({up['nulls']} without a count)")
    partial = [m["month"] for m in info["coverage"] if m["status"] == coverage.PARTIAL]
    known = sum(m["status"] != coverage.UNKNOWN for m in info["coverage"])
    print(f"coverage    {len(info['coverage'])} months, {known} with a known full list, "
          f"{len(partial)} partial" + (f": {', '.join(partial)}" if partial else "")
          + " (papertrends coverage)")
    if "listings_damaged" in info:
        print(f"damaged: {info['listings_damaged']}", file=sys.stderr)
    return 0


def cmd_coverage(args: argparse.Namespace) -> int:
    """`papertrends coverage`: the per-month coverage table as text, CSV or JSON; returns 0."""
    store = open_store(args)
    table = coverage.store_coverage(store)
    if args.json:
        print(json.dumps({"store": str(store.root), "months": coverage.as_records(table)},
                         indent=1))
        return 0
    emit(table, args)
    return 0


def cmd_papers(args: argparse.Namespace) -> int:
    """`papertrends papers`: print :func:`paper_list` (at most ``--limit`` rows); returns 0.

    Raises:
        InputError: the date options do not make a valid range.
    """
    topics = () if args.topic is None else (args.topic,)
    try:
        filters = Filters(start=args.start, end=args.end, basis=args.basis, topics=topics)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    _store, lf = open_frame(args, topics=bool(topics))
    frame = paper_list(lf, filters)
    if args.limit is not None:
        frame = frame.head(max(args.limit, 0))
    emit(frame, args)
    return 0


def summarise(store: Store) -> dict:
    """Papers, listing and published spans, listing days, counts per source, upvote quartiles.

    In ``sources`` a paper counts under every source that saw it; in ``records`` once, under
    the source of the reading that won the merge (``source``). ``coverage`` is the per-month
    table of :func:`analysis.coverage.coverage_table`.
    """
    lf = store.scan_papers()
    row = lf.select(
        papers=pl.len(),
        first_date=pl.col("listed").min(),
        last_date=pl.col("listed").max(),
        unlisted=pl.col("listed").null_count(),
        listing_days=pl.col("listed").drop_nulls().n_unique(),
        pub_first=pl.col("published").min(),
        pub_last=pl.col("published").max(),
        pub_nulls=pl.col("published").null_count(),
        q1=pl.col("upvotes").quantile(0.25, "nearest"),
        median=pl.col("upvotes").median(),
        q3=pl.col("upvotes").quantile(0.75, "nearest"),
        vmin=pl.col("upvotes").min(),
        vmax=pl.col("upvotes").max(),
        nulls=pl.col("upvotes").null_count(),
    ).collect().row(0, named=True)
    sources = (lf.select(pl.col("sources").explode()).drop_nulls().group_by("sources").len()
               .sort("sources").collect())
    records = lf.group_by("source").len().sort("source").collect()
    try:
        listings, damaged = coverage.read_listings(store), None
    except InputError as err:  # the rest of the summary stands; coverage is then unknown
        listings, damaged = {}, str(err)

    return {
        "store": str(store.root),
        "papers": row["papers"],
        "first_date": iso(row["first_date"]),
        "last_date": iso(row["last_date"]),
        "unlisted": row["unlisted"],
        "listing_days": row["listing_days"],
        "published": {"first": iso(row["pub_first"]), "last": iso(row["pub_last"]),
                      "nulls": row["pub_nulls"]},
        "sources": {s: n for s, n in sources.iter_rows()},
        "records": {s or "unknown": n for s, n in records.iter_rows()},
        "upvotes": {"min": row["vmin"], "q1": row["q1"], "median": row["median"],
                    "q3": row["q3"], "max": row["vmax"], "nulls": row["nulls"]},
        "coverage": coverage.as_records(coverage.coverage_table(lf, listings)),
        **({"listings_damaged": damaged} if damaged else {}),
    }


def paper_list(frame: pl.LazyFrame, filters: Filters) -> pl.DataFrame:
    """Papers as {paper_id, title, published, listed, upvotes, topic}, newest first.

    The filters apply as in every view; without a date range, papers lacking a date on the
    filters' basis are listed too (last). ``topic`` is null where the store has no topics, -2
    (``UNASSIGNED``) for papers not yet assigned one.

    Args:
        frame: the paper frame (``analysis.trends.paper_frame(store)``).
        filters: the filters.
    """
    lf = apply(frame, filters, undated=True)
    return (lf.select("paper_id", "title", "published", "listed", "upvotes", "topic")
            .sort([filters.basis, "paper_id"], descending=[True, False], nulls_last=True)
            .collect())


def cmd_index(args: argparse.Namespace) -> int:
    """`papertrends index`: build (or update) the store's word index; returns 0."""
    store = write_store(args)
    with store.lock(on_wait=waiting(args)):
        open_store(args)  # checked for damage
        if args.rebuild or phrase_index.read_meta(store) is None:
            meta = phrase_index.build(store)
        else:
            meta = phrase_index.update(store) or {}
    if args.json:
        print(json.dumps(meta, indent=1))
    else:
        print(phrase_index.describe(store))
    return 0
