"""Benchmark: MiniLM on PyTorch vs MiniLM on OpenVINO int8 (``minilm-openvino``), in one run.

Speed: a sample of the bundled papers is cut into chunks of 48 texts and every chunk is embedded
by both backends, in alternating order, before the next chunk, so that load from other jobs on a
shared machine falls on both alike. docs/s = texts / summed time per backend; best of --rounds.

Quality (``--quality``): every bundled paper embedded with OpenVINO against the shipped PyTorch
vectors (data/embeddings/minilm.parquet): cosine per paper, and how often both give the same
nearest topic centroid (data/topics/topic_vectors.npy). Bounds: cosine >= 0.99, agreement >= 98 %.

    .venv/bin/python bench/bench_embed.py [--sample 480] [--rounds 2] [--quality] [--models DIR]

``--models DIR`` reuses (or leaves) the exported model in DIR/models (else a temporary folder).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis.store import BUNDLED_STORE, Store  # noqa: E402
from analysis.topics import embedders as E  # noqa: E402
from analysis.topics import vectors as V  # noqa: E402

CHUNK = 48
BACKENDS = ("minilm", "minilm-openvino")


def speed(models: Store, texts: list[str], rounds: int) -> dict[str, float]:
    """Best docs/s of each backend over alternating chunks of the texts."""
    emb = {b: E.Embedder(b, models) for b in BACKENDS}
    for e in emb.values():
        e.encode(texts[:16])  # load and warm up
    best = dict.fromkeys(BACKENDS, 0.0)
    for r in range(rounds):
        spent = dict.fromkeys(BACKENDS, 0.0)
        for i, start in enumerate(range(0, len(texts), CHUNK)):
            chunk = texts[start:start + CHUNK]
            for b in (BACKENDS if i % 2 == 0 else BACKENDS[::-1]):
                t0 = time.perf_counter()
                emb[b].encode(chunk)
                spent[b] += time.perf_counter() - t0
        for b in BACKENDS:
            best[b] = max(best[b], len(texts) / spent[b])
        print(f"  round {r + 1}: " + ", ".join(f"{b} {len(texts) / spent[b]:.1f} docs/s"
                                               for b in BACKENDS), flush=True)
    return best


def quality(models: Store) -> dict[str, float]:
    """OpenVINO vs the shipped PyTorch vectors over every bundled paper."""
    bundled = Store(BUNDLED_STORE)
    papers = bundled.read_papers()
    t0 = time.perf_counter()
    new = E.Embedder("minilm-openvino", models).encode(V.doc_texts(papers))
    seconds = time.perf_counter() - t0
    shipped = V.paper_vectors(bundled, papers, "minilm")
    cosine = np.sum(new * shipped, axis=1)
    cents = np.load(BUNDLED_STORE / "topics" / "topic_vectors.npy")
    agree = float(np.mean((new @ cents.T).argmax(1) == (shipped @ cents.T).argmax(1)))
    return {"papers": papers.height, "cos_min": float(cosine.min()),
            "cos_mean": float(cosine.mean()), "below_0.99": int((cosine < 0.99).sum()),
            "agreement": agree, "docs_per_s": papers.height / seconds}


def main(argv: list[str] | None = None) -> int:
    """Export (or reuse) the model, then print speed and, with --quality, quality."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sample", type=int, default=480)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--quality", action="store_true")
    p.add_argument("--models", type=Path, default=None)
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        models = Store(args.models or tmp)
        t0 = time.perf_counter()
        E.model_dir(models, "minilm-openvino")
        print(f"model ready in {time.perf_counter() - t0:.0f} s (export once per store)")
        papers = Store(BUNDLED_STORE).read_papers()
        texts = V.doc_texts(papers.gather_every(max(1, papers.height // args.sample)))
        texts = texts[:args.sample]
        best = speed(models, texts, args.rounds)
        ratio = best["minilm-openvino"] / best["minilm"]
        print(f"{len(texts)} texts, chunks of {CHUNK}, best of {args.rounds} rounds:")
        print(f"  minilm (PyTorch)        {best['minilm']:7.1f} docs/s   1.00x")
        print(f"  minilm-openvino (int8)  {best['minilm-openvino']:7.1f} docs/s   {ratio:.2f}x"
              f"   (target >= 2.5x: {'OK' if ratio >= 2.5 else 'MISSED'})")
        if args.quality:
            q = quality(models)
            ok = q["cos_min"] >= 0.99 and q["agreement"] >= 0.98
            print(f"quality over {q['papers']} bundled papers vs the shipped PyTorch vectors: "
                  f"cosine min {q['cos_min']:.4f}, mean {q['cos_mean']:.5f}, "
                  f"{q['below_0.99']} below 0.99; same nearest topic {q['agreement']:.2%} "
                  f"({q['docs_per_s']:.1f} docs/s) -> {'OK' if ok else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
