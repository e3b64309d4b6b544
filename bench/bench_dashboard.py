"""Time from a filter change to the finished rerun (Streamlit AppTest); at scale, also memory.

For each page, 20 filter changes are made through the sidebar widgets (date range, period, basis,
minimum upvotes; every state new, so no view comes from the cache) and each rerun is timed.
The baseline, in the same run, is a rerun with no change (all views cached), made before each
change and after the last. Prints p50 and p95 per page and overall, the ratio of the p95 to the
median no-change rerun, and the p95 of the paired ratios (each change over the mean of the
no-change reruns right before and after it, see :func:`paired`), and beside it the same ratio
of the no-change reruns themselves (:func:`jitter`, the machine's noise floor); the targets are
p95 <= 300 ms and, on every page, the paired p95 within 1.5x.

    .venv/bin/python bench/bench_dashboard.py [--changes 20] [--pages overview,topics,...]
    .venv/bin/python bench/bench_dashboard.py --browser   # also: start to first chart, Chromium
    .venv/bin/python bench/bench_dashboard.py --store BIG [--rss]   # a large store beside it

With ``--browser`` it also starts `papertrends serve` and times, in headless Chromium, the first
page load of a fresh server (process start included) and later loads (warm caches) until the
first chart is drawn; the target is a first chart within 5 s on a warm start.

With ``--store BIG`` (e.g. a million papers from ``bench/dashboard_store.py``) the same filter
changes run on the bundled store and then on BIG, in one process, and it prints both p95s and
their ratio (target: BIG's p95 <= 3x the bundled one's). ``--rss`` then also starts a real
`papertrends serve --store BIG` (a `streamlit run` server), opens one headless Chromium
session, then four more (``--sessions 1,5`` says which counts; ``--compare SMALL`` replaces the
bundled store) (each its own filter state, Overview then Topics), and prints the
server's resident memory with 1 and with 5 sessions open (target: 5 sessions <= 1.5x one) and
the cold start: process start to the first chart drawn. :func:`measure` gives the same figures
as a dict (``bench/bench_scale.py`` calls it).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import streamlit as st  # noqa: E402
import streamlit.logger as st_logger  # noqa: E402

from analysis.trends import memo  # noqa: E402
from bench.dashboard_server import first_chart_times, server_figures  # noqa: E402
from dashboard.components import vega  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
APP = str(REPO / "dashboard" / "streamlit_app.py")
PAGES = ("overview", "topics", "keywords", "upvotes", "papers")
#: (filter-change, no-change) CPU seconds of the process per rerun, per page benched.
CPU: list[tuple[list[float], list[float]]] = []
#: Page -> the p95 of its paired ratios (:func:`paired`), for the last store benched.
RATIOS: dict[str, float] = {}


def changes(n: int):
    """N filter changes, each to a state not seen before: (widget kind, key, value).

    Every change changes its widget's value (a "change" to the value a widget already has
    would be a no-change rerun, the baseline).
    """
    out = []
    for i in range(n):
        kind = i % 4
        if kind == 0:
            start = dt.date(2024, 6, 1) + dt.timedelta(days=17 * i)
            out.append(("date_input", "w_dates", (start, start + dt.timedelta(days=300))))
        elif kind == 1:
            # i is 1, 5, 9, ...: each period change picks another period than the one before
            out.append(("button_group", "w_period",
                        ("week", "quarter", "month", "year")[(i // 4) % 4]))
        elif kind == 2:
            out.append(("number_input", "w_min_upvotes", (i * 3) % 40))
        else:
            out.append(("button_group", "w_basis", ("published", "listed")[(i // 4) % 2]))
    return out


def pct(values: list[float], q: float) -> float:
    """The q-quantile of values, interpolating linearly between the two nearest ranks."""
    values = sorted(values)
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def bench_page(page: str, n: int) -> tuple[list[float], list[float]]:
    """Time the reruns of one page in AppTest (on the store of ``$PAPERTRENDS_STORE``).

    Args:
        page: The page name, e.g. ``"topics"``.
        n: How many filter changes to make.

    Returns:
        The seconds of each rerun after a filter change, and of the reruns with no change made
        before each of them and after the last (``n + 1``).
    """
    from streamlit.testing.v1 import AppTest

    fresh_caches()
    at = AppTest.from_file(APP, default_timeout=120).run()
    if page != "overview":
        at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, [e.message for e in at.exception]
    at.run()  # warm: caches filled for the default filters
    idle, idle_cpu = [], []
    timed, timed_cpu = [], []

    def rerun(wall: list[float], cpu: list[float]) -> None:
        t, c = time.perf_counter(), time.process_time()
        at.run()
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
        assert not at.exception, [e.message for e in at.exception]

    for kind, key, value in changes(n):
        rerun(idle, idle_cpu)
        getattr(at, kind)(key=key).set_value(value)
        rerun(timed, timed_cpu)
    rerun(idle, idle_cpu)
    CPU.append((timed_cpu, idle_cpu))
    return timed, idle


def fresh_caches() -> None:
    """Forget every cached view, loaded store and per-state result, as in a new process.

    A later round's filter states are the same as the first's: without this they would all be
    cache hits.
    """
    # Outside a served app Streamlit warns "No runtime found" on every clear: not news here.
    st_logger.set_log_level("error")
    st.cache_data.clear()
    st.cache_resource.clear()
    memo.forget()
    vega._TEMPLATES.clear()  # the chart templates a process builds once per kind of chart


def paired(timed: list[float], idle: list[float]) -> list[float]:
    """Each change's rerun over the mean of the no-change reruns just before and after it.

    These machines switch between two speeds (a fixed loop takes 4 or 7 ms, in spells of a
    fraction of a second to seconds): a change timed in a slow spell against a median taken
    over fast ones reads as slow work. Reruns next to each other share their spell.
    """
    return [t / ((a + b) / 2) for t, a, b in zip(timed, idle, idle[1:], strict=False)]


def jitter(idle: list[float]) -> float:
    """The p95 of each no-change rerun over the mean of the two beside it: the noise floor.

    The same ratio as :func:`paired` with no work added; a page whose paired p95 is near this
    differs from a rerun with no change by no more than the machine's own spread.
    """
    ratios = neighbours(idle)
    return pct(ratios, 0.95) if ratios else float("nan")  # one change: no rerun has two sides


def neighbours(idle: list[float]) -> list[float]:
    """Each no-change rerun but the first and last over the mean of the two beside it."""
    return [b / ((a + c) / 2) for a, b, c in zip(idle, idle[1:], idle[2:], strict=False)]


def middle(rounds: list[list[float]]) -> list[float]:
    """Per position, the median over the rounds (e.g. each change's ratio in three rounds)."""
    return [statistics.median(r) for r in zip(*rounds, strict=True)]


def bench_store(store: str, n: int, pages: tuple[str, ...] = PAGES,
                show: bool = True, rounds: int = 1) -> tuple[list[float], list[float]]:
    """The filter-change and no-change rerun seconds of every page on one store (printed).

    With ``rounds`` > 1 each page's changes are made again from fresh caches (the same states);
    its paired ratios (and the jitter's) are then each change's median over the rounds, so one
    slow spell of the machine is outvoted. The times (p50, p95) are over every round's reruns.

    Returns:
        (every filter-change rerun, every no-change rerun), over all pages and rounds.
    """
    os.environ["PAPERTRENDS_STORE"] = store
    everything: list[float] = []
    idle_all: list[float] = []
    if show:
        print(f"store: {store}; {n} filter changes per page")
        print(f"{'page':<10} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'no-change p50':>14} "
              f"{'p50/nc':>7} {'p95/nc':>7} {'paired p95':>11} {'nc jitter':>10}")
    for page in pages:
        runs = [bench_page(page, n) for _ in range(rounds)]
        timed = [t for got, _ in runs for t in got]
        idle = [t for _, got in runs for t in got]
        everything += timed
        idle_all += idle
        p50, p95, base = pct(timed, 0.5), pct(timed, 0.95), statistics.median(idle)
        RATIOS[page] = pct(middle([paired(t, i) for t, i in runs]), 0.95)
        noise = pct(middle([neighbours(i) for _, i in runs]), 0.95) if n > 1 else float("nan")
        if show:
            print(f"{page:<10} {p50 * 1000:8.0f} {p95 * 1000:8.0f} {max(timed) * 1000:8.0f} "
                  f"{base * 1000:14.0f} {p50 / base:7.1f} {p95 / base:7.1f} "
                  f"{RATIOS[page]:11.2f} {noise:10.2f}"
                  + (" rounds: " + " ".join(f"{pct(paired(t, i), 0.95):.2f}" for t, i in runs)
                     if rounds > 1 else ""))
    p95, base = pct(everything, 0.95), statistics.median(idle_all)
    cpu = [x for timed, _ in CPU[-len(pages) * rounds:] for x in timed]
    cpu_base = statistics.median([x for _, idle in CPU[-len(pages) * rounds:] for x in idle])
    if show:
        print(f"{'all':<10} {pct(everything, 0.5) * 1000:8.0f} {p95 * 1000:8.0f} "
              f"{max(everything) * 1000:8.0f} {base * 1000:14.0f} "
              f"{pct(everything, 0.5) / base:7.1f} {p95 / base:7.1f}")
        print(f"{'all, CPU':<10} {pct(cpu, 0.5) * 1000:8.0f} {pct(cpu, 0.95) * 1000:8.0f} "
              f"{max(cpu) * 1000:8.0f} {cpu_base * 1000:14.0f} {pct(cpu, 0.5) / cpu_base:7.1f} "
              f"{pct(cpu, 0.95) / cpu_base:7.1f}   (process CPU: what a busy machine changes "
              "least)")
    return everything, idle_all


def measure(store: str, changes: int = 20, rss: bool = True, show: bool = True,
            compare: str | None = None, sessions: tuple[int, ...] = (1, 5)) -> dict:
    """Filter-change p95 on a small store and on ``store`` (one run), and its server figures.

    Args:
        store: the (large) store.
        changes: filter changes per page.
        rss: also start a real server on ``store`` for the cold start and the RSS figures.
        show: print the per-page tables.
        compare: the small store (default: the bundled ``data/``).
        sessions: the session counts the RSS is read at (the ratio is last / first).

    Returns:
        ``p95_bundled_ms`` (of ``compare``), ``p95_store_ms``, ``ratio`` (target <= 3), the
        same of process CPU (``cpu_*``); with ``rss`` also ``cold_start_s``, ``rss_<n>_mib``
        and ``rss_ratio`` (target <= 1.5).
    """
    os.environ.setdefault("PAPERTRENDS_NO_FIT", "1")
    small, _ = bench_store(compare or str(REPO / "data"), changes, show=show)
    small_cpu = [x for timed, _ in CPU[-len(PAGES):] for x in timed]
    big, _ = bench_store(store, changes, show=show)
    big_cpu = [x for timed, _ in CPU[-len(PAGES):] for x in timed]
    out = {"p95_bundled_ms": pct(small, 0.95) * 1000, "p95_store_ms": pct(big, 0.95) * 1000,
           "cpu_p95_bundled_ms": pct(small_cpu, 0.95) * 1000,
           "cpu_p95_store_ms": pct(big_cpu, 0.95) * 1000}
    out["ratio"] = out["p95_store_ms"] / out["p95_bundled_ms"]
    out["cpu_ratio"] = out["cpu_p95_store_ms"] / out["cpu_p95_bundled_ms"]
    if rss:
        out |= server_figures(store, sessions)
        out["sessions"] = tuple(sorted(sessions))
        first, last = out["sessions"][0], out["sessions"][-1]
        out["rss_ratio"] = out[f"rss_{last}_mib"] / out[f"rss_{first}_mib"]
    return out


def main() -> None:
    """Parse the command line, run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--pages", default=",".join(PAGES))
    parser.add_argument("--rounds", type=int, default=3,
                        help="make each page's changes this many times from fresh caches; a "
                             "change's ratio is its median over the rounds (default 3)")
    parser.add_argument("--browser", action="store_true",
                        help="also time server start / page load to the first chart in Chromium")
    parser.add_argument("--store", help="a (large) store to measure beside the bundled one")
    parser.add_argument("--compare", help="with --store: the small store (default: data/)")
    parser.add_argument("--rss", action="store_true",
                        help="with --store: server RSS with 1 and 5 Chromium sessions, cold start")
    parser.add_argument("--sessions", help="with --store: the session counts of the RSS "
                        "figures, e.g. 1,5 (implies --rss)")
    args = parser.parse_args()
    os.environ.setdefault("PAPERTRENDS_NO_FIT", "1")
    if args.store:
        counts = tuple(int(x) for x in (args.sessions or "1,5").split(","))
        rss = args.rss or bool(args.sessions)
        got = measure(args.store, args.changes, rss=rss, compare=args.compare, sessions=counts)
        small = args.compare or "bundled"
        print(f"filter-change p95: {small} {got['p95_bundled_ms']:.0f} ms, {args.store} "
              f"{got['p95_store_ms']:.0f} ms, ratio {got['ratio']:.2f} (target <= 3: "
              f"{'met' if got['ratio'] <= 3 else 'NOT met'}); process CPU p95: "
              f"{got['cpu_p95_bundled_ms']:.0f} ms and {got['cpu_p95_store_ms']:.0f} ms, ratio "
              f"{got['cpu_ratio']:.2f}")
        if rss:
            print(f"cold start (process start to first chart): {got['cold_start_s']:.1f} s")
            read = ", ".join(f"{n} session(s) {got[f'rss_{n}_mib']:.0f} MiB"
                             for n in got["sessions"])
            print(f"server RSS: {read}; ratio {got['rss_ratio']:.2f} (target <= 1.5: "
                  f"{'met' if got['rss_ratio'] <= 1.5 else 'NOT met'})")
        return
    os.environ.setdefault("PAPERTRENDS_STORE", str(REPO / "data"))
    everything, idle_all = bench_store(os.environ["PAPERTRENDS_STORE"], args.changes,
                                       tuple(args.pages.split(",")), rounds=args.rounds)
    p95, base = pct(everything, 0.95), statistics.median(idle_all)
    print(f"target p95 <= 300 ms: {'met' if p95 <= 0.3 else 'NOT met'}")
    worst = max(RATIOS, key=RATIOS.__getitem__)
    print(f"target paired p95 <= 1.5x (each change against the no-change reruns beside it): "
          f"worst page {worst} "
          f"({RATIOS[worst]:.2f}x): {'met' if RATIOS[worst] <= 1.5 else 'NOT met'}; all pages "
          f"pooled (every page's changes against the median no-change rerun of all pages): "
          f"{p95 / base:.2f}x")
    if args.browser:
        times = first_chart_times()
        warm = statistics.median(times[1:])
        print(f"first chart, fresh server (process start included): {times[0]:.2f} s")
        print(f"first chart, warm server (median of {len(times) - 1} loads): {warm:.2f} s "
              f"(ratio fresh/warm {times[0] / warm:.1f}); target <= 5 s: "
              f"{'met' if times[0] <= 5 else 'NOT met'}")


if __name__ == "__main__":
    main()
