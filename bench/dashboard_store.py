"""A large store for the dashboard at scale: synthetic papers with the bundled fit's topics.

``make_store(root, n)`` writes ``n`` papers from :func:`bench.synthetic.synthetic_papers` (real
papers resampled, text lightly varied, dates over ten years) and the bundled topic model, and
gives each synthetic paper the topic, probability and map place of the real paper it was copied
from (its title before the appended words), with the place jittered a little (seeded) so copies
of one paper do not sit on one point. No embedding is computed: the store has no embedding
cache, so these assignments count as current (``analysis.topics.artifacts.current_assignments``).
Real assignments of a large store need its vectors (``bench/bench_scale.py`` fits them with the
fast embedder); for the dashboard's speed and memory the topics only have to be plausible.

    .venv/bin/python bench/dashboard_store.py DIR [--papers 1000000]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script: make ``bench`` importable
    sys.path.insert(0, str(REPO))

from analysis.store import Store  # noqa: E402
from analysis.topics import artifacts  # noqa: E402
from bench.synthetic import read_source, synthetic_papers  # noqa: E402

BUNDLED = REPO / "data"
#: Standard deviation of the jitter added to a copy's map place, in map units.
JITTER = 0.08
#: The words synthetic_papers appends to a title: `` (w1 w2 w3 <row>)``.
SUFFIX = r" \([a-z]+ [a-z]+ [a-z]+ \d+\)$"


def make_store(root: Path, n: int, *, seed: int = 0) -> Store:
    """Write a store of ``n`` synthetic papers with the bundled topics at ``root`` (new folder).

    Args:
        root: the store's folder (must not exist yet).
        n: how many papers.
        seed: the seed of the papers (see synthetic_papers) and of the map jitter.

    Returns:
        The store.
    """
    source = read_source(BUNDLED / "papers.parquet")
    papers = synthetic_papers(source, n, seed=seed)
    root.mkdir(parents=True)
    shutil.copytree(BUNDLED / "topics", root / "topics")
    shutil.copy2(BUNDLED / "listings.json", root / "listings.json")
    store = Store(root)
    bundled = artifacts.read_fit(Store(BUNDLED))
    by_title = (source.select("paper_id", "title")
                .join(bundled.assignments, on="paper_id", how="inner")
                .unique("title", keep="first", maintain_order=True).drop("paper_id"))
    placed = (papers.select("paper_id", pl.col("title").str.replace(SUFFIX, "").alias("title"))
              .join(by_title, on="title", how="inner").drop("title").sort("paper_id"))
    rng = np.random.default_rng(seed)
    noise = rng.normal(0.0, JITTER, (placed.height, 2)).astype(np.float32)
    placed = placed.with_columns(pl.col("x") + pl.Series(noise[:, 0]),
                                 pl.col("y") + pl.Series(noise[:, 1]),
                                 pl.lit("assigned").alias("status"))
    with store.lock():
        store.write_papers(papers)
        artifacts.write_assignments(store, artifacts.read_fit(store), placed)
    return store


def main() -> None:
    """Parse the command line and write the store."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--papers", type=int, default=1_000_000)
    args = parser.parse_args()
    t0 = time.perf_counter()
    store = make_store(args.root, args.papers)
    placed = artifacts.read_assignments(store).height
    print(f"{store.root}: {args.papers:,} papers, {placed:,} with a topic "
          f"({time.perf_counter() - t0:.1f} s)")


if __name__ == "__main__":
    main()
