"""Benchmark and full-size quality report of the topic engine on the bundled corpus.

Run:  HF_HUB_OFFLINE=1 .venv/bin/python bench/bench_topics.py [--store data] [--skip-baseline]

Prints, all measured in this run:
  * stage timings of a full fit from cached MiniLM embeddings (target <= 30 s);
  * a fit from nothing with the fast embedder (target <= 60 s; distilling the static model once
    is timed separately);
  * assigning the newest 100 papers without a refit (target <= 5 s), with and without their
    embeddings cached, and whether every other paper kept its topic;
  * quality: topic count, largest topic, outliers, diversity, NPMI; identical twice; adjusted Rand
    index between seeds 1, 2, 3 and between the full corpus and a 90 % subsample;
  * the ratio against plain ``BERTopic().fit_transform(docs)`` with the same MiniLM on a
    1,000-paper sample.
The store given is only read: every fit runs on a copy in a temporary folder.
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

import subprocess

import numpy as np  # noqa: E402
import polars as pl  # noqa: E402

from analysis.store import (
    Store,  # noqa: E402
    atomic_write_parquet,
    text_hash,
)
from analysis.topics import artifacts as art  # noqa: E402
from analysis.topics import embedders as E  # noqa: E402
from analysis.topics import fit as topics  # noqa: E402
from analysis.topics import vectors as V  # noqa: E402


def copy_store(src: Store, dest: Path, *, embeddings: bool = True, papers=None) -> Store:
    """Copy src's models, papers and (optionally) embedding cache to a new store at dest.

    Args:
        src: The store to copy from; it is only read.
        dest: A folder that does not exist yet.
        embeddings: Whether to copy the embedding cache too.
        papers: Papers to write instead of src's own.

    Returns:
        The new store.
    """
    dest.mkdir(parents=True)
    store = Store(dest)
    if src.models_dir.is_dir():
        shutil.copytree(src.models_dir, store.models_dir)
    if embeddings and src.embeddings_dir.is_dir():
        shutil.copytree(src.embeddings_dir, store.embeddings_dir)
    store.write_papers(src.read_papers() if papers is None else papers)
    return store


def timed(label: str, fn):
    """Call fn, print label with its wall time, and return its result and the seconds taken."""
    t = time.perf_counter()
    out = fn()
    dt = time.perf_counter() - t
    print(f"{label}: {dt:.1f} s", flush=True)
    return out, dt


def ari(a: pl.DataFrame, b: pl.DataFrame) -> float:
    """Adjusted Rand index of two topic assignments, over the papers both contain."""
    from sklearn.metrics import adjusted_rand_score

    j = a.join(b, on="paper_id", suffix="_b")
    return float(adjusted_rand_score(j["topic"], j["topic_b"]))


def main() -> int:
    """Parse the command line, run every measurement and print the report."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", type=Path, default=Path(__file__).resolve().parents[1] / "data")
    ap.add_argument("--skip-baseline", action="store_true")
    args = ap.parse_args()
    src = Store(args.store)
    papers = src.read_papers()
    work = Path(tempfile.mkdtemp(prefix="bench-topics-"))
    print(f"corpus: {papers.height} papers in {src.root}; scratch {work}")
    try:
        if not E.fast_model_dir(src).is_dir():
            timed("distil the static model once (cached afterwards)", lambda: E.load_fast(src))

        cli = copy_store(src, work / "cli")
        timed("`papertrends fit` in a fresh process, cached MiniLM (imports, numba compile incl.)",
              lambda: subprocess.run([sys.executable, "-m", "analysis.cli", "fit", "--store",
                                      str(cli.root)], check=True, capture_output=True))
        timed("warm-up: imports and numba compilation (small fit)", lambda: topics.fit(
            copy_store(src, work / "warm", papers=papers.sample(600, seed=0)), embedder="fast"))

        # 1. full fit from cached MiniLM embeddings
        full = copy_store(src, work / "full")
        meta, t_full = timed("full fit, cached MiniLM embeddings", lambda: topics.fit(full))
        print("  stages: " + ", ".join(f"{k} {v:.1f}s" for k, v in meta["timings"].items()))
        q = meta["quality"]
        print(f"  quality: {q['n_topics']} topics, largest {q['largest_share']:.1%}, outliers "
              f"{q['outlier_share']:.1%}, diversity {q['diversity']}, NPMI {q['coherence_npmi']}")
        a1 = art.read_assignments(full)

        # 2. identical twice, and seeds 1, 2, 3
        again = copy_store(src, work / "again")
        topics.fit(again)
        print(f"same data+settings+seed twice -> identical assignments: "
              f"{art.read_assignments(again).equals(a1)}")
        seeds = {}
        for s in (1, 2, 3):
            st = copy_store(src, work / f"seed{s}")
            _, dt = timed(f"fit seed {s}", lambda st=st, s=s: topics.fit(st, seed=s))
            seeds[s] = art.read_assignments(st)
        print(f"ARI seeds 1-2 {ari(seeds[1], seeds[2]):.3f}, 1-3 {ari(seeds[1], seeds[3]):.3f}, "
              f"2-3 {ari(seeds[2], seeds[3]):.3f}")
        sub = copy_store(src, work / "sub90", papers=papers.sample(fraction=0.9, seed=5))
        topics.fit(sub)
        print(f"ARI full corpus vs 90% subsample (on shared papers): "
              f"{ari(a1, art.read_assignments(sub)):.3f}")

        # 3. fast embedder from nothing (static model already distilled)
        cold = copy_store(src, work / "cold", embeddings=False)
        m2, t_cold = timed("fit from nothing, fast embedder", lambda: topics.fit(cold,
                                                                                embedder="fast"))
        print("  stages: " + ", ".join(f"{k} {v:.1f}s" for k, v in m2["timings"].items()))

        # 4. assign the newest 100 without refit
        newest = papers.sort(["published", "paper_id"], descending=True,
                             nulls_last=True).head(100)
        rest = papers.join(newest.select("paper_id"), on="paper_id", how="anti")
        for cached in (True, False):
            st = copy_store(src, work / f"assign-{cached}", papers=rest)
            topics.fit(st)
            before = art.read_assignments(st)
            if not cached:  # drop the 100 papers' vectors so assign has to embed them
                keys = {V.doc_text(t, a) for t, a in newest.select("title", "abstract").iter_rows()}

                cache = V.read_cache(st, "minilm")
                atomic_write_parquet(st.embeddings_path("minilm"), cache.filter(
                    ~pl.col("key").is_in([text_hash(k) for k in keys])))
            st.write_papers(papers)
            how = "cached" if cached else "computed"
            counts, dt = timed(f"assign newest 100 (embeddings {how})",
                               lambda st=st: topics.assign_new(st))
            after = art.read_assignments(st)
            same = after.join(before, on="paper_id", suffix="_b")
            print(f"  assigned {counts['assigned']}; others unchanged: "
                  f"{(same['topic'] == same['topic_b']).all()} ({same.height} papers)")

        # 5. baseline: plain BERTopic with the same MiniLM on 1,000 papers
        if not args.skip_baseline:
            sample = papers.sample(1000, seed=11)
            docs = V.doc_texts(sample)
            ours_cold = copy_store(src, work / "ours1000", embeddings=False, papers=sample)
            _, t_ours = timed("ours, 1,000 papers from nothing (MiniLM)",
                              lambda: topics.fit(ours_cold))
            _, t_ours_c = timed("ours, 1,000 papers, cached MiniLM", lambda: topics.fit(
                copy_store(src, work / "ours1000c", papers=sample)))

            def baseline():
                from bertopic import BERTopic

                return BERTopic(embedding_model=E.load_minilm()).fit_transform(docs)

            (labels, _), t_base = timed("plain BERTopic().fit_transform, 1,000 papers (MiniLM)",
                                        baseline)
            labels = np.asarray(labels)
            sizes = np.bincount(labels[labels >= 0]) if (labels >= 0).any() else np.array([0])
            print(f"  baseline: {len(sizes)} topics, outliers {(labels < 0).mean():.1%}, largest "
                  f"{sizes.max() / len(labels):.1%}")
            print(f"ratio ours/baseline: from nothing {t_ours / t_base:.2f}, cached "
                  f"{t_ours_c / t_base:.3f}")
        print(f"summary: full cached {t_full:.1f}s (target 30), fast cold {t_cold:.1f}s "
              f"(target 60)")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
