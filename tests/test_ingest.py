"""Ingest: sources -> store; merging, deduplication, determinism, the data commands."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys

import polars as pl
import pytest

from analysis.cli import main
from analysis.ingest import ingest, ingest_frame
from analysis.merge import merge
from analysis.schema import Problems
from analysis.sources import hf_api
from analysis.sources.common import title_id
from analysis.store import Store
from tests.support.paths import DAILY, FIXTURES, PAGE_DUMP, REFERENCE_DATE, REPO

REF = dt.date.fromisoformat(REFERENCE_DATE)
JETMOE = "JetMoE: Reaching Llama2 Performance with 0.1M Dollars"


def _api_entry(pid: str, title: str, upvotes: int) -> dict:
    """A real fixture entry with its id, title and upvotes replaced."""
    entry = json.loads((DAILY / "2025-06-25.json").read_text(encoding="utf-8"))[0]
    entry["paper"].update(id=pid, title=title, upvotes=upvotes)
    entry["title"] = title
    return entry


def test_sample_store_holds_every_fixture_paper(sample_store):
    papers = Store(sample_store).read_papers()
    api = sum(len(json.loads(p.read_text(encoding="utf-8"))) for p in DAILY.glob("*.json"))
    assert api == 447
    assert papers.height == 447 + 58
    assert papers["paper_id"].is_unique().all()
    assert papers.filter(pl.col("source") == "hf-page-dump").height == 58


def test_page_dump_alone_gives_58_papers(tmp_path):
    report = ingest(Store(tmp_path), [PAGE_DUMP], reference_date=REF)
    assert report.papers == 58
    assert report.stats.added == 58
    papers = Store(tmp_path).read_papers()
    jet = papers.filter(pl.col("title").str.starts_with("JetMoE")).row(0, named=True)
    assert (jet["published"], jet["upvotes"]) == (dt.date(2024, 4, 10), 4)
    nolo = papers.filter(pl.col("title").str.starts_with("NoLoCo")).row(0, named=True)
    assert (nolo["published"], nolo["upvotes"]) == (dt.date(2025, 6, 12), 2)
    cv = papers.filter(pl.col("title").str.starts_with("CustomVideoX")).row(0, named=True)
    assert cv["published"] is None


@pytest.mark.parametrize("page_first", [True, False])
def test_api_record_merges_with_the_page_dump_paper(tmp_path, page_first):
    api = tmp_path / "2024-04-11.json"
    api.write_text(json.dumps([_api_entry("2404.07413", JETMOE.upper() + " ", 1)]),
                   encoding="utf-8")
    store = Store(tmp_path / "store")
    order = [[PAGE_DUMP], [api]] if page_first else [[api], [PAGE_DUMP]]
    ingest(store, order[0], reference_date=REF)
    report = ingest(store, order[1], reference_date=REF)
    papers = store.read_papers()
    assert papers.height == 58  # 58 page papers, JetMoE now under its arXiv id
    assert title_id(JETMOE) not in papers["paper_id"].to_list()
    jet = papers.filter(pl.col("paper_id") == "2404.07413").row(0, named=True)
    assert jet["upvotes"] == 1  # the API's reading wins over the page's (a lower source)
    assert jet["upvotes_at"] == dt.datetime(2024, 4, 11, tzinfo=dt.UTC)  # its listing day
    assert jet["listed"] == dt.date(2024, 4, 11)
    assert jet["source"] == "hf-daily-api"
    assert jet["sources"] == ["hf-daily-api", "hf-page-dump"]
    assert jet["n_authors"] > 0
    assert report.stats.merged == 1


def test_duplicates_keep_the_latest_upvotes_and_earliest_listing(tmp_path):
    a, b = tmp_path / "2024-06-03.json", tmp_path / "2024-06-01.json"
    a.write_text(json.dumps([_api_entry("2406.00001", "Same paper", 9)]), encoding="utf-8")
    b.write_text(json.dumps([_api_entry("2406.00001", "Same paper", 3)]), encoding="utf-8")
    report = ingest(Store(tmp_path / "s"), [a, b])
    assert (report.papers, report.stats.merged, report.loaded) == (1, 1, 2)
    row = Store(tmp_path / "s").read_papers().row(0, named=True)
    assert (row["upvotes"], row["listed"]) == (9, dt.date(2024, 6, 1))


def test_ingesting_twice_changes_nothing(tmp_path):
    store = Store(tmp_path)
    ingest(store, [DAILY, PAGE_DUMP], reference_date=REF)
    first = store.papers_path.read_bytes()
    mtime = store.papers_path.stat().st_mtime_ns
    report = ingest(store, [DAILY, PAGE_DUMP], reference_date=REF)
    assert not report.written
    assert report.stats.added == report.stats.updated == 0
    assert store.papers_path.read_bytes() == first
    assert store.papers_path.stat().st_mtime_ns == mtime


def test_the_same_table_always_writes_the_same_bytes(tmp_path, sample_store):
    one, two = Store(tmp_path / "one"), Store(tmp_path / "two")
    papers = Store(sample_store).read_papers()
    one.write_papers(papers)
    two.write_papers(papers.sample(fraction=1.0, shuffle=True, seed=3))
    assert one.papers_path.read_bytes() == two.papers_path.read_bytes()
    assert one.papers_path.read_bytes() == (sample_store / "papers.parquet").read_bytes()


def test_merge_is_order_independent(sample_store):
    papers = Store(sample_store).read_papers()
    half = papers.height // 2
    a, _ = merge(papers.head(half), papers.tail(papers.height - half))
    b, _ = merge(papers.tail(papers.height - half), papers.head(half))
    assert a.equals(b)
    assert a.equals(papers)


def test_ingest_frame_for_fetch(tmp_path):
    day = DAILY / "2026-05-29.json"
    frame = hf_api.parse_response(day.read_bytes(), file=str(day), listed=dt.date(2026, 5, 29),
                                  problems=Problems())
    store = Store(tmp_path)
    report = ingest_frame(store, frame)
    assert report.written
    assert report.stats.added == frame.height
    again = ingest_frame(store, frame)
    assert not again.written
    assert again.stats.unchanged == frame.height


def test_updated_counts(tmp_path):
    store = Store(tmp_path)
    day = DAILY / "2026-05-29.json"
    ingest(store, [day])
    entries = json.loads(day.read_text(encoding="utf-8"))
    entries[0]["paper"]["upvotes"] += 100
    later = tmp_path / "2026-05-30.json"
    later.write_text(json.dumps(entries), encoding="utf-8")
    before = store.read_papers()
    report = ingest(store, [later])
    # every paper was read again a day later: its upvotes_at moves, its listing day does not
    assert (report.stats.added, report.stats.updated) == (0, len(entries))
    after = store.read_papers().join(before, on="paper_id", suffix="_before")
    assert (after["upvotes_at"] == dt.datetime(2026, 5, 30, tzinfo=dt.UTC)).all()
    assert (after["listed"] == dt.date(2026, 5, 29)).all()
    changed = after.filter(pl.col("upvotes") != pl.col("upvotes_before"))
    assert changed["paper_id"].to_list() == [entries[0]["paper"]["id"]]
    assert changed["upvotes"].item() == changed["upvotes_before"].item() + 100


def test_stdin_source(tmp_path):
    day = DAILY / "2025-06-25.json"
    proc = subprocess.run(
        [sys.executable, "-m", "analysis.cli", "ingest", "-", "--store", str(tmp_path), "--json"],
        input=day.read_bytes(), capture_output=True, cwd=REPO, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["formats"] == {"hf-api": 1}
    n = len(json.loads(day.read_text(encoding="utf-8")))
    assert report["papers"] == n
    # no date in the name: the listing day comes from submittedOnDailyAt / publishedAt
    assert Store(tmp_path).read_papers()["listed"].null_count() == 0


def test_info_json(sample_store, capsys):
    assert main(["info", "--store", str(sample_store), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["papers"] == 505
    assert (info["first_date"], info["last_date"]) == ("2024-05-27", "2026-05-29")
    assert info["sources"] == {"hf-daily-api": 447, "hf-page-dump": 58}
    assert info["published"]["nulls"] == 1  # CustomVideoX
    up = info["upvotes"]
    assert up["min"] <= up["q1"] <= up["median"] <= up["q3"] <= up["max"]
    papers = Store(sample_store).read_papers()
    assert up["nulls"] == papers["upvotes"].null_count() > 0
    assert up["median"] == papers["upvotes"].median()


def test_info_on_the_bundled_store(capsys):
    raw = json.loads((FIXTURES / "raw-counts.json").read_text(encoding="utf-8"))
    assert main(["info", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["papers"] >= raw["papers"]
    assert (info["first_date"], info["last_date"]) == (raw["first_listed"], raw["last_listed"])
    assert info["published"]["first"] < "2024-01-01"  # the page dump's older papers
    assert info["sources"]["hf-daily-api"] == sum(m["daily"] for m in raw["months"].values())


def test_info_text(sample_store, capsys):
    assert main(["info", "--store", str(sample_store)]) == 0
    out = capsys.readouterr().out
    assert "505" in out
    assert "2024-05-27 .. 2026-05-29" in out


def test_papers_command_filters(sample_store, capsys):
    assert main(["papers", "--store", str(sample_store), "--basis", "published", "--from",
                 "2024-04-01", "--to", "2024-04-30", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows
    assert all("2024-04-01" <= r["published"] <= "2024-04-30" for r in rows)
    assert set(rows[0]) == {"paper_id", "title", "published", "listed", "upvotes", "topic"}
    assert any(r["title"].startswith("JetMoE") for r in rows)
    # the default basis is the listing day
    assert main(["papers", "--store", str(sample_store), "--from", "2026-05-29", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    day = json.loads((DAILY / "2026-05-29.json").read_text(encoding="utf-8"))
    assert len(rows) == len(day)
    assert {r["listed"] for r in rows} == {"2026-05-29"}


def test_missing_store_is_a_clear_error(tmp_path, capsys):
    assert main(["info", "--store", str(tmp_path / "nothing")]) == 2
    err = capsys.readouterr().err
    assert "no paper table" in err
    assert "papertrends ingest" in err


def test_store_copy_helper_is_not_shared(sample_store, tmp_path):
    """Tests that change a store work on a copy of the shared sample store."""
    copy = tmp_path / "copy"
    shutil.copytree(sample_store, copy)
    ingest(Store(copy), [PAGE_DUMP], reference_date=REF)
    assert (copy / "papers.parquet").read_bytes() == (sample_store / "papers.parquet").read_bytes()


def test_papers_command_shows_topics_when_artifacts_exist(sample_store, tmp_path, capsys):
    art = pytest.importorskip("analysis.topics.artifacts")
    store = Store(tmp_path / "s")
    shutil.copytree(sample_store, store.root)
    ids = store.read_papers()["paper_id"].sort()
    topics = [i % 4 - 1 for i in range(len(ids))]  # -1 .. 2
    store.topics_dir.mkdir()
    pl.DataFrame({"paper_id": ids, "topic": topics, "prob": [0.5] * len(ids),
                  "x": [0.0] * len(ids), "y": [0.0] * len(ids)},
                 schema={c: art.ASSIGNMENT_SCHEMA[c]
                         for c in ("paper_id", "topic", "prob", "x", "y")}
                 ).write_parquet(art.path_of(store, art.ASSIGNMENTS))
    pl.DataFrame({"topic": [-1, 0, 1, 2], "label": ["o", "a", "b", "c"],
                  "words": [["w"]] * 4, "size": [1] * 4, "representative": [["x"]] * 4},
                 schema={c: art.TOPIC_SCHEMA[c] for c in ("topic", "label", "words", "size",
                                                          "representative")}
                 ).write_parquet(art.path_of(store, art.TOPIC_TABLE))
    art.path_of(store, art.META).write_text("{}", encoding="utf-8")
    assert main(["papers", "--store", str(store.root), "--topic", "2", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == topics.count(2)
    assert {r["topic"] for r in rows} == {2}
    expected = {pid for pid, t in zip(ids, topics, strict=True) if t == 2}
    assert {r["paper_id"] for r in rows} == expected
