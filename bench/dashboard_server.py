"""The dashboard's real server in headless Chromium: first chart, cold start, memory per session.

Used by ``bench_dashboard.py`` (``--browser``, ``--store BIG --rss``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import polars as pl  # noqa: E402

from tests.support.browser import ARGS, CHROMIUM  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def first_chart_times(loads: int = 4) -> list[float]:
    """Seconds from starting the server (first) or opening the page (later) to the first chart."""
    from playwright.sync_api import sync_playwright

    out = []
    t0 = time.perf_counter()
    with serving() as (url, _proc), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for i in range(loads):
            page = browser.new_page()
            if i:
                t0 = time.perf_counter()
            page.goto(url)
            page.locator("[data-testid='stVegaLiteChart'] svg").first.wait_for(timeout=60_000)
            out.append(time.perf_counter() - t0)
            page.close()
        browser.close()
    return out


def rss_kib(pid: int) -> int:
    """Resident memory of a process, in KiB (VmRSS from /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def store_span(store: str) -> tuple[dt.date, dt.date]:
    """The first and last listing days in ``store``'s papers (the dashboard's default basis)."""
    got = (pl.scan_parquet(Path(store) / "papers.parquet")
           .select(pl.col("listed").min().alias("a"), pl.col("listed").max().alias("b"))
           .collect())
    return got["a"][0], got["b"][0]


def session_url(base: str, i: int, span: tuple[dt.date, dt.date]) -> str:
    """Session ``i``'s own filter state (every session a different one), inside the store's span.

    A window of up to 700 days (half the span on a short store), started 97 days later for each
    session and wrapped round inside the span, so every session's pages have papers to draw.
    """
    days = (span[1] - span[0]).days
    window = min(700, days // 2)
    start = span[0] + dt.timedelta(days=(97 * i) % (days - window + 1))
    return (f"{base}?from={start}&to={start + dt.timedelta(days=window)}"
            f"&min_upvotes={i % 5}&period={('month', 'quarter')[i % 2]}")


def open_session(browser, base: str, i: int, span: tuple[dt.date, dt.date]):
    """A new Chromium page on session ``i``'s Overview, then its Topics page, fully drawn."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    for path in ("", "topics"):
        url = session_url(base + path, i, span)
        page.goto(url)
        wait_drawn(page)
    return page


def wait_drawn(page, timeout: float = 300) -> None:
    """Wait until the page shows a chart and the app has finished its run."""
    page.locator("[data-testid='stVegaLiteChart']").first.wait_for(timeout=timeout * 1000)
    deadline = time.monotonic() + timeout
    while page.locator("[data-testid='stStatusWidget']").count():  # "Running..."
        if time.monotonic() > deadline:
            raise TimeoutError("the app did not finish its run")
        time.sleep(0.2)


def settled_rss(pid: int, quiet: float = 8.0, limit: float = 90.0) -> int:
    """The server's RSS (KiB) once it has stayed within 2% for ``quiet`` seconds.

    Freed memory goes back to the system some seconds after a load (the allocators' decay), so
    a reading right after the first page would count the load's temporary peak as the session's.
    """
    reads: list[tuple[float, int]] = []
    deadline = time.monotonic() + limit
    while True:
        now = time.monotonic()
        reads.append((now, rss_kib(pid)))
        window = [r for t, r in reads if t >= now - quiet]
        if (now - reads[0][0] >= quiet and max(window) <= 1.02 * min(window)) or now > deadline:
            return window[-1]
        time.sleep(0.5)


def server_figures(store: str, sessions: tuple[int, ...] = (1, 5)) -> dict:
    """Cold start and server RSS with each count of ``sessions`` browser sessions open.

    Returns:
        ``cold_start_s`` and ``rss_<n>_mib`` for each count ``n`` (real server, real Chromium).
    """
    from playwright.sync_api import sync_playwright

    out: dict = {}
    span = store_span(store)
    t0 = time.perf_counter()
    with serving(store) as (base, proc), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            first = browser.new_page(viewport={"width": 1400, "height": 1000})
            first.goto(base)
            first.locator("[data-testid='stVegaLiteChart']").first.wait_for(timeout=600_000)
            out["cold_start_s"] = time.perf_counter() - t0
            first.close()
            pages: list = []
            for n in sorted(sessions):
                pages += [open_session(browser, base, i, span) for i in range(len(pages), n)]
                out[f"rss_{n}_mib"] = settled_rss(proc.pid) / 1024
        finally:
            browser.close()
    return out


@contextlib.contextmanager
def serving(store: str | None = None) -> Iterator[tuple[str, subprocess.Popen]]:
    """``papertrends serve`` on a free local port (on ``store``, else the default store).

    Yields its base URL once its health check answers, and the process; stopped on the way out.
    """
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = dict(os.environ, PAPERTRENDS_NO_FIT="1", HF_HUB_OFFLINE="1")
    cmd = [sys.executable, "-m", "analysis.cli", "serve", "--port", str(port),
           "--address", "127.0.0.1", *(["--store", store] if store else [])]
    # A SIGTERM (`timeout`, a CI runner) would end this process without running the ``finally``
    # that stops the server: while it runs, the signal raises SystemExit instead.
    on_main = threading.current_thread() is threading.main_thread()
    before = signal.signal(signal.SIGTERM, _exit_on_signal) if on_main else None
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/"
    try:
        while True:
            try:
                urllib.request.urlopen(base + "_stcore/health", timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None:
                    raise SystemExit("the server did not come up") from None
                time.sleep(0.1)
        yield base, proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        if on_main:
            signal.signal(signal.SIGTERM, before)


def _exit_on_signal(signum: int, _frame) -> None:
    raise SystemExit(128 + signum)
