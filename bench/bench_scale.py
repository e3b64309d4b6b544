"""The whole pipeline on a 1M-paper store made from the real papers, beside the bundled size.

Two stores are built in a temporary folder (or ``--dir``), both without the papers of one
recorded day (2026-01-16), which is fetched into each at the end:

* small: the bundled papers (12,570, less that day's);
* big:   the same papers plus synthetic ones up to ``--papers`` (bench/synthetic.py: real
         titles, abstracts and upvotes with the text lightly varied, dates over ten years).

Measured in one run, each figure for both stores (and their ratio, or the rate per paper):

1. ingest: the table into an empty store (``ingest_frame``: merge, checks, atomic write, and the
   word index from 50k papers on);
2. embed with ``fast`` (the static model distilled from MiniLM), papers/s; and the rate of
   ``minilm`` and ``minilm-openvino`` on a ``--rate-sample`` of the real papers (bench_embed);
3. topics: a fit with ``fast`` on the small store (the bundled papers' topics), its artifacts
   copied into the big store, whose other papers are then assigned (``assign_new``: nearest
   centroid, map place); the small figure assigns as many synthetic papers as it holds;
4. keyword trend with 1, 5 and 10 phrases (the word index where the store has one);
5. topic trend (topic frequency per month);
6. a day's fetch (a real local HTTP server plays the API with the recorded day): seconds, and
   the bytes written beside the bytes of the paper table;
7. the dashboard (bench_dashboard.py --store, in a child process): filter-change p95 and the
   server's RSS with 1 and 5 browser sessions.

    HF_HUB_OFFLINE=1 nice .venv/bin/python bench/bench_scale.py [--papers 1000000] [--dir DIR]
        [--rate-sample 2000] [--no-rates] [--stages 1,2,3,4,5,6,7] [--reuse]

It takes about half an hour at 1M on 2 cores (most of it embedding); ``--papers 100000`` is a
quick pass. Everything it starts ends with it; ``--dir`` keeps the stores, and ``--reuse`` runs
stages 4-7 again on them (a day is fetched into a store once: leave 6 out of the first run to
fetch later).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import polars as pl  # noqa: E402
from huggingface_hub import constants  # noqa: E402

from analysis.fetch import fetch  # noqa: E402
from analysis.filters import Filters  # noqa: E402
from analysis.ingest import ingest_frame  # noqa: E402
from analysis.store import BUNDLED_STORE, Store  # noqa: E402
from analysis.topics.vectors import doc_texts  # noqa: E402
from analysis.trends import keyword_trend, paper_frame, phrase_index, topic_frequency  # noqa: E402
from bench import bench_embed  # noqa: E402
from bench.bench_append import files_now, table_bytes, written  # noqa: E402
from bench.synthetic import synthetic_papers  # noqa: E402
from tests.support.hf_server import HFServer, ids_of  # noqa: E402

DAY = "2026-01-16"
PHRASES = ["reinforcement learning", "diffusion", "large language models", "agent", "benchmark",
           "training parameters", "mixture of experts", "reasoning", "video generation",
           "retrieval"]


def timed(fn, repeat: int = 1):
    """(median seconds over ``repeat`` calls, the last result)."""
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def line(name: str, small: float, big: float, unit: str = "s", note: str = "") -> None:
    """One figure for both stores, with the ratio big/small."""
    ratio = big / small if small else float("nan")
    print(f"  {name:44s} {small:12.3f} {big:12.3f} {unit:4s} {ratio:8.1f}x  {note}", flush=True)


def build(root: Path, table: pl.DataFrame, models: Path | None) -> tuple[Store, float]:
    """A new store holding ``table`` (through ingest), with a copy of the derived models."""
    store = Store(root)
    root.mkdir(parents=True)
    if models is not None and models.is_dir():
        shutil.copytree(models, store.models_dir)
    seconds, _ = timed(lambda: ingest_frame(store, table))
    return store, seconds


def day_fetch(store: Store) -> tuple[float, dict[str, int], object]:
    """Fetch the recorded day into ``store`` from a loopback server: seconds, bytes, summary."""
    before = files_now(store.root)
    day = dt.date.fromisoformat(DAY)
    offline, constants.HF_HUB_OFFLINE = constants.HF_HUB_OFFLINE, False  # loopback only
    try:
        with HFServer() as server:
            t = time.perf_counter()
            summary = fetch(store, day, day, endpoint=server.endpoint, assign=True)
            seconds = time.perf_counter() - t
    finally:
        constants.HF_HUB_OFFLINE = offline
    if not summary.ok:
        raise SystemExit("the day's fetch failed: " + "; ".join(summary.lines()))
    return seconds, written(before, files_now(store.root)), summary


def rates(models: Store, n: int) -> dict[str, float]:
    """docs/s of minilm and minilm-openvino on n real papers (bench_embed's alternating chunks)."""
    papers = Store(BUNDLED_STORE).read_papers().sample(n, seed=0, shuffle=True)
    return bench_embed.speed(models, doc_texts(papers), rounds=1)


def dashboard(store: Store, small: Store) -> None:
    """Run bench_dashboard.py on both stores in a child process and pass its lines through."""
    cmd = [sys.executable, str(REPO / "bench" / "bench_dashboard.py"), "--store", str(store.root),
           "--compare", str(small.root), "--sessions", "1,5"]
    print("  $ " + " ".join(cmd[1:]), flush=True)
    done = subprocess.run(cmd, cwd=REPO, text=True, capture_output=True)
    for text in done.stdout.splitlines():
        if "ScriptRunContext" not in text:
            print("    " + text, flush=True)
    if done.returncode:
        print(f"    (exit {done.returncode}) {done.stderr.strip().splitlines()[-1:]}", flush=True)


def prepare(work: Path, args: argparse.Namespace, stages: set[int]) -> tuple[Store, Store]:
    """Stages 1-3: both stores built, embedded, given topics."""
    from analysis.topics import embedders as E
    from analysis.topics import fit as topics

    real = Store(BUNDLED_STORE).read_papers()
    small_table = real.filter(~pl.col("paper_id").is_in(list(ids_of(DAY))))
    t0 = time.perf_counter()
    extra = synthetic_papers(real, args.papers - small_table.height)
    big_table = pl.concat([small_table, extra]).sort("paper_id")
    print(f"small {small_table.height:,} papers, big {big_table.height:,} (synthetic part made "
          f"in {time.perf_counter() - t0:.1f} s)", flush=True)
    small, s_ingest = build(work / "small", small_table, None)
    E.ensure_fast(small)  # distilled once, copied into the other stores
    big, b_ingest = build(work / "big", big_table, small.models_dir)
    line("1. ingest (merge, checks, write, word index)", s_ingest, b_ingest,
         note=f"table {table_bytes(small) / 1e6:.0f} MB vs {table_bytes(big) / 1e6:.0f} MB; "
         f"word index: {phrase_index.read_meta(small) is not None} / "
         f"{phrase_index.read_meta(big) is not None}")
    if 2 not in stages:
        return small, big
    s_embed, _ = timed(lambda: E.embed_store(small, "fast"))
    b_embed, _ = timed(lambda: E.embed_store(big, "fast"))
    line("2. embed with fast (papers/s)", small_table.height / s_embed,
         big_table.height / b_embed, "p/s", f"{s_embed:.0f} s vs {b_embed:.0f} s")
    if not args.no_rates:
        r = rates(small, args.rate_sample)
        print(f"  2b. MiniLM on {args.rate_sample:,} real papers: PyTorch "
              f"{r['minilm']:.1f} docs/s, OpenVINO int8 {r['minilm-openvino']:.1f} docs/s "
              f"({r['minilm-openvino'] / r['minilm']:.2f}x); 1M papers would take "
              f"{1e6 / r['minilm'] / 3600:.1f} h / {1e6 / r['minilm-openvino'] / 3600:.1f} h",
              flush=True)
    if 3 not in stages:
        return small, big
    s_fit, meta = timed(lambda: topics.fit(small, embedder="fast"))
    print(f"  3a. fit with fast on the small store: {s_fit:.0f} s, {meta['n_topics']} topics",
          flush=True)
    twin, _ = build(work / "twin", pl.concat([small_table, synthetic_papers(
        real, small_table.height, seed=1)]).sort("paper_id"), small.models_dir)
    twin.embeddings_dir.mkdir(exist_ok=True)
    shutil.copy2(small.embeddings_path("fast"), twin.embeddings_path("fast"))
    for store in (big, twin):
        shutil.copytree(small.topics_dir, store.topics_dir)
        store.record_all()  # the copied files into the manifest, as a writer would
    E.embed_store(twin, "fast")
    s_assign, s_out = timed(lambda: topics.assign_new(twin))
    b_assign, b_out = timed(lambda: topics.assign_new(big))
    line("3. assign to the small store's topics (p/s)", s_out["assigned"] / s_assign,
         b_out["assigned"] / b_assign, "p/s",
         f"{s_out['assigned']:,} in {s_assign:.0f} s vs {b_out['assigned']:,} in "
         f"{b_assign:.0f} s; outliers {s_out['outliers'] / s_out['assigned']:.1%} / "
         f"{b_out['outliers'] / b_out['assigned']:.1%}")
    return small, big


def queries(small: Store, big: Store, stages: set[int]) -> None:
    """Stages 4-5: keyword trends with 1, 5, 10 phrases and the topic trend on both stores."""
    frames = [(paper_frame(s).collect().lazy(), phrase_index.load(s)) for s in (small, big)]
    filters = Filters(period="month")
    if 4 in stages:
        per_n = {}
        for n in (1, 5, 10):
            per_n[n] = [timed(lambda lf=lf, ix=ix, n=n: keyword_trend(lf, PHRASES[:n], filters,
                                                                      index=ix), repeat=3)[0]
                        for lf, ix in frames]
            line(f"4. keyword trend, {n:2d} phrase(s)", *per_n[n])
        print(f"     10 phrases / 1 phrase: small {per_n[10][0] / per_n[1][0]:.2f}x, big "
              f"{per_n[10][1] / per_n[1][1]:.2f}x (target at 1M: <= 2x)", flush=True)
    if 5 in stages:
        got = [timed(lambda lf=lf: topic_frequency(lf, filters), repeat=3)[0] for lf, _ in frames]
        line("5. topic trend (per month)", *got)


def fetches(small: Store, big: Store) -> None:
    """Stage 6: the recorded day fetched into both stores; seconds and bytes written."""
    (s_fetch, s_written, s_sum), (b_fetch, b_written, b_sum) = day_fetch(small), day_fetch(big)
    line("6. a day's fetch (seconds)", s_fetch, b_fetch,
         note=f"{s_sum.papers_new} / {b_sum.papers_new} new papers")
    for label, w, store in (("small", s_written, small), ("big", b_written, big)):
        total = sum(w.values())
        print(f"     {label}: wrote {total / 1e6:.1f} MB = {total / table_bytes(store):.1%} of "
              f"the table's {table_bytes(store) / 1e6:.0f} MB; by folder: "
              + ", ".join(f"{k} {v / 1e6:.2f} MB" for k, v in sorted(w.items())), flush=True)
    papers_written = b_written.get("papers.parquet", 0) + b_written.get("papers.d", 0)
    print(f"     big store, paper table files written: {papers_written:,} bytes = "
          f"{papers_written / table_bytes(big):.4%} of the table (target <= 5%)", flush=True)


def main(argv: list[str] | None = None) -> int:
    """Build both stores (or reuse them), run the stages asked for, print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--papers", type=int, default=1_000_000)
    ap.add_argument("--dir", type=Path, default=None, help="keep the stores here")
    ap.add_argument("--reuse", action="store_true",
                    help="use the stores an earlier run left in --dir (stages 4-7 only)")
    ap.add_argument("--stages", default="1,2,3,4,5,6,7",
                    help="which stages to run (1-3 build the stores; a day is fetched once)")
    ap.add_argument("--rate-sample", type=int, default=2000)
    ap.add_argument("--no-rates", action="store_true")
    args = ap.parse_args(argv)
    stages = {int(x) for x in args.stages.split(",")}
    if args.reuse and not (args.dir and (args.dir / "big" / "papers.parquet").is_file()):
        raise SystemExit("--reuse needs --dir with the stores of an earlier run")
    work = args.dir or Path(tempfile.mkdtemp(prefix="bench-scale-"))
    try:
        print(f"stores in {work}", flush=True)
        print(f"  {'stage':44s} {'small':>12s} {'big':>12s} {'unit':4s} {'big/small':>9s}")
        if args.reuse:
            small, big = Store(work / "small"), Store(work / "big")
        else:
            small, big = prepare(work, args, stages)
        queries(small, big, stages)
        if 6 in stages:
            fetches(small, big)
        if 7 in stages:
            print("  7. dashboard", flush=True)
            dashboard(big, small)
    finally:
        if args.dir is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
