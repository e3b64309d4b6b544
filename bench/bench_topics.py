"""Benchmark and full-size quality report of the topic engine on a store (bundled by default).

Run:  HF_HUB_OFFLINE=1 nice .venv/bin/python bench/bench_topics.py [--store data] [--quick]

Prints, all measured in this run (every fit on a copy of the store in a temporary folder):
  * stage timings of a full fit with the default settings from cached MiniLM embeddings;
  * the ai_keywords check (same-topic share of keyword pairs, shuffle baseline, lift), NPMI and
    diversity for the fit (HDBSCAN), its labels before outliers were placed, Ward with the same
    number of topics on the same UMAP vectors, today's Ward (``--clusterer ward``), and plain
    ``BERTopic()`` on the same embeddings;
  * identical twice (assignments, topic table, words over time byte for byte); topics, largest
    topic, outliers and lift for seeds 1, 2, 3 with the adjusted Rand index between them
    (outliers one label);
  * groups, label rule problems, words over time of the largest topics, group shares per period;
  * without --quick: ARI full corpus vs a 90 % subsample, a fit from nothing with the fast
    embedder, assigning the newest 100 papers without a refit, and plain BERTopic with MiniLM on
    1,000 papers as the time baseline.
Ends with the "Done when" figures of issue 12, each with its bar.
"""

from __future__ import annotations

import argparse
import itertools
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import polars as pl  # noqa: E402

from analysis.filters import Filters  # noqa: E402
from analysis.store import Store, atomic_write_parquet, text_hash  # noqa: E402
from analysis.topics import artifacts as art  # noqa: E402
from analysis.topics import embedders as E  # noqa: E402
from analysis.topics import fit as topics  # noqa: E402
from analysis.topics import vectors as V  # noqa: E402
from analysis.topics.labels import label_problems  # noqa: E402
from analysis.trends import paper_frame, topic_frequency  # noqa: E402


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
    """Adjusted Rand index of two topic assignments over the papers both contain (-1 one label)."""
    from sklearn.metrics import adjusted_rand_score

    j = a.join(b, on="paper_id", suffix="_b")
    return float(adjusted_rand_score(j["topic"], j["topic_b"]))


def row(name: str, q: dict) -> None:
    """Print one method's line of the quality table."""
    print(f"  {name:36s} topics {q['n_topics']:4d}  largest {q['largest_share']:6.1%}  outliers "
          f"{q['outlier_share']:6.1%}  same-topic {q['same_topic_share']:.3f}  baseline "
          f"{q['baseline']:.4f}  lift {q['lift']:6.2f}x  NPMI {q['coherence_npmi']:.3f}  "
          f"diversity {q['diversity']:.3f}", flush=True)


def words_check(store: Store, n: int = 10) -> list[dict]:
    """First vs last non-small quarter of the n largest topics' words over time."""
    table = art.read_topic_table(store).filter(pl.col("topic") >= 0)
    words = art.read_topic_words(store, "quarter").filter(~pl.col("small"))
    out = []
    for t in table.sort(["size", "topic"], descending=[True, False])["topic"].head(n):
        rows = words.filter(pl.col("topic") == t).sort("period")
        first, last = rows["words"][0].to_list(), rows["words"][-1].to_list()
        out.append({"topic": t, "periods": rows.height, "first": first, "last": last,
                    "shared": len(set(first) & set(last))})
    return out


def group_share_error(store: Store) -> tuple[int, float]:
    """(periods, largest |sum of group shares - 1|) of the quarterly group trend."""
    freq = topic_frequency(paper_frame(store), Filters(period="quarter"), level="group")
    sums = freq.group_by("period").agg(pl.col("share").sum())
    return sums.height, float((sums["share"] - 1).abs().max())


