"""A store that changes under an open dashboard: readers see old or new, writers take turns.

Real data: the bundled store before the 71 papers of the fetch-days fixtures, which then come in.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from analysis.ingest import ingest
from analysis.names import UNASSIGNED_LABEL
from analysis.store import Store
from analysis.topics import artifacts as art
from analysis.trends import paper_frame
from tests.support.dashboard import APP
from tests.support.hf_server import ALL_IDS, PAPER_DAYS, ids_of
from tests.support.paths import FETCH_DAYS, REPO
from tests.support.stores import before_the_fetch_days


@pytest.fixture
def store(tmp_path, monkeypatch) -> Store:
    s = before_the_fetch_days(tmp_path / "store")
    monkeypatch.setenv("PAPERTRENDS_STORE", str(s.root))
    monkeypatch.setenv("PAPERTRENDS_NO_FIT", "1")
    return s


def papers_metric(at: AppTest) -> int:
    return int(next(m.value for m in at.metric if m.label == "Papers").replace(",", ""))


def test_an_open_dashboard_shows_new_data_on_its_next_rerun(store):
    from analysis.topics.fit import assign_new

    at = AppTest.from_file(APP, default_timeout=90).run()
    assert not at.exception
    before = papers_metric(at)
    assert not any(UNASSIGNED_LABEL in w.value for w in at.warning)
    ingest(store, [FETCH_DAYS / f"{day}.json" for day in PAPER_DAYS])  # e.g. a CLI fetch
    at.run()  # the next rerun of the same session, no restart
    assert not at.exception
    assert papers_metric(at) == before + len(ALL_IDS)
    banner = [w.value for w in at.warning if UNASSIGNED_LABEL in w.value]
    assert len(banner) == 1
    assert banner[0].startswith(f"{len(ALL_IDS)} papers are not yet assigned a topic")
    assert f"papertrends assign --store {store.root}" in banner[0]
    assign_new(store)
    at.run()
    assert not any(UNASSIGNED_LABEL in w.value for w in at.warning)


def test_readers_see_the_old_or_the_new_table_never_half(store):
    heights = [store.read_papers().height]
    seen: set[int] = set()
    errors: list[BaseException] = []
    done = threading.Event()
    expected = set(heights)
    count = heights[0]
    for day in PAPER_DAYS:
        count += len(ids_of(day))
        expected.add(count)

    def reader() -> None:
        while not done.is_set():
            try:
                seen.add(paper_frame(store).select(pl.len()).collect().item())
                fit = art.read_fit(store)
                assert fit.meta.get("n_assigned_after_fit", 0) >= 0
            except BaseException as exc:  # noqa: BLE001 - handed to the test thread
                errors.append(exc)
                return

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        for day in PAPER_DAYS:
            ingest(store, [FETCH_DAYS / f"{day}.json"])
            time.sleep(0.05)
    finally:
        done.set()
        for t in threads:
            t.join(30)
    assert not errors, errors
    assert seen <= expected
    assert len(seen) >= 2


def test_a_topic_refit_swap_is_never_seen_half_done(store):
    """Readers of topics/ while a writer swaps in whole new folders (as `fit` does)."""
    import shutil

    fit = art.read_fit(store)
    versions = []
    for k in range(4):  # folders whose meta says how many assignments they hold
        folder = store.root / f"version-{k}"
        shutil.copytree(store.topics_dir, folder)
        kept = fit.assignments.head(fit.assignments.height - 100 * k)
        kept.write_parquet(folder / art.ASSIGNMENTS)
        meta = {**fit.meta, "test_rows": kept.height}
        (folder / art.META).write_text(json.dumps(meta))
        versions.append(folder)
    errors: list[BaseException] = []
    reads = [0]
    done = threading.Event()

    def reader() -> None:
        while not done.is_set():
            try:
                got = art.read_fit(store)
                if "test_rows" in got.meta:
                    assert got.meta["test_rows"] == got.assignments.height
                reads[0] += 1
            except BaseException as exc:  # noqa: BLE001 - handed to the test thread
                errors.append(exc)
                return

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        with store.lock():
            for i in range(40):
                ready = store.root / f".ready-{i}"
                shutil.copytree(versions[i % 4], ready)
                store.replace_dir(ready, store.topics_dir)
    finally:
        done.set()
        thread.join(30)
    assert not errors, errors
    assert reads[0] > 0


def test_a_second_cli_writer_waits_for_the_first(store, tmp_path):
    # the first writer holds the lock until the second has said that it waits (however slowly
    # this machine starts the second), then lets go
    with subprocess.Popen(
        [sys.executable, "-c", "import sys; from analysis.store import Store\n"
         "with Store(sys.argv[1]).lock():\n    print('held', flush=True); sys.stdin.readline()",
         str(store.root)], cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            text=True) as hold:
        assert hold.stdout is not None
        assert hold.stdin is not None
        assert hold.stdout.readline().strip() == "held"
        with subprocess.Popen([sys.executable, "-m", "analysis.cli", "ingest",
                               str(FETCH_DAYS / "2026-01-15.json"), "--store", str(store.root)],
                              cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) as run:
            assert run.stderr is not None
            said = run.stderr.readline()
            assert run.poll() is None  # still waiting
            hold.stdin.write("go\n")
            hold.stdin.flush()
            out, rest = run.communicate(timeout=120)
        hold.wait(30)
    assert run.returncode == 0, said + rest
    assert f"waiting for the store lock (held by pid {hold.pid}:" in said
    assert set(ids_of("2026-01-15")) <= set(store.read_papers()["paper_id"])
