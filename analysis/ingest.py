"""Loading sources into the store: read files, merge with the paper table, write atomically.

Public API::

    load_sources(paths, *, reference_date=None, mapping=None, strict=False) -> LoadResult
    ingest(store, paths, *, reference_date=None, mapping=None, strict=False) -> IngestReport
    ingest_frame(store, frame) -> IngestReport

Writing holds the store lock. ``ingest`` keeps a copy of every file it read under
``raw/ingested/`` (:mod:`analysis.kept`), so ``papertrends rebuild`` can rebuild the table from
what the store keeps.

Merging (deduplicating by ``paper_id``, one winning reading per paper) follows the rules of
:mod:`analysis.merge`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from analysis import coverage
from analysis.health import papers_fix, require
from analysis.kept import keep_sources
from analysis.merge import Merged, MergeStats, merge_rows
from analysis.names import iso
from analysis.schema import SCHEMA, InputError, Problems, validate
from analysis.sources import hf_api, parse
from analysis.sources.hf_api import MonthListing
from analysis.store import READ_ERRORS, Store
from analysis.table import DamagedFile
from analysis.trends import phrase_index

#: File names skipped when a folder is given.
SKIP_PREFIXES = (".", "_", "license", "readme", "notice", "copying")
#: Files larger than this are refused (a paper table is a few MB).
MAX_FILE_BYTES = 2_000_000_000


@dataclass
class LoadResult:
    """What the sources held: the canonical rows, the bad entries, notes on changed values."""

    frame: pl.DataFrame
    problems: Problems = field(default_factory=Problems)
    notes: list[str] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)  # file -> format
    listings: list[MonthListing] = field(default_factory=list)  # sizes of month lists
    read_at: dict[str, str] = field(default_factory=dict)  # file -> when its counts were read


@dataclass
class IngestReport:
    """The outcome of an ingest."""

    store: str
    files: dict[str, str]
    loaded: int
    papers: int
    stats: MergeStats
    problems: Problems
    notes: list[str]
    written: bool
    listings: int = 0  # months whose full list size the sources told

    def summary(self) -> str:
        """One line for the CLI: files and records read, what changed, papers in the store."""
        s = self.stats
        return (
            f"{len(self.files)} file(s), {self.loaded} record(s) read: {s.added} new, "
            f"{s.updated} updated, {s.merged} merged as duplicates, {s.unchanged} unchanged; "
            f"{self.papers} papers in {self.store}"
            + ("" if self.written else " (store not changed)")
            + (f"; the size of {self.listings} month list(s) noted (papertrends coverage)"
               if self.listings else "")
        )

    def to_dict(self) -> dict:
        """The report as JSON-ready values (the first 200 problems and notes)."""
        return {
            "store": self.store,
            "files": len(self.files),
            "formats": dict(sorted(Counter(self.files.values()).items())),
            "loaded": self.loaded,
            "papers": self.papers,
            "added": self.stats.added,
            "updated": self.stats.updated,
            "merged": self.stats.merged,
            "unchanged": self.stats.unchanged,
            "skipped": len(self.problems),
            "problems": [str(p) for p in self.problems.items[:200]],  # the first 200
            "notes": self.notes[:200],
            "written": self.written,
            "listings": self.listings,
        }


def expand_paths(paths: Sequence[str | os.PathLike[str]]) -> list[str]:
    """Files named or inside the folders named (sorted; hidden, LICENSE and README skipped)."""
    out: list[str] = []
    for p in paths:
        p = str(p)
        if p == "-":
            out.append(p)
            continue
        path = Path(p)
        if path.is_dir():
            files = sorted(
                f for f in path.iterdir()
                if f.is_file() and not f.name.lower().startswith(SKIP_PREFIXES)
            )
            if not files:
                raise InputError("folder holds no data files", file=p)
            out.extend(str(f) for f in files)
        elif path.is_file():
            out.append(p)
        elif path.exists():
            raise InputError("not a regular file or folder", file=p)
        else:
            raise InputError("no such file or folder", file=p, hint="check the path")
    if not out:
        raise InputError("no sources given",
                         hint="name at least one file or folder, or - for stdin")
    return out


def _read(name: str) -> bytes:
    if name == "-":
        return sys.stdin.buffer.read()
    try:
        size = os.path.getsize(name)
        if size > MAX_FILE_BYTES:
            raise InputError(f"file is too large ({size:,} bytes)", file=name)
        with open(name, "rb") as fh:
            return fh.read()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", file=name) from None


def load_sources(
    paths: Sequence[str | os.PathLike[str]],
    *,
    reference_date: dt.date | None = None,
    mapping: dict[str, str] | None = None,
    strict: bool = False,
    read_at: dt.datetime | None = None,
) -> LoadResult:
    """Read every source into one canonical frame (not yet deduplicated).

    Args:
        paths: files, folders (their files), or "-" for standard input.
        reference_date: capture day of page dumps, for dates shown without a year.
        mapping: canonical column -> table column, for CSV / Parquet / JSON Lines.
        strict: make bad entries and cut values fatal instead of warnings.
        read_at: when the API responses among the files were read (a fetch's answer time, kept
            next to its raw file); without it a month file takes the read time of the archive
            index next to it (see :mod:`analysis.sources.hf_api`).

    Raises:
        InputError: a file is unusable, or (strict) any entry is bad.
    """
    result = LoadResult(frame=pl.DataFrame(schema=SCHEMA))
    frames = []
    for name in expand_paths(paths):
        file = "<stdin>" if name == "-" else name
        data = _read(name)
        before = len(result.problems)
        when = read_at or (hf_api.sibling_index_read_at(file) if hf_api.month_from_name(file)
                           else None)
        if when is not None:
            result.read_at[file] = iso(when) or ""
        fmt, frame = parse(data, file=file, reference_date=reference_date, mapping=mapping,
                           problems=result.problems, notes=result.notes,
                           listings=result.listings, read_at=when)
        result.files[file] = fmt
        bad = len(result.problems) - before
        if frame.height == 0 and bad:
            first = result.problems.items[before]
            raise InputError(
                f"{first.message} [no usable entries: {bad} bad]",
                file=first.file, entry=first.entry, field=first.field, hint=first.hint,
            )
        frames.append(frame)
    if strict and len(result.problems):
        first = result.problems.items[0]
        raise InputError(
            f"{first.message} [{len(result.problems)} bad entr"
            f"{'y' if len(result.problems) == 1 else 'ies'}; --strict stops at any]",
            file=first.file, entry=first.entry, field=first.field, hint=first.hint,
        )
    if strict and result.notes:
        raise InputError(f"{result.notes[0]} [--strict refuses cut values]")
    if frames:
        result.frame = pl.concat(frames, how="vertical")
    return result


def _write(store: Store, old: pl.DataFrame, done: Merged) -> bool:
    """Write the changed rows as a delta of the table, atomically (see Store.update_papers).

    Nothing is touched when nothing changed.
    """
    merged = done.table
    if store.exists() and done.before.equals(done.after) and merged.height == old.height:
        return False
    try:
        store.update_papers(old, merged, delta=done.delta())
    except OSError as exc:
        raise InputError(f"cannot write the store: {exc.strerror or exc}",
                         file=str(store.papers_path),
                         hint="check free space and permissions; the store was not changed",
                         ) from None
    if phrase_index.read_meta(store) is not None:
        phrase_index.update(store, merged)
    elif merged.height >= phrase_index.INDEX_FROM:
        phrase_index.build(store)
    return True


def read_existing(store: Store) -> pl.DataFrame:
    """The store's table, or an InputError if the file there is damaged."""
    try:
        return validate(store.read_papers())
    except InputError:
        raise
    except DamagedFile as exc:  # a damaged base, listing or delta
        raise InputError(f"damaged: the store's paper table cannot be read ({exc.detail})",
                         file=str(exc.path), hint=papers_fix(store)) from None
    except READ_ERRORS as exc:  # a damaged papers.parquet
        detail = " ".join(str(exc).split())[:160]
        raise InputError(f"damaged: the store's paper table cannot be read ({detail})",
                         file=str(store.papers_path), hint=papers_fix(store)) from None


