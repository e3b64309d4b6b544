"""Is a store sound? The quick checks every command runs, and the full `papertrends check`.

A problem names the file, says what is wrong and what mends it. ``damaged`` problems stop the
commands that need the file (exit 2, one message) and are warned about in one line by the others;
notes (papers not yet assigned a topic, no manifest yet) never stop anything.

Parts: ``papers`` (papers.parquet, and papers.d/: the listing and deltas of the table),
``topics`` (topics/: meta.json, assignments, topic table, topic vectors), ``embeddings``
(embeddings/*.parquet). The full check (:mod:`analysis.audit`) also reads every file in full and
compares the artifacts with the table.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from analysis.schema import ADDED_LATER, SCHEMA, InputError, wrong_type
from analysis.store import READ_ERRORS, Store, file_sha256
from analysis.table import DELETED
from analysis.topics import artifacts as art
from analysis.topics.vectors import CACHE_SCHEMA

PARTS = ("papers", "topics", "embeddings")
_RAW_DAY = re.compile(r"^raw/hf-daily/(\d{4}-\d{2}-\d{2})(\.p\d+)?\.json$")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a store: where, what, and what mends it."""

    part: str
    file: str
    what: str
    fix: str
    damaged: bool = True

    def error(self) -> InputError:
        """The problem as the one error type (``file: what (fix)``)."""
        return InputError(self.what, file=self.file, hint=self.fix)

    def line(self) -> str:
        """The problem on one line."""
        return str(self.error())


@dataclass
class Health:
    """What the quick check found: the problems of parts a command could do without."""

    problems: list[Problem] = field(default_factory=list)

    def usable(self, part: str) -> bool:
        """Whether the part has no damaged file."""
        return not any(p.damaged and p.part == part for p in self.problems)

    def warnings(self) -> list[str]:
        """One line per damaged file."""
        return [p.line() for p in self.problems if p.damaged]


# ---- what mends what ----------------------------------------------------------------------------
def has_raw(store: Store) -> bool:
    """Whether the store keeps anything ``rebuild`` can rebuild the table from."""
    return store.raw_root.is_dir() and any(p.is_file() for p in store.raw_root.rglob("*"))


def papers_fix(store: Store) -> str:
    """What mends a damaged paper table."""
    if store.is_bundled:
        return "restore it: `git checkout -- data/papers.parquet`"
    if has_raw(store):
        return f"run `papertrends rebuild --store {store.root}` to rebuild it from raw/"
    return ("restore it from a backup, or ingest the sources again into a new store "
            "(`papertrends ingest SOURCE --store DIR`)")


def embeddings_fix(store: Store) -> str:
    """What mends a damaged embedding cache."""
    if store.is_bundled:
        return "restore it: `git checkout -- data/embeddings`"
    return f"run `papertrends fit --force --store {store.root}`: it embeds every paper again"


def listings_fix(store: Store) -> str:
    """What mends a damaged ``listings.json`` (the month list sizes)."""
    if store.is_bundled:
        return "restore it: `git checkout -- data/listings.json`"
    if has_raw(store):
        return rebuild_fix(store, "it writes the sizes the raw month files tell")
    return "delete it (coverage then knows no month's full list), or restore it from a backup"


def rebuild_fix(store: Store, why: str) -> str:
    """``run rebuild`` with what it does about this problem."""
    return f"run `papertrends rebuild --store {store.root}` ({why})"


# ---- quick checks (every command) ---------------------------------------------------------------
def short(exc: BaseException) -> str:
    """An exception's message on one line, at most 160 characters."""
    return " ".join(str(exc).split())[:160] or type(exc).__name__


def hash_problem(store: Store, path: Path, part: str, fix: str) -> Problem | None:
    """A problem when the file's hash is not one the manifest (or a pending write) expects."""
    rel = store.rel(path)
    expected = store.expected_hashes(rel) if rel else None
    if expected is None:
        return None
    if file_sha256(path) not in expected:
        return Problem(part, str(path), "does not match the store's manifest (changed or cut "
                       "since papertrends wrote it)", fix)
    return None


def _missing(store: Store, prefix: str, part: str, fix: str) -> list[Problem]:
    """Files the manifest lists under ``prefix`` that are not on disk."""
    files = store.ledger.manifest() or {}
    return [Problem(part, str(store.root / rel), "is missing (the manifest lists it)", fix)
            for rel in sorted(files) if rel.startswith(prefix) and not (store.root / rel).exists()]


def parquet_problem(path: Path, columns: Iterable[str], part: str, fix: str,
                    kind: str, types: dict[str, pl.DataType] | None = None,
                    loose: bool = False) -> Problem | None:
    """A problem when the Parquet footer cannot be read or its columns are not the ``kind``'s.

    Missing one of ``columns`` is one; holding a column of ``types`` (column -> dtype) with
    another type is another (``loose``: any number type passes for a number).
    """
    try:
        schema = pl.read_parquet_schema(io.BytesIO(path.read_bytes()))
    except READ_ERRORS as exc:  # noqa: BLE001 - a damaged file, whatever polars says
        return Problem(part, str(path), f"damaged: cannot be read as Parquet ({short(exc)})",
                       fix)
    lacking = [c for c in columns if c not in schema]
    if lacking:
        return Problem(part, str(path), f"is not a {kind}: no column(s) {', '.join(lacking)}",
                       fix)
    wrong = wrong_type(schema, types or {}, kind, loose=loose)
    return Problem(part, str(path), f"damaged: {wrong}", fix) if wrong else None


