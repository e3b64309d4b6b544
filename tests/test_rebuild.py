"""`papertrends check` finds what is wrong and says what mends it; `rebuild` mends it from raw/."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
import pytest

from analysis.cli import main
from analysis.ingest import ingest
from analysis.store import Store
from analysis.topics import artifacts as art
from analysis.user_store import writable_store
from tests.support.export_store import write_topics
from tests.support.hf_server import ids_of, run_fetch
from tests.support.paths import BUNDLED, PAGE_DUMP, REFERENCE_DATE
from tests.support.stores import cut_in_half


@pytest.fixture
def grown(tmp_path, hf_api) -> Store:
    """A store that grew the way stores do: five days fetched, then a page dump ingested."""
    store = Store(tmp_path / "store")
    run_fetch(store, hf_api)
    ingest(store, [PAGE_DUMP], reference_date=dt.date.fromisoformat(REFERENCE_DATE))
    return store


def run(capsys, *args: str) -> tuple[int, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out + err


def test_a_cut_table_is_rebuilt_byte_for_byte_from_raw(grown, capsys):
    before = grown.papers_path.read_bytes()
    n = grown.read_papers().height
    assert run(capsys, "check", "--store", str(grown.root))[0] == 0
    cut_in_half(grown.papers_path)
    code, text = run(capsys, "check", "--store", str(grown.root))
    assert code == 2
    assert f"{grown.papers_path}: damaged" in text
    assert f"run `papertrends rebuild --store {grown.root}`" in text
    code, text = run(capsys, "rebuild", "--store", str(grown.root))
    assert code == 0, text
    assert f"{n:,} papers" in text
    assert grown.papers_path.read_bytes() == before  # the page dump came back with its date
    assert run(capsys, "check", "--store", str(grown.root))[0] == 0


def test_a_user_store_rebuilds_from_its_snapshot(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("PAPERTRENDS_STORE", raising=False)
    store, _ = writable_store(None)
    cut_in_half(store.papers_path)
    assert run(capsys, "info")[0] == 2
    code, text = run(capsys, "rebuild")
    assert code == 0, text
    assert store.papers_path.read_bytes() == (BUNDLED / "papers.parquet").read_bytes()
    assert run(capsys, "check")[0] == 0


def test_rebuild_drops_topics_of_papers_that_are_gone(grown, capsys):
    write_topics(grown)
    gone = ids_of("2026-01-21") - ids_of("2026-01-20")
    (grown.raw_dir / "2026-01-21.json").unlink()
    code, text = run(capsys, "check", "--store", str(grown.root))
    assert code == 2
    assert "2026-01-21.json: is missing (the manifest lists it)" in text
    code, text = run(capsys, "rebuild", "--store", str(grown.root))
    assert code == 0, text
    assert f"{len(gone)} removed" in text
    assert f"dropped: {len(gone)} topic assignment(s) of papers no longer in the table" in text
    fit = art.read_fit(grown)
    assert not gone & set(fit.assignments["paper_id"])
    counts = dict(fit.assignments.group_by("topic").len().iter_rows())
    assert {t: s for t, s in fit.table.select("topic", "size").iter_rows()} == {
        t: counts.get(t, 0) for t in fit.table["topic"]}
    assert run(capsys, "check", "--store", str(grown.root))[0] == 0


def test_a_raw_file_changed_behind_the_stores_back_is_named(grown, capsys):
    path = grown.raw_dir / "2026-01-16.json"
    path.write_bytes(path.read_bytes() + b"\n")  # still the same JSON, other bytes
    code, text = run(capsys, "check", "--store", str(grown.root))
    assert code == 2
    assert f"{path}: does not match the store's manifest" in text
    assert (f"papertrends fetch --refresh --from 2026-01-16 --to 2026-01-16 --store "
            f"{grown.root}") in text


def test_damaged_topics_are_dropped_and_a_refit_is_named(grown, capsys):
    write_topics(grown)
    cut_in_half(art.path_of(grown, art.ASSIGNMENTS))
    code, text = run(capsys, "topic-trend", "--store", str(grown.root))
    assert code == 2
    assert f"run `papertrends fit --store {grown.root}`" in text
    code, text = run(capsys, "rebuild", "--store", str(grown.root))
    assert code == 0, text
    assert f"next: run `papertrends fit --store {grown.root}`" in text
    assert not grown.topics_dir.exists()
    code, text = run(capsys, "check", "--store", str(grown.root))
    assert code == 0, text


def test_check_json_and_notes(grown, capsys):
    write_topics(grown)
    extra = grown.read_papers().head(1).with_columns(pl.lit("2699.00001").alias("paper_id"))
    ingest_file = grown.root.parent / "one.parquet"
    extra.write_parquet(ingest_file)
    ingest(grown, [ingest_file])
    code, text = run(capsys, "check", "--store", str(grown.root), "--json")
    assert code == 0
    report = json.loads(text)
    assert report["ok"] is True
    notes = [p for p in report["problems"] if not p["damaged"]]
    assert any("1 paper(s) not yet assigned a topic" in p["what"]
               and p["fix"] == f"run `papertrends assign --store {grown.root}`" for p in notes)