def quality_report(src: Store, work: Path) -> dict:
    """The default fit with every comparison, twice, and seeds 1-3; returns the figures."""
    full = copy_store(src, work / "full")
    meta, _ = timed("full fit, default settings, cached MiniLM, with plain BERTopic to compare",
                    lambda: topics.fit(full, compare=True))
    print("  stages: " + ", ".join(f"{k} {v:.1f}s" for k, v in meta["timings"].items()))
    q = meta["quality"]
    cmp = q["compare"]
    print(f"keyword pairs: {cmp['pairs']}")
    for name in ("hdbscan", "hdbscan_before_reassignment", "ward_same_count", "plain_bertopic"):
        row(name, cmp[name])
    ward = copy_store(src, work / "ward")
    wmeta, _ = timed("today's Ward (--clusterer ward)", lambda: topics.fit(ward, clusterer="ward"))
    row(f"ward ({wmeta['n_topics']} topics, default count)", wmeta["quality"]["compare"]["ward"])
    print(f"status: {q['status']}")

    again = copy_store(src, work / "again")
    topics.fit(again)
    same = all((art.path_of(again, f).read_bytes() == art.path_of(full, f).read_bytes())
               for f in (art.ASSIGNMENTS, art.TOPIC_TABLE, art.GROUP_TABLE, art.WORDS_OVER_TIME))
    print(f"same data+settings+seed twice -> identical artifacts (bytes): {same}")
    seeds, lifts = {}, {}
    for s in (1, 2, 3):
        st = copy_store(src, work / f"seed{s}")
        m, _ = timed(f"fit seed {s}", lambda st=st, s=s: topics.fit(st, seed=s))
        seeds[s] = art.read_assignments(st)
        c = m["quality"]["compare"]
        lifts[s] = (c["hdbscan"]["lift"], c["ward_same_count"]["lift"])
        print(f"  seed {s}: {m['n_topics']} topics, largest {c['hdbscan']['largest_share']:.1%}, "
              f"outliers {c['hdbscan']['outlier_share']:.1%}, lift {lifts[s][0]:.2f}x vs Ward "
              f"same count {lifts[s][1]:.2f}x")
    aris = {f"{a}-{b}": ari(seeds[a], seeds[b]) for a, b in itertools.combinations(seeds, 2)}
    print("ARI between seeds: " + ", ".join(f"{k} {v:.3f}" for k, v in aris.items()))

    groups = art.read_groups(full)
    print(f"groups ({groups.height}):")
    for g, label, size, ts in groups.iter_rows():
        print(f"  {g:2d} {size:5d} papers, {len(ts):2d} topics: {label}")
    problems = label_problems(dict(art.read_topic_table(full).filter(pl.col("topic") >= 0)
                                   .select("topic", "label").iter_rows()))
    print(f"label rule problems: {problems or 'none'}")
    checks = words_check(full)
    for c in checks:
        print(f"  topic {c['topic']:3d} ({c['periods']} quarters): {', '.join(c['first'])} -> "
              f"{', '.join(c['last'])}")
    periods, err = group_share_error(full)
    return {"meta": meta, "same": same, "aris": aris, "lifts": lifts, "groups": groups.height,
            "problems": problems, "words": checks, "share_err": err, "periods": periods}


def done_when(r: dict) -> None:
    """Print each "Done when" figure of issue 12 with its bar."""
    m, q = r["meta"], r["meta"]["quality"]
    c = q["compare"]
    print("\nDone when (this store, default settings):")
    print(f"  clusterer {m['settings']['clusterer']} (hdbscan)")
    print(f"  fine topics {m['n_topics']} (20-150); largest {q['largest_share']:.1%} (<= 8%); "
          f"outliers {q['outlier_share']:.1%} (1-15%)")
    print(f"  ARI seeds {', '.join(f'{k} {v:.3f}' for k, v in r['aris'].items())} (>= 0.75); "
          f"identical twice {r['same']}")
    print(f"  lift {c['hdbscan']['lift']:.2f}x vs Ward same count "
          f"{c['ward_same_count']['lift']:.2f}x (>=); seeds 1-3: "
          + ", ".join(f"{a:.2f}/{b:.2f}" for a, b in r["lifts"].values()))
    print(f"  label problems {len(r['problems'])} (0)")
    differ = sum(1 for w in r["words"] if w["first"] != w["last"])
    print(f"  words over time: {differ}/{len(r['words'])} largest topics differ first->last; "
          f"fewest quarters {min(w['periods'] for w in r['words'])} (>= 3)")
    print(f"  groups {r['groups']} (8-15); quarterly group shares: {r['periods']} periods, "
          f"largest |sum - 1| {r['share_err']:.1e} (<= 1e-9)")


