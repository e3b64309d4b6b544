"""Fetch client throughput against a loopback stand-in of the Daily Papers API.

Starts the test server (tests/support/hf_server.py, recorded real days) on 127.0.0.1 and times
GETs of one recorded day (23 papers, ~0.2 MB): the papertrends client
(``analysis.fetch.client.HttpClient``) against a baseline measured in the same run (plain
``urllib.request.urlopen`` with no retries and no checks). Also times a whole ``fetch()`` of the
seven recorded days into a fresh store. The server stops when the script ends.

    .venv/bin/python bench/bench_fetch.py [--requests 300] [--threads 1,3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.pop("HF_HUB_OFFLINE", None)  # the client below speaks through huggingface_hub
os.environ.pop("TRANSFORMERS_OFFLINE", None)

from analysis.fetch import fetch  # noqa: E402
from analysis.fetch.client import HttpClient, RetryPolicy  # noqa: E402
from analysis.store import Store  # noqa: E402
from tests.support.hf_server import FIRST, LAST, HFServer  # noqa: E402

DAY = "2026-01-16"


def timed(get, url: str, n: int, threads: int) -> float:
    """Requests per second for ``n`` GETs of ``url`` spread over ``threads`` threads."""
    per = n // threads

    def work() -> None:
        for _ in range(per):
            get(url)

    pool = [threading.Thread(target=work) for _ in range(threads)]
    t0 = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return per * threads / (time.perf_counter() - t0)


def plain(url: str) -> bytes:
    """The baseline: one urlopen, the body read, nothing checked."""
    with urllib.request.urlopen(url, timeout=30) as resp:
        return resp.read()


def main() -> None:
    """Print requests/s of both clients, their ratio, and one whole fetch's time."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--requests", type=int, default=300)
    ap.add_argument("--threads", default="1,3")
    args = ap.parse_args()
    client = HttpClient(policy=RetryPolicy(timeout=30, retries=0))
    with HFServer() as server:
        url = f"{server.endpoint}/api/daily_papers?date={DAY}&limit=50"
        plain(url), client.get_json(url)  # warm up both
        print(f"GET {DAY} ({len(plain(url)):,} bytes), {args.requests} requests per run")
        for threads in (int(t) for t in args.threads.split(",")):
            base = [timed(plain, url, args.requests, threads) for _ in range(3)]
            ours = [timed(client.get_json, url, args.requests, threads) for _ in range(3)]
            b, o = statistics.median(base), statistics.median(ours)
            print(f"  {threads} thread(s): urlopen baseline {b:7.0f} req/s   papertrends client "
                  f"{o:7.0f} req/s   ratio {o / b:4.2f}")
        times = []
        for _ in range(5):
            with tempfile.TemporaryDirectory() as tmp:
                t0 = time.perf_counter()
                summary = fetch(Store(tmp), FIRST, LAST, endpoint=server.endpoint, assign=False)
                times.append(time.perf_counter() - t0)
                assert summary.papers_new == 71, summary.lines()
        print(f"fetch() of 7 days (71 papers) into a new store: median "
              f"{statistics.median(times):.3f} s of 5 runs (min {min(times):.3f} s)")


if __name__ == "__main__":
    main()
