"""Stores made from the bundled one: copies, copies that have not seen some papers, cut files."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl

from analysis.store import Store
from analysis.topics import artifacts as art
from analysis.topics.vectors import paper_keys
from tests.support.hf_server import ALL_IDS
from tests.support.paths import BUNDLED

#: The files the damage tests cut in half (relative to the store).
DAMAGEABLE = ("papers.parquet", "topics/meta.json", "topics/assignments.parquet",
              "embeddings/minilm.parquet")


def bundled_copy(root: Path) -> Store:
    """A copy of the bundled store (without the derived models folder)."""
    shutil.copytree(BUNDLED, root, ignore=shutil.ignore_patterns("models"))
    return Store(root)


def before_the_fetch_days(root: Path, *, keep_cache: bool = True) -> Store:
    """A copy of the bundled store as it was before the 71 papers of the fetch-days fixtures.

    Those papers (2026-01-15..21, served by ``tests.support.hf_server``) are taken out of the
    table and the topic assignments, so fetching them brings 71 real papers the store and its
    topic model have not seen. ``keep_cache``: their vectors stay in the embedding cache (no
    model needed to assign them); else they are dropped too (assigning them runs MiniLM).
    """
    store = bundled_copy(root)
    papers = store.read_papers()
    gone = papers.filter(pl.col("paper_id").is_in(sorted(ALL_IDS)))
    assert gone.height == len(ALL_IDS)
    with store.lock():
        store.write_papers(papers.filter(~pl.col("paper_id").is_in(sorted(ALL_IDS))))
        fit = art.read_fit(store)
        art.write_assignments(store, fit, fit.assignments.filter(
            ~pl.col("paper_id").is_in(sorted(ALL_IDS))))
        if not keep_cache:
            path = store.embeddings_path("minilm")
            cache = pl.read_parquet(path)
            store.write_parquet(path, cache.filter(~pl.col("key").is_in(paper_keys(gone))))
    return store


def cut_in_half(path: Path) -> None:
    """Keep the first half of a file's bytes (a copy cut short, a disk that filled up)."""
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
