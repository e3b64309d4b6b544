"""How far a sample fit can agree with a full fit: HDBSCAN sizes x sample sizes, one run.

Run:  HF_HUB_OFFLINE=1 nice .venv/bin/python bench/bench_sample_sizes.py [--store data]
          [--backend minilm] [--samples 3000,6000] [--sizes 1,1.5,2,3] [--factors 0.7,1,1.5,2]

The clustering space of ``fit`` (PCA, then seeded UMAP on the exact neighbour graph) is made
once per seed for the store's papers (seeds 42 and 43) and once for each time-stratified sample
(seed 42), from the store's cached embeddings. Then, for each multiple of the default HDBSCAN
sizes (``--sizes``; 1 = fit's own 20 / 30 at this size), it prints:

* the full fit's topics and outlier share, and the ARI of seed 42's labels to seed 43's (how far
  a full fit agrees with itself: the most a sample fit can be asked to agree);
* for each sample and each factor on the sample's proportional sizes (``--factors``; 1 = what
  ``fit --sample`` uses: the corpus's sizes times the sample's share), the sample fit's topics
  and its ARI to the full fit, every other paper placed by the rule ``fit --sample`` uses
  (:func:`analysis.topics.sample.extend`; outliers first placed as in ``fit``);
* the alternative of clustering every paper in the sample's UMAP space: the other papers put
  at the similarity-weighted mean position of their 10 nearest sample papers (the rule of the
  2-D map, :func:`analysis.topics.match.place_new`, in the 5-D space), then HDBSCAN with the
  full fit's sizes on all of them ("pooled").

Labels are HDBSCAN's (leaf selection, as ``fit``) with outliers placed by the nearest-centroid
rule; ARI counts the remaining outliers as one label. It needs no BERTopic: only the clustering
is compared, which is what decides the ARI of bench/bench_sample_fit.py.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from sklearn.metrics import adjusted_rand_score  # noqa: E402

from analysis.store import Store  # noqa: E402
from analysis.topics.clusterers import HdbscanTopics  # noqa: E402
from analysis.topics.match import place_new, place_outliers  # noqa: E402
from analysis.topics.pipeline import PcaUmap, Settings, centroids  # noqa: E402
from analysis.topics.sample import extend, stratified_rows  # noqa: E402
from analysis.topics.vectors import paper_vectors  # noqa: E402

SEEDS = (42, 43)


def space(emb: np.ndarray, backend: str, seed: int) -> np.ndarray:
    """The clustering space ``fit`` makes of these embeddings (PCA + seeded UMAP)."""
    reducer = PcaUmap(Settings(embedder=backend, seed=seed)).fit(emb)
    assert reducer.embedding_ is not None
    return reducer.embedding_


def labels(points: np.ndarray, emb: np.ndarray, mcs: int, ms: int,
           threshold: float) -> np.ndarray:
    """HDBSCAN's labels with its outliers placed as ``fit`` places them."""
    raw = HdbscanTopics(mcs, ms).fit(points).labels_
    assert raw is not None
    return place_outliers(emb, raw, threshold)[0]


def topics(lab: np.ndarray) -> int:
    """Topics in a labelling (the outlier label not counted)."""
    return int(np.unique(lab[lab >= 0]).size)


def main() -> int:
    """Make the spaces, cluster them at each size, print the agreement table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", default="data")
    ap.add_argument("--backend", default="minilm", help="whose cached embeddings (minilm, fast)")
    ap.add_argument("--samples", default="3000,6000")
    ap.add_argument("--sizes", default="1,1.5,2,3")
    ap.add_argument("--factors", default="0.7,1,1.5,2")
    args = ap.parse_args()
    store = Store(args.store)
    papers = store.read_papers()
    n = papers.height
    emb = paper_vectors(store, papers, args.backend)
    base = Settings(embedder=args.backend).resolve(n)
    threshold = base.reassign_threshold
    t = time.perf_counter()
    full = {seed: space(emb, args.backend, seed) for seed in SEEDS}
    samples = {}
    for m in (int(s) for s in args.samples.split(",")):
        rows = stratified_rows(papers, m, SEEDS[0])
        samples[m] = (rows, space(emb[rows], args.backend, SEEDS[0]))
    print(f"{args.store}: {n:,} papers, {args.backend} embeddings; default sizes "
          f"{base.min_cluster_size} / {base.min_samples}; UMAP spaces made in "
          f"{time.perf_counter() - t:.0f} s", flush=True)
    for size in (float(s) for s in args.sizes.split(",")):
        mcs, ms = round(base.min_cluster_size * size), round(base.min_samples * size)
        ref, other = (labels(full[s], emb, mcs, ms, threshold) for s in SEEDS)
        print(f"sizes x{size:g} ({mcs} / {ms}): full fit {topics(ref)} topics, outliers "
              f"{np.mean(ref < 0):.1%}; seed {SEEDS[1]} vs {SEEDS[0]} ARI "
              f"{adjusted_rand_score(ref, other):.3f}", flush=True)
        for m, (rows, points) in samples.items():
            cells = []
            for factor in (float(f) for f in args.factors.split(",")):
                smcs = max(5, round(mcs * m / n * factor))
                sms = max(5, round(ms * m / n * factor))
                part = labels(points, emb[rows], smcs, sms, threshold)
                inner = sorted(int(i) for i in np.unique(part) if i >= 0)
                cents = centroids(emb[rows], part, inner)
                whole = extend(rows, emb, {"topic": part,
                                           "xy": np.zeros((m, 2), dtype=np.float32)},
                               inner, cents, threshold)["topic"]
                cells.append(f"x{factor:g}: {topics(part)} topics, ARI "
                             f"{adjusted_rand_score(ref, whole):.3f}")
            pooled = np.empty((n, points.shape[1]), dtype=np.float32)
            rest = np.setdiff1d(np.arange(n), rows)
            pooled[rows], pooled[rest] = points, place_new(emb[rest], emb[rows], points)
            pooled_labels = labels(pooled, emb, mcs, ms, threshold)
            cells.append(f"pooled: {topics(pooled_labels)} topics, ARI "
                         f"{adjusted_rand_score(ref, pooled_labels):.3f}")
            print(f"  sample {m:,}: " + "; ".join(cells), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
