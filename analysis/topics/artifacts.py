"""Reading the topic artifacts of a store (light: Polars, NumPy and JSON only).

The dashboard and the light CLI commands start from here, so nothing in this module imports torch,
umap, sentence-transformers or bertopic. The artifacts live in ``store.topics_dir``::

    assignments.parquet     paper_id, topic (Int32, -1 = outlier), prob, x, y, status, sim
    topic_table.parquet     topic, label, words, size, representative (paper ids), group,
                            members, lineage, lineage_from, merged_from
    group_table.parquet     group, label, size, topics (the 8-15 groups over the topics)
    topic_words_over_time.parquet   every (month/quarter/year), topic, period, count, words, small
    topic_vectors.npy       unit-length centroid per topic, in topic_table order (no pickle)
    meta.json               settings, seed, embedder, corpus_hash, fitted_at, quality, changes,
                            previous (the fit before this one: when, labels)
    model/                  the BERTopic model, saved with serialization="safetensors"

A paper's ``status`` says how it got its topic: ``member`` (the clusterer put it there),
``reassigned`` (HDBSCAN left it out; its cosine to the nearest topic centroid reached the
threshold), ``outlier`` (still no topic: -1), ``assigned`` (added after the fit, or outside the
sample of a sample fit, and placed by the same nearest-centroid rule). ``prob`` is HDBSCAN's
membership strength for members (0 for the rest), and a softmax over centroid cosines for Ward
fits and papers assigned later; ``sim`` is the cosine to the centroid of the paper's topic (its
nearest topic for outliers).
Files of older fits lack some of these columns; readers fill them with nulls.
"""

from __future__ import annotations

import io
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from analysis.names import EMBEDDERS
from analysis.schema import InputError
from analysis.store import READ_ERRORS, Store, read_parquet
from analysis.topics.vectors import cache_keys, paper_keys, paper_vectors

ASSIGNMENTS = "assignments.parquet"
TOPIC_TABLE = "topic_table.parquet"
GROUP_TABLE = "group_table.parquet"
WORDS_OVER_TIME = "topic_words_over_time.parquet"
TOPIC_VECTORS = "topic_vectors.npy"
META = "meta.json"
MODEL_DIR = "model"

ASSIGNMENT_SCHEMA = {"paper_id": pl.Utf8(), "topic": pl.Int32(), "prob": pl.Float32(),
                     "x": pl.Float32(), "y": pl.Float32(), "status": pl.Utf8(),
                     "sim": pl.Float32()}
TOPIC_SCHEMA = {"topic": pl.Int32(), "label": pl.Utf8(), "words": pl.List(pl.Utf8()),
                "size": pl.Int64(), "representative": pl.List(pl.Utf8()), "group": pl.Int32(),
                "members": pl.Int64(), "lineage": pl.Utf8(), "lineage_from": pl.List(pl.Int32()),
                "merged_from": pl.List(pl.Int32())}
GROUP_SCHEMA = {"group": pl.Int32(), "label": pl.Utf8(), "size": pl.Int64(),
                "topics": pl.List(pl.Int32())}
WORDS_SCHEMA = {"every": pl.Utf8(), "topic": pl.Int32(), "period": pl.Date(),
                "count": pl.Int64(), "words": pl.List(pl.Utf8()), "small": pl.Boolean()}
#: The period sizes topic words over time are kept for.
WORD_PERIODS = ("month", "quarter", "year")
#: Columns older fits did not write (read as nulls).
OPTIONAL = frozenset({"status", "sim", "group", "members", "lineage", "lineage_from",
                      "merged_from"})
#: Paper status values (see the module docstring).
MEMBER, REASSIGNED, OUTLIER_STATUS, ASSIGNED = "member", "reassigned", "outlier", "assigned"


