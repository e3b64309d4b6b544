"""`fetch` always finishes pending topic assignment, so a killed run ends like an unbroken one.

Real data: the bundled store before the 71 papers of the fetch-days fixtures, served again by the
loopback stand-in of the API. Before, a second `fetch` said "nothing to fetch" and never assigned
the papers a killed (or ``--no-assign``) run had left without a topic.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from analysis.fetch import fetch
from analysis.store import Store
from analysis.topics import artifacts as art
from tests.support.hf_server import ALL_IDS, FIRST, LAST, run_fetch
from tests.support.paths import REPO
from tests.support.stores import before_the_fetch_days


def test_a_fetch_with_nothing_to_fetch_still_assigns_the_papers_waiting(tmp_path, hf_api):
    store = before_the_fetch_days(tmp_path / "store")  # their vectors stay cached: no model
    first = run_fetch(store, hf_api, assign=False)  # like `fetch --no-assign`, or a kill
    assert first.papers_new == len(ALL_IDS)
    assert set(art.pending(store)["paper_id"]) == ALL_IDS
    again = fetch(store, FIRST, LAST, endpoint=hf_api.endpoint)
    assert again.planned == 0
    assert "nothing to fetch" in " ".join(again.lines())
    assert again.topics.startswith(f"{len(ALL_IDS)} new paper(s) given topics without a refit")
    assert art.pending(store).height == 0
    third = fetch(store, FIRST, LAST, endpoint=hf_api.endpoint)
    assert third.topics == ""  # nothing waits any more


def _fetch_cmd(store: Store, endpoint: str) -> list[str]:
    return [sys.executable, "-m", "analysis.cli", "fetch", "--store", str(store.root),
            "--from", FIRST.isoformat(), "--to", LAST.isoformat(), "--endpoint", endpoint,
            "--backoff", "0.02", "--quiet"]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("HF_TOKEN", "PAPERTRENDS_STORE")}
    return {**env, "HF_HUB_OFFLINE": "1", "NO_PROXY": "127.0.0.1,localhost"}


def _state(store: Store) -> dict:
    files = ("papers.parquet", "topics/assignments.parquet", "topics/topic_table.parquet",
             "embeddings/minilm.parquet")
    meta = json.loads((store.topics_dir / "meta.json").read_text())
    meta.pop("assigned_at", None)  # a clock reading
    return {**{f: (store.root / f).read_bytes() for f in files}, "meta": meta}


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory, hf_api_module) -> dict:
    """The store after one unbroken `papertrends fetch` (MiniLM embeds the 71 papers)."""
    store = before_the_fetch_days(tmp_path_factory.mktemp("clean") / "store", keep_cache=False)
    run = subprocess.run(_fetch_cmd(store, hf_api_module.endpoint), cwd=REPO, env=_env(),
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    assert f"topics: {len(ALL_IDS)} new paper(s) given topics" in run.stdout
    assert art.pending(store).height == 0
    return _state(store)


@pytest.fixture(scope="module")
def hf_api_module():
    """The loopback API stand-in, shared by this module's slow tests."""
    from tests.support.hf_server import HFServer

    with HFServer() as srv:
        yield srv


@pytest.mark.slow
@pytest.mark.parametrize("delay", [1.0, 6.0])
def test_a_fetch_killed_during_assignment_resumes_to_the_same_bytes(tmp_path, clean_run,
                                                                    hf_api_module, delay):
    store = before_the_fetch_days(tmp_path / "store", keep_cache=False)
    with subprocess.Popen(_fetch_cmd(store, hf_api_module.endpoint), cwd=REPO, env=_env(),
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as proc:
        deadline = time.monotonic() + 120
        while not (store.fetch_state_path.is_file()  # every day saved: assignment begins
                   and json.loads(store.fetch_state_path.read_text()).get("last_run")):
            assert proc.poll() is None, "fetch ended before its days were saved"
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(delay)
        assert proc.poll() is None, "assignment ended before the kill"
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    assert set(art.pending(store)["paper_id"]) == ALL_IDS  # killed mid-assignment
    again = subprocess.run(_fetch_cmd(store, hf_api_module.endpoint), cwd=REPO, env=_env(),
                           capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    assert "nothing to fetch" in again.stdout
    assert f"topics: {len(ALL_IDS)} new paper(s) given topics" in again.stdout
    assert _state(store) == clean_run