def ingest(
    store: Store,
    paths: Sequence[str | os.PathLike[str]],
    *,
    reference_date: dt.date | None = None,
    mapping: dict[str, str] | None = None,
    strict: bool = False,
    on_wait: Callable[[str], None] | None = None,
) -> IngestReport:
    """Load sources and merge them into the store atomically (nothing written on error).

    Copies of the files read are kept under ``raw/ingested/`` first (see :func:`keep_sources`).
    The store lock is taken once the sources are read (``on_wait``: told whom it waits for).
    """
    loaded = load_sources(paths, reference_date=reference_date, mapping=mapping, strict=strict)
    require(store, needs=("papers",))  # a damaged table: stop before touching the store
    with store.lock(on_wait=on_wait):
        read_existing(store)  # a damaged table stops the ingest before anything is kept
        keep_sources(store, list(loaded.files), reference_date=reference_date, mapping=mapping,
                     read_at=loaded.read_at)
        report = ingest_frame(store, loaded.frame)
        if loaded.listings:
            coverage.add_listings(store, loaded.listings)
    return dataclasses.replace(report, files=loaded.files, problems=loaded.problems,
                               notes=loaded.notes,
                               listings=len({m.month for m in loaded.listings}))


def ingest_frame(store: Store, frame: pl.DataFrame) -> IngestReport:
    """Merge an already parsed canonical frame into the store atomically (used by fetch)."""
    with store.lock():
        old = read_existing(store)
        done = merge_rows(old, frame)
        written = _write(store, old, done)
    return IngestReport(store=str(store.root), files={}, loaded=frame.height,
                        papers=done.table.height, stats=done.stats, problems=Problems(), notes=[],
                        written=written)
