"""Fitting the topic model of a store, and assigning papers ingested after the fit.

Public API:
    fit(store, *, embedder="minilm", seed=42, clusterer="hdbscan", ..., progress=None) -> meta
    assign_new(store, *, progress=None) -> dict (counts)
    load_model(store) -> the saved BERTopic model

The pipeline lives in :mod:`analysis.topics.pipeline`; labels in :mod:`~analysis.topics.labels`,
groups in :mod:`~analysis.topics.hierarchy`, words over time in :mod:`~analysis.topics.words`,
quality in :mod:`~analysis.topics.quality`, id matching and the nearest-centroid rule in
:mod:`~analysis.topics.match`, the written tables in :mod:`~analysis.topics.tables` and the light
readers in :mod:`~analysis.topics.artifacts`.
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

from analysis.names import OUTLIER, Progress
from analysis.schema import InputError
from analysis.store import (
    Store,
    atomic_write_bytes,
    atomic_write_json,
    atomic_write_parquet,
    corpus_hash,
)
from analysis.topics import artifacts as art
from analysis.topics import hierarchy, labels, quality, tables
from analysis.topics import pipeline as topic_fit
from analysis.topics import sample as sampling
from analysis.topics.embedders import embed_papers, fast_model_dir, load_fast, minilm_path
from analysis.topics.engine import LOCAL, Engine
from analysis.topics.match import match_topics, place, place_outliers
from analysis.topics.vectors import check_backend, doc_texts, paper_vectors
from analysis.topics.words import words_over_time

#: The stages ``fit`` reports through ``progress(done, STAGES, message)``.
STAGES = 4
N_REPRESENTATIVE = 3


def _say(progress: Progress | None, done: int, text: str) -> None:
    if progress:
        progress(done, STAGES, text)


def fit_key(corpus_hash: str, settings: topic_fit.Settings, sample: int | None = None) -> str:
    """Identifies a fit: the corpus hash plus every setting (and the sample size, if any)."""
    extra = {} if sample is None else {"sample": sample}
    blob = json.dumps({"corpus": corpus_hash, **settings.to_dict(), **extra}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _check(embedder: str, clusterer: str, sizes: dict) -> None:
    check_backend(embedder)
    if clusterer not in topic_fit.CLUSTERERS:
        raise InputError(f"unknown clusterer {clusterer!r}", field="clusterer",
                         hint=f"use one of: {', '.join(topic_fit.CLUSTERERS)}")
    for name, value in sizes.items():
        if value is not None and value < 2:
            raise InputError(f"{name.replace('_', ' ')} must be at least 2", field=name)


def fit(store: Store, *, embedder: str = "minilm", seed: int = 42, clusterer: str = "hdbscan",
        min_cluster_size: int | None = None, min_samples: int | None = None,
        min_topic_size: int | None = None, n_topics: int | None = None, compare: bool = False,
        progress: Progress | None = None, force: bool = False,
        engine: Engine = LOCAL, sample: int | None = None) -> dict:
    """Fit topics on the papers of the store and write the artifacts into ``store.topics_dir``.

    Above ``sample.SAMPLE_FROM`` papers (or when ``sample`` asks) UMAP and the clusterer run on a
    time-stratified sample (see :mod:`analysis.topics.sample`) and every other paper is placed
    like a paper added later (``match.place``); sizes, words over time, the keyword check and the
    meta then describe every paper, and the meta's ``sample`` says how many were clustered.

    An identical earlier fit (same corpus hash and settings) is reused unless ``force``. Topic ids
    continue those of the previous fit where topics match (see match.match_topics). Damaged
    earlier artifacts or a damaged embedding cache are set aside (so ``fit`` mends them). Holds
    the store lock while it runs.

    Args:
        store: the store.
        embedder: ``minilm`` or ``fast``.
        seed: seeds the UMAP steps.
        clusterer: ``hdbscan`` (default) or ``ward``.
        min_cluster_size: HDBSCAN's smallest topic (default 20 from 4,000 to 15,000 papers,
            in proportion to the corpus outside; a sample gets its share of the corpus's).
        min_samples: HDBSCAN's density smoothing (default 30, scaled the same way).
        min_topic_size: Ward's smallest topic.
        n_topics: Ward's number of clusters.
        compare: also fit plain ``BERTopic()`` on the same embeddings for the quality report.
        progress: told about each stage.
        force: refit even if an identical fit exists.
        engine: where missing embeddings are computed (here, or on a Ray cluster).
        sample: papers to cluster: None for the default (every paper up to
            ``SAMPLE_FROM``, else ``DEFAULT_SAMPLE``), 0 for every paper, else N (every paper
            when N reaches the corpus).

    Returns:
        The fit's meta (also written to topics/meta.json), with ``reused`` and ``timings``.
    """
    sizes = {"min_cluster_size": min_cluster_size, "min_samples": min_samples,
             "min_topic_size": min_topic_size, "n_topics": n_topics}
    _check(embedder, clusterer, sizes)
    if sample is not None and sample < 0:
        raise InputError(f"the sample size must be 0 (all papers) or more, not {sample}",
                         field="sample")
    with store.lock():
        return _fit(store, embedder=embedder, seed=seed, clusterer=clusterer, sizes=sizes,
                    compare=compare, progress=progress, force=force, engine=engine,
                    sample=sample)


def _previous_meta(store: Store) -> dict | None:
    try:
        return art.read_meta(store) if art.has_topics(store) else None
    except InputError:  # damaged: this fit replaces it
        return None


def _fit(store: Store, *, embedder: str, seed: int, clusterer: str, sizes: dict, compare: bool,
         progress: Progress | None, force: bool, engine: Engine, sample: int | None) -> dict:
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    papers = store.read_papers().select("paper_id", "title", "abstract", "published", "listed",
                                        "keywords")
    if papers.height < 10:
        raise InputError(f"only {papers.height} papers in {store.papers_path}; need 10 or more",
                         hint="ingest more papers first")
    n_sample = sampling.sample_size(sample, papers.height)
    settings = topic_fit.Settings(embedder=embedder, seed=seed, clusterer=clusterer, **{
        k: v for k, v in sizes.items() if v is not None}).resolve(n_sample or papers.height,
                                                                  of=papers.height)
    chash = corpus_hash(papers)
    key = fit_key(chash, settings, n_sample)
    previous = _previous_meta(store)
    old = None if force else previous
    if (old and old.get("key") == key and old.get("n_assigned_after_fit", 0) == 0
            and store.embeddings_path(embedder).is_file()
            and (not compare or "plain_bertopic" in old.get("quality", {}).get("compare", {}))):
        return {**old, "reused": True, "timings": {"total": time.perf_counter() - t0}}
    _say(progress, 0, f"embedding {papers.height} papers with {embedder} (cached ones are reused)")
    t = time.perf_counter()
    emb = embed_papers(store, papers, embedder, engine=engine, progress=(lambda d, n, m: _say(
        progress, 0, f"  {m}")) if progress else None, fresh_if_damaged=True)
    timings["embed"] = time.perf_counter() - t

    docs = doc_texts(papers)
    kws = papers.get_column("keywords").to_list()
    rows = None if n_sample is None else sampling.stratified_rows(papers, n_sample, seed)
    part = (lambda xs: xs) if rows is None else (lambda xs: [xs[i] for i in rows])
    fit_emb = emb if rows is None else emb[rows]
    fit_docs = part(docs)
    _say(progress, 1, f"clustering with {settings.clusterer}"
         + ("" if rows is None else f" on a sample of {len(rows)} of {papers.height} papers"))
    t = time.perf_counter()
    model, raw, probs = topic_fit.run(fit_docs, fit_emb, settings)
    assert settings.reassign_threshold is not None  # resolve() sets it
    final, status, sim = place_outliers(fit_emb, raw, settings.reassign_threshold)
    topic_fit.update_words(model, fit_docs, final, fit_emb)
    timings["cluster"] = time.perf_counter() - t
    inner = sorted(int(i) for i in np.unique(final) if i >= 0)
    cents = topic_fit.centroids(fit_emb, final, inner)
    prev_ids, prev_vecs = _previous(store)
    ids, changes = match_topics(prev_ids, prev_vecs, cents)
    to_id = dict(zip(inner, ids, strict=True)) | {OUTLIER: OUTLIER}
    if probs is None:  # Ward: how clearly the paper's centroid is its nearest
        probs = topic_fit.probabilities(fit_emb, cents)[1]
    prob = np.where(status == art.MEMBER, probs, 0.0).astype(np.float32)

    _say(progress, 2, "computing the 2-D map")
    t = time.perf_counter()
    xy = topic_fit.map_2d(model.umap_model, settings)
    timings["map"] = time.perf_counter() - t
    if rows is not None:
        _say(progress, 2, f"placing the other {papers.height - len(rows)} papers")
        t = time.perf_counter()
        whole = sampling.extend(rows, emb, {"topic": final, "status": status, "sim": sim,
                                            "prob": prob, "xy": xy}, inner, cents,
                                _threshold(settings.to_dict()))
        final, status, sim, prob, xy = (whole[k] for k in ("topic", "status", "sim", "prob",
                                                           "xy"))
        timings["place_rest"] = time.perf_counter() - t
    topic_col = np.array([to_id[int(i)] for i in final], dtype=np.int32)

    _say(progress, 3, "naming topics and groups, words over time, quality")
    t = time.perf_counter()
    words = {to_id[i]: topic_fit.topic_words(model, i) for i in inner}
    phrases = labels.phrase_table(kws, docs)
    names = labels.make_labels(phrases, topic_col, fallback=words)
    counts = [int((topic_col == t).sum()) for t in ids]
    groups = hierarchy.groups(ids, cents, counts)
    group_col = np.array([groups.get(int(t), OUTLIER) for t in topic_col], dtype=np.int32)
    group_words = {g: [w for t in ids if groups[t] == g for w in words[t][:3]]
                   for g in set(groups.values())}
    group_names = labels.make_labels(phrases, group_col, n_phrases=2, fallback=group_words)
    reps = labels.representatives(emb, topic_col, status == art.MEMBER, N_REPRESENTATIVE)
    timings["labels"] = time.perf_counter() - t
    t = time.perf_counter()
    listed, published = papers.get_column("listed").to_list(), papers["published"].to_list()
    over_time = words_over_time(model, docs, final, listed, published, to_id)
    timings["words_over_time"] = time.perf_counter() - t
    t = time.perf_counter()
    coherence = quality.npmi_coherence([words[i] for i in ids], fit_docs, model.vectorizer_model)
    report = quality.report(topic_col, [words[i] for i in ids], coherence)
    fit_topics = topic_col if rows is None else topic_col[rows]
    report["compare"] = quality.compare(fit_docs, fit_emb, model, raw, fit_topics, part(kws),
                                        settings, plain=compare)
    report["keywords"] = report["compare"][settings.clusterer]
    if rows is not None:  # the comparison ran on the sample; the fit's own check on every paper
        report["compare"]["on_sample"] = len(rows)
        report["keywords"] = quality.keyword_check(topic_col, kws)
    report["status"] = {s: int((status == s).sum()) for s in
                        (art.MEMBER, art.REASSIGNED, art.OUTLIER_STATUS)
                        + (() if rows is None else (art.ASSIGNED,))}
    report["groups"] = len(set(groups.values()))
    report["label_problems"] = labels.label_problems(names)
    timings["quality"] = time.perf_counter() - t

    pids = papers.get_column("paper_id").to_list()
    first = len(prev_ids) == 0
    table = tables.topic_table(topic_col, status, pids, names, words, groups, reps,
                               tables.lineage(ids, changes, first))
    meta = {
        "key": key, "corpus_hash": chash, "settings": settings.to_dict(),
        "seed": seed, "embedder": embedder,
        "method": _method(settings) + ("" if rows is None else sampling.method_note(
            len(rows), papers.height)),
        "embedding_model": str(fast_model_dir(store)) if embedder == "fast" else minilm_path(),
        "fitted_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "n_papers": papers.height, "n_topics": len(ids), "n_assigned_after_fit": 0,
        "quality": report, "changes": changes, "model_topic_ids": {str(i): to_id[i] for i in inner},
        "previous": {} if first else _previous_summary(store, previous or {}),
    }
    if rows is not None:
        meta["sample"] = sampling.describe(len(rows), papers.height, seed)
    t = time.perf_counter()
    _write_fit(store, {
        art.ASSIGNMENTS: tables.assignments(pids, topic_col, prob, xy, status, sim),
        art.TOPIC_TABLE: table,
        art.GROUP_TABLE: tables.group_table(groups, group_names, topic_col),
        art.WORDS_OVER_TIME: over_time}, cents, meta, model)
    timings["write"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - t0
    return {**meta, "reused": False, "timings": timings}


def _method(s: topic_fit.Settings) -> str:
    if s.clusterer == "ward":
        return "PCA-50 + exact kNN + seeded UMAP-5, Ward, BERTopic c-TF-IDF, phrase labels"
    return ("PCA-50 + exact kNN + seeded UMAP-5, HDBSCAN leaf + nearest-centroid reassignment "
            f"(cosine >= {s.reassign_threshold}), BERTopic c-TF-IDF, phrase labels")


def _previous(store: Store) -> tuple[np.ndarray, np.ndarray]:
    none = np.zeros(0, dtype=np.int64), np.zeros((0, 0), dtype=np.float32)
    if not art.has_topics(store) or not art.path_of(store, art.TOPIC_VECTORS).is_file():
        return none
    try:
        return art.read_topic_vectors(store)
    except InputError:  # damaged: the new fit starts its ids afresh
        return none


def _previous_summary(store: Store, meta: dict) -> dict:
    """What the lineage of the next fit refers to: when the previous fit ran, its labels."""
    table = art.read_topic_table(store).filter(pl.col("topic") >= 0)  # read by _previous
    return {"fitted_at": meta.get("fitted_at"), "n_topics": table.height,
            "method": meta.get("method"),
            "labels": {str(t): lab for t, lab in table.select("topic", "label").iter_rows()}}


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


def _write_fit(store: Store, frames: dict[str, pl.DataFrame], cents: np.ndarray, meta: dict,
               model) -> None:
    """Write every artifact into a fresh folder, then swap it in for the old topics folder."""
    target = store.topics_dir
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".topics.", dir=target.parent))
    os.chmod(tmp, 0o755)
    try:
        for name, frame in frames.items():
            atomic_write_parquet(tmp / name, frame)
        order = frames[art.TOPIC_TABLE].filter(pl.col("topic") >= 0).get_column("topic").to_list()
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
    other paper keeps its topic. A paper joins the topic with the nearest saved centroid where its
    cosine reaches the fit's threshold (``match.nearest_topic``, the rule the fit used for
    HDBSCAN's outliers; Ward fits have none), else it is an outlier. Positions are the
    similarity-weighted mean of the 10 nearest placed papers. The topic sizes and the meta's count
    are recomputed from the assignments even when no paper is waiting, so a run killed halfway is
    finished by the next one. Holds the store lock.

    Returns:
        Counts: ``assigned`` (papers placed), ``outliers`` (of them, left without a topic),
        ``unchanged``, ``by_topic``, ``seconds``.
    """
    t0 = time.perf_counter()
    if not art.has_topics(store):
        raise InputError(f"no topic model in {store.topics_dir}",
                         hint=f"run `papertrends fit --store {store.root}` first")
    with store.lock():
        fit_now = art.read_fit(store)
        settings = fit_now.meta["settings"]
        backend = settings["embedder"]
        papers = store.read_papers().select("paper_id", "title", "abstract")
        current = art.current_assignments(store, fit_now, papers)
        new = papers.join(current.select("paper_id"), on="paper_id", how="anti")
        if new.height == 0:
            art.write_assignments(store, fit_now, current)
            return {"assigned": 0, "outliers": 0, "unchanged": current.height, "by_topic": {},
                    "seconds": time.perf_counter() - t0}
        _say(progress, 0, f"embedding {new.height} papers not yet assigned with {backend}")
        new_vecs = embed_papers(store, new, backend, engine=engine)
        ids, cents = art.read_topic_vectors(store)
        fitted = papers.join(current.select("paper_id", "x", "y"), on="paper_id", how="inner")
        fitted_vecs = paper_vectors(store, fitted, backend)
        ok = ~np.isnan(fitted_vecs).any(axis=1)
        got = place(new_vecs, ids, cents, _threshold(settings), fitted_vecs[ok],
                    fitted.select("x", "y").to_numpy()[ok])
        added = tables.assignments(new.get_column("paper_id").to_list(), got["topic"],
                                   got["prob"], got["xy"], got["status"], got["sim"])
        merged = pl.concat([current.select(list(art.ASSIGNMENT_SCHEMA)), added])
        art.write_assignments(store, fit_now, merged,
                              assigned_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
    by_topic = added.group_by("topic").len("n").sort("topic")
    return {"assigned": new.height, "outliers": int((got["topic"] == OUTLIER).sum()),
            "unchanged": current.height,
            "by_topic": {int(k): int(v) for k, v in by_topic.iter_rows()},
            "seconds": time.perf_counter() - t0}


def _threshold(settings: dict) -> float:
    """The cosine a later paper needs to join a topic: the fit's, or none for Ward fits."""
    if settings.get("clusterer", "ward") == "ward":
        return -1.0  # Ward has no outliers: every paper joins its nearest topic
    return float(settings.get("reassign_threshold", 0.6))
