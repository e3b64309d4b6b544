"""One write policy: without --store, writing commands use your own store, never data/.

`papertrends fetch` and `papertrends ingest FILE` run as real processes without --store: the
checkout's `git status` stays clean (and data/'s bytes are unchanged), the user store is made on
first write as a copy of the bundled snapshot, every message names it, and reads follow it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys

import pytest

from tests.support.paths import BUNDLED, PAGE_DUMP, REFERENCE_DATE, REPO


def digest(folder) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def git_status() -> str | None:
    if not shutil.which("git"):
        return None
    run = subprocess.run(["git", "status", "--porcelain", "--", "data"], cwd=REPO,
                         capture_output=True, text=True)
    return run.stdout if run.returncode == 0 else None


def cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "analysis.cli", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture
def env(tmp_path, hf_api) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items()
           if k not in ("PAPERTRENDS_STORE", "HF_TOKEN", "PAPERTRENDS_ALLOW_UPDATES")}
    out.update(XDG_DATA_HOME=str(tmp_path / "xdg"), HF_ENDPOINT=hf_api.endpoint,
               NO_PROXY="127.0.0.1,localhost", COLUMNS="120")
    return out


def test_fetch_and_ingest_without_store_leave_the_checkout_clean(env, tmp_path):
    before, status = digest(BUNDLED), git_status()
    user = tmp_path / "xdg" / "papertrends" / "store"
    fetched = cli(["fetch", "--from", "2026-01-15", "--to", "2026-01-21", "--backoff", "0.02",
                   "--quiet", "--no-assign"], env)
    assert fetched.returncode == 0, fetched.stderr
    assert f"made your own store at {user}" in fetched.stderr
    assert fetched.stdout.strip().endswith(f"store: {user}")
    assert len(list((user / "raw" / "hf-daily").glob("*.json"))) == 7
    ingested = cli(["ingest", str(PAGE_DUMP), "--reference-date", REFERENCE_DATE], env)
    assert ingested.returncode == 0, ingested.stderr
    assert f"papers in {user}" in ingested.stdout
    assert "made your own store" not in ingested.stderr  # made once
    assert list((user / "raw" / "ingested").glob(f"*.{PAGE_DUMP.name}"))
    assert digest(BUNDLED) == before  # data/ byte for byte as shipped
    if status is not None:
        assert git_status() == status == ""
    info = cli(["info"], env)  # reads follow the user store now
    assert info.returncode == 0, info.stderr
    assert info.stdout.startswith(f"store       {user}\n")
    check = cli(["check"], env)
    assert check.returncode == 0, check.stdout + check.stderr


def test_explicit_store_data_is_still_possible_for_maintainers(env, tmp_path):
    """Rebuilding the snapshot (data/README.md) names it: then, and only then, data/ is written."""
    copy = tmp_path / "data"
    shutil.copytree(BUNDLED, copy, ignore=shutil.ignore_patterns("models"))
    run = cli(["ingest", str(PAGE_DUMP), "--reference-date", REFERENCE_DATE, "--store",
               str(copy)], env)
    assert run.returncode == 0, run.stderr
    assert f"papers in {copy}" in run.stdout
    assert not (tmp_path / "xdg").exists()