@dataclass(frozen=True)
class TopicMeta:
    """What ``meta.json`` says about a fit, typed; missing fields take these defaults.

    Attributes:
        method: the pipeline in words (reducer, clusterer, representation).
        embedder: the embedding backend the fit used.
        seed: the random seed of the fit.
        n_topics: topics found (outliers not counted).
        n_papers: papers the fit saw.
        corpus_hash: :func:`analysis.store.corpus_hash` of the table the fit saw.
        fitted_at: when the fit ran (ISO 8601, UTC).
        key: the corpus hash and every setting in one hash (an identical fit is skipped).
        settings: every setting of the fit (:class:`analysis.topics.pipeline.Settings`).
        quality: the quality summary (:func:`analysis.topics.quality.report`).
        changes: how the ids continue the previous fit (kept, new, split, merged, gone).
        previous: the fit before this one (``fitted_at``, ``n_topics``, ``labels`` by id).
        n_assigned_after_fit: papers given a topic since, without a refit.
        assigned_at: when that last happened (None: never).
        sample: for a fit clustered on a sample, ``n`` of ``of`` papers (the rest placed by the
            nearest-centroid rule); empty for a fit of every paper.
    """

    method: str = ""
    embedder: str = "minilm"
    seed: int | None = None
    n_topics: int = 0
    n_papers: int = 0
    corpus_hash: str = ""
    fitted_at: str = ""
    key: str = ""
    settings: dict[str, Any] = field(default_factory=dict)
    quality: dict[str, Any] = field(default_factory=dict)
    changes: dict[str, Any] = field(default_factory=dict)
    previous: dict[str, Any] = field(default_factory=dict)
    n_assigned_after_fit: int = 0
    assigned_at: str | None = None
    sample: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> TopicMeta:
        """The typed view of a meta dict (unknown keys are left out)."""
        known = {k: raw[k] for k in cls.__dataclass_fields__ if raw.get(k) is not None}
        known.setdefault("embedder", (raw.get("settings") or {}).get("embedder", "minilm"))
        return cls(**known)


#: The JSON type of each meta.json field a reader relies on (a missing field takes its default).
META_TYPES: dict[str, type] = {
    **dict.fromkeys(("settings", "quality", "changes", "previous", "sample", "model_topic_ids",
                     "timings"), dict),
    **dict.fromkeys(("n_topics", "n_papers", "n_assigned_after_fit", "seed"), int),
    **dict.fromkeys(("method", "embedder", "corpus_hash", "fitted_at", "key", "assigned_at",
                     "embedding_model"), str),
}
#: Fields a fit may write as null.
META_NULLABLE = frozenset({"seed", "assigned_at", "sample"})


def fit_fix(store: Store) -> str:
    """What mends damaged topic artifacts of ``store``."""
    if store.is_bundled:
        return "restore them: `git checkout -- data/topics`"
    return f"run `papertrends fit --store {store.root}` to fit the topics again"


def path_of(store: Store, name: str) -> Path:
    """The path of a topic artifact (``ASSIGNMENTS``, ``TOPIC_TABLE``, ``META``...)."""
    return store.topics_dir / name


def has_topics(store: Store) -> bool:
    """True when the store holds a complete topic fit (assignments, topic table and meta)."""
    return all(path_of(store, n).is_file() for n in (ASSIGNMENTS, TOPIC_TABLE, META))


def _need(store: Store) -> None:
    if not has_topics(store):
        raise InputError(f"no topic model in {store.topics_dir}",
                         hint=f"run `papertrends fit --store {store.root}` first")


def _read(path: Path, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    try:
        df = read_parquet(path)
        return df.select([pl.col(c).cast(t) if c in df.columns or c not in OPTIONAL
                          else pl.lit(None, dtype=t).alias(c) for c, t in schema.items()])
    except READ_ERRORS as exc:  # noqa: BLE001 - a damaged artifact is bad input
        raise InputError(f"unreadable topic artifact: {' '.join(str(exc).split())[:160]}",
                         file=str(path), hint=fit_fix(Store(path.parents[1]))) from None


def read_assignments(store: Store) -> pl.DataFrame:
    """Per-paper topic assignments: paper_id, topic (-1 = outlier), prob, x, y, status, sim."""
    _need(store)
    return _read(path_of(store, ASSIGNMENTS), ASSIGNMENT_SCHEMA)


def read_topic_table(store: Store) -> pl.DataFrame:
    """One row per topic (outliers -1 included): label, words, size, representatives, group..."""
    _need(store)
    return _read(path_of(store, TOPIC_TABLE), TOPIC_SCHEMA)


def read_groups(store: Store) -> pl.DataFrame:
    """The topic groups: group, label, size, topics (empty for fits without groups)."""
    _need(store)
    path = path_of(store, GROUP_TABLE)
    if not path.is_file():
        return pl.DataFrame(schema=GROUP_SCHEMA)
    return _read(path, GROUP_SCHEMA)


def read_topic_words(store: Store, every: str = "quarter") -> pl.DataFrame:
    """Topic words per period of size ``every`` (month, quarter, year); empty for older fits.

    Columns: every, topic, period, count (the topic's papers in the period), words (top 5),
    small (fewer than 5 papers).
    """
    _need(store)
    path = path_of(store, WORDS_OVER_TIME)
    if not path.is_file():
        return pl.DataFrame(schema=WORDS_SCHEMA)
    return _read(path, WORDS_SCHEMA).filter(pl.col("every") == every)


def read_meta(store: Store) -> dict:
    """The fit's settings, seed, embedder, corpus_hash, fitted_at, n_topics, quality and changes."""
    _need(store)
    path = path_of(store, META)
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"unreadable topic metadata: {' '.join(str(exc).split())[:160]}",
                         file=str(path), hint=fit_fix(store)) from None
    if not isinstance(meta, dict):
        raise InputError("topic metadata is not a JSON object", file=str(path),
                         hint=fit_fix(store))
    wrong = meta_problem(meta)
    if wrong:
        raise InputError(f"damaged topic metadata: {wrong}", file=str(path), hint=fit_fix(store))
    return meta


