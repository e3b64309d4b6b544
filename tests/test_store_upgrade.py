"""A store written before ``upvotes_at`` and ``sources`` existed still reads, merges and counts."""

from __future__ import annotations

import json
import shutil

import polars as pl

from analysis.cli import main
from analysis.ingest import ingest
from analysis.store import Store
from tests.support.paths import DAILY


def _old_store(sample_store, tmp_path) -> Store:
    """The sample store with its paper table rewritten in the old 11-column layout."""
    root = tmp_path / "old"
    shutil.copytree(sample_store, root)
    old = pl.read_parquet(root / "papers.parquet").drop("upvotes_at", "sources")
    old.write_parquet(root / "papers.parquet")
    (root / "manifest.json").unlink(missing_ok=True)  # a store that old had no manifest either
    return Store(root)


def test_an_old_table_reads_with_the_new_columns(sample_store, tmp_path, capsys):
    store = _old_store(sample_store, tmp_path)
    papers = store.read_papers()
    assert papers["upvotes_at"].null_count() == papers.height  # unknown, never invented
    assert papers["sources"].to_list() == [[s] for s in papers["source"].to_list()]
    assert store.scan_papers().collect().equals(papers)
    assert main(["info", "--store", str(store.root), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["sources"] == {"hf-daily-api": 447, "hf-page-dump": 58}
    assert main(["upvotes", "--store", str(store.root), "--upvote-age", "30d", "--json"]) == 0
    bins = json.loads(capsys.readouterr().out)
    assert sum(b["count"] for b in bins) == 0  # no count has a known age


def test_ingesting_into_an_old_table_gives_the_new_one(sample_store, tmp_path):
    store = _old_store(sample_store, tmp_path)
    ingest(store, [DAILY / "2026-05-29.json"])
    papers = pl.read_parquet(store.papers_path)
    assert "upvotes_at" in papers.columns
    assert "sources" in papers.columns
    day = papers.filter(pl.col("listed") == pl.date(2026, 5, 29))
    assert day["upvotes_at"].null_count() == 0  # re-read: the listing day's reading
