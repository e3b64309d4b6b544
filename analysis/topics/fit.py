"""Fitting the topic model of a store, and assigning papers ingested after the fit.

Public API:
    fit(store, *, embedder="minilm", seed=42, min_topic_size=None, progress=None) -> dict (meta)
    assign_new(store, *, progress=None) -> dict (counts)

The pipeline lives in :mod:`analysis.topics.pipeline`, id matching and placement of new papers in
:mod:`analysis.topics.match`, the light readers in :mod:`analysis.topics.artifacts`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

from analysis.names import OUTLIER_LABEL, Progress
from analysis.schema import InputError
from analysis.store import (
    Store,
    atomic_write_bytes,
    atomic_write_json,
    atomic_write_parquet,
    corpus_hash,
)
from analysis.topics import artifacts as art
from analysis.topics import pipeline as topic_fit
from analysis.topics import quality
from analysis.topics.embedders import embed_papers, fast_model_dir, load_fast, minilm_path
from analysis.topics.engine import LOCAL, Engine
from analysis.topics.match import match_topics, place_new
from analysis.topics.vectors import check_backend, doc_texts, paper_vectors

#: The stages ``fit`` reports through ``progress(done, STAGES, message)``.
STAGES = 4
N_REPRESENTATIVE = 5


def _say(progress: Progress | None, done: int, text: str) -> None:
    if progress:
        progress(done, STAGES, text)


def fit_key(corpus_hash: str, settings: topic_fit.Settings) -> str:
    """Identifies a fit: the corpus hash plus every setting."""
    blob = json.dumps({"corpus": corpus_hash, **settings.to_dict()}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def fit(store: Store, *, embedder: str = "minilm", seed: int = 42,
        min_topic_size: int | None = None, n_topics: int | None = None,
        progress: Progress | None = None, force: bool = False, engine: Engine = LOCAL) -> dict:
    """Fit topics on every paper of the store and write the artifacts into ``store.topics_dir``.

    An identical earlier fit (same corpus hash and settings) is reused unless ``force``. Topic ids
    continue those of the previous fit where topics match (see topic_match.match_topics). Damaged
    earlier artifacts or a damaged embedding cache are set aside (so ``fit`` mends them). Holds
    the store lock while it runs.

    Missing embeddings are computed by ``engine`` (here, or on a Ray cluster).

    Returns:
        The fit's meta (also written to topics/meta.json), with ``reused`` and ``timings``.
    """
    check_backend(embedder)
    if min_topic_size is not None and min_topic_size < 2:
        raise InputError("min topic size must be at least 2", field="min_topic_size")
    with store.lock():
        return _fit(store, embedder=embedder, seed=seed, min_topic_size=min_topic_size,
                    n_topics=n_topics, progress=progress, force=force, engine=engine)


def _previous_meta(store: Store) -> dict | None:
    try:
        return art.read_meta(store) if art.has_topics(store) else None
    except InputError:  # damaged: this fit replaces it
        return None


def _fit(store: Store, *, embedder: str, seed: int, min_topic_size: int | None,
         n_topics: int | None, progress: Progress | None, force: bool, engine: Engine) -> dict:
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    papers = store.read_papers().select("paper_id", "title", "abstract")
    if papers.height < 10:
        raise InputError(f"only {papers.height} papers in {store.papers_path}; need 10 or more",
                         hint="ingest more papers first")

    chash = corpus_hash(papers)
    settings = topic_fit.Settings(embedder, seed, min_topic_size, n_topics).resolve(papers.height)
    key = fit_key(chash, settings)
    old = None if force else _previous_meta(store)
    if old and old.get("key") == key and old.get("n_assigned_after_fit", 0) == 0 \
            and store.embeddings_path(embedder).is_file():
        return {**old, "reused": True, "timings": {"total": time.perf_counter() - t0}}
    _say(progress, 0, f"embedding {papers.height} papers with {embedder} (cached ones are reused)")
    t = time.perf_counter()
    emb = embed_papers(store, papers, embedder, engine=engine, progress=(lambda d, n, m: _say(
        progress, 0, f"  {m}")) if progress else None, fresh_if_damaged=True)
    timings["embed"] = time.perf_counter() - t
    t = time.perf_counter()
    word_model = load_fast(store)
    timings["load_word_model"] = time.perf_counter() - t

    _say(progress, 1, f"clustering into about {settings.n_topics} topics")
    t = time.perf_counter()
    docs = doc_texts(papers)
    model, labels, reducer = topic_fit.run(docs, emb, settings, word_model)
    timings["bertopic"] = time.perf_counter() - t
    inner = sorted(int(i) for i in np.unique(labels) if i >= 0)
    cents = topic_fit.centroids(emb, labels, inner)

    prev_ids, prev_vecs = _previous(store)
    ids, changes = match_topics(prev_ids, prev_vecs, cents)
    to_id = dict(zip(inner, ids, strict=True)) | {-1: -1}
    topic_col = np.array([to_id[int(i)] for i in labels], dtype=np.int32)
    best, prob = topic_fit.probabilities(emb, cents)
    prob = np.where(labels >= 0, prob, 0.0).astype(np.float32)

    _say(progress, 2, "computing the 2-D map")
    t = time.perf_counter()
    xy = topic_fit.map_2d(reducer, settings)
    timings["map"] = time.perf_counter() - t

    t = time.perf_counter()
    words = {to_id[i]: topic_fit.topic_words(model, i) for i in inner}
    names = topic_fit.make_labels({to_id[i]: topic_fit.label_words(model, i) for i in inner})
    coherence = quality.npmi_coherence([words[i] for i in ids], docs, model.vectorizer_model)
    report = quality.report(topic_col, [words[i] for i in ids], coherence)
    timings["quality"] = time.perf_counter() - t

    pids = papers.get_column("paper_id").to_list()
    assignments = pl.DataFrame({
        "paper_id": pids, "topic": topic_col, "prob": prob,
        "x": xy[:, 0], "y": xy[:, 1]}, schema=art.ASSIGNMENT_SCHEMA).sort("paper_id")
    table = _topic_table(ids, inner, names, words, labels, emb, cents, pids)
    meta = {
        "key": key, "corpus_hash": chash, "settings": settings.to_dict(),
        "seed": seed, "embedder": embedder,
        "method": "PCA-50 + Ward (deterministic), BERTopic c-TF-IDF, MMR labels",
        "embedding_model": str(fast_model_dir(store)) if embedder == "fast" else minilm_path(),
        "fitted_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "n_papers": papers.height, "n_topics": len(ids), "n_assigned_after_fit": 0,
        "quality": report, "changes": changes, "model_topic_ids": {str(i): to_id[i] for i in inner},
    }
    t = time.perf_counter()
    _write_fit(store, assignments, table, cents, meta, model, embedder)
    timings["write"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - t0
    return {**meta, "reused": False, "timings": timings}


def load_model(store: Store):
    """The saved BERTopic model of the store (safetensors), with this machine's embedding model.

    The model's config names the embedding model by the local path it had when it was fitted;
    that path differs between machines, so the path of the local copy is passed in here.
    Its topic ids are BERTopic's own; ``read_meta(store)["model_topic_ids"]`` maps them to ours.
    """
    from bertopic import BERTopic

    meta = art.read_meta(store)
    path = art.path_of(store, art.MODEL_DIR)
    if not (path / "topic_embeddings.safetensors").is_file():
        raise InputError("no saved topic model", file=str(path),
                         hint=f"run `papertrends fit --store {store.root}`")
    backend = meta["settings"]["embedder"]
    embedding = str(fast_model_dir(store)) if backend == "fast" else minilm_path()
    if backend == "fast":
        load_fast(store)  # distil it here if this store has none yet
    return BERTopic.load(str(path), embedding_model=embedding)


def _previous(store: Store) -> tuple[np.ndarray, np.ndarray]:
    none = np.zeros(0, dtype=np.int64), np.zeros((0, 0), dtype=np.float32)
    if not art.has_topics(store) or not art.path_of(store, art.TOPIC_VECTORS).is_file():
        return none
    try:
        return art.read_topic_vectors(store)
    except InputError:  # damaged: the new fit starts its ids afresh
        return none


def _topic_table(ids, inner, names, words, labels, emb, cents, pids) -> pl.DataFrame:
    rows = []
    pid_arr = np.array(pids, dtype=object)
    for j, (i, tid) in enumerate(zip(inner, ids, strict=True)):
        members = np.flatnonzero(labels == i)
        order = members[np.argsort(-(emb[members] @ cents[j]), kind="stable")][:N_REPRESENTATIVE]
        rows.append({"topic": tid, "label": names[tid], "words": words[tid],
                     "size": int(len(members)), "representative": pid_arr[order].tolist()})
    outliers = np.flatnonzero(labels < 0)
    rows.append({"topic": -1, "label": OUTLIER_LABEL, "words": [], "size": int(len(outliers)),
                 "representative": pid_arr[outliers[:N_REPRESENTATIVE]].tolist()})
    return pl.DataFrame(rows, schema=art.TOPIC_SCHEMA).sort("topic")


def _write_fit(store, assignments, table, cents, meta, model, embedder) -> None:
    """Write every artifact into a fresh folder, then swap it in for the old topics folder."""
    target = store.topics_dir
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".topics.", dir=target.parent))
    os.chmod(tmp, 0o755)
    try:
        atomic_write_parquet(tmp / art.ASSIGNMENTS, assignments)
        atomic_write_parquet(tmp / art.TOPIC_TABLE, table)
        order = table.filter(pl.col("topic") >= 0).get_column("topic").to_list()
        by_id = dict(zip(meta["model_topic_ids"].values(), cents, strict=True))
        atomic_write_bytes(tmp / art.TOPIC_VECTORS, _npy(np.stack([by_id[t] for t in order])))
        model.save(str(tmp / art.MODEL_DIR), serialization="safetensors", save_ctfidf=True,
                   save_embedding_model=meta["embedding_model"])
        atomic_write_json(tmp / art.META, meta)
        for path in tmp.rglob("*"):
            os.chmod(path, 0o755 if path.is_dir() else 0o644)
        store.replace_dir(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _npy(arr: np.ndarray) -> bytes:

    buf = io.BytesIO()
    np.save(buf, arr.astype(np.float32), allow_pickle=False)
    return buf.getvalue()


def assign_new(store: Store, *, progress: Progress | None = None, engine: Engine = LOCAL) -> dict:
    """Give every paper not yet assigned a topic one, with probability and map position; no refit.

    "Not yet assigned" means what :func:`analysis.topics.artifacts.current_assignments` says:
    papers added since the fit, and papers whose text changed since they got their topic. Every
    other paper keeps its topic. Topics come from the saved topic vectors (cosine to each topic's
    centroid); positions are the similarity-weighted mean of the 10 nearest placed papers. The
    topic sizes and the meta's count are recomputed from the assignments even when no paper is
    waiting, so a run killed halfway is finished by the next one. Holds the store lock.

    Returns:
        Counts: ``assigned`` (papers given a topic), ``unchanged``, ``by_topic``, ``seconds``.
    """
    t0 = time.perf_counter()
    if not art.has_topics(store):
        raise InputError(f"no topic model in {store.topics_dir}",
                         hint=f"run `papertrends fit --store {store.root}` first")
    with store.lock():
        fit_now = art.read_fit(store)
        backend = fit_now.meta["settings"]["embedder"]
        papers = store.read_papers().select("paper_id", "title", "abstract")
        current = art.current_assignments(store, fit_now, papers)
        new = papers.join(current.select("paper_id"), on="paper_id", how="anti")
        if new.height == 0:
            art.write_assignments(store, fit_now, current)
            return {"assigned": 0, "unchanged": current.height, "by_topic": {},
                    "seconds": time.perf_counter() - t0}
        _say(progress, 0, f"embedding {new.height} papers not yet assigned with {backend}")
        new_vecs = embed_papers(store, new, backend, engine=engine)
        ids, cents = art.read_topic_vectors(store)
        best, prob = topic_fit.probabilities(new_vecs, cents)
        fitted = papers.join(current.select("paper_id", "x", "y"), on="paper_id", how="inner")
        fitted_vecs = paper_vectors(store, fitted, backend)
        ok = ~np.isnan(fitted_vecs).any(axis=1)
        xy = place_new(new_vecs, fitted_vecs[ok], fitted.select("x", "y").to_numpy()[ok])
        added = pl.DataFrame({"paper_id": new.get_column("paper_id"), "topic": ids[best],
                              "prob": prob, "x": xy[:, 0], "y": xy[:, 1]},
                             schema=art.ASSIGNMENT_SCHEMA)
        merged = pl.concat([current.select(list(art.ASSIGNMENT_SCHEMA)), added])
        art.write_assignments(store, fit_now, merged,
                              assigned_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
    by_topic = added.group_by("topic").len("n").sort("topic")
    return {"assigned": new.height, "unchanged": current.height,
            "by_topic": {int(k): int(v) for k, v in by_topic.iter_rows()},
            "seconds": time.perf_counter() - t0}
