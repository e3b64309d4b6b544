"""The full check of a store (`papertrends check`): every file read in full, artifacts vs table.

Builds on the quick checks of :mod:`analysis.health` (file headers and manifest hashes) and adds:
the table read in full (schema, unique ids); the topic artifacts against each other and against
the table (topic ids, sizes, topic count, assignments of papers that are gone, the fit's corpus
hash, papers not yet assigned); the embedding caches read in full; every raw file (hash, JSON);
the fetch state; the manifest itself. Problems come damaged first, then notes.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import polars as pl

from analysis.coverage import read_listings
from analysis.health import (
    Problem,
    embeddings_fix,
    hash_problem,
    listings_fix,
    papers_fix,
    quick,
    rebuild_fix,
    short,
)
from analysis.schema import InputError, validate
from analysis.store import READ_ERRORS, Store, corpus_hash, read_parquet
from analysis.table import DamagedFile
from analysis.topics import artifacts as art

_RAW_DAY = re.compile(r"^raw/hf-daily/(\d{4}-\d{2}-\d{2})(\.p\d+)?\.json$")


def check_store(store: Store) -> list[Problem]:
    """Every file of the store, and the artifacts against the table; damaged first, then notes."""
    out = quick(store)
    bad = {p.part for p in out if p.damaged}
    papers = None
    if "papers" not in bad and store.exists():
        papers, problem = _deep_papers(store)
        out += problem
    if "topics" not in bad and art.has_topics(store) and papers is not None:
        out += _deep_topics(store, papers, embeddings_ok="embeddings" not in bad)
    if "embeddings" not in bad:
        out += _deep_embeddings(store)
    out += _raw(store) + _listings(store) + _fetch_state(store) + _manifest(store)
    return sorted(out, key=lambda p: (not p.damaged, p.file))


def _deep_papers(store: Store) -> tuple[pl.DataFrame | None, list[Problem]]:
    fix = papers_fix(store)
    try:
        papers = validate(store.read_papers())
    except DamagedFile as exc:  # a base, listing or delta with damaged pages behind its footer
        return None, [Problem("papers", str(exc.path),
                              f"damaged: cannot be read in full ({exc.detail})", fix)]
    except READ_ERRORS as exc:  # noqa: BLE001 - bad values
        return None, [Problem("papers", str(store.papers_path),
                              f"damaged: cannot be read in full ({short(exc)})", fix)]
    dups = papers.height - papers.get_column("paper_id").n_unique()
    if dups:
        return papers, [Problem("papers", str(store.papers_path),
                                f"holds {dups} duplicate paper id(s)", fix)]
    return papers, []


def _deep_topics(store: Store, papers: pl.DataFrame, *, embeddings_ok: bool) -> list[Problem]:
    fix = art.fit_fix(store)
    try:
        fit = art.read_fit(store)
        if art.path_of(store, art.TOPIC_VECTORS).is_file():
            art.read_topic_vectors(store)
    except InputError as err:
        return [Problem("topics", err.file or str(store.topics_dir), err.message, fix)]
    out = []
    where = str(art.path_of(store, art.ASSIGNMENTS))
    table_path = str(art.path_of(store, art.TOPIC_TABLE))
    counts = fit.assignments.group_by("topic").len("n")
    known = set(fit.table.get_column("topic").to_list()) | {-1}
    unknown = sorted(set(counts.get_column("topic").to_list()) - known)
    if unknown:
        out.append(Problem("topics", where, f"names topic(s) {unknown[:5]} that the topic "
                           "table does not have", fix))
    sizes = fit.table.join(counts, on="topic", how="left").with_columns(pl.col("n").fill_null(0))
    if sizes.filter(pl.col("size") != pl.col("n")).height:
        out.append(Problem("topics", table_path, "topic sizes differ from the assignments",
                           f"run `papertrends assign --store {store.root}` (it recounts them)"))
    n_topics = fit.meta.get("n_topics")
    real = fit.table.filter(pl.col("topic") >= 0).height
    if isinstance(n_topics, int) and n_topics != real:
        out.append(Problem("topics", str(art.path_of(store, art.META)),
                           f"says {n_topics} topics, the topic table holds {real}", fix))
    ids = papers.select("paper_id")
    orphans = fit.assignments.join(ids, on="paper_id", how="anti").height
    if orphans:
        out.append(Problem("topics", where, f"{orphans} assignment(s) name papers that are not "
                           "in the table", rebuild_fix(store, "it drops them")))
    if fit.meta.get("n_assigned_after_fit", 0) == 0 and fit.meta.get("corpus_hash"):
        fitted = papers.join(fit.assignments.select("paper_id"), on="paper_id", how="semi")
        if corpus_hash(fitted) != fit.meta["corpus_hash"]:
            out.append(Problem("topics", str(art.path_of(store, art.META)),
                               "the fit saw other titles or abstracts than the table holds now",
                               f"run `papertrends fit --store {store.root}` to refit",
                               damaged=False))
    waiting = papers.join(art.current_assignments(store, fit, papers), on="paper_id",
                          how="anti").height
    if waiting:
        out.append(Problem("topics", str(store.papers_path),
                           f"{waiting:,} paper(s) not yet assigned a topic (new or changed "
                           "since the fit)", f"run `papertrends assign --store {store.root}`",
                           damaged=False))
    if embeddings_ok and art.fit_backend(fit.meta) and not store.embeddings_path(
            str(art.fit_backend(fit.meta))).is_file():
        out.append(Problem("embeddings", str(store.embeddings_path(str(art.fit_backend(
            fit.meta)))), "is missing: new papers cannot be placed, changed ones not found",
            embeddings_fix(store)))
    return out + _model_files(store)


def _model_files(store: Store) -> list[Problem]:
    """The saved BERTopic model: hashes, and each safetensors header against its length."""
    out = []
    model = art.path_of(store, art.MODEL_DIR)
    for path in sorted(model.glob("*")) if model.is_dir() else []:
        bad = hash_problem(store, path, "topics", art.fit_fix(store))
        if bad is None and path.suffix == ".safetensors" and not _safetensors_ok(path):
            bad = Problem("topics", str(path), "damaged: a cut or broken safetensors file",
                          art.fit_fix(store))
        if bad:
            out.append(bad)
    return out


def _safetensors_ok(path: Path) -> bool:
    data = path.read_bytes()
    if len(data) < 8:
        return False
    n = int.from_bytes(data[:8], "little")
    try:
        header = json.loads(data[8:8 + n])
    except ValueError:
        return False
    ends = [v["data_offsets"][1] for k, v in header.items() if k != "__metadata__"]
    return 8 + n + max(ends, default=0) == len(data)


def _deep_embeddings(store: Store) -> list[Problem]:
    out = []
    for path in sorted(store.embeddings_dir.glob("*.parquet")) if store.embeddings_dir.is_dir() \
            else []:
        try:
            cache = read_parquet(path)
            lengths = cache.get_column("vector").bin.size().unique()
        except READ_ERRORS as exc:  # noqa: BLE001 - damaged pages behind a good footer
            out.append(Problem("embeddings", str(path),
                               f"damaged: cannot be read in full ({short(exc)})",
                               embeddings_fix(store)))
            continue
        if lengths.len() > 1 or cache.get_column("key").n_unique() != cache.height:
            out.append(Problem("embeddings", str(path), "damaged: vectors of different lengths "
                               "or repeated keys", embeddings_fix(store)))
    return out


def _raw(store: Store) -> list[Problem]:
    out = [Problem("raw", str(store.root / rel), "is missing (the manifest lists it)",
                   rebuild_fix(store, "it rebuilds the table without it"))
           for rel in sorted(store.ledger.manifest() or {})
           if rel.startswith("raw/") and not (store.root / rel).exists()]
    for path in sorted(store.raw_root.rglob("*")) if store.raw_root.is_dir() else []:
        rel = store.rel(path) or ""
        if not path.is_file() or path.name.startswith("."):
            continue
        day = _RAW_DAY.match(rel)
        fix = (f"fetch that day again: `papertrends fetch --refresh --from {day.group(1)} --to "
               f"{day.group(1)} --store {store.root}`" if day else
               f"replace or remove it, then run `papertrends rebuild --store {store.root}`")
        bad = hash_problem(store, path, "raw", fix)
        if bad is None and path.suffix == ".json":
            try:
                json.loads(path.read_bytes())
            except ValueError as exc:
                bad = Problem("raw", str(path), f"damaged: not readable JSON ({short(exc)})",
                              fix)
        if bad:
            out.append(bad)
    return out


def _listings(store: Store) -> list[Problem]:
    """``listings.json`` (the month list sizes of the coverage strip) read and checked."""
    try:
        read_listings(store)
    except InputError as err:
        where = ": ".join(str(x) for x in (err.entry, err.field and f"field {err.field!r}") if x)
        return [Problem("listings", str(store.listings_path),
                        f"damaged: {where + ': ' if where else ''}{err.message}",
                        listings_fix(store))]
    return []


def _fetch_state(store: Store) -> list[Problem]:
    path = store.fetch_state_path
    if not path.is_file():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        ok = isinstance(data, dict) and isinstance(data.get("days", {}), dict)
    except (OSError, ValueError):
        ok = False
    if ok:
        return []
    return [Problem("fetch-state", str(path), "damaged: not the fetch state's JSON",
                    rebuild_fix(store, "it starts a new fetch state"))]


def _manifest(store: Store) -> list[Problem]:
    if store.is_bundled:
        return []
    path = store.manifest_path
    if not path.is_file():
        return [Problem("manifest", str(path), "none yet: file hashes are not checked",
                        "it is written by the next command that writes this store",
                        damaged=False)]
    files = store.ledger.manifest()
    if files is None:
        return [Problem("manifest", str(path), "damaged: not readable JSON",
                        rebuild_fix(store, "it writes a fresh one"))]
    unrecorded = sorted(set(store.tracked_files()) - set(files))
    if not unrecorded:
        return []
    more = f" (and {len(unrecorded) - 1} more)" if len(unrecorded) > 1 else ""
    return [Problem("manifest", str(store.root / unrecorded[0]),
                    f"not in the manifest{more}: written by another tool, so its hash is not "
                    "checked",
                    rebuild_fix(store, "it records every file"), damaged=False)]
