"""The paper table grows by deltas: a merge writes only what changed, readers see whole tables.

Real papers throughout: the bundled table, the recorded fetch days, the page dump (title-only
records that fold into arXiv records when those arrive).
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading

import polars as pl
import pytest

from analysis import table
from analysis.audit import check_store
from analysis.cli import main
from analysis.files import parquet_bytes
from analysis.ingest import ingest, ingest_frame, load_sources
from analysis.merge import merge
from analysis.rebuild import rebuild
from analysis.schema import normalise_title
from analysis.store import Store
from analysis.trends import phrase_index
from analysis.user_store import create_user_store
from tests.support.cli import cli_env
from tests.support.hf_server import ALL_IDS, PAPER_DAYS, ids_of
from tests.support.paths import BUNDLED, FETCH_DAYS, PAGE_DUMP, REFERENCE_DATE, REPO
from tests.support.stores import cut_in_half

LATER = dt.datetime(2026, 6, 30, 8, 0, tzinfo=dt.UTC)


def _page_dump() -> pl.DataFrame:
    return load_sources([PAGE_DUMP], reference_date=dt.date.fromisoformat(REFERENCE_DATE)).frame


def _day(day: str) -> pl.DataFrame:
    return load_sources([FETCH_DAYS / f"{day}.json"]).frame


@pytest.fixture(scope="module")
def readings() -> dict[str, pl.DataFrame]:
    """A base (the bundled papers without some) and the readings that grow it, in order."""
    bundled = Store(BUNDLED).read_papers()
    dump = _page_dump()
    titles = {normalise_title(t) for t in dump["title"]}
    arxiv = bundled.filter(pl.col("title").map_elements(normalise_title, return_dtype=pl.Utf8)
                           .is_in(sorted(titles)))
    base = bundled.filter(~pl.col("paper_id").is_in(arxiv["paper_id"].implode())
                          & ~pl.col("paper_id").is_in(sorted(ALL_IDS)))
    bumped = base.sort("paper_id").gather_every(4000).with_columns(
        upvotes=pl.col("upvotes").fill_null(0) + 7, upvotes_at=pl.lit(LATER))
    return {"base": base, "dump": dump, "day1": _day(PAPER_DAYS[0]), "arxiv": arxiv,
            "bumped": bumped, "rest": pl.concat([_day(d) for d in PAPER_DAYS[1:]])}


def _user_store(tmp_path, base: pl.DataFrame) -> Store:
    """A user store made from a snapshot of ``base`` (which it keeps as raw/snapshot/)."""
    snapshot = tmp_path / "snapshot"
    snapshot.mkdir()
    (snapshot / "papers.parquet").write_bytes(parquet_bytes(base))
    return Store(create_user_store(tmp_path / "store", snapshot))


def _store(root, base: pl.DataFrame) -> Store:
    store = Store(root)
    with store.lock():
        store.write_papers(base)
    return store


def _expected(frames: list[pl.DataFrame]) -> bytes:
    return parquet_bytes(merge(pl.DataFrame(), pl.concat(frames, how="vertical"))[0])


def test_merges_write_deltas_that_read_and_compact_to_the_same_bytes(tmp_path, readings):
    store = _store(tmp_path, readings["base"])
    base_bytes = store.papers_path.read_bytes()
    seen = [readings["base"]]
    for name in ("dump", "day1", "arxiv", "bumped", "rest"):
        ingest_frame(store, readings[name])
        seen.append(readings[name])
        assert parquet_bytes(store.read_papers()) == _expected(seen), name
    assert store.papers_path.read_bytes() == base_bytes  # the base was never rewritten
    listing = store.listing()
    assert listing is not None
    assert len(listing.deltas) == 5
    deltas = [pl.read_parquet(p) for p in store.delta_paths()]
    # the page dump: title-only records, and updates (its source added) of papers it also lists
    assert deltas[0].filter(pl.col("paper_id").str.starts_with("title:")).height > 0
    # the arXiv records arrive: the title-only records folded into them are removed
    removed = set(deltas[2].filter(pl.col(table.DELETED))["paper_id"])
    assert removed
    assert all(pid.startswith("title:") for pid in removed)
    assert not removed & set(store.read_papers()["paper_id"])
    # a few upvote counts read later: those rows, nothing else
    n = readings["bumped"].height
    assert n >= 3
    assert deltas[3]["upvotes_at"].to_list() == [LATER] * n
    assert set(deltas[4]["paper_id"]) == ALL_IDS - ids_of(PAPER_DAYS[0])
    expected = _expected(seen)
    assert main(["compact", "--store", str(store.root)]) == 0
    assert store.papers_path.read_bytes() == expected  # what one whole write gives
    assert not list(store.deltas_dir.glob("*.parquet"))
    assert store.listing() == table.Listing(listing.generation + 1, [])
    assert parquet_bytes(store.read_papers()) == expected
    assert check_store(store) == []


def test_a_merge_that_changes_nothing_writes_nothing(tmp_path, readings):
    store = _store(tmp_path, readings["base"])
    ingest_frame(store, readings["day1"])
    files = {p: p.stat().st_mtime_ns for p in store.paper_files()}
    ingest_frame(store, readings["day1"])
    assert {p: p.stat().st_mtime_ns for p in store.paper_files()} == files


def test_deltas_past_the_threshold_are_folded_in_by_themselves(tmp_path, readings, monkeypatch):
    store = _store(tmp_path, readings["base"])
    monkeypatch.setattr(table, "COMPACT_FILES", 2)
    for day in PAPER_DAYS[:2]:
        ingest_frame(store, _day(day))
    assert len(store.delta_paths()) == 2
    ingest_frame(store, _day(PAPER_DAYS[2]))  # the third delta: one whole file instead
    assert store.delta_paths() == []
    assert not list(store.deltas_dir.glob("*.parquet"))
    assert store.papers_path.read_bytes() == _expected(
        [readings["base"], *(_day(d) for d in PAPER_DAYS[:3])])


class Killed(BaseException):
    """Stands in for a kill at one point of a write."""


def _kill_at_listing(monkeypatch, store: Store) -> None:
    write_json = Store.write_json

    def dying(self, path, obj):
        if path == store.listing_path:
            raise Killed
        write_json(self, path, obj)

    monkeypatch.setattr(Store, "write_json", dying)


def test_a_writer_killed_before_the_listing_leaves_the_old_table(tmp_path, readings,
                                                                   monkeypatch):
    store = _store(tmp_path, readings["base"])
    ingest_frame(store, readings["dump"])
    before = parquet_bytes(store.read_papers())
    with monkeypatch.context() as m:
        _kill_at_listing(m, store)
        with pytest.raises(Killed):
            ingest_frame(store, readings["day1"])
    orphan = store.deltas_dir / table.delta_name(store.listing().generation + 1)
    assert orphan.is_file()  # written, never listed
    assert parquet_bytes(store.read_papers()) == before
    # a delta cut short by the kill, and the temporary file of another: still the old table
    cut_in_half(orphan)
    (store.deltas_dir / f".{orphan.name}.x1.tmp").write_bytes(b"PAR1 cut")
    assert parquet_bytes(store.read_papers()) == before
    assert not [p for p in check_store(store) if p.damaged]
    ingest_frame(store, readings["day1"])  # the next writer takes that name again
    assert parquet_bytes(store.read_papers()) == _expected(
        [readings["base"], readings["dump"], readings["day1"]])


def test_a_compaction_killed_before_the_listing_reads_the_same(tmp_path, readings, monkeypatch):
    store = _store(tmp_path, readings["base"])
    for name in ("dump", "day1", "arxiv"):
        ingest_frame(store, readings[name])
    expected = _expected([readings[n] for n in ("base", "dump", "day1", "arxiv")])
    with monkeypatch.context() as m:
        _kill_at_listing(m, store)
        with pytest.raises(Killed):
            store.compact_papers()
    assert store.papers_path.read_bytes() == expected  # the new base, the old listing
    assert len(store.delta_paths()) == 3
    assert parquet_bytes(store.read_papers()) == expected  # deltas it holds apply again
    assert not [p for p in check_store(store) if p.damaged]
    ingest_frame(store, readings["bumped"])
    expected = _expected([readings[n] for n in ("base", "dump", "day1", "arxiv", "bumped")])
    assert parquet_bytes(store.read_papers()) == expected
    assert store.compact_papers()
    assert store.papers_path.read_bytes() == expected


def test_two_writers_serialise_and_a_reader_sees_only_whole_tables(tmp_path, readings):
    store = _store(tmp_path, readings["base"])
    n0 = readings["base"].height
    a, b = len(ids_of(PAPER_DAYS[1])), len(ids_of(PAPER_DAYS[2]))
    heights: set[int] = set()
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            heights.add(store.read_papers().height)

    reader = threading.Thread(target=read)
    reader.start()
    env = cli_env(PYTHONPATH=str(REPO))
    writers = [subprocess.Popen([sys.executable, "-m", "analysis.cli", "ingest",
                                 str(FETCH_DAYS / f"{day}.json"), "--store", str(store.root)],
                                cwd=REPO, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
               for day in PAPER_DAYS[1:3]]
    try:
        outs = [w.communicate(timeout=300) for w in writers]
    finally:
        for w in writers:
            if w.poll() is None:
                w.kill()
        done.set()
        reader.join()
    assert [w.returncode for w in writers] == [0, 0], outs
    assert store.read_papers().height == n0 + a + b
    assert len(store.delta_paths()) == 2
    assert heights <= {n0, n0 + a, n0 + b, n0 + a + b}
    assert len(heights) >= 1


@pytest.mark.parametrize("damage", ["delta", "listing"])
def test_check_and_commands_name_a_damaged_delta_and_rebuild_mends_it(tmp_path, readings,
                                                                      capsys, damage):
    store = _user_store(tmp_path, readings["base"])
    root = store.root
    ingest(store, [PAGE_DUMP], reference_date=dt.date.fromisoformat(REFERENCE_DATE))
    ingest(store, [FETCH_DAYS / f"{PAPER_DAYS[0]}.json"])
    assert len(store.delta_paths()) == 2
    good = parquet_bytes(store.read_papers())
    bad = store.delta_paths()[1] if damage == "delta" else store.listing_path
    cut_in_half(bad)
    assert main(["check", "--store", str(root)]) == 2
    out, err = capsys.readouterr()
    assert f"{bad}: damaged" in out
    assert "papertrends rebuild" in out
    assert "Traceback" not in err
    assert main(["info", "--store", str(root)]) == 2
    out, err = capsys.readouterr()
    assert len(err.strip().splitlines()) == 1
    assert str(bad) in err
    assert main(["rebuild", "--store", str(root)]) == 0
    capsys.readouterr()
    assert store.delta_paths() == []
    assert store.papers_path.read_bytes() == good
    assert main(["check", "--store", str(root)]) == 0


def test_rebuild_reproduces_a_table_held_in_deltas(tmp_path, readings):
    store = _user_store(tmp_path, readings["base"])
    ingest(store, [PAGE_DUMP], reference_date=dt.date.fromisoformat(REFERENCE_DATE))
    for day in PAPER_DAYS[:2]:
        ingest(store, [FETCH_DAYS / f"{day}.json"])
    assert len(store.delta_paths()) == 3
    before = parquet_bytes(store.read_papers())
    report = rebuild(store)
    assert (report.added, report.removed) == (0, 0)
    assert store.papers_path.read_bytes() == before
    assert store.delta_paths() == []


def test_the_word_index_follows_the_deltas(tmp_path, readings):
    store = _store(tmp_path, readings["base"])
    phrase_index.build(store)
    for name in ("dump", "arxiv", "rest"):
        ingest_frame(store, readings[name])
        index = phrase_index.load(store)
        assert index is not None, name  # updated with the table, so still current
        papers = store.read_papers()
        fresh = phrase_index.from_papers(papers.select("paper_id", "title", "abstract"))
        ids = papers.get_column("paper_id")
        for words in (["language", "model"], ["diffusion"], ["training", "parameters"]):
            got = set(ids.filter(pl.Series(index.documents(words, "both")[
                index.doc_of(ids).clip(0)] & (index.doc_of(ids) >= 0))))
            want = set(ids.filter(pl.Series(fresh.documents(words, "both")[
                fresh.doc_of(ids).clip(0)])))
            assert want, (name, words)
            assert got == want, (name, words)
    assert main(["compact", "--store", str(store.root)]) == 0
    assert phrase_index.load(store) is not None


def test_old_stores_without_deltas_read_as_before(tmp_path):
    store = Store(create_user_store(tmp_path / "store", BUNDLED))
    assert not store.deltas_dir.exists()
    assert store.paper_files() == [store.papers_path]
    assert parquet_bytes(store.read_papers()) == (BUNDLED / "papers.parquet").read_bytes()
    assert os.listdir(BUNDLED).count("papers.d") == 0


@pytest.mark.slow
def test_a_day_into_a_100k_store_writes_under_5_percent_of_the_table(tmp_path):
    from bench.bench_append import day_fetch_figures
    from bench.synthetic import read_source, synthetic_papers

    store = _store(tmp_path, synthetic_papers(read_source(), 100_000))
    phrase_index.build(store)  # as ingest makes one by itself from 50,000 papers on
    table_before = store.papers_path.stat().st_size
    fig = day_fetch_figures(store)  # a recorded real day of 23 papers, as fetch ingests it
    assert "papers.parquet" not in fig["by_part"]  # the base is not rewritten
    assert 0 < fig["table_written"] <= 0.05 * table_before
    assert fig["all_written"] <= 0.05 * table_before  # raw copy, index part, manifest too
    assert store.read_papers().height == 100_000 + len(ids_of("2026-01-16"))
