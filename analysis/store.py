"""The store: the only module that knows paths, writes files atomically and hashes content.

A store is a directory::

    papers.parquet          the canonical paper table
    embeddings/<backend>.parquet   per-paper embedding cache (text hash -> vector)
    embeddings/<backend>.parts/    checkpoints of a running (or killed) embedding run
    topics/                 topic model artifacts (Parquet, JSON, safetensors; never pickle)
    raw/hf-daily/<date>.json       raw API responses kept by `fetch`
    fetch-state.json        which days were fetched, which failed
    models/                 locally derived models (e.g. the distilled static embedder)
    index/                  the word index of keyword trends (large stores; see trends.phrase_index)
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import polars as pl

from analysis.schema import SCHEMA, empty_table, validate

ROOT = Path(__file__).resolve().parents[1]
BUNDLED_STORE = ROOT / "data"
ENV_STORE = "PAPERTRENDS_STORE"


def default_store_dir() -> Path:
    """The store read-only commands use without --store: $PAPERTRENDS_STORE or the bundled one."""
    return Path(os.environ.get(ENV_STORE) or BUNDLED_STORE)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write bytes to path via a temporary file in the same folder and os.replace."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """Write UTF-8 text to path atomically (see :func:`atomic_write_bytes`)."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: Path, obj: object) -> None:
    """Write an object as indented JSON (sorted keys, other values as text), atomically."""
    atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n")


def atomic_write_parquet(path: Path, df: pl.DataFrame) -> None:
    """Write a frame as Parquet atomically; the same frame always gives the same bytes."""
    buf = io.BytesIO()
    df.write_parquet(buf, compression="zstd", statistics=False)
    atomic_write_bytes(path, buf.getvalue())


def text_hash(*parts: str | None) -> str:
    """Stable short hash of some text parts (for caching per-paper embeddings)."""
    h = hashlib.sha256()
    for p in parts:
        h.update((p or "").encode("utf-8"))
        h.update(b"\x1f")
    return h.hexdigest()[:32]


def corpus_hash(papers: pl.DataFrame) -> str:
    """Hash of the ids and texts of a paper table, independent of row order."""
    rows = papers.select("paper_id", "title", "abstract").sort("paper_id")
    h = hashlib.sha256()
    for pid, title, abstract in rows.iter_rows():
        h.update(text_hash(pid, title, abstract).encode())
    return h.hexdigest()[:16]


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

    def paper_files(self) -> list[Path]:
        """The files that hold the paper table (none for an empty store)."""
        return [self.papers_path] if self.papers_path.is_file() else []

    @property
    def topics_dir(self) -> Path:
        """Folder of the topic model artifacts."""
        return self.root / "topics"

    @property
    def models_dir(self) -> Path:
        """Folder of locally derived models (the distilled static embedder)."""
        return self.root / "models"

    @property
    def raw_dir(self) -> Path:
        """Default folder of the raw API responses kept by `fetch`."""
        return self.root / "raw" / "hf-daily"

    @property
    def fetch_state_path(self) -> Path:
        """The fetch state: which days were fetched, which failed."""
        return self.root / "fetch-state.json"

    @property
    def fetch_lock_path(self) -> Path:
        """The lock file that keeps two fetches off one store."""
        return self.root / ".fetch.lock"

    # ---- the paper table -----------------------------------------------------------------------
    def exists(self) -> bool:
        """Whether the store has a paper table."""
        return self.papers_path.is_file()

    def scan_papers(self) -> pl.LazyFrame:
        """Lazy scan of the paper table (an empty frame if the store has none yet)."""
        if not self.exists():
            return empty_table().lazy()
        return pl.scan_parquet(self.papers_path)

    def read_papers(self) -> pl.DataFrame:
        """The paper table, in canonical schema."""
        if not self.exists():
            return empty_table()
        return pl.read_parquet(self.papers_path).select(list(SCHEMA))

    def write_papers(self, df: pl.DataFrame) -> None:
        """Validate and write the paper table atomically, sorted by paper_id."""
        df = validate(df).sort("paper_id")
        atomic_write_parquet(self.papers_path, df)

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
