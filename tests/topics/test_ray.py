"""Embedding on a real local Ray cluster: the same vectors as the local path, and resuming a kill.

Each test starts its own Ray (2 CPUs) with its files under a short private temp folder
(``RAY_TMPDIR``) and checks that no Ray process of that folder is left when it ends.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from analysis.store import Store
from analysis.topics import embedders as E
from analysis.topics import vectors as V
from analysis.topics.engine import Engine
from tests.support.paths import REPO

pytestmark = pytest.mark.slow
ray = pytest.importorskip("ray")


def ray_processes(folder: Path) -> list[str]:
    """Command lines of the processes that belong to the Ray whose files are in ``folder``."""
    out = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if str(folder) in line and "ps -eo" not in line]


def wait_until_gone(folder: Path, seconds: float = 30.0) -> list[str]:
    """Poll until no Ray process of ``folder`` is left (workers take a few seconds to go)."""
    deadline = time.monotonic() + seconds
    while (left := ray_processes(folder)) and time.monotonic() < deadline:
        time.sleep(0.5)
    return left


@pytest.fixture
def ray_tmp(monkeypatch):
    """A short private RAY_TMPDIR (Ray's socket paths must stay short), checked empty at the end."""
    folder = Path(tempfile.mkdtemp(prefix="rt", dir="/tmp"))
    monkeypatch.setenv("RAY_TMPDIR", str(folder))
    yield folder
    left = wait_until_gone(folder)
    shutil.rmtree(folder, ignore_errors=True)
    assert not left, f"Ray processes left behind: {left}"


def make_store(root: Path, fast_models: Path, papers) -> Store:
    store = Store(root)
    shutil.copytree(fast_models, store.models_dir)
    store.write_papers(papers)
    return store


def test_ray_gives_the_local_vectors(tmp_path, sample_store, fast_models, ray_tmp):
    papers = Store(sample_store).read_papers()
    local = make_store(tmp_path / "local", fast_models, papers)
    on_ray = make_store(tmp_path / "ray", fast_models, papers)
    E.embed_missing(local, papers, "fast")
    E.embed_missing(local, papers.head(48), "minilm")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        assert ray.cluster_resources()["CPU"] == 2
        n = E.embed_missing(on_ray, papers, "fast", engine=Engine("ray", batch_size=64))
        m = E.embed_missing(on_ray, papers.head(48), "minilm", engine=Engine("ray", batch_size=8))
    finally:
        ray.shutdown()
    assert n == V.read_cache(local, "fast").height
    assert m == 48
    # the static model is exact: the very same cache file
    assert on_ray.embeddings_path("fast").read_bytes() == local.embeddings_path("fast").read_bytes()
    # MiniLM: float16 vectors may differ in a last bit with the batch make-up
    a = V.paper_vectors(local, papers.head(48), "minilm")
    b = V.paper_vectors(on_ray, papers.head(48), "minilm")
    cosine = np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    assert cosine.min() >= 0.9999


DRIVER = textwrap.dedent("""
    import os, signal, sys
    import polars as pl
    from analysis.store import Store
    from analysis.topics import vectors as V
    from analysis.topics.embedders import embed_missing
    from analysis.topics.engine import Engine

    store = Store(sys.argv[1])
    kill_after = int(sys.argv[2])

    def progress(done, total, message):
        # a real kill -9 of the driver once enough checkpoints are on disk
        if kill_after and len(V.cache_parts(store, "fast")) >= kill_after:
            os.kill(os.getpid(), signal.SIGKILL)

    n = embed_missing(store, store.read_papers(), "fast", engine=Engine("ray", batch_size=100),
                      checkpoint=200, progress=progress)
    print("embedded", n)
""")


def run_driver(store: Store, kill_after: int) -> subprocess.CompletedProcess:
    """Run the driver in its own session; afterwards kill whatever is left of its group."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-c", DRIVER, str(store.root), str(kill_after)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=600)
    finally:
        # Ray's agents outlive a SIGKILLed driver in its process group: end them too
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                break
            time.sleep(0.5)
        else:
            os.killpg(proc.pid, signal.SIGKILL)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def test_a_killed_ray_run_resumes(tmp_path, sample_store, fast_models, ray_tmp):
    papers = Store(sample_store).read_papers()
    whole = make_store(tmp_path / "whole", fast_models, papers)
    total = E.embed_missing(whole, papers, "fast")
    store = make_store(tmp_path / "killed", fast_models, papers)

    first = run_driver(store, kill_after=2)
    assert first.returncode == -signal.SIGKILL, first.stderr[-2000:]
    kept = V.read_cache(store, "fast").height
    assert 400 <= kept < total  # two checkpoints of 200 survived the kill

    second = run_driver(store, kill_after=0)
    assert second.returncode == 0, second.stderr[-2000:]
    assert f"embedded {total - kept}" in second.stdout  # finished batches were not redone
    assert store.embeddings_path("fast").read_bytes() == whole.embeddings_path("fast").read_bytes()
    assert not V.cache_parts(store, "fast")
