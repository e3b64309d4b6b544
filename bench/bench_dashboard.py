"""Time from a filter change to the finished rerun, on the bundled store (Streamlit AppTest).

For each page, 20 filter changes are made through the sidebar widgets (date range, period, basis,
minimum upvotes; every state new, so no view comes from the cache) and each rerun is timed.
The baseline, in the same run, is a rerun with no change (all views cached). Prints p50 and p95
per page and overall, and the ratio of the p95 to the no-change rerun; the targets are p95 <= 300
ms and p95 within 1.5x of the no-change rerun.

    .venv/bin/python bench/bench_dashboard.py [--changes 20] [--pages overview,topics,...]
    .venv/bin/python bench/bench_dashboard.py --browser   # also: start to first chart, Chromium

With ``--browser`` it also starts `papertrends serve` and times, in headless Chromium, the first
page load of a fresh server (process start included) and later loads (warm caches) until the
first chart is drawn; the target is a first chart within 5 s on a warm start.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
APP = str(REPO / "dashboard" / "streamlit_app.py")
PAGES = ("overview", "topics", "keywords", "upvotes", "papers")
#: (filter-change, no-change) CPU seconds of the process per rerun, per page benched.
CPU: list[tuple[list[float], list[float]]] = []


def changes(n: int):
    """N distinct filter changes: (widget kind, key, value)."""
    out = []
    for i in range(n):
        kind = i % 4
        if kind == 0:
            start = dt.date(2024, 6, 1) + dt.timedelta(days=17 * i)
            out.append(("date_input", "w_dates", (start, start + dt.timedelta(days=300))))
        elif kind == 1:
            out.append(("button_group", "w_period", ("week", "quarter", "month", "year")[i % 4]))
        elif kind == 2:
            out.append(("number_input", "w_min_upvotes", (i * 3) % 40))
        else:
            out.append(("button_group", "w_basis", ("listed", "published")[(i // 4) % 2]))
    return out


def pct(values: list[float], q: float) -> float:
    """The q-quantile of values, interpolating linearly between the two nearest ranks."""
    values = sorted(values)
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def bench_page(page: str, n: int) -> tuple[list[float], list[float]]:
    """Time the reruns of one page in AppTest.

    Args:
        page: The page name, e.g. ``"topics"``.
        n: How many filter changes to make.

    Returns:
        The seconds of each rerun after a filter change, and of five reruns with no change.
    """
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=120).run()
    if page != "overview":
        at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, [e.message for e in at.exception]
    at.run()  # warm: caches filled for the default filters
    idle, idle_cpu = [], []
    for _ in range(5):
        t, c = time.perf_counter(), time.process_time()
        at.run()
        idle.append(time.perf_counter() - t)
        idle_cpu.append(time.process_time() - c)
    timed, timed_cpu = [], []
    for kind, key, value in changes(n):
        widget = getattr(at, kind)(key=key)
        widget.set_value(value)
        t, c = time.perf_counter(), time.process_time()
        at.run()
        timed.append(time.perf_counter() - t)
        timed_cpu.append(time.process_time() - c)
        assert not at.exception, [e.message for e in at.exception]
    CPU.append((timed_cpu, idle_cpu))
    return timed, idle


def first_chart_times(loads: int = 4) -> list[float]:
    """Seconds from starting the server (first) or opening the page (later) to the first chart."""
    from playwright.sync_api import sync_playwright

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = dict(os.environ, PAPERTRENDS_NO_FIT="1")
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "analysis.cli", "serve", "--port", str(port),
                             "--address", "127.0.0.1"], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    out = []
    try:
        while True:
            try:
                urllib.request.urlopen(url + "_stcore/health", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"])
            for i in range(loads):
                page = browser.new_page()
                if i:
                    t0 = time.perf_counter()
                page.goto(url)
                page.locator("[data-testid='stVegaLiteChart'] svg").first.wait_for(timeout=60_000)
                out.append(time.perf_counter() - t0)
                page.close()
            browser.close()
    finally:
        proc.terminate()
        proc.wait(10)
    return out


def main() -> None:
    """Parse the command line, run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--pages", default=",".join(PAGES))
    parser.add_argument("--browser", action="store_true",
                        help="also time server start / page load to the first chart in Chromium")
    args = parser.parse_args()
    os.environ.setdefault("PAPERTRENDS_STORE", str(REPO / "data"))
    os.environ.setdefault("PAPERTRENDS_NO_FIT", "1")
    everything: list[float] = []
    print(f"store: {os.environ['PAPERTRENDS_STORE']}; {args.changes} filter changes per page")
    print(f"{'page':<10} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'no-change p50':>14} "
          f"{'p50/nc':>7} {'p95/nc':>7}")
    idle_all: list[float] = []
    for page in args.pages.split(","):
        timed, idle = bench_page(page, args.changes)
        everything += timed
        idle_all += idle
        p50, p95, base = pct(timed, 0.5), pct(timed, 0.95), statistics.median(idle)
        print(f"{page:<10} {p50 * 1000:8.0f} {p95 * 1000:8.0f} {max(timed) * 1000:8.0f} "
              f"{base * 1000:14.0f} {p50 / base:7.1f} {p95 / base:7.1f}")
    p95, base = pct(everything, 0.95), statistics.median(idle_all)
    print(f"{'all':<10} {pct(everything, 0.5) * 1000:8.0f} {p95 * 1000:8.0f} "
          f"{max(everything) * 1000:8.0f} {base * 1000:14.0f} "
          f"{pct(everything, 0.5) / base:7.1f} {p95 / base:7.1f}")
    cpu = [x for timed, _ in CPU for x in timed]
    cpu_base = statistics.median([x for _, idle in CPU for x in idle])
    print(f"{'all, CPU':<10} {pct(cpu, 0.5) * 1000:8.0f} {pct(cpu, 0.95) * 1000:8.0f} "
          f"{max(cpu) * 1000:8.0f} {cpu_base * 1000:14.0f} {pct(cpu, 0.5) / cpu_base:7.1f} "
          f"{pct(cpu, 0.95) / cpu_base:7.1f}   (process CPU: what a busy machine changes least)")
    print(f"target p95 <= 300 ms: {'met' if p95 <= 0.3 else 'NOT met'}")
    print(f"target p95 <= 1.5x the no-change rerun ({p95 / base:.2f}x): "
          f"{'met' if p95 <= 1.5 * base else 'NOT met'}")
    if args.browser:
        times = first_chart_times()
        warm = statistics.median(times[1:])
        print(f"first chart, fresh server (process start included): {times[0]:.2f} s")
        print(f"first chart, warm server (median of {len(times) - 1} loads): {warm:.2f} s "
              f"(ratio fresh/warm {times[0] / warm:.1f}); target <= 5 s: "
              f"{'met' if times[0] <= 5 else 'NOT met'}")


if __name__ == "__main__":
    main()