def meta_problem(meta: dict) -> str | None:
    """What is wrong with the type of a meta.json field a reader relies on (None: nothing)."""
    for name, want in META_TYPES.items():
        value = meta.get(name)
        if name not in meta or (value is None and name in META_NULLABLE):
            continue
        if not isinstance(value, want) or isinstance(value, bool):
            return f"field '{name}' is {_json_type(value)} where {_json_type(want())} belongs"
    return None


def _json_type(value: Any) -> str:
    kinds = {dict: "an object", list: "a list", str: "a string", int: "a number",
             float: "a number", bool: "true/false", type(None): "null"}
    return kinds.get(type(value), type(value).__name__)


def read_topic_meta(store: Store) -> TopicMeta:
    """The fit's meta, typed (see :class:`TopicMeta`)."""
    return TopicMeta.from_dict(read_meta(store))


def read_topic_vectors(store: Store) -> tuple[np.ndarray, np.ndarray]:
    """(topic ids, unit-length centroid rows) of the fitted topics, outliers excluded."""
    table = read_topic_table(store).filter(pl.col("topic") >= 0)
    path = path_of(store, TOPIC_VECTORS)
    try:
        vecs = np.load(io.BytesIO(path.read_bytes()), allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise InputError(f"unreadable topic vectors: {' '.join(str(exc).split())[:160]}",
                         file=str(path), hint=fit_fix(store)) from None
    if vecs.ndim != 2 or vecs.shape[0] != table.height:
        raise InputError("topic vectors do not match the topic table", file=str(path),
                         hint=fit_fix(store))
    return table.get_column("topic").to_numpy(), vecs.astype(np.float32)


@dataclass(frozen=True)
class Fit:
    """The topic artifacts of one fit, read together (see :func:`read_fit`)."""

    meta: dict
    assignments: pl.DataFrame
    table: pl.DataFrame


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_mtime_ns


def read_fit(store: Store, attempts: int = 50) -> Fit:
    """meta, assignments and topic table of the same fit, even while a writer replaces them.

    A refit swaps the whole topics folder and ``assign`` rewrites files one by one: if meta.json
    changed while the others were read, or a file was away for the instant of a swap, they are
    read again (a damaged file with no writer at work is an error at once).

    Raises:
        InputError: no topic model, or a damaged artifact.
    """
    meta_path = path_of(store, META)
    for _ in range(attempts):
        before = _stamp(meta_path)
        try:
            fit = Fit(read_meta(store), read_assignments(store), read_topic_table(store))
        except InputError:
            swapping = any(store.root.glob(".topics.*"))
            if not swapping and _stamp(meta_path) == before:
                raise
        else:
            if before is not None and _stamp(meta_path) == before:
                return fit
        time.sleep(0.02)
    return Fit(read_meta(store), read_assignments(store), read_topic_table(store))


def fit_backend(meta: dict) -> str | None:
    """The embedding backend of a fit, when it is one papertrends has a cache for."""
    backend = TopicMeta.from_dict(meta).embedder
    return backend if backend in EMBEDDERS else None


def current_assignments(store: Store, fit: Fit, papers: pl.DataFrame | None = None
                        ) -> pl.DataFrame:
    """The assignments that still hold: of papers in the table, made from their present text.

    Every fit and every ``assign`` embeds exactly the text it places, so a paper whose present
    text (:func:`analysis.topics.vectors.doc_text`) is not in the fit's embedding cache got its
    topic from an older text: that topic is dropped here, and the paper counts as not yet
    assigned. Without a readable cache (or for a fit by another embedder) this is not checked.

    Args:
        store: the store.
        fit: its topic artifacts (:func:`read_fit`).
        papers: ``paper_id, title, abstract`` of the table (read when not given).
    """
    if papers is None:
        papers = store.scan_papers().select("paper_id", "title", "abstract").collect()
    assigned = fit.assignments.unique("paper_id", keep="first")
    have = papers.join(assigned.select("paper_id"), on="paper_id", how="semi")
    backend = fit_backend(fit.meta)
    try:
        known = cache_keys(store, backend) if backend else None
    except InputError:  # a damaged cache: `check` and every command say so
        known = None
    if known is not None:
        fresh = [k in known for k in paper_keys(have)]
        have = have.filter(pl.Series(fresh, dtype=pl.Boolean))
    return assigned.join(have.select("paper_id"), on="paper_id", how="semi")


def pending(store: Store) -> pl.DataFrame:
    """``paper_id`` of the papers not yet assigned a topic (empty without a topic model)."""
    if not has_topics(store):
        return pl.DataFrame(schema={"paper_id": pl.Utf8()})
    papers = store.scan_papers().select("paper_id", "title", "abstract").collect()
    done = current_assignments(store, read_fit(store), papers)
    return papers.join(done, on="paper_id", how="anti").select("paper_id").sort("paper_id")


def write_assignments(store: Store, fit: Fit, assignments: pl.DataFrame, *,
                      assigned_at: str | None = None) -> None:
    """Write assignments, then the topic sizes and meta count that follow from them.

    The assignments are written first: a writer killed after that leaves sizes and count that
    the next ``assign`` (or this function) recomputes from them. Files that would not change
    are not touched.

    Args:
        store: the store.
        fit: the fit the assignments belong to (its table and meta).
        assignments: every assignment to keep.
        assigned_at: when papers were last assigned (ISO 8601), for the meta.
    """
    assignments = assignments.select(list(ASSIGNMENT_SCHEMA)).sort("paper_id")
    sizes = assignments.group_by("topic").len("n")
    table = (fit.table.join(sizes, on="topic", how="left")
             .with_columns(pl.col("n").fill_null(0).cast(pl.Int64).alias("size"))
             .drop("n").sort("topic"))
    meta = dict(fit.meta)
    meta["n_assigned_after_fit"] = max(0, assignments.height - int(meta.get("n_papers") or 0))
    if assigned_at:
        meta["assigned_at"] = assigned_at
    with store.lock():
        if not assignments.equals(fit.assignments.sort("paper_id")):
            store.write_parquet(path_of(store, ASSIGNMENTS), assignments)
        if not table.equals(fit.table.sort("topic")):
            store.write_parquet(path_of(store, TOPIC_TABLE), table)
        if meta != fit.meta:
            store.write_json(path_of(store, META), meta)


def similar_papers(store: Store, paper_id: str, k: int = 5) -> pl.DataFrame:
    """The k papers whose cached embeddings are closest (cosine) to the given paper's.

    Uses the embedder of the current topic fit (MiniLM by default). Returns an empty frame when the
    paper has no cached embedding.
    """
    backend = read_topic_meta(store).embedder
    papers = store.read_papers().select("paper_id", "title", "abstract")
    if paper_id not in set(papers.get_column("paper_id").to_list()):
        raise InputError(f"unknown paper {paper_id!r}", field="paper_id",
                         hint="use an id from `papertrends papers`")
    vecs = paper_vectors(store, papers, backend)
    ids = papers.get_column("paper_id").to_numpy()
    ok = ~np.isnan(vecs).any(axis=1) if vecs.size else np.zeros(len(ids), bool)
    me = np.flatnonzero(ids == paper_id)[0]
    empty = pl.DataFrame(schema={"paper_id": pl.Utf8(), "score": pl.Float32()})
    if not ok[me]:
        return empty
    scores = vecs[ok] @ vecs[me]
    cand = ids[ok]
    order = [i for i in np.argsort(-scores, kind="stable") if cand[i] != paper_id][:k]
    return pl.DataFrame({"paper_id": cand[order].tolist(),
                         "score": scores[order].astype(np.float32)}, schema=empty.schema)