def speed_report(src: Store, work: Path, papers: pl.DataFrame, baseline: bool) -> None:
    """Subsample ARI, the fast embedder from nothing, assigning 100 new papers, plain BERTopic."""
    full = Store(work / "full")
    sub = copy_store(src, work / "sub90", papers=papers.sample(fraction=0.9, seed=5))
    topics.fit(sub)
    print(f"ARI full corpus vs 90% subsample (on shared papers): "
          f"{ari(art.read_assignments(full), art.read_assignments(sub)):.3f}")
    cold = copy_store(src, work / "cold", embeddings=False)
    if not E.fast_model_dir(cold).is_dir():  # distilled in the scratch store, never in src
        timed("distil the static model once (cached afterwards)", lambda: E.load_fast(cold))
    m2, t_cold = timed("fit from nothing, fast embedder", lambda: topics.fit(cold,
                                                                            embedder="fast"))
    print("  stages: " + ", ".join(f"{k} {v:.1f}s" for k, v in m2["timings"].items()))
    newest = papers.sort(["published", "paper_id"], descending=True, nulls_last=True).head(100)
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
        counts, _ = timed(f"assign newest 100 (embeddings {how})",
                          lambda st=st: topics.assign_new(st))
        after = art.read_assignments(st)
        same = after.join(before, on="paper_id", suffix="_b")
        print(f"  assigned {counts['assigned']} ({counts['outliers']} left outliers); others "
              f"unchanged: {(same['topic'] == same['topic_b']).all()} ({same.height} papers)")
    if baseline:
        sample = papers.sample(1000, seed=11)
        docs = V.doc_texts(sample)
        _, t_ours = timed("ours, 1,000 papers from nothing (MiniLM)", lambda: topics.fit(
            copy_store(src, work / "ours1000", embeddings=False, papers=sample)))

        def plain():
            from bertopic import BERTopic

            return BERTopic(embedding_model=E.load_minilm()).fit_transform(docs)

        _, t_base = timed("plain BERTopic().fit_transform, 1,000 papers (MiniLM)", plain)
        print(f"ratio ours/baseline from nothing: {t_ours / t_base:.2f}")
    print(f"fast embedder from nothing: {t_cold:.1f}s")


def main() -> int:
    """Parse the command line, run every measurement and print the report."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", type=Path, default=Path(__file__).resolve().parents[1] / "data")
    ap.add_argument("--quick", action="store_true", help="quality figures only")
    ap.add_argument("--skip-baseline", action="store_true")
    args = ap.parse_args()
    src = Store(args.store)
    papers = src.read_papers()
    work = Path(tempfile.mkdtemp(prefix="bench-topics-"))
    print(f"corpus: {papers.height} papers in {src.root}; scratch {work}")
    try:
        cli = copy_store(src, work / "cli")
        timed("`papertrends fit` in a fresh process, cached MiniLM (imports, numba compile incl.)",
              lambda: subprocess.run([sys.executable, "-m", "analysis.cli", "fit", "--store",
                                      str(cli.root)], check=True, capture_output=True))
        report = quality_report(src, work)
        if not args.quick:
            speed_report(src, work, papers, not args.skip_baseline)
        done_when(report)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
