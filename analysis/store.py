"""The store: the only module that knows paths and settings, writes files atomically and hashes.

A store is a directory::

    papers.parquet          the canonical paper table (its base, when deltas follow it)
    papers.d/               deltas of the paper table and their listing (see analysis.table)
    embeddings/<backend>.parquet   per-paper embedding cache (text hash -> vector)
    embeddings/<backend>.parts/    checkpoints of a running (or killed) embedding run
    topics/                 topic model artifacts (Parquet, JSON, safetensors; never pickle)
    raw/<kind>/...          what the table is built from: API responses kept by `fetch`
                            (raw/hf-daily/ days, raw/hf-month/ whole months), copies of
                            ingested files (raw/ingested/), the snapshot a user store started
                            from (raw/snapshot/)
    listings.json           the size of each month's full list, where a source told it
    fetch-state.json        which days and months were fetched, which failed
    models/                 locally derived models (e.g. the distilled static embedder)
    index/                  the word index of keyword trends (derived, like models/; see
                            trends.phrase_index: it is used only while it fits the table)
    manifest.json           sha256 and size of every file above except fetch-state, models, index
    .lock                   the store lock: one writer at a time

Where stores are: the bundled snapshot ``data/`` (read-only, verified by git), a user store in
the platform's user data folder (``platformdirs``), created on first write as a copy of the
snapshot, or any folder named by ``--store`` / ``$PAPERTRENDS_STORE``.

Writing: every writer holds :meth:`Store.lock` and writes through :meth:`Store.write_bytes`
(and friends), which journal each file's new hash before replacing it; the journal is folded
into ``manifest.json`` when the outermost lock is released (or, after a killed writer, when the
next one takes the lock), so the manifest never blames a file for an interrupted write.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import polars as pl

from analysis.files import (
    READ_ERRORS,
    Ledger,
    atomic_write_bytes,
    atomic_write_json,
    atomic_write_parquet,
    atomic_write_text,
    corpus_hash,
    file_sha256,
    json_bytes,
    parquet_bytes,
    read_parquet,
    text_hash,
)
from analysis.schema import SCHEMA, empty_table, validate
from analysis.settings import (  # re-exported: the store is where the rest asks for paths
    APP_NAME,
    BUNDLED_STORE,
    ENV_ALLOW_UPDATES,
    ENV_MAP_POINTS,
    ENV_STORE,
    ENV_TIMING_LOG,
    ENV_UPLOAD_LIMIT,
    MAP_POINTS,
    ROOT,
    UPLOAD_LIMIT_MB,
    default_store_dir,
    explicit_store_dir,
    map_points,
    sessions_dir,
    updates_allowed,
    upload_limit_bytes,
    user_store_dir,
)
from analysis.table import DELTA_DIR, DELTA_SCHEMA, LISTING, Listing, changes, delta_name, due
from analysis.table import read_table as _read_table

__all__ = ["APP_NAME", "BUNDLED_STORE", "ENV_ALLOW_UPDATES", "ENV_MAP_POINTS", "ENV_STORE",
           "ENV_TIMING_LOG", "ENV_UPLOAD_LIMIT", "MAP_POINTS", "READ_ERRORS", "ROOT",
           "UPLOAD_LIMIT_MB", "Store",
           "atomic_write_bytes", "atomic_write_json", "atomic_write_parquet", "atomic_write_text",
           "corpus_hash", "default_store_dir", "explicit_store_dir", "file_sha256", "map_points",
           "read_parquet", "sessions_dir", "text_hash", "updates_allowed", "upload_limit_bytes",
           "user_store_dir"]

#: Files the manifest covers (paths relative to the store; a trailing / covers a folder).
TRACKED = ("papers.parquet", "papers.d/", "listings.json", "embeddings/", "topics/", "raw/")


class Store:
    """A directory holding the paper table and the artifacts derived from it."""

    def __init__(self, root: str | os.PathLike[str] | None = None) -> None:
        """Open the store at ``root`` (default: :func:`default_store_dir`); nothing is read yet."""
        self.root = Path(root) if root is not None else default_store_dir()

    def __repr__(self) -> str:
        """``Store('<root>')``."""
        return f"Store({str(self.root)!r})"

    # ---- paths -------------------------------------------------------------------------------
    @property
    def papers_path(self) -> Path:
        """The paper table, ``papers.parquet``."""
        return self.root / "papers.parquet"

    @property
    def embeddings_dir(self) -> Path:
        """Folder of the per-backend embedding caches."""
        return self.root / "embeddings"

    def embeddings_path(self, backend: str) -> Path:
        """The embedding cache of one backend (``minilm``, ``fast``)."""
        return self.embeddings_dir / f"{backend}.parquet"

    def embedding_parts_dir(self, backend: str) -> Path:
        """Checkpoints of an embedding run not yet folded into the backend's cache file."""
        return self.embeddings_dir / f"{backend}.parts"

    @property
    def phrase_index_dir(self) -> Path:
        """Folder of the word index that keyword trends use on large stores."""
        return self.root / "index"

    @property
    def deltas_dir(self) -> Path:
        """Folder of the paper table's delta files and their listing (``papers.d/``)."""
        return self.root / DELTA_DIR

    @property
    def listing_path(self) -> Path:
        """The listing of the deltas (``papers.d/deltas.json``)."""
        return self.deltas_dir / LISTING

    def listing(self) -> Listing | None:
        """The listing of the deltas (None: the table is its base alone).

        Raises:
            ValueError: the listing is damaged.
        """
        if not self.listing_path.is_file():
            return None
        return Listing.parse(self.listing_path.read_bytes())

    def delta_paths(self) -> list[Path]:
        """The delta files the listing names, in the order they apply (none if it is damaged)."""
        try:
            listing = self.listing()
        except (OSError, ValueError):
            return []
        return [self.deltas_dir / name for name in listing.deltas] if listing else []

    def paper_files(self) -> list[Path]:
        """The files that hold the paper table: the base, the listing, the deltas it names."""
        if not self.papers_path.is_file():
            return []
        extra = [self.listing_path] if self.listing_path.is_file() else []
        return [self.papers_path, *extra, *(p for p in self.delta_paths() if p.is_file())]

    @property
    def topics_dir(self) -> Path:
        """Folder of the topic model artifacts."""
        return self.root / "topics"

    @property
    def models_dir(self) -> Path:
        """Folder of locally derived models (the distilled static embedder)."""
        return self.root / "models"

    @property
    def raw_root(self) -> Path:
        """Folder of everything the table is built from (``rebuild`` reads all of it)."""
        return self.root / "raw"

    @property
    def raw_dir(self) -> Path:
        """Default folder of the raw API responses kept by `fetch`."""
        return self.raw_root / "hf-daily"

    @property
    def raw_month_dir(self) -> Path:
        """Default folder of the raw API responses of whole months kept by `fetch --month`."""
        return self.raw_root / "hf-month"

    @property
    def listings_path(self) -> Path:
        """The size of each month's full list, as sources told it (``listings.json``)."""
        return self.root / "listings.json"

    @property
    def fetch_state_path(self) -> Path:
        """The fetch state: which days were fetched, which failed."""
        return self.root / "fetch-state.json"

    @property
    def manifest_path(self) -> Path:
        """The manifest: sha256 and size of every tracked file."""
        return self.root / "manifest.json"

    @property
    def ledger(self) -> Ledger:
        """The store's lock, journal and manifest (:class:`analysis.files.Ledger`)."""
        return Ledger(self.root, self.tracked_files, self.tracked, frozen=self.is_bundled)

    @property
    def is_bundled(self) -> bool:
        """True for the bundled snapshot ``data/`` (read-only; git verifies it, no manifest)."""
        with contextlib.suppress(OSError):
            return self.root.resolve() == BUNDLED_STORE.resolve()
        return False

    def rel(self, path: Path) -> str | None:
        """``path`` relative to the store as text, or None when it is outside the store."""
        try:
            return Path(os.path.abspath(path)).relative_to(os.path.abspath(self.root)).as_posix()
        except ValueError:
            return None

    def tracked(self, rel: str) -> bool:
        """Whether the manifest covers the file at ``rel`` (see :data:`TRACKED`)."""
        return any(rel == t or (t.endswith("/") and rel.startswith(t)) for t in TRACKED)

    # ---- the paper table -----------------------------------------------------------------------
    def exists(self) -> bool:
        """Whether the store has a paper table."""
        return self.papers_path.is_file()

    def scan_papers(self) -> pl.LazyFrame:
        """The paper table as a lazy frame (an empty frame if the store has none yet).

        The files are read once, here: a lazy scan would open them again at ``collect`` time
        and, if a writer replaced one in between, read the new file's pages with the old one's
        footer. Read once, and the listing of the deltas read before and after them (see
        :mod:`analysis.table`), a reader sees the old table or the new one, never half of each.
        A table written before a column existed gets it (see :func:`analysis.schema.upgrade`).

        Raises:
            analysis.table.DamagedFile: a file of the table cannot be read (which one).
        """
        lf = _read_table(self.papers_path, self.deltas_dir) if self.exists() else None
        return empty_table().lazy() if lf is None else lf

    def read_papers(self) -> pl.DataFrame:
        """The paper table, in canonical schema, sorted by paper_id (base with deltas applied)."""
        return self.scan_papers().collect().select(list(SCHEMA))

    def write_papers(self, df: pl.DataFrame) -> None:
        """Validate and write the paper table whole and atomically, sorted by paper_id.

        The base file is replaced first, then the deltas it now holds are dropped (the listing
        first, so a reader never misses a change).
        """
        df = validate(df).sort("paper_id")
        self.write_parquet(self.papers_path, df)
        if self.deltas_dir.is_dir():
            try:
                generation = (self.listing() or Listing()).generation
            except (OSError, ValueError):  # a damaged listing: above every delta on disk
                generation = max([int(p.stem) for p in self.deltas_dir.glob("[0-9]*.parquet")]
                                 or [0])
            self.write_json(self.listing_path, Listing(generation + 1).to_json())
            for path in sorted(self.deltas_dir.glob("*.parquet")):
                self.remove(path)

    def update_papers(self, old: pl.DataFrame, new: pl.DataFrame,
                      delta: pl.DataFrame | None = None) -> bool:
        """Make the table ``new``, where it is ``old`` now: a delta of the rows that changed.

        ``delta`` is ``changes(old, new)`` when the caller knows it already (a merge knows which
        rows it touched); else it is computed here.

        The table is written whole instead (a compaction) for a store without a table, for the
        bundled snapshot (one file in git), and when the deltas would pass the threshold of
        :func:`analysis.table.due`. Hold the lock.

        Returns:
            True when only a delta was written.
        """
        if not self.exists() or self.is_bundled:
            self.write_papers(new)
            return False
        delta = changes(old, new) if delta is None else delta
        if delta.height == 0:
            return True
        data = parquet_bytes(delta.select(list(DELTA_SCHEMA)))
        try:
            listing = self.listing() or Listing()
        except (OSError, ValueError):
            listing = None
        sizes = [p.stat().st_size for p in self.delta_paths() if p.is_file()] + [len(data)]
        if listing is None or due(self.papers_path.stat().st_size, sizes):
            self.write_papers(new)
            return False
        name = delta_name(listing.generation + 1)
        self.write_bytes(self.deltas_dir / name, data)
        self.write_json(self.listing_path,
                        Listing(listing.generation + 1, [*listing.deltas, name]).to_json())
        return True

    def compact_papers(self) -> bool:
        """Fold the deltas into the base (one file again, byte-identical to a whole write).

        Returns:
            False when there was nothing to fold.
        """
        with self.lock():
            if not self.exists() or not self.deltas_dir.is_dir() or \
                    not any(self.deltas_dir.glob("*.parquet")):
                return False
            self.write_papers(self.read_papers())
        return True

    def corpus_hash(self) -> str:
        """The :func:`corpus_hash` of the store's paper table."""
        return corpus_hash(self.read_papers())

    # ---- small JSON artifacts ------------------------------------------------------------------
    def read_json(self, path: Path, default: object = None) -> object:
        """A JSON file of the store, parsed; ``default`` when the file does not exist."""
        if not path.is_file():
            return default
        return json.loads(path.read_text(encoding="utf-8"))

    def files(self) -> Iterator[Path]:
        """Every file in the store, recursively, in path order."""
        if self.root.is_dir():
            yield from sorted(p for p in self.root.rglob("*") if p.is_file())

    def tracked_files(self) -> dict[str, Path]:
        """Every file the manifest covers that is on disk now: relative path -> path."""
        out = {}
        for path in self.files():
            rel = self.rel(path)
            if rel and self.tracked(rel) and not Path(rel).name.startswith("."):
                out[rel] = path
        return out

    # ---- writing: every writer holds the lock and writes through these -------------------------
    @contextlib.contextmanager
    def lock(self, *, timeout: float | None = None,
             on_wait: Callable[[str], None] | None = None) -> Iterator[Store]:
        """Hold the store's write lock (re-entrant in one thread); two writers serialise on it.

        Readers never take it: every file is replaced atomically, so they see old or new. Taking
        it finishes what a killed writer left (a half-swapped folder, the manifest journal).

        Args:
            timeout: give up after this many seconds (None: wait as long as it takes).
            on_wait: told once who holds the lock, when this call has to wait for it.

        Raises:
            InputError: the timeout passed, or the store is not a folder.
        """
        with self.ledger.lock(timeout, on_wait):
            yield self

    def write_bytes(self, path: Path, data: bytes) -> None:
        """Write a file of the store atomically, noting its hash for the manifest first."""
        self.ledger.note(self.rel(path), hashlib.sha256(data).hexdigest(), len(data))
        atomic_write_bytes(path, data)

    def write_parquet(self, path: Path, df: pl.DataFrame) -> None:
        """Write a frame into the store as Parquet (same frame, same bytes), atomically."""
        self.write_bytes(path, parquet_bytes(df))

    def write_json(self, path: Path, obj: object) -> None:
        """Write an object into the store as indented JSON, atomically."""
        self.write_bytes(path, json_bytes(obj))

    def remove(self, path: Path) -> None:
        """Remove a file or folder of the store, noting it for the manifest."""
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if file.exists():
                self.ledger.note(self.rel(file), None, 0)
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()

    def replace_dir(self, ready: Path, target: Path) -> None:
        """Put a fully written folder in place of ``target`` (see ``Ledger.replace_dir``)."""
        self.ledger.replace_dir(ready, target, self.rel)

    def expected_hashes(self, rel: str) -> set[str | None] | None:
        """Hashes the file at ``rel`` may have (manifest, pending writes); None: not recorded."""
        return self.ledger.expected(rel)

    def record_all(self) -> None:
        """Write a fresh manifest from the files as they are now (``rebuild`` ends with this)."""
        self.ledger.record_all()
