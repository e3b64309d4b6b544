"""`papertrends rebuild`: the paper table again from everything the store keeps under raw/.

Every file under ``raw/`` (API responses kept by ``fetch``, copies of ingested files, the
snapshot a user store started from, and any kind added later) is read through the normal ingest
path, one file at a time (a damaged file is skipped and named), and merged into a new table.
Then the artifacts that no longer match are dropped: damaged topic artifacts (refit), topic
assignments of papers that are gone, a damaged embedding cache, a damaged fetch state. Papers
whose text changed lose their topic by themselves (see
``analysis.topics.artifacts.current_assignments``). The month list sizes the raw files tell are
added to ``listings.json`` (an unreadable one is replaced). Last, a fresh manifest records every
file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from analysis import coverage
from analysis.audit import check_store
from analysis.health import check_embeddings, check_topics, papers_fix
from analysis.ingest import SKIP_PREFIXES, load_sources
from analysis.kept import source_options
from analysis.merge import merge
from analysis.names import Progress
from analysis.schema import InputError
from analysis.store import READ_ERRORS, Store
from analysis.topics import artifacts as art


@dataclass
class RebuildReport:
    """What a rebuild did."""

    store: str
    files: int = 0
    papers: int = 0
    before: int | None = None  # papers in the old table (None: it could not be read)
    added: int = 0
    removed: int = 0
    skipped_files: list[str] = field(default_factory=list)
    bad_entries: int = 0
    dropped: list[str] = field(default_factory=list)
    next_steps: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """A short human summary, one fact per line."""
        old = "unreadable" if self.before is None else f"{self.before:,}"
        out = [f"rebuilt {self.store}/papers.parquet from {self.files} file(s) under raw/: "
               f"{self.papers:,} papers (before: {old}; {self.added} added, "
               f"{self.removed} removed)"]
        if self.bad_entries:
            out.append(f"skipped {self.bad_entries} bad entr"
                       f"{'y' if self.bad_entries == 1 else 'ies'} (as ingest does)")
        out += [f"skipped damaged file: {line}" for line in self.skipped_files]
        out += [f"dropped: {line}" for line in self.dropped]
        out += [f"next: {line}" for line in self.next_steps]
        return out

    def to_dict(self) -> dict:
        """The report as JSON-ready values."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def raw_files(store: Store) -> list[Path]:
    """The files ``rebuild`` reads: everything under raw/, in path order (hidden files skipped)."""
    if not store.raw_root.is_dir():
        return []
    return sorted(p for p in store.raw_root.rglob("*") if p.is_file()
                  and not any(part.startswith(".") for part in p.relative_to(store.raw_root).parts)
                  and not p.name.lower().startswith(SKIP_PREFIXES))


def rebuild(store: Store, progress: Progress | None = None) -> RebuildReport:
    """Rebuild the store's paper table from raw/ and drop the artifacts that no longer match.

    Raises:
        InputError: the store keeps nothing under raw/ to rebuild from.
    """
    report = RebuildReport(store=str(store.root))
    with store.lock():
        files = raw_files(store)
        if not files:
            raise InputError("nothing to rebuild from: the store keeps no files under raw/",
                             file=str(store.raw_root), hint=papers_fix(store))
        try:
            old = store.scan_papers().select("paper_id").collect()
            report.before = old.height
        except READ_ERRORS:  # noqa: BLE001 - a damaged table is what rebuild is for
            old = None
        frames, listings = [], []
        for i, path in enumerate(files):
            if progress:
                progress(i, len(files), f"reading {path.relative_to(store.root)}")
            try:
                loaded = load_sources([path], **source_options(path))
            except InputError as err:
                report.skipped_files.append(str(err))
                continue
            report.bad_entries += len(loaded.problems)
            frames.append(loaded.frame)
            listings += loaded.listings
        report.files = len(files) - len(report.skipped_files)
        table, _ = merge(pl.DataFrame(), pl.concat(frames, how="vertical_relaxed")
                         if frames else pl.DataFrame())
        store.write_papers(table)
        report.papers = table.height
        if old is not None:
            ids = table.select("paper_id")
            report.added = ids.join(old, on="paper_id", how="anti").height
            report.removed = old.join(ids, on="paper_id", how="anti").height
        dropped = coverage.rebuild_listings(store, listings)
        if dropped:
            report.dropped.append(dropped)
        _drop_stale(store, table, report)
        store.record_all()
    report.next_steps += [p.line() for p in check_store(store)
                          if not p.damaged and p.part == "topics"]
    return report


def _drop_stale(store: Store, table: pl.DataFrame, report: RebuildReport) -> None:
    """Remove damaged artifacts; keep only the topic assignments of papers still in the table."""
    if [p for p in check_topics(store) if p.damaged]:
        store.remove(store.topics_dir)
        report.dropped.append(f"{store.topics_dir}: damaged topic artifacts")
        report.next_steps.append(f"run `papertrends fit --store {store.root}` to fit topics")
    elif art.has_topics(store):
        fit = art.read_fit(store)
        kept = fit.assignments.join(table.select("paper_id"), on="paper_id", how="semi")
        if kept.height < fit.assignments.height:
            art.write_assignments(store, fit, kept)
            report.dropped.append(f"{fit.assignments.height - kept.height} topic assignment(s) "
                                  "of papers no longer in the table")
    for problem in check_embeddings(store):
        if problem.damaged and Path(problem.file).exists():
            store.remove(Path(problem.file))
            report.dropped.append(f"{problem.file}: damaged embedding cache")
            report.next_steps.append(f"run `papertrends fit --force --store {store.root}` to "
                                     "embed the papers again")
    state = store.fetch_state_path
    if state.is_file() and any(p.part == "fetch-state" for p in check_store(store)):
        store.remove(state)
        report.dropped.append(f"{state}: damaged fetch state (days are fetched again as needed)")
