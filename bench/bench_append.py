"""Bytes written by a day's fetch into a large store: deltas against the old whole-table write.

Builds a store of N papers (default 1M) resampled from the real ones (``bench/synthetic.py``),
with its word index, an embedding cache of N vectors and topic assignments of N papers (random
unit vectors and topics: the sizes are real, the values do not matter here). Then, in one run:

* the baseline: the whole table written once, as every fetch did before deltas (bytes, seconds);
  and the day's merge (folding only the rows it touches) against folding every row;
* one recorded real day (``tests/fixtures/fetch-days/2026-01-16.json``, 23 papers) ingested the
  way ``fetch`` does (``analysis.ingest.ingest``): the bytes of every file it created or changed,
  by part (table, raw copy, word index, manifest), and its time;
* that day's 23 new vectors added to the cache (``CacheWriter``) and 23 assignments added
  (``write_assignments``): the bytes each writes;
* reading the table with its delta against the compacted table, and the compaction itself
  (byte-identical to the whole write).

    .venv/bin/python bench/bench_append.py [--papers 1000000] [--keep DIR]

``day_fetch_figures(store, day_file)`` is the measuring part, for ``bench/bench_scale.py``.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from analysis.files import parquet_bytes  # noqa: E402
from analysis.ingest import ingest, load_sources  # noqa: E402
from analysis.merge import merge, merge_all  # noqa: E402
from analysis.store import Store  # noqa: E402
from analysis.topics import artifacts as art  # noqa: E402
from analysis.topics.vectors import CacheWriter, cache_rows, paper_keys  # noqa: E402
from analysis.trends import phrase_index  # noqa: E402
from bench.synthetic import read_source, synthetic_papers  # noqa: E402

DAY = REPO / "tests" / "fixtures" / "fetch-days" / "2026-01-16.json"
DIM = 384  # MiniLM's vector length


def files_now(root: Path) -> dict[str, tuple[int, int, int]]:
    """Every file of a folder: relative path -> (size, mtime_ns, inode)."""
    out = {}
    for p in root.rglob("*"):
        if p.is_file():
            st = p.stat()
            out[p.relative_to(root).as_posix()] = (st.st_size, st.st_mtime_ns, st.st_ino)
    return out


def written(before: dict, after: dict) -> dict[str, int]:
    """Bytes of the files created or changed between two :func:`files_now`, by top folder."""
    out: dict[str, int] = {}
    for rel, stat in after.items():
        if before.get(rel) != stat:
            part = rel.split("/")[0] if "/" in rel else rel
            out[part] = out.get(part, 0) + stat[0]
    return out


def table_bytes(store: Store) -> int:
    """Bytes of the paper table's files (base, listing, deltas)."""
    return sum(p.stat().st_size for p in store.paper_files())


def day_fetch_figures(store: Store, day_file: Path = DAY) -> dict:
    """Ingest one day's API response as fetch does; bytes written (by part) and seconds."""
    before = files_now(store.root)
    t0 = time.perf_counter()
    ingest(store, [day_file])
    seconds = time.perf_counter() - t0
    by_part = written(before, files_now(store.root))
    table = sum(v for k, v in by_part.items() if k in ("papers.parquet", "papers.d"))
    return {"seconds": seconds, "by_part": by_part, "table_written": table,
            "all_written": sum(by_part.values()), "table_bytes": table_bytes(store)}


