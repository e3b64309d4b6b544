"""Commands: check (is the store sound?), rebuild (mend it from raw/), compact (one file again).

``check`` is the monitoring probe; ``compact`` folds the paper table's deltas into its base.
"""

from __future__ import annotations

import argparse
import json

from analysis.audit import check_store
from analysis.commands.common import add_store_arg, say, waiting, write_store
from analysis.health import require
from analysis.rebuild import rebuild
from analysis.store import Store
from analysis.trends import phrase_index


def register(sub) -> None:
    """Add this module's commands to the parser."""
    p = sub.add_parser(
        "check", help="verify every file of a store; exit 0 clean, 2 damaged",
        description="Read every file of the store (paper table, topic artifacts, embedding "
        "caches, raw responses, fetch state), compare each with the hash the store's manifest "
        "recorded and the artifacts with the table (ids, counts, corpus hash), and say for each "
        "problem what mends it. Exit status 0: clean (notes may remain, e.g. papers not yet "
        "assigned a topic); 2: damaged. Use it as the monitoring probe of a server.")
    add_store_arg(p)
    p.add_argument("--json", action="store_true", help="print the problems as JSON")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser(
        "rebuild", help="rebuild the paper table from the raw files the store keeps",
        description="Read every file under STORE/raw/ (responses kept by fetch, copies of "
        "ingested files, the snapshot a user store started from) through the normal ingest "
        "path into a new paper table; then drop what no longer matches: damaged topic "
        "artifacts, assignments of papers that are gone, a damaged embedding cache or fetch "
        "state. Ends with a fresh manifest.")
    add_store_arg(p, writes=True)
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=cmd_rebuild)

    p = sub.add_parser(
        "compact", help="fold the paper table's delta files into papers.parquet",
        description="Ingest and fetch write only the papers they add or change, as delta files "
        "under STORE/papers.d/, and fold them into STORE/papers.parquet by themselves once they "
        "hold 10% of its bytes. This folds them now: papers.parquet becomes the whole table, "
        "byte for byte the file a single write of the same papers gives. Readers see the same "
        "table before and after.")
    add_store_arg(p, writes=True)
    p.set_defaults(func=cmd_compact)


def cmd_check(args: argparse.Namespace) -> int:
    """`papertrends check`: one line per problem, then a verdict; returns 0 clean, 2 damaged."""
    store = Store(args.store)
    problems = check_store(store)
    damaged = [p for p in problems if p.damaged]
    if args.json:
        print(json.dumps({"store": str(store.root), "ok": not damaged, "problems": [
            {"part": p.part, "file": p.file, "what": p.what, "fix": p.fix,
             "damaged": p.damaged} for p in problems]}, indent=1))
    else:
        for p in problems:
            print(f"{'damaged' if p.damaged else 'note':<8} {p.line()}")
    if damaged:
        say(args, "error", f"{store.root} is damaged: {len(damaged)} problem(s)"
            + ("" if args.json else ", each with what mends it above"))
        return 2
    if not args.json:
        print(f"ok: {store.root} is sound ({len(problems)} note(s))")
    return 0


def cmd_rebuild(args: argparse.Namespace) -> int:
    """`papertrends rebuild`: rebuild the table from raw/ and print what changed; returns 0."""
    store = write_store(args)
    with store.lock(on_wait=waiting(args)):
        report = rebuild(store)
    if args.json:
        print(json.dumps(report.to_dict(), indent=1, default=str))
    else:
        print("\n".join(report.lines()))
    return 0




def cmd_compact(args: argparse.Namespace) -> int:
    """`papertrends compact`: fold the deltas into the base; returns 0."""
    store = write_store(args)
    with store.lock(on_wait=waiting(args)):
        require(store, needs=("papers",))
        n = len(store.delta_paths())
        folded = store.compact_papers()
        if folded and phrase_index.read_meta(store) is not None:
            phrase_index.update(store)  # same papers, new files: the index is told so
    size = store.papers_path.stat().st_size if store.exists() else 0
    print(f"compacted {store.root}: {n} delta file(s) folded into papers.parquet "
          f"({size:,} bytes)" if folded else f"{store.root}: nothing to compact")
    return 0
