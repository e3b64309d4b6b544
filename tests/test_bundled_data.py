"""The bundled data/ against independent counts of the raw files it was built from.

``tests/fixtures/raw-counts.json`` is written by ``tests/support/count_raw.py`` (plain json over
the raw folders, no project code; see data/README.md). The raw folders are not shipped, so the
last test, which recounts them, runs only where they are (../shared/data).
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from analysis.cli import main
from tests.support.count_raw import count
from tests.support.paths import BUNDLED, FIXTURES, REPO

RAW = json.loads((FIXTURES / "raw-counts.json").read_text(encoding="utf-8"))
RAW_DIR = REPO.parent / "shared" / "data"


def _json(capsys, *args: str) -> dict:
    assert main([*args, "--store", str(BUNDLED), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_info_holds_both_sources_from_2023_05(capsys):
    info = _json(capsys, "info")
    assert info["papers"] >= 12_500
    assert info["first_date"].startswith("2023-05")
    assert info["first_date"] == RAW["first_listed"]
    assert info["last_date"] == RAW["last_listed"]
    api = pl.read_parquet(BUNDLED / "papers.parquet").filter(
        ~pl.col("paper_id").str.starts_with("title:"))
    assert api.height == RAW["papers"]  # every API paper once; page-dump-only papers besides


def test_papers_per_month_equal_the_independent_union(capsys):
    months = {m["month"]: m for m in _json(capsys, "info")["coverage"]}
    assert set(months) == set(RAW["months"])
    for month, raw in RAW["months"].items():
        row = months[month]
        # page-dump papers that joined an API record are counted by the union already
        assert row["papers"] == raw["union"], month
        assert row["sources"].get("hf-daily-api", 0) == raw["daily"], month
        if raw["month"] is not None:
            assert row["sources"].get("hf-month-api", 0) == raw["month"], month
            assert row["listing"] == raw["month"], month
        else:
            assert row["listing"] == raw["index"], month


def test_coverage_shows_2025_08_in_full(capsys):
    months = {m["month"]: m for m in _json(capsys, "coverage")["months"]}
    aug = months["2025-08"]
    assert (aug["sources"]["hf-daily-api"], aug["listing"], aug["papers"]) == (282, 452, 452)
    assert aug["status"] == "complete"
    assert months["2025-03"]["status"] == "partial"
    assert (months["2025-03"]["papers"], months["2025-03"]["listing"]) == (344, 611)


def test_every_paper_of_the_2025_08_list_has_the_archive_s_count():
    archive = RAW["upvotes_2025-08"]
    assert len(archive) == 452
    papers = pl.read_parquet(BUNDLED / "papers.parquet").filter(
        pl.col("paper_id").is_in(list(archive)))
    assert papers.height == 452
    assert dict(papers.select("paper_id", "upvotes").iter_rows()) == archive
    assert set(papers["upvotes_at"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")) == {RAW["fetched_at"]}


def test_bundled_files_are_small_and_consistent():
    papers = pl.read_parquet(BUNDLED / "papers.parquet")
    cache = pl.read_parquet(BUNDLED / "embeddings" / "minilm.parquet")
    assert cache.height == papers.height  # one text per paper, no unused rows shipped
    assignments = pl.read_parquet(BUNDLED / "topics" / "assignments.parquet")
    assert set(assignments["paper_id"]) == set(papers["paper_id"])
    assert (BUNDLED / "LICENSE-hf-monthly-papers.txt").read_text().startswith("CC-BY-4.0")
    assert "Apache License" in (BUNDLED / "LICENSE-hf-daily-papers.txt").read_text()


@pytest.mark.skipif(not (RAW_DIR / "hf-monthly-papers").is_dir(),
                    reason="the raw folders (../shared/data) are not on this machine")
def test_the_counts_are_those_of_the_raw_files():
    assert count(str(RAW_DIR)) == RAW


def test_count_raw_needs_no_project_code():
    source = Path(count.__code__.co_filename).read_text(encoding="utf-8")
    assert "from analysis" not in source
    assert "import analysis" not in source
