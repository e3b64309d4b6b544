"""Benchmark: keyword trend and topic trend on 1,000,000 papers made from the real ones.

The synthetic table is bench/synthetic.py's: the bundled store's papers resampled, each copy
with its own id and lightly varied text, dates spread over ten years in the real order. Topics
come from the store's topic model when it has one; otherwise each paper gets a fixed
pseudo-topic (-1..39) from a hash of its id, which exercises the same code path.

Prints the time of each query on the 1M table and on the bundled table in the same run, and the
ratio. Target: <= 1 s per query on 2 cores.

    .venv/bin/python bench/bench_trends.py [--papers 1000000] [--repeat 5] [--store DIR]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis.filters import Filters  # noqa: E402
from analysis.store import Store  # noqa: E402
from analysis.trends import (  # noqa: E402
    keyword_trend,
    paper_frame,
    rising_phrases,
    topic_frequency,
)
from bench.synthetic import synthetic_papers  # noqa: E402

PHRASES = ["reinforcement learning", "diffusion"]


def base_table(store: Store) -> pl.DataFrame:
    """The store's paper frame, with hashed pseudo-topics when it has no topic model."""
    df = paper_frame(store).collect()
    if df["topic"].null_count() == df.height:
        df = df.with_columns(
            ((pl.col("paper_id").hash(42) % 41).cast(pl.Int32) - 1).alias("topic"),
        ).with_columns(
            pl.when(pl.col("topic") == -1).then(pl.lit("Outliers"))
            .otherwise(pl.format("Topic {}", "topic")).alias("topic_label")
        )
    return df


def timed(fn, repeat: int) -> tuple[float, float, object]:
    """Median wall time and median CPU time (all threads) of repeat runs, and the last result."""
    walls, cpus, result = [], [], None
    for _ in range(repeat):
        c0, t0 = time.process_time(), time.perf_counter()
        result = fn()
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return statistics.median(walls), statistics.median(cpus), result


def load() -> str:
    """The 1, 5 and 15 minute load averages, or ``"n/a"`` where /proc is missing."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def main(argv: list[str] | None = None) -> int:
    """Build the synthetic table, time each query on it and on the bundled table, and print."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--papers", type=int, default=1_000_000)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--store", type=Path, default=None)
    args = p.parse_args(argv)

    t0 = time.perf_counter()
    base = base_table(Store(args.store))
    big = synthetic_papers(base, args.papers).rechunk()
    build = time.perf_counter() - t0
    mb = big.estimated_size("mb")
    print(f"threads: {pl.thread_pool_size()}   base: {base.height:,} papers   "
          f"synthetic: {big.height:,} papers ({mb:,.0f} MB, built in {build:.1f} s)")
    filters = Filters(period="month")
    queries = {
        "keyword trend (2 phrases, both fields, month)":
            lambda lf: keyword_trend(lf, PHRASES, filters),
        "keyword trend (5 phrases, both fields, month)":
            lambda lf: keyword_trend(lf, PHRASES + ["agent", "benchmark", "mixture of experts"],
                                     filters),
        "topic trend (month)": lambda lf: topic_frequency(lf, filters),
        "keyword trend (2 phrases, title, week)":
            lambda lf: keyword_trend(lf, PHRASES, Filters(period="week"), field="title"),
    }
    print(f"load average before: {load()} (the machine is shared; CPU time is less affected)")
    print(f"{'query':46s} {'bundled':>9s} {'1M wall':>9s} {'1M cpu':>9s} {'ratio':>7s}  rows")
    worst = 0.0
    for name, q in queries.items():
        small_t, _, _ = timed(lambda q=q: q(base.lazy()), args.repeat)
        big_t, big_cpu, out = timed(lambda q=q: q(big.lazy()), args.repeat)
        worst = max(worst, big_t)
        print(f"{name:46s} {small_t * 1000:7.1f}ms {big_t * 1000:7.0f}ms {big_cpu * 1000:7.0f}ms "
              f"{big_t / small_t:6.0f}x  {out.height}")
    rise_t, rise_cpu, rising = timed(lambda: rising_phrases(base.lazy(), filters), args.repeat)
    print(f"{'rising phrases (bundled, 3 vs 12 months)':46s} {rise_t * 1000:7.1f}ms "
          f"{'':>9s} {'':>9s} {'':>7s}  {rising.height}  (cpu {rise_cpu * 1000:.0f}ms)")
    print(f"load average after: {load()}")
    print(f"slowest 1M query: {worst:.3f} s wall (target <= 1 s): "
          f"{'OK' if worst <= 1 else 'SLOW'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