def check_papers(store: Store) -> list[Problem]:
    """The paper table: base, listing and deltas readable, their columns, the manifest's hashes."""
    fix = papers_fix(store)
    if not store.papers_path.exists():
        return _missing(store, "papers.parquet", "papers", fix)
    columns = [c for c in SCHEMA if c not in ADDED_LATER]  # an older table upgrades on read
    bad = (parquet_problem(store.papers_path, columns, "papers", fix, "paper table", SCHEMA)
           or hash_problem(store, store.papers_path, "papers", fix))
    out = [bad] if bad else []
    if store.listing_path.is_file():
        try:
            store.listing()
        except (OSError, ValueError) as exc:
            return [*out, Problem("papers", str(store.listing_path),
                                  f"damaged: not a listing of delta files ({short(exc)})", fix)]
        bad = hash_problem(store, store.listing_path, "papers", fix)
        out += [bad] if bad else []
    for path in store.delta_paths():
        if not path.is_file():
            out.append(Problem("papers", str(path), "is missing (the delta listing names it)",
                               fix))
            continue
        bad = (parquet_problem(path, [*columns, DELETED], "papers", fix, "delta of the paper "
                               "table", SCHEMA) or hash_problem(store, path, "papers", fix))
        out += [bad] if bad else []
    return out


def check_topics(store: Store) -> list[Problem]:
    """topics/: complete, each file readable, the manifest's hashes."""
    fix = art.fit_fix(store)
    out = _missing(store, "topics/", "topics", fix)
    core = (art.META, art.ASSIGNMENTS, art.TOPIC_TABLE)
    present = [n for n in core if art.path_of(store, n).is_file()]
    if not present:
        return out
    for name in core:
        if name not in present:
            out.append(Problem("topics", str(art.path_of(store, name)),
                               "is missing: the topic model is incomplete", fix))
    for name in present + [art.TOPIC_VECTORS, art.GROUP_TABLE, art.WORDS_OVER_TIME]:
        path = art.path_of(store, name)
        if not path.is_file():
            continue
        bad = _readable(path, name, fix) or hash_problem(store, path, "topics", fix)
        if bad:
            out.append(bad)
    return out


def _readable(path: Path, name: str, fix: str) -> Problem | None:
    if name == art.META:
        try:
            meta = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            return Problem("topics", str(path), f"damaged: not readable JSON ({short(exc)})",
                           fix)
        if not isinstance(meta, dict):
            return Problem("topics", str(path), "damaged: not a JSON object", fix)
        wrong = art.meta_problem(meta)
        return Problem("topics", str(path), f"damaged: {wrong}", fix) if wrong else None
    if name == art.TOPIC_VECTORS:
        try:
            np.load(io.BytesIO(path.read_bytes()), allow_pickle=False)
        except (OSError, ValueError) as exc:
            return Problem("topics", str(path), f"damaged: not a NumPy array ({short(exc)})",
                           fix)
        return None
    schema = {art.ASSIGNMENTS: art.ASSIGNMENT_SCHEMA, art.TOPIC_TABLE: art.TOPIC_SCHEMA,
              art.GROUP_TABLE: art.GROUP_SCHEMA, art.WORDS_OVER_TIME: art.WORDS_SCHEMA}[name]
    needed = [c for c in schema if c not in art.OPTIONAL]  # older fits lack the optional ones
    return parquet_problem(path, needed, "topics", fix, "topic artifact", schema, loose=True)


def check_embeddings(store: Store) -> list[Problem]:
    """embeddings/*.parquet: readable, the cache's columns, the manifest's hashes."""
    fix = embeddings_fix(store)
    out = _missing(store, "embeddings/", "embeddings", fix)
    if store.embeddings_dir.is_dir():
        for path in sorted(store.embeddings_dir.glob("*.parquet")):
            bad = (parquet_problem(path, CACHE_SCHEMA, "embeddings", fix, "embedding cache")
                   or hash_problem(store, path, "embeddings", fix))
            if bad:
                out.append(bad)
    return out


def quick(store: Store) -> list[Problem]:
    """The cheap checks of papers, topics and embeddings (file headers and hashes)."""
    return check_papers(store) + check_topics(store) + check_embeddings(store)


def require(store: Store, needs: Iterable[str] = ("papers",)) -> Health:
    """Check the store before a command uses it.

    Args:
        store: the store.
        needs: the parts the command cannot do without (``papers``, ``topics``,
            ``embeddings``).

    Returns:
        The problems of the other parts (warn about them in one line each; leave those parts
        out, e.g. ``paper_frame(store, topics=health.usable("topics"))``).

    Raises:
        InputError: a part the command needs is damaged (the first such file).
    """
    problems = quick(store)
    needed = [p for p in problems if p.damaged and p.part in set(needs)]
    if needed:
        raise needed[0].error()
    return Health(problems)
