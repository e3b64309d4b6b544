"""Topics at scale: a full fit against sample fits + assignment of the rest, on a 100k store.

Run:  HF_HUB_OFFLINE=1 nice .venv/bin/python bench/bench_sample_fit.py [--papers 100000]
          [--samples default,10000] [--reference-seed 43]

Builds a store of ``--papers`` papers with ``bench/synthetic.py`` (resampled from the 12,570 real
papers: about 8 text-varied copies of each at 100k, so agreement here may be kinder than on a real
corpus of that size) in a temporary folder, embeds it once with the ``fast`` backend (the static
model distilled from MiniLM), then in one run fits the topics on copies of that store:

* the full fit (``--sample all``: UMAP + HDBSCAN on every paper);
* for each sample size (``default`` is what ``fit`` does by itself at this size): UMAP + HDBSCAN
  on a time-stratified sample, every other paper placed by the nearest-centroid rule.

Prints each fit's time (embeddings cached, so it is the fit), stage timings, topics, outliers and
the ai_keywords lift over all papers, the adjusted Rand index of each sample fit against the full
fit (outliers one label, as bench_topics does), and the ratio lines of issue 15's "Done when"
item: ARI >= 0.7, lift within 10 % of the full fit's, >= 3x faster. ``--reference-seed S`` adds a
second full fit with seed S: its ARI to the first is how far a full fit agrees with itself.
``--store data`` fits the real bundled papers instead (with ``--samples 3000``, say): the synthetic
store's ~8 near-copies of each paper make its neighbour graphs unlike a real corpus's.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import polars as pl  # noqa: E402
from bench_topics import ari, copy_store  # noqa: E402
from synthetic import read_source, synthetic_papers  # noqa: E402

from analysis.store import Store  # noqa: E402
from analysis.topics import artifacts as art  # noqa: E402
from analysis.topics import embedders as E  # noqa: E402
from analysis.topics import fit as topics  # noqa: E402
from analysis.topics.sample import (  # noqa: E402
    DEFAULT_SAMPLE,
    SAMPLE_FROM,
    sample_size,
    stratified_rows,
)


def build(work: Path, n: int, real: Store | None = None) -> Store:
    """The synthetic store of n papers (or real's papers) with every fast embedding cached."""
    store = Store(work / "base")
    t = time.perf_counter()
    papers = real.read_papers() if real else synthetic_papers(read_source(), n)
    store.write_papers(papers)
    print(f"{'store ' + str(real.root) if real else 'synthetic store'}: {papers.height:,} "
          f"papers, {papers['listed'].min()} .. {papers['listed'].max()} "
          f"({time.perf_counter() - t:.1f} s)", flush=True)
    t = time.perf_counter()
    E.load_fast(store)
    print(f"distil the static model: {time.perf_counter() - t:.1f} s", flush=True)
    t = time.perf_counter()
    done = E.embed_missing(store, papers.select("paper_id", "title", "abstract"), "fast")
    dt = time.perf_counter() - t
    print(f"embed {done:,} texts with fast: {dt:.1f} s ({done / dt:,.0f} texts/s)", flush=True)
    return store


def one_fit(src: Store, work: Path, name: str, sample: int | None, seed: int = 42) -> dict:
    """Fit a copy of src; returns seconds, meta and the assignments."""
    st = copy_store(src, work / name)
    t = time.perf_counter()
    meta = topics.fit(st, embedder="fast", sample=sample, seed=seed)
    seconds = time.perf_counter() - t
    kw = meta["quality"]["keywords"]
    print(f"{name}: {seconds:.1f} s; {meta['n_topics']} topics, outliers "
          f"{kw['outlier_share']:.1%}, largest {kw['largest_share']:.1%}, ai_keywords "
          f"same-topic {kw['same_topic_share']:.3f}, lift {kw['lift']:.2f}x "
          f"(sample: {meta.get('sample', {}).get('n', 'none')})", flush=True)
    print("  stages: " + ", ".join(f"{k} {v:.1f}s" for k, v in meta["timings"].items()),
          flush=True)
    out = {"seconds": seconds, "meta": meta, "assignments": art.read_assignments(st)}
    shutil.rmtree(st.root)
    return out


def main() -> int:
    """Build the store, run the fits, print the figures and the Done-when lines."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--papers", type=int, default=100_000)
    ap.add_argument("--store", default=None, metavar="DIR",
                    help="fit copies of this store (its papers only) instead of a synthetic one, "
                    "e.g. --store data: the real 12.5k papers")
    ap.add_argument("--samples", default="default,10000",
                    help="comma-separated sample sizes; 'default' is fit's own choice")
    ap.add_argument("--reference-seed", type=int, default=None, metavar="SEED",
                    help="also a second full fit with this seed: how far a full fit agrees "
                    "with itself (the most a sample fit can be asked to agree)")
    args = ap.parse_args()
    sizes = [None if s == "default" else int(s) for s in args.samples.split(",")]
    work = Path(tempfile.mkdtemp(prefix="bench-sample-fit-"))
    print(f"default rule: every paper up to {SAMPLE_FROM:,}, else a sample of "
          f"{DEFAULT_SAMPLE:,}; scratch {work}", flush=True)
    try:
        src = build(work, args.papers, Store(args.store) if args.store else None)
        args.papers = src.read_papers().height
        full = one_fit(src, work, "full fit (--sample all)", 0)
        reference = None
        if args.reference_seed is not None:
            other = one_fit(src, work, f"full fit, seed {args.reference_seed}", 0,
                            seed=args.reference_seed)
            reference = ari(full["assignments"], other["assignments"])
            print(f"  ARI vs the full fit with seed 42: {reference:.3f}", flush=True)
        rows = []
        for size in sizes:
            name = f"sample fit ({'default, ' if size is None else ''}"
            name += f"{sample_size(size, args.papers) or 'all'}) + assign the rest"
            got = one_fit(src, work, name, size)
            score = ari(full["assignments"], got["assignments"])
            placed = got["assignments"].height
            print(f"  ARI vs full fit {score:.3f} over {placed:,} papers", flush=True)
            papers = src.read_papers()
            n = sample_size(size, papers.height)
            ids = papers["paper_id"].gather(stratified_rows(papers, n, 42)) if n else None
            clustered = got["assignments"].filter(pl.col("paper_id").is_in(ids.implode())
                                                  if ids is not None else pl.lit(True))
            rest = got["assignments"].join(clustered, on="paper_id", how="anti")
            print(f"    on the {clustered.height:,} clustered papers "
                  f"{ari(full['assignments'], clustered):.3f}; on the {rest.height:,} placed "
                  f"{ari(full['assignments'], rest):.3f}", flush=True)
            rows.append((name, got, score))
        f_lift = full["meta"]["quality"]["keywords"]["lift"]
        print(f"\nDone when (issue 15, item 6), {args.papers:,} papers:")
        if reference is not None:
            print(f"  (a full fit with seed {args.reference_seed} agrees with seed 42's at ARI "
                  f"{reference:.3f})")
        for name, got, score in rows:
            lift = got["meta"]["quality"]["keywords"]["lift"]
            speed = full["seconds"] / got["seconds"]
            print(f"  {name}: ARI {score:.3f} (>= 0.7: {score >= 0.7}); lift {lift:.2f}x vs "
                  f"full {f_lift:.2f}x = {lift / f_lift:.3f} (within 10 %: "
                  f"{abs(lift / f_lift - 1) <= 0.1}); {got['seconds']:.1f} s vs full "
                  f"{full['seconds']:.1f} s = {speed:.2f}x faster (>= 3x: {speed >= 3})")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
