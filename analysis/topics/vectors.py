"""Paper vectors without a model (LIGHT: Polars and NumPy only).

The text embedded for a paper is ``title + ". " + abstract`` (see :func:`doc_text`): the title is
the densest statement of the topic, and MiniLM reads only the first 256 word pieces anyway.

The cache (``store.embeddings_path(backend)``) is a Parquet file with one row per distinct text:
``key`` (:func:`analysis.store.text_hash` of the text), ``paper_id`` (informational) and ``vector``
(float16 bytes), sorted by key. Adding papers embeds only the texts not yet in the cache. Vectors
have unit length. The models that fill the cache live in :mod:`analysis.topics.embedders` (HEAVY).

While a run embeds, every checkpoint is a small part file in ``store.embedding_parts_dir(backend)``
(O(checkpoint) bytes, not a rewrite of the cache); the run ends by folding the parts into the cache
file (:class:`CacheWriter`) once they hold :data:`FOLD_SHARE` of its bytes (or more than
:data:`FOLD_PARTS` files); until then they stay beside it, so a day's new papers on a large store
write O(day), not the whole cache again. Parts are read like the cache, so a killed run's next
run embeds only what is still missing. The first vector stored for a text
is kept and never recomputed, so everything read from a store's cache is reproducible even where a
model's last float16 bit depends on batch make-up (MiniLM does; ``fast`` does not).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from analysis.names import EMBEDDERS
from analysis.schema import InputError
from analysis.store import READ_ERRORS, Store, read_parquet, text_hash


def doc_text(title: str | None, abstract: str | None) -> str:
    """The text embedded for one paper: the title, a full stop, then the abstract."""
    title = (title or "").strip().rstrip(".")
    abstract = (abstract or "").strip()
    return f"{title}. {abstract}".strip() if abstract else title


def doc_texts(papers: pl.DataFrame) -> list[str]:
    """doc_text for every row of a paper table, in row order."""
    return [doc_text(t, a) for t, a in papers.select("title", "abstract").iter_rows()]


def check_backend(backend: str) -> None:
    """Check an embedder name.

    Raises:
        InputError: the name is not one of ``EMBEDDERS``.
    """
    if backend not in EMBEDDERS:
        raise InputError(f"unknown embedder {backend!r}", field="embedder",
                         hint=f"use one of: {', '.join(EMBEDDERS)}")


def normalise(vecs: np.ndarray) -> np.ndarray:
    """The rows scaled to unit length, as float32 (all-zero rows stay zero)."""
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    return (vecs / np.where(norms == 0, 1.0, norms)).astype(np.float32)


# ---- the cache ----------------------------------------------------------------------------------
CACHE_SCHEMA = {"key": pl.Utf8(), "paper_id": pl.Utf8(), "vector": pl.Binary()}
CHECKPOINT_EVERY = 1024  # texts embedded between checkpoints (a long run can be resumed)
#: Parts are folded into the cache file once they hold this share of its bytes ...
FOLD_SHARE = 0.10
#: ... or once there are more than this many of them (the paper table's deltas use the same rule).
FOLD_PARTS = 64
#: What mends a damaged cache (``fit --force`` starts a new one and embeds every paper again).
CACHE_FIX = "run `papertrends fit --force` on this store: it embeds every paper again"


def read_cache(store: Store, backend: str, *, fresh_if_damaged: bool = False) -> pl.DataFrame:
    """The cache table of a backend with the parts of an unfinished run (empty if none).

    One row per key; a key in both keeps the cache file's row (the first vector stored).

    Args:
        store: the store.
        backend: one of ``EMBEDDERS``.
        fresh_if_damaged: leave out a damaged file instead of failing (``fit``).

    Raises:
        InputError: a file is damaged (and ``fresh_if_damaged`` is not set).
    """
    paths = [store.embeddings_path(backend), *cache_parts(store, backend)]
    frames = [_read_cache_file(p, fresh_if_damaged) for p in paths if p.is_file()]
    if not frames:
        return pl.DataFrame(schema=CACHE_SCHEMA)
    if len(frames) == 1:
        return frames[0]
    return pl.concat(frames, how="vertical").unique("key", keep="first", maintain_order=True)


def cache_parts(store: Store, backend: str) -> list[Path]:
    """The part files of an unfinished embedding run, oldest first."""
    folder = store.embedding_parts_dir(backend)
    return sorted(folder.glob("[0-9]*.parquet")) if folder.is_dir() else []


def _read_cache_file(path: Path, fresh_if_damaged: bool) -> pl.DataFrame:
    try:
        df = read_parquet(path)
    except READ_ERRORS as exc:  # noqa: BLE001 - any unreadable file is bad input
        if fresh_if_damaged:
            return pl.DataFrame(schema=CACHE_SCHEMA)
        raise InputError(f"unreadable embedding cache: {' '.join(str(exc).split())[:160]}",
                         file=str(path), hint=CACHE_FIX) from None
    if list(df.columns) != list(CACHE_SCHEMA):
        if fresh_if_damaged:
            return pl.DataFrame(schema=CACHE_SCHEMA)
        raise InputError("embedding cache has unexpected columns", file=str(path),
                         field=",".join(df.columns), hint=CACHE_FIX)
    return df


def cache_keys(store: Store, backend: str) -> set[str] | None:
    """The text keys a backend's cache holds (only that column is read); None without a cache.

    Raises:
        InputError: the cache file is damaged.
    """
    path = store.embeddings_path(backend)
    parts = cache_parts(store, backend)
    if not path.is_file() and not parts:
        return None
    keys: set[str] = set()
    for file in [path, *parts] if path.is_file() else parts:
        try:
            keys.update(read_parquet(file, columns=["key"]).get_column("key").to_list())
        except READ_ERRORS as exc:  # noqa: BLE001 - any unreadable file is bad input
            raise InputError(f"unreadable embedding cache: {' '.join(str(exc).split())[:160]}",
                             file=str(file), hint=CACHE_FIX) from None
    return keys


def vectors_of(cache: pl.DataFrame) -> np.ndarray:
    """Decode the ``vector`` column (float16 bytes) into a float32 matrix."""
    if cache.height == 0:
        return np.zeros((0, 0), dtype=np.float32)
    raw = b"".join(cache.get_column("vector").to_list())
    return np.frombuffer(raw, dtype=np.float16).reshape(cache.height, -1).astype(np.float32)


def cached_vectors(cache: pl.DataFrame, keys: list[str]) -> np.ndarray:
    """The cached vectors of the given text keys, in key order; NaN rows for keys not cached."""
    vecs = vectors_of(cache)
    rows = (pl.DataFrame({"key": keys}, schema={"key": pl.Utf8()})
            .join(cache.select("key").with_row_index("row"), on="key", how="left",
                  maintain_order="left")
            .get_column("row"))
    out = np.full((len(keys), vecs.shape[1]), np.nan, dtype=np.float32)
    hit = rows.is_not_null().to_numpy()
    out[hit] = vecs[rows.drop_nulls().to_numpy()]
    return out


def write_cache(store: Store, backend: str, frames: list[pl.DataFrame]) -> pl.DataFrame:
    """Write a backend's cache from frames of cache rows: one row per key (first wins), sorted.

    Returns:
        The cache table as written.
    """
    df = pl.concat(frames, how="vertical").unique("key", keep="first").sort("key")
    with store.lock():
        store.write_parquet(store.embeddings_path(backend), df)
    return df


class CacheWriter:
    """Adds rows to a backend's cache: a part file per checkpoint, folded in by :meth:`finish`.

    The same rows give the same cache bytes whatever the checkpoints or the order they came in.
    """

    def __init__(self, store: Store, backend: str, every: int = CHECKPOINT_EVERY) -> None:
        """Write a part whenever ``every`` rows are pending."""
        self.store = store
        self.backend = backend
        self.every = max(1, every)
        self.pending: list[pl.DataFrame] = []
        self.n_pending = 0
        self.written = 0

    def add(self, rows: pl.DataFrame) -> bool:
        """Add cache rows; returns True when that wrote a checkpoint."""
        self.pending.append(rows)
        self.n_pending += rows.height
        if self.n_pending >= self.every:
            self.flush()
            return True
        return False

    def flush(self) -> None:
        """Write the pending rows as the next part file (atomic)."""
        if not self.pending:
            return
        rows = pl.concat(self.pending, how="vertical")
        with self.store.lock():
            parts = cache_parts(self.store, self.backend)
            number = int(parts[-1].stem) + 1 if parts else 0
            folder = self.store.embedding_parts_dir(self.backend)
            self.store.write_parquet(folder / f"{number:06d}.parquet", rows)
        self.written += rows.height
        self.pending, self.n_pending = [], 0

    def finish(self, *, fresh_if_damaged: bool = False) -> pl.DataFrame:
        """Flush, then fold the parts into the cache file when they are due (see compact_cache)."""
        self.flush()
        return compact_cache(self.store, self.backend, fresh_if_damaged=fresh_if_damaged)


def compact_cache(store: Store, backend: str, *, fresh_if_damaged: bool = False,
                  force: bool = False) -> pl.DataFrame:
    """Fold the parts into the cache file once they are due (``force``: always); the cache.

    ``fresh_if_damaged`` (``fit``) always folds: a damaged cache file is replaced then.
    """
    force = force or fresh_if_damaged
    with store.lock():
        parts = cache_parts(store, backend)
        path = store.embeddings_path(backend)
        size = path.stat().st_size if path.is_file() else 0
        small = sum(p.stat().st_size for p in parts) <= FOLD_SHARE * size
        if not parts or (not force and small and len(parts) <= FOLD_PARTS):
            return read_cache(store, backend, fresh_if_damaged=fresh_if_damaged)
        df = write_cache(store, backend, [read_cache(store, backend,
                                                     fresh_if_damaged=fresh_if_damaged)])
        store.remove(store.embedding_parts_dir(backend))
    return df


def cache_rows(keys: list[str], ids: list[str], vecs: np.ndarray) -> pl.DataFrame:
    """Cache rows for some texts: key, paper id and the vector as float16 bytes."""
    v16 = vecs.astype(np.float16)
    return pl.DataFrame({"key": keys, "paper_id": ids,
                         "vector": [row.tobytes() for row in v16]}, schema=CACHE_SCHEMA)


def paper_keys(papers: pl.DataFrame) -> list[str]:
    """The cache key of every row of a paper table (the hash of its :func:`doc_text`)."""
    return [text_hash(t) for t in doc_texts(papers)]


def paper_vectors(store: Store, papers: pl.DataFrame, backend: str) -> np.ndarray:
    """Cached embeddings of the given papers (row order); NaN rows for papers not in the cache."""
    return cached_vectors(read_cache(store, backend), paper_keys(papers))
