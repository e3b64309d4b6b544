"""Loading the store for the dashboard: cached by store path and file modification times.

The paper frame (canonical columns + topic, prob, x, y, topic_label) comes from
``analysis.trends.paper_frame`` and the topic table from ``analysis.topics.artifacts``; both are
light (no torch/umap/bertopic). A store without topics gets them once, through
``analysis.topics.fit`` (heavy, imported only then) with progress in ``st.status``.

Every run first checks the store (``analysis.health``, file headers and manifest hashes): a
damaged paper table stops the app with the same one-line message the command line gives; other
damaged files become a banner and are left out. The cache key holds the files' sizes and
modification times, so an open dashboard shows new data on its next rerun, without a restart.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field

import polars as pl
import streamlit as st

from analysis import coverage, trends
from analysis.health import Health, require
from analysis.names import (
    OTHER_TOPICS,
    OTHER_TOPICS_LABEL,
    OUTLIER,
    OUTLIER_LABEL,
    UNASSIGNED,
    UNASSIGNED_LABEL,
)
from analysis.schema import InputError
from analysis.store import Store, default_store_dir
from analysis.topics import artifacts
from analysis.trends import phrase_index
from analysis.trends.phrase_index import PhraseIndex

#: Below this many papers the dashboard does not fit topics by itself (too few to cluster).
MIN_FIT = 200
SESSION_STORE = "_session_store"  # Session State key: a store made for this session's uploads
LOST = "_session_store_lost"  # Session State key: that store was removed (see current_store)


def has_topics(store: Store) -> bool:
    """True when the store holds a complete topic fit."""
    return artifacts.has_topics(store)


@dataclass(frozen=True)
class Loaded:
    """Everything a page reads, loaded once per store version."""

    root: str
    stamp: tuple
    frame: pl.DataFrame  # one row per paper, with topic columns (null without a model)
    topics: pl.DataFrame  # topic table (empty without a model)
    meta: dict = field(default_factory=dict)
    problems: tuple[str, ...] = ()  # damaged files left out, one line each
    topic_problem: str = ""  # why the topics are left out, when they are
    coverage: pl.DataFrame = field(default_factory=pl.DataFrame)  # per month, see coverage.py
    partial: tuple[str, ...] = ()  # months the store holds only part of
    groups: pl.DataFrame = field(default_factory=pl.DataFrame)  # topic groups (may be empty)
    index: PhraseIndex | None = None  # the store's word index, when it has a current one

    @property
    def unassigned(self) -> int:
        """Papers not yet assigned a topic (0 without a topic model)."""
        if not self.has_topics or not self.frame.height:
            return 0
        return int((self.frame.get_column("topic") == UNASSIGNED).sum())

    @property
    def has_topics(self) -> bool:
        """True when a topic model is loaded (the topic table has rows)."""
        return self.topics.height > 0

    @functools.cached_property
    def lf(self) -> pl.LazyFrame:
        """The paper frame, lazily (one object, so what the views learn about it is kept)."""
        return self.frame.lazy()

    def labels(self) -> dict[int, str]:
        """Topic id -> readable label (the outliers and the bands of a topic trend included)."""
        out = {OUTLIER: OUTLIER_LABEL, UNASSIGNED: UNASSIGNED_LABEL,
               OTHER_TOPICS: OTHER_TOPICS_LABEL}
        if self.has_topics:
            out.update(dict(self.topics.select("topic", "label").iter_rows()))
        return out

    def group_labels(self) -> dict[int, str]:
        """Group id -> readable label (the outliers as group -1); empty without groups."""
        if self.groups.height == 0:
            return {}
        return ({OUTLIER: OUTLIER_LABEL, UNASSIGNED: UNASSIGNED_LABEL}
                | dict(self.groups.select("group", "label").iter_rows()))


def store_from_args() -> Store:
    """The store given to the app.

    That is $PAPERTRENDS_STORE (set by `papertrends serve --store DIR`), else the bundled data/.
    """
    return Store(default_store_dir())


def current_store() -> Store:
    """This session's store: its upload store if it made one, else the store given to the app.

    An upload store removed when its session ended is forgotten. Streamlit ends a session's
    resources at every disconnect, so a browser that reconnects finds its copy gone; ``LOST``
    tells the Data panel to add the files still in its upload box again.
    """
    root = st.session_state.get(SESSION_STORE)
    if root and not Store(root).exists():
        st.session_state.pop(SESSION_STORE, None)
        st.session_state[LOST] = True
        root = None
    return Store(root) if root else store_from_args()


def check(store: Store) -> Health:
    """The store's quick check: raises InputError (one line) when the paper table is damaged.

    Kept per version of the store's files (:func:`stamp` and the manifest's): the check hashes
    every file, which on a million papers takes longer than the rest of a rerun together.
    """
    return _check(str(store.root.resolve()), stamp(store) + _stats([store.manifest_path]))


@st.cache_resource(show_spinner=False, max_entries=16)
def _check(root: str, stamp: tuple) -> Health:
    return require(Store(root), needs=("papers",))


def stamp(store: Store) -> tuple:
    """(name, size, mtime) of the files that the loaded frame depends on."""
    paths = [*store.paper_files(), store.listings_path, store.phrase_index_dir / "meta.json"]
    if store.topics_dir.is_dir():
        paths += sorted(p for p in store.topics_dir.iterdir() if p.is_file())
    if store.embeddings_dir.is_dir():  # which topics are current depends on the cache
        paths += sorted(p for p in store.embeddings_dir.rglob("*") if p.is_file())
    return _stats(paths)


def _stats(paths: list) -> tuple:
    """(name, size, mtime) of those of ``paths`` that exist."""
    out = []
    for p in paths:
        try:
            s = p.stat()
        except FileNotFoundError:
            continue
        out.append((p.name, s.st_size, s.st_mtime_ns))
    return tuple(out)


@st.cache_resource(show_spinner=False, max_entries=4)
def _load(root: str, stamp: tuple, problems: tuple[tuple[str, str], ...] = ()) -> Loaded:
    store = Store(root)
    topic_problem = next((line for part, line in problems if part == "topics"), "")
    frame = trends.paper_frame(store, topics=not topic_problem).collect()
    groups = pl.DataFrame(schema=artifacts.GROUP_SCHEMA)
    if has_topics(store) and not topic_problem:
        fit = artifacts.read_fit(store)
        topics, meta = fit.table, fit.meta
        groups = artifacts.read_groups(store)
    else:
        topics = pl.DataFrame(schema={"topic": pl.Int32, "label": pl.Utf8})
        meta = {}
    lines = tuple(line for _, line in problems)
    try:
        listings = coverage.read_listings(store)
    except InputError as err:  # damaged: coverage unknown, said in the banner
        listings, lines = {}, (*lines, str(err))
    table = coverage.coverage_table(frame, listings)
    return Loaded(root=root, stamp=stamp, frame=frame, topics=topics, meta=meta,
                  problems=lines, topic_problem=topic_problem, coverage=table,
                  partial=coverage.partial_months(table), groups=groups,
                  index=phrase_index.load(store))


@st.cache_data(show_spinner=False, max_entries=256)
def similar_papers(root: str, stamp: tuple, paper_id: str, k: int = 5) -> pl.DataFrame:
    """``analysis.topics.artifacts.similar_papers``, cached per store version and paper.

    It reads the papers and the embedding cache, so it is not redone on every rerun while a paper
    is open.
    """
    return artifacts.similar_papers(Store(root), paper_id, k=k)


def load(store: Store, health: Health | None = None) -> Loaded:
    """The store's data, from the cache when its files have not changed.

    Args:
        store: the store.
        health: its quick check (:func:`check`); parts with damaged files are left out.
    """
    problems = tuple((p.part, p.line()) for p in (health.problems if health else ())
                     if p.damaged)
    return _load(str(store.root.resolve()), stamp(store), problems)


def needs_topics(store: Store) -> bool:
    """True when the store has enough papers but no topic model yet."""
    if os.environ.get("PAPERTRENDS_NO_FIT") or has_topics(store):
        return False
    if not store.exists():
        return False
    return store.scan_papers().select(pl.len()).collect().item() >= MIN_FIT


def fit_topics(store: Store) -> None:
    """Fit the topic model once, showing progress; the artifacts are cached in the store."""
    with st.status("First start: finding topics in the papers (a few minutes, once)…",
                   expanded=True) as status:
        from analysis.topics import fit as topics  # heavy: torch, bertopic, umap

        def progress(done: int, total: int, message: str) -> None:
            status.write(message)

        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        meta = topics.fit(store, progress=progress)
        status.update(label=f"Topics ready: {meta.get('n_topics', '?')} topics", state="complete",
                      expanded=False)


@st.cache_data(show_spinner=False, max_entries=16)
def topic_words(root: str, stamp: tuple, every: str) -> pl.DataFrame:
    """``analysis.topics.artifacts.read_topic_words``, cached per store version and period."""
    return artifacts.read_topic_words(Store(root), every)
