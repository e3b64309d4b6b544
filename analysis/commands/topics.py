"""Commands: embed, fit (topic model), assign (no refit), topics (list + quality), topic-words."""

from __future__ import annotations

import argparse
import json
import sys
import time

import polars as pl

from analysis.commands.common import (
    add_engine_args,
    add_output_args,
    add_store_arg,
    emit,
    engine_from,
    note_unassigned,
    open_store,
    say,
    waiting,
    write_store,
)
from analysis.health import require
from analysis.names import DEFAULT_EMBEDDER, EMBEDDERS, OUTLIER
from analysis.schema import InputError
from analysis.store import Store
from analysis.topics import artifacts as art
from analysis.topics.sample import DEFAULT_SAMPLE, SAMPLE_FROM, parse_sample, sample_line
from analysis.topics.vectors import read_cache
from analysis.trends import paper_frame

CLUSTERERS = ("hdbscan", "ward")  # analysis.topics.pipeline.CLUSTERERS (heavy to import)


def add_embedder_arg(p, dest: str) -> None:
    """``--embedder`` / ``--backend`` (one option, two names), stored as ``dest``."""
    names = ("--backend", "--embedder") if dest == "backend" else ("--embedder", "--backend")
    p.add_argument(*names, dest=dest, choices=EMBEDDERS, default=DEFAULT_EMBEDDER,
                   help="minilm: all-MiniLM-L6-v2 (PyTorch, the quality model); "
                   "minilm-openvino: the same model as OpenVINO int8 (~3x faster on a CPU); "
                   "fast: static model distilled from it")


def register(sub) -> None:
    """Add this module's commands to the parser."""
    p = sub.add_parser("embed", help="compute the embeddings papers lack (here or on Ray)",
                       description="Embed every paper of the store that has no cached vector yet "
                       "and add the vectors to STORE/embeddings/BACKEND.parquet. A killed run "
                       "resumes where its last checkpoint ended.")
    add_store_arg(p, writes=True)
    add_embedder_arg(p, "backend")
    add_engine_args(p)
    p.add_argument("--json", action="store_true", help="print the counts as JSON")
    p.set_defaults(func=run_embed)

    p = sub.add_parser("fit", help="fit the topic model on every paper of the store",
                       description="Embed the papers (cached), cluster them into topics, label "
                       "them and write the topic artifacts into STORE/topics/. Also mends damaged "
                       "topic artifacts; with --force, a damaged embedding cache.")
    add_store_arg(p, writes=True)
    add_embedder_arg(p, "embedder")
    p.add_argument("--seed", type=int, default=42,
                   help="seed of the UMAP steps (clustering space and 2-D map)")
    p.add_argument("--clusterer", choices=CLUSTERERS, default="hdbscan",
                   help="hdbscan (default: topics found in the data, outliers kept honest) or "
                   "ward (a fixed number of topics, every paper in one)")
    p.add_argument("--min-cluster-size", type=_positive, default=None,
                   help="hdbscan: smallest topic (default 20 from 4,000 to 15,000 papers, in "
                   "proportion to the corpus outside that range)")
    p.add_argument("--min-samples", type=_positive, default=None,
                   help="hdbscan: density smoothing (default 30, scaled like --min-cluster-size)")
    p.add_argument("--min-topic-size", type=_positive, default=None,
                   help="ward: smallest topic (default: max(10, papers/400))")
    p.add_argument("--n-topics", type=_positive, default=None,
                   help="ward: number of clusters before small ones merge "
                   "(default: 0.4 * sqrt(papers), 5 to 60)")
    p.add_argument("--compare", action="store_true",
                   help="also fit plain BERTopic() on the same embeddings for the quality "
                   "report (about a minute more)")
    p.add_argument("--force", action="store_true", help="refit even if an identical fit exists")
    p.add_argument("--sample", default=None, metavar="N|all",
                   help="cluster a time-stratified sample of N papers and place the rest like "
                   f"new papers (default: every paper up to {SAMPLE_FROM:,}, else a sample of "
                   f"{DEFAULT_SAMPLE:,}; 0 or 'all': every paper)")
    add_engine_args(p)
    p.add_argument("--json", action="store_true", help="print the fit's meta as JSON")
    p.set_defaults(func=run_fit)

    p = sub.add_parser("assign", help="give papers not yet assigned a topic one (no refit)",
                       description="Give papers added since the fit, or whose text changed since "
                       "they got a topic, a topic from the saved model (no refit).")
    add_store_arg(p, writes=True)
    add_engine_args(p)
    p.add_argument("--json", action="store_true", help="print the counts as JSON")
    p.set_defaults(func=run_assign)

    p = sub.add_parser("topics", help="list the topics and the quality report of the fit")
    add_store_arg(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run_topics)

    p = sub.add_parser("topic-words", help="a topic's top words per period",
                       description="The topic's top c-TF-IDF words among its papers of each "
                       "period (BERTopic topics_over_time, global tuning), with its paper count. "
                       "A paper's date is its listing day, else its arXiv date.")
    add_store_arg(p)
    p.add_argument("--topic", type=int, required=True, help="topic id (see `papertrends topics`)")
    p.add_argument("--period", choices=art.WORD_PERIODS, default="quarter")
    add_output_args(p)
    p.set_defaults(func=run_topic_words)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 2:
        raise argparse.ArgumentTypeError(f"must be 2 or more, not {value}")
    return value


