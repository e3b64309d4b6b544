"""Words about the data and the model, made from what the store says (never hard-coded numbers).

:func:`data_note` is the one line every dashboard page shows under its title: where the papers
come from, their span, papers per listing day, and that upvote counts were read at different
ages (the daily crawl on the listing day, the month archive months later).
:func:`model_text` says how the topics were found, from the fit's own settings.
"""

from __future__ import annotations

from typing import Any

from analysis.topics.artifacts import TopicMeta

#: Readable names of the ``source`` values the ingest writes.
SOURCE_NAMES = {
    "hf-daily-api": "Hugging Face Daily Papers",
    "hf-month-api": "Hugging Face Daily Papers",  # the same lists, read a month at a time
    "hf-page-dump": "page copies",
    "csv": "CSV files", "parquet": "Parquet files", "jsonl": "JSON Lines files",
    "json": "JSON files",
}
UPVOTE_CAVEAT = "upvotes read at different ages"


def data_note(info: dict[str, Any]) -> str:
    """One line about the data of a store, from ``analysis.commands.data.summarise(store)``.

    For example "Data: 12,526 papers from Hugging Face Daily Papers + 44 from page copies ·
    listed 2023-05-04 to 2026-05-29, ~16 a day · upvotes read at different ages" (a
    day: a day with a list). Each paper counts once, under the source of the reading that won
    the merge (``records``; the daily and the month lists are both Hugging Face Daily Papers);
    the sidebar's "About this data" has the counts per source and their licenses.
    """
    by_name: dict[str, int] = {}
    for s, n in (info.get("records") or info.get("sources") or {}).items():
        name = SOURCE_NAMES.get(s, s)
        by_name[name] = by_name.get(name, 0) + n
    ranked = sorted(by_name.items(), key=lambda kv: (-kv[1], kv[0]))
    parts = [" + ".join(f"{n:,} {'from ' if i else 'papers from '}{name}"
                        for i, (name, n) in enumerate(ranked)) or "no papers yet"]
    first, last = info.get("first_date"), info.get("last_date")
    days = info.get("listing_days") or 0
    if first and last:
        listed = info.get("papers", 0) - (info.get("unlisted") or 0)
        rate = f", ~{listed / days:,.0f} a day" if days else ""
        parts.append(f"listed {first} to {last}{rate}")
    parts.append(UPVOTE_CAVEAT)
    return "Data: " + " · ".join(parts)


def model_steps(settings: dict[str, Any]) -> str:
    """How a fit found its topics, step by step, read from its settings.

    For example "PCA to 50 dimensions → UMAP to 5 dimensions (50 neighbours, 500 epochs) →
    Ward clustering into 37 topics (smaller than 21 papers merged) → c-TF-IDF words".
    """
    s = settings
    steps = []
    if s.get("pca_dims"):
        steps.append(f"PCA to {s['pca_dims']} dimensions")
    if s.get("umap_dims"):
        extra = [f"{s['neighbors']} neighbours" if s.get("neighbors") else "",
                 f"{s['umap_epochs']} epochs" if s.get("umap_epochs") else ""]
        inner = ", ".join(e for e in extra if e)
        steps.append(f"UMAP to {s['umap_dims']} dimensions" + (f" ({inner})" if inner else ""))
    clusterer = str(s.get("clusterer") or "").lower()
    if clusterer == "hdbscan" or (not clusterer and s.get("min_cluster_size")):
        size = s.get("min_cluster_size") or s.get("min_topic_size")
        steps.append("HDBSCAN clustering" + (f" (clusters of at least {size} papers, the rest "
                                             "outliers)" if size else ""))
        if s.get("reassign_threshold") is not None:
            steps.append(f"outliers within cosine {s['reassign_threshold']} of a topic's centre "
                         "join it")
    elif clusterer in ("", "ward") and s.get("n_topics"):
        merged = (f" (smaller than {s['min_topic_size']} papers merged)"
                  if s.get("min_topic_size") else "")
        steps.append(f"Ward clustering into {s['n_topics']} topics{merged}")
    elif clusterer:
        steps.append(f"{clusterer} clustering")
    steps.append("c-TF-IDF words")
    return " → ".join(steps)


def model_text(meta: dict | None, corpus: str) -> str:
    """The topic model in one readable line, its steps from the fit's settings."""
    if not meta:
        return "none fitted"
    typed = TopicMeta.from_dict(meta)
    same = typed.corpus_hash == corpus
    parts = [model_steps(typed.settings), f"embedder {typed.embedder}",
             f"{typed.n_topics} topics", f"fitted {typed.fitted_at or '?'}",
             f"on corpus {typed.corpus_hash or '?'}"
             + (" (the current one)" if same else " (an earlier one: new papers placed later)"),
             (f"clustered on a time-stratified sample of {typed.sample.get('n', 0):,} of "
              f"{typed.sample.get('of', 0):,} papers, the rest placed by the nearest-centroid "
              "rule") if typed.sample else "",
             "settings: " + ", ".join(f"{k}={v}" for k, v in sorted(typed.settings.items()))]
    return "; ".join(p for p in parts if p)