def _artifacts(store: Store, papers: pl.DataFrame, rng: np.random.Generator) -> None:
    """An embedding cache and topic assignments of every paper (random values, real sizes)."""
    vecs = rng.standard_normal((papers.height, DIM)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    rows = cache_rows(paper_keys(papers), papers["paper_id"].to_list(), vecs).sort("key")
    n_topics = 70
    table = pl.DataFrame({"topic": np.arange(-1, n_topics, dtype=np.int32),
                          "label": [f"topic {i}" for i in range(-1, n_topics)]})
    table = table.with_columns([pl.lit(None, dtype=t).alias(c) for c, t in art.TOPIC_SCHEMA.items()
                                if c not in table.columns]).select(list(art.TOPIC_SCHEMA))
    assignments = pl.DataFrame({
        "paper_id": papers["paper_id"], "topic": rng.integers(-1, n_topics, papers.height,
                                                              dtype=np.int32),
        "prob": rng.random(papers.height, dtype=np.float32),
        "x": rng.random(papers.height, dtype=np.float32),
        "y": rng.random(papers.height, dtype=np.float32),
        "status": "member", "sim": rng.random(papers.height, dtype=np.float32)})
    with store.lock():
        store.write_parquet(store.embeddings_path("minilm"), rows)
        art.write_assignments(store, art.Fit({"n_papers": papers.height}, assignments.head(0),
                                             table), assignments)


def main() -> None:
    """Build the store, measure a day's fetch against the whole write, print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--papers", type=int, default=1_000_000)
    ap.add_argument("--keep", help="build the store in this folder and leave it there")
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-append."))
    store = Store(root)
    try:
        t0 = time.perf_counter()
        papers = synthetic_papers(read_source(), args.papers)
        print(f"{papers.height:,} papers resampled from the real ones "
              f"({time.perf_counter() - t0:.1f} s)")
        with store.lock():
            t0 = time.perf_counter()
            store.write_papers(papers)
            whole_s = time.perf_counter() - t0
        base = store.papers_path.stat().st_size
        t0 = time.perf_counter()
        phrase_index.build(store)
        print(f"word index built ({time.perf_counter() - t0:.1f} s)")
        _artifacts(store, papers, rng)
        day = load_sources([DAY]).frame
        # the baseline: what every fetch wrote before deltas, the merged table as one file
        t0 = time.perf_counter()
        merged, _ = merge(papers, day)
        merge_s = time.perf_counter() - t0
        data = parquet_bytes(merged.sort("paper_id"))
        baseline_s = whole_s + time.perf_counter() - t0
        print(f"\nbaseline, whole table written: {len(data):,} bytes, {baseline_s:.1f} s "
              f"(merge + write)")
        t0 = time.perf_counter()
        folded, _ = merge_all(papers, day)
        fold_s = time.perf_counter() - t0
        print(f"the day's merge: {merge_s:.2f} s (folds the rows it touches) vs {fold_s:.2f} s "
              f"(folds every row, as before) = {fold_s / merge_s:.1f}x; same table: "
              f"{folded.equals(merged)}")
        del folded
        del papers
        fig = day_fetch_figures(store)
        share = fig["table_written"] / base
        print(f"a day ({day.height} papers) as a delta: table files {fig['table_written']:,} "
              f"bytes = {share:.4%} of the table's {base:,}; {fig['seconds']:.1f} s")
        print(f"  every file the ingest wrote: {fig['all_written']:,} bytes "
              f"({fig['all_written'] / base:.3%} of the table): "
              + ", ".join(f"{k} {v:,}" for k, v in sorted(fig["by_part"].items())))
        print(f"  ratio bytes delta/whole: {fig['table_written'] / len(data):.5f}; "
              f"all files/whole: {fig['all_written'] / len(data):.5f}")
        # the day's vectors and topics, through the real writers
        new = store.read_papers().join(day.select("paper_id"), on="paper_id", how="semi")
        vecs = rng.standard_normal((new.height, DIM)).astype(np.float32)
        cache = store.embeddings_path("minilm").stat().st_size
        before = files_now(root)
        writer = CacheWriter(store, "minilm")
        writer.add(cache_rows(paper_keys(new), new["paper_id"].to_list(), vecs))
        writer.finish()
        emb = written(before, files_now(root))
        print(f"embedding cache ({cache:,} bytes): the day's vectors wrote {sum(emb.values()):,}")
        fit = art.read_fit(store)
        before = files_now(root)
        t0 = time.perf_counter()
        added = pl.DataFrame({"paper_id": new["paper_id"], "topic": 0, "prob": 0.5, "x": 0.0,
                              "y": 0.0, "status": "assigned", "sim": 0.5},
                             schema=art.ASSIGNMENT_SCHEMA)
        art.write_assignments(store, fit, pl.concat([fit.assignments, added]))
        top = written(before, files_now(root))
        print(f"topic assignments ({art.path_of(store, art.ASSIGNMENTS).stat().st_size:,} "
              f"bytes): the day's {new.height} assignments wrote {sum(top.values()):,} bytes "
              f"({time.perf_counter() - t0:.1f} s; rewritten whole: O(corpus))")
        # reading with the delta, compaction, reading compacted
        t0 = time.perf_counter()
        table = store.read_papers()
        read_delta = time.perf_counter() - t0
        with_delta = parquet_bytes(table)
        del table
        t0 = time.perf_counter()
        store.compact_papers()
        compact_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        table = store.read_papers()
        read_whole = time.perf_counter() - t0
        compacted = parquet_bytes(table)
        same = with_delta == compacted == store.papers_path.read_bytes() == data
        print(f"\nread base+delta {read_delta:.2f} s, read compacted {read_whole:.2f} s "
              f"(ratio {read_delta / read_whole:.2f}); compaction {compact_s:.1f} s; "
              f"byte-identical before/after compaction and to the whole write: {same}")
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