def _progress(done: int, total: int, message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_embed(args: argparse.Namespace) -> int:
    """`papertrends embed`: embed the papers that have no vector yet; returns 0."""
    from analysis.topics.embedders import embed_missing

    store = _write_store(args, needs=("papers",))
    engine = engine_from(args)
    with store.lock(on_wait=waiting(args)):
        papers = store.read_papers().select("paper_id", "title", "abstract")
        t0 = time.perf_counter()
        n = embed_missing(store, papers, args.backend, engine=engine, progress=_progress)
        seconds = time.perf_counter() - t0
        cached = read_cache(store, args.backend).height
    counts = {"backend": args.backend, "engine": engine.kind, "papers": papers.height,
              "embedded": n, "cached": cached, "seconds": round(seconds, 2),
              "docs_per_s": round(n / seconds, 1) if n and seconds > 0 else None}
    if args.json:
        print(json.dumps(counts, indent=1))
    else:
        rate = f", {counts['docs_per_s']} texts/s" if n else ""
        print(f"embedded {n} new texts with {args.backend} on {engine.kind} in {seconds:.1f}s"
              f"{rate}; {cached} vectors cached for {papers.height} papers")
    return 0


def run_fit(args: argparse.Namespace) -> int:
    """`papertrends fit`: fit (or reuse) the topic model and print its summary; returns 0.

    Progress messages go to stderr.
    """
    from analysis.topics.fit import fit

    sample = parse_sample(args.sample)
    store = _write_store(args, needs=("papers",))
    with store.lock(on_wait=waiting(args)):
        meta = fit(store, embedder=args.embedder, seed=args.seed, clusterer=args.clusterer,
                   min_cluster_size=args.min_cluster_size, min_samples=args.min_samples,
                   min_topic_size=args.min_topic_size, n_topics=args.n_topics,
                   compare=args.compare, force=args.force, progress=_progress,
                   engine=engine_from(args), sample=sample)
    if args.json:
        print(json.dumps(meta, indent=1, default=str))
        return 0
    q = meta["quality"]
    what = "reused the identical earlier fit" if meta.get("reused") else "fitted"
    print(f"{what}: {meta['n_topics']} topics over {meta['n_papers']} papers in {store.root} "
          f"(embedder {meta['embedder']}, seed {meta['seed']}, corpus {meta['corpus_hash']})")
    if meta.get("sample"):
        print(sample_line(meta["sample"]))
    print(f"largest topic {q['largest_share']:.1%}, outliers {q['outlier_share']:.1%}, "
          f"diversity {q['diversity']:.3f}, NPMI coherence {q['coherence_npmi']:.3f}, "
          f"{q.get('groups', 0)} groups")
    kw = q.get("keywords") or {}
    if kw.get("lift"):
        print(f"ai_keywords pairs in the same topic {kw['same_topic_share']:.3f}, "
              f"{kw['lift']:.2f}x the shuffled baseline")
    ch = meta.get("changes", {})
    if ch.get("kept"):
        print(f"topic ids vs previous fit: {len(ch['kept'])} kept, {len(ch['new'])} new, "
              f"{len(ch['split'])} split, {len(ch['merged'])} merged, {len(ch['gone'])} gone")
    print("timings: " + ", ".join(f"{k} {v:.1f}s" for k, v in meta["timings"].items()))
    return 0


def run_assign(args: argparse.Namespace) -> int:
    """`papertrends assign`: give papers added since the fit a topic; returns 0."""
    from analysis.topics.fit import assign_new

    store = _write_store(args, needs=("papers", "topics", "embeddings"))
    with store.lock(on_wait=waiting(args)):
        counts = assign_new(store, progress=_progress, engine=engine_from(args))
    if args.json:
        print(json.dumps(counts, indent=1))
    else:
        print(f"assigned {counts['assigned']} papers a topic in {store.root} "
              f"({counts.get('outliers', 0)} of them outliers: no topic close enough); "
              f"{counts['unchanged']} kept theirs ({counts['seconds']:.1f}s)")
    return 0


def _write_store(args: argparse.Namespace, needs: tuple[str, ...]) -> Store:
    """The store a writing command uses, checked: needed parts intact, others warned about."""
    store = write_store(args)
    if not store.exists():
        raise InputError(f"no paper table in {store.root}",
                         hint="run `papertrends ingest SOURCE --store DIR` first")
    for line in require(store, needs).warnings():
        say(args, "warning", line)
    return store


def topics_report(store) -> dict:
    """The quality report and topic list of `papertrends topics` (light: no heavy imports).

    Besides counts and settings: ``quality`` (the fit's quality report, with the ai_keywords
    check of this fit and of the methods it was compared with), ``status`` (papers per status:
    member, reassigned, outlier, assigned), ``groups``, ``changes`` and ``previous`` (lineage
    against the fit before), and per topic its group, representative papers and lineage.
    """
    meta = art.read_meta(store)
    table = art.read_topic_table(store)
    assigned = art.read_assignments(store)
    counts = assigned.group_by("topic").len("count")
    table = (table.join(counts, on="topic", how="left")
             .with_columns(pl.col("count").fill_null(0)).sort("topic"))
    n = assigned.height
    real = table.filter(pl.col("topic") >= 0)
    largest = real["count"].max() or 0
    assert isinstance(largest, int)  # a count column
    q = meta.get("quality", {})
    titles = dict(store.read_papers().select("paper_id", "title").iter_rows())
    previous = (meta.get("previous") or {}).get("labels", {})
    groups = art.read_groups(store)
    status = assigned.group_by("status").len("n").drop_nulls("status").sort("status")
    return {
        "n_topics": real.height,
        "n_papers": n,
        "outlier_share": round(int(table.filter(pl.col("topic") < 0)["count"].sum()) / n, 4)
        if n else 0.0,
        "largest_share": round(largest / n, 4) if n else 0.0,
        "diversity": q.get("diversity"),
        "coherence_npmi": q.get("coherence_npmi"),
        "settings": meta.get("settings", {}),
        "method": meta.get("method"),
        "corpus_hash": meta.get("corpus_hash"),
        "fitted_at": meta.get("fitted_at"),
        "n_assigned_after_fit": meta.get("n_assigned_after_fit", 0),
        "sample": meta.get("sample"),
        "status": dict(status.iter_rows()),
        "quality": q,
        "groups": groups.to_dicts(),
        "changes": meta.get("changes", {}),
        "previous": {k: v for k, v in (meta.get("previous") or {}).items() if k != "labels"},
        "topics": [_topic_entry(row, titles, previous) for row in table.iter_rows(named=True)],
    }


def _topic_entry(row: dict, titles: dict, previous: dict) -> dict:
    """One topic of `topics --json`: id, label, words, papers, group, representatives, lineage."""
    def named(ids) -> list[dict]:
        return [{"topic": t, "label": previous.get(str(t))} for t in ids or []]

    line = None
    if row["topic"] != OUTLIER and row.get("lineage"):
        line = {"status": row["lineage"], "from": named(row["lineage_from"]),
                "merged": named(row["merged_from"])}
    return {"topic": row["topic"], "label": row["label"], "words": row["words"],
            "count": row["count"], "group": row.get("group"), "members": row.get("members"),
            "representative": [{"paper_id": p, "title": titles.get(p)}
                               for p in row["representative"] or []],
            "lineage": line}


def run_topics(args: argparse.Namespace) -> int:
    """`papertrends topics`: print :func:`topics_report` as a table or JSON; returns 0."""
    store = open_store(args, needs=("papers", "topics"))
    note_unassigned(args, store, paper_frame(store))
    report = topics_report(store)
    if args.json:
        print(json.dumps(report, indent=1, ensure_ascii=False))
        return 0
    s = report["settings"]
    print(f"{report['n_topics']} topics over {report['n_papers']} papers; largest "
          f"{report['largest_share']:.1%}, outliers {report['outlier_share']:.1%}, diversity "
          f"{report['diversity']}, NPMI coherence {report['coherence_npmi']}")
    sizes = (f"min cluster size {s.get('min_cluster_size')}, min samples {s.get('min_samples')}"
             if s.get("clusterer") == "hdbscan" else f"min topic size {s.get('min_topic_size')}")
    print(f"clusterer {s.get('clusterer', 'ward')} ({sizes}), embedder {s.get('embedder')}, "
          f"seed {s.get('seed')}, corpus {report['corpus_hash']}, fitted {report['fitted_at']}")
    if report.get("sample"):
        print(sample_line(report["sample"]))
    kw = (report["quality"].get("keywords") or {})
    if kw.get("lift"):
        print(f"ai_keywords check: {kw['same_topic_share']:.3f} of keyword pairs share a topic, "
              f"{kw['lift']:.2f}x a size-preserving shuffle")
    rows = pl.DataFrame([{"topic": t["topic"], "group": t["group"], "label": t["label"],
                          "count": t["count"],
                          "lineage": (t["lineage"] or {}).get("status")}
                         for t in report["topics"]])
    with pl.Config(tbl_rows=200, fmt_str_lengths=70, tbl_hide_dataframe_shape=True):
        print(rows)
        if report["groups"]:
            print(pl.DataFrame(report["groups"]).select("group", "label", "size"))
    return 0


def run_topic_words(args: argparse.Namespace) -> int:
    """`papertrends topic-words`: a topic's top words per period; returns 0.

    Raises:
        InputError: no such topic, the outliers, or a fit without words over time.
    """
    store = open_store(args, needs=("papers", "topics"))
    table = art.read_topic_table(store)
    known = table.filter(pl.col("topic") >= 0)["topic"].to_list()
    if args.topic not in known:
        raise InputError(f"no topic {args.topic} in this fit"
                         + (" (-1 holds the outliers, which have no words)"
                            if args.topic == OUTLIER else ""), field="topic",
                         hint="pick a topic id from `papertrends topics`")
    words = art.read_topic_words(store, args.period)
    if words.height == 0:
        raise InputError("this fit has no topic words over time", file=str(store.topics_dir),
                         hint=f"refit with `papertrends fit --store {store.root} --force`")
    df = (words.filter(pl.col("topic") == args.topic)
          .select("topic", "period", "count", "words", "small").sort("period"))
    if args.json:
        emit(df.drop("small"), args)
    elif args.csv:
        emit(df.with_columns(pl.col("words").list.join(", ")), args)
    else:
        with pl.Config(fmt_str_lengths=120, tbl_rows=100, tbl_width_chars=160):
            emit(df.with_columns(pl.col("words").list.join(", ")), args)
    return 0
