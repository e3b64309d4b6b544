"""Paper vectors without a model (LIGHT: Polars and NumPy only).

The text embedded for a paper is ``title + ". " + abstract`` (see :func:`doc_text`): the title is
the densest statement of the topic, and MiniLM reads only the first 256 word pieces anyway.

The cache (``store.embeddings_path(backend)``) is a Parquet file with one row per distinct text:
``key`` (:func:`analysis.store.text_hash` of the text), ``paper_id`` (informational) and ``vector``
(float16 bytes). Adding papers embeds only the texts not yet in the cache. Vectors have unit
length. The models that fill the cache live in :mod:`analysis.topics.embedders` (HEAVY).
"""

from __future__ import annotations

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
#: What mends a damaged cache (``fit --force`` starts a new one and embeds every paper again).
CACHE_FIX = "run `papertrends fit --force` on this store: it embeds every paper again"


def read_cache(store: Store, backend: str, *, fresh_if_damaged: bool = False) -> pl.DataFrame:
    """The cache table of a backend (empty if none).

    Args:
        store: the store.
        backend: ``minilm`` or ``fast``.
        fresh_if_damaged: start an empty cache instead of failing on a damaged file (``fit``).

    Raises:
        InputError: the file is damaged (and ``fresh_if_damaged`` is not set).
    """
    path = store.embeddings_path(backend)
    if not path.is_file():
        return pl.DataFrame(schema=CACHE_SCHEMA)
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
    if not path.is_file():
        return None
    try:
        keys = read_parquet(path, columns=["key"]).get_column("key")
    except READ_ERRORS as exc:  # noqa: BLE001 - any unreadable file is bad input
        raise InputError(f"unreadable embedding cache: {' '.join(str(exc).split())[:160]}",
                         file=str(path), hint=CACHE_FIX) from None
    return set(keys.to_list())


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
