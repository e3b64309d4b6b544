"""`papertrends fetch --month` as a real process: killed and resumed, the Hub's token and mode.

The local server serves the archive's real answer for 2023-07 (185 papers, 4 pages of 50) with a
fixed ``Date``, so two runs that read the same answers write the same bytes.
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
from tests.support.hf_server import Fault
from tests.support.paths import MONTHS, REPO

DATE = "Sat, 01 Aug 2026 10:00:00 GMT"


def month_args(store: Path, endpoint: str, *more: str) -> list[str]:
    return [sys.executable, "-m", "analysis.cli", "fetch", "--store", str(store), "--month",
            "2023-06..2023-08", "--endpoint", endpoint, "--backoff", "0.02", "--no-assign",
            "--quiet", "--concurrency", "1", *more]


def _files(store: Path) -> dict[str, bytes]:
    """Every file of a store but the fetch state (local fetch times) and the lock (its holder)."""
    return {str(p.relative_to(store)): p.read_bytes() for p in sorted(store.rglob("*"))
            if p.is_file() and p.name not in ("fetch-state.json", ".lock")}


def test_killed_month_fetch_resumes_to_the_same_bytes(tmp_path, hf_api):
    hf_api.date = DATE
    clean = tmp_path / "clean"
    done = run_cli(month_args(clean, hf_api.endpoint), cli_env())
    assert done.returncode == 0, done.stderr
    assert Store(clean).read_papers().height == 185

    store = tmp_path / "store"
    hf_api.requests.clear()
    # 2023-06 answers, then July's first two pages, then its third page hangs
    hf_api.script("2023-07", Fault("ok"), Fault("ok"), Fault("hang", seconds=120))
    proc = subprocess.Popen(month_args(store, hf_api.endpoint, "--timeout", "60"), cwd=REPO,
                            env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while len(hf_api.requests_for("2023-07")) < 3:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, proc.communicate()
            time.sleep(0.05)
        time.sleep(0.3)
    finally:
        proc.kill()  # SIGKILL, halfway through July's pages
        proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    assert not (store / "papers.parquet").exists()  # 2023-06 had no list; July not finished
    assert not list((store / "raw" / "hf-month").glob("2023-07*"))

    resumed = run_cli(month_args(store, hf_api.endpoint, "--json"), cli_env())
    assert resumed.returncode == 0, resumed.stderr
    summary = json.loads(resumed.stdout)
    # July (and anything not yet marked done when it died) is fetched again, whole
    assert summary["fetched"][-2:] == ["2023-07", "2023-08"]
    assert summary["skipped"] + len(summary["fetched"]) == 3
    assert summary["papers_new"] == 185
    assert _files(store) == _files(clean)
    assert not list(store.rglob("*.tmp"))


def test_a_token_saved_by_hf_auth_login_is_sent_and_never_written(tmp_path, hf_api):
    token = "hf_SavedByHfAuthLogin_5d1e0b"
    saved = tmp_path / "hf-home" / "token"
    saved.parent.mkdir()
    saved.write_text(token)
    store = tmp_path / "store"
    res = run_cli(month_args(store, hf_api.endpoint), cli_env(HF_TOKEN_PATH=str(saved)))
    assert res.returncode == 0, res.stderr
    assert {r.authorization for r in hf_api.requests} == {f"Bearer {token}"}
    assert token not in res.stdout + res.stderr
    for path in store.rglob("*"):
        assert not path.is_file() or token.encode() not in path.read_bytes()


def test_offline_mode_of_the_hub_stops_fetch_in_one_line(tmp_path, hf_api):
    env = cli_env(HF_HUB_OFFLINE="1")
    res = run_cli(month_args(tmp_path / "s", hf_api.endpoint), env)
    assert res.returncode == 1
    err = [line for line in res.stderr.splitlines() if line.strip()]
    assert len(err) == 1, res.stderr
    assert "offline mode (HF_HUB_OFFLINE)" in err[0]
    assert "Traceback" not in res.stderr
    assert hf_api.requests == []
    assert not (tmp_path / "s" / "papers.parquet").exists()


def test_month_raw_files_and_sizes_land_in_the_store(tmp_path, hf_api):
    store = tmp_path / "s"
    res = run_cli(month_args(store, hf_api.endpoint, "--page-size", "200"), cli_env())
    assert res.returncode == 0, res.stderr
    assert "months fetched: 3 of 3 (2 without a list)" in res.stdout
    assert (store / "raw" / "hf-month" / "2023-07.json").read_bytes() == (
        MONTHS / "daily_papers_2023-07.json").read_bytes()
    sizes = json.loads((store / "listings.json").read_text())["months"]
    assert sizes["2023-07"]["papers"] == 185
    cov = run_cli([sys.executable, "-m", "analysis.cli", "coverage", "--store", str(store),
                   "--json"], cli_env())
    july = next(m for m in json.loads(cov.stdout)["months"] if m["month"] == "2023-07")
    assert july["sources"] == {"hf-month-api": 185}
    assert (july["papers"], july["listing"], july["status"]) == (185, 185, "complete")
