"""`papertrends fetch` run as a real process against the local API server.

Covers interruption and resume, the token, HF_ENDPOINT, exit status and messages.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

from analysis.store import Store
from tests.support.cli import cli_env, run_cli
from tests.support.hf_server import ALL_IDS, FETCH_DAYS, PAPER_DAYS, Fault, ids_of
from tests.support.paths import REPO

TOKEN = "hf_TestTokenThatMustNeverBeWritten_7f3a9c"


def fetch_args(store: Path, *more: str) -> list[str]:
    return [sys.executable, "-m", "analysis.cli", "fetch", "--store", str(store),
            "--from", "2026-01-15", "--to", "2026-01-21", "--backoff", "0.02", "--no-assign",
            *more]


def ok_days(store: Store) -> list[str]:
    if not store.fetch_state_path.exists():
        return []
    days = json.loads(store.fetch_state_path.read_text())["days"]
    return sorted(d for d, r in days.items() if r["status"] == "ok")


def test_killed_fetch_resumes_with_exactly_the_five_days(tmp_path, hf_api):
    store = Store(tmp_path / "store")
    hf_api.fail_from = "2026-01-17"  # two days answer, then the hf_api hangs
    proc = subprocess.Popen(fetch_args(store.root, "--endpoint", hf_api.endpoint,
                                       "--concurrency", "1", "--timeout", "60"),
                            cwd=REPO, env=cli_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while ok_days(store) != ["2026-01-15", "2026-01-16"]:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, proc.communicate()
            time.sleep(0.05)
        assert hf_api.requests_for("2026-01-17")  # it was waiting on the third day
    finally:
        proc.kill()  # SIGKILL: no cleanup of any kind
        proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    half = store.read_papers()
    assert set(half["paper_id"]) == ids_of("2026-01-15") | ids_of("2026-01-16")

    hf_api.fail_from = None
    hf_api.requests.clear()
    done = run_cli(fetch_args(store.root, "--endpoint", hf_api.endpoint, "--json"), cli_env())
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["fetched"] == ["2026-01-17", "2026-01-18", "2026-01-19", "2026-01-20",
                                  "2026-01-21"]
    assert summary["skipped"] == 2
    assert summary["papers_new"] == 71 - half.height
    assert {r.query["date"] for r in hf_api.requests} == set(summary["fetched"])
    papers = store.read_papers()
    assert papers.height == 71
    assert papers["paper_id"].n_unique() == 71
    assert set(papers["paper_id"]) == ALL_IDS
    assert ok_days(store) == sorted(summary["fetched"] + ["2026-01-15", "2026-01-16"])
    # the raw folder holds one verbatim response per day, nothing half-written
    for day in PAPER_DAYS:
        recorded = (FETCH_DAYS / f"{day}.json").read_bytes()
        assert (store.raw_dir / f"{day}.json").read_bytes() == recorded
    assert not [p for p in store.root.rglob("*.tmp")]


def test_ctrl_c_keeps_finished_days_and_says_how_to_resume(tmp_path, hf_api):
    store = Store(tmp_path / "store")
    hf_api.fail_from = "2026-01-19"
    proc = subprocess.Popen(fetch_args(store.root, "--endpoint", hf_api.endpoint,
                                       "--concurrency", "1", "--timeout", "60"),
                            cwd=REPO, env=cli_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not hf_api.requests_for("2026-01-19") or len(ok_days(store)) < 4:
        assert proc.poll() is None
        assert time.monotonic() < deadline
        time.sleep(0.05)
    t0 = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert time.monotonic() - t0 < 10  # did not wait for the hung request to time out
    assert proc.returncode == 130
    assert "run the same command again to resume" in err
    assert "Traceback" not in err
    assert ok_days(store) == ["2026-01-15", "2026-01-16", "2026-01-17", "2026-01-18"]
    assert set(store.read_papers()["paper_id"]) == ids_of("2026-01-15") | ids_of("2026-01-16")


def test_token_is_sent_and_never_shown_or_written(tmp_path, hf_api):
    store = tmp_path / "store"
    hf_api.script("2026-01-16", Fault("status", 500))
    res = run_cli(fetch_args(store, "--endpoint", hf_api.endpoint), cli_env(HF_TOKEN=TOKEN))
    assert res.returncode == 0, res.stderr
    assert {r.authorization for r in hf_api.requests} == {f"Bearer {TOKEN}"}
    assert TOKEN not in res.stdout + res.stderr
    files = [p for p in store.rglob("*") if p.is_file()]
    assert len(files) >= 9  # papers, state, raw days
    for path in files:
        assert TOKEN.encode() not in path.read_bytes(), path
    # a rejected token: the message says what to do and still does not echo it
    hf_api.script("2026-01-22", Fault("status", 401, body=b'{"error":"Invalid credentials"}'))
    bad = run_cli([sys.executable, "-m", "analysis.cli", "fetch", "--store", str(store),
                   "--from", "2026-01-22", "--to", "2026-01-22", "--endpoint", hf_api.endpoint],
                  cli_env(HF_TOKEN=TOKEN))
    assert bad.returncode == 1
    assert "HTTP 401" in bad.stderr
    assert "HF_TOKEN" in bad.stderr
    assert TOKEN not in bad.stdout + bad.stderr
    for path in store.rglob("*"):
        assert not path.is_file() or TOKEN.encode() not in path.read_bytes()


def test_follows_hf_endpoint_and_prints_a_summary(tmp_path, hf_api):
    res = run_cli(fetch_args(tmp_path / "s", "--quiet"), cli_env(HF_ENDPOINT=hf_api.endpoint))
    assert res.returncode == 0, res.stderr
    assert "days fetched: 7 of 7 (2 without a list)" in res.stdout
    assert "papers: 71 new, 0 updated" in res.stdout
    assert len(hf_api.requests) == 7


def test_nothing_fetched_is_exit_1_with_one_line_naming_day_and_url(tmp_path, hf_api):
    for day in range(15, 22):
        hf_api.script(f"2026-01-{day}", Fault("html"))
    res = run_cli(fetch_args(tmp_path / "s", "--endpoint", hf_api.endpoint, "--quiet"),
                  cli_env())
    assert res.returncode == 1
    err = [line for line in res.stderr.splitlines() if line.strip()]
    assert len(err) == 1
    assert "Traceback" not in res.stderr
    assert "nothing could be fetched" in err[0]
    assert "HTML page instead of JSON" in err[0]
    assert "2026-01-15" in err[0]
    assert "/api/daily_papers?date=2026-01-15" in err[0]
    assert not (tmp_path / "s" / "papers.parquet").exists()


def test_partial_failure_is_exit_0_and_listed(tmp_path, hf_api):
    hf_api.script("2026-01-19", *[Fault("status", 503)] * 5)
    res = run_cli(fetch_args(tmp_path / "s", "--endpoint", hf_api.endpoint, "--quiet",
                             "--retries", "1"), cli_env())
    assert res.returncode == 0
    assert "failures: 1 day(s); they are retried next run" in res.stdout
    assert "2026-01-19: 2026-01-19: " not in res.stdout
    assert "HTTP 503" in res.stdout
    papers = Store(tmp_path / "s").read_papers()
    assert set(papers["paper_id"]) == ALL_IDS - ids_of("2026-01-19")


def test_bad_arguments_exit_2_in_one_line(tmp_path):
    res = run_cli([sys.executable, "-m", "analysis.cli", "fetch", "--store", str(tmp_path / "s"),
                   "--since", "a fortnight"], cli_env())
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    assert "--since 'a fortnight' is not a span or a date" in res.stderr
    assert "e.g. 14d" in res.stderr
