"""A store for the chart/view/export tests: the 447 fixture papers plus a small topic fit.

The topic artifacts are written in the layout analysis.topics.artifacts reads (assignments,
topic table with two topic groups, group table, meta.json) from a seeded TF-IDF + k-means
clustering, so the topic views can be drawn without running BERTopic (a slow test in
test_export_report.py does run the real fit). The assignments leave out the columns older fits
did not write (status, sim), as such a fit would.
Two of the most upvoted papers get hostile titles: a spreadsheet formula and a script tag.
"""

from __future__ import annotations

import datetime as dt
import struct
from pathlib import Path

import numpy as np
import polars as pl

from analysis.ingest import ingest
from analysis.names import OUTLIER_LABEL
from analysis.store import Store, atomic_write_json, atomic_write_parquet
from analysis.topics import artifacts as art
from tests.support.paths import DAILY

SEED = 7
N_TOPICS = 6
FORMULA_TITLE = '=HYPERLINK("http://example.invalid/x","click me")'
SCRIPT_TITLE = "</script><script>window.__pwned=1</script><img src=x onerror=window.__pwned=2>"


def build_store(root: Path) -> Store:
    """Ingest the fixture files into ``root``, plant hostile titles, write a topic fit."""
    store = Store(root)
    ingest(store, [str(DAILY)])
    papers = store.read_papers()
    top = papers.sort(["upvotes", "paper_id"], descending=[True, False], nulls_last=True)
    first, second = top["paper_id"][0], top["paper_id"][1]
    papers = papers.with_columns(
        pl.when(pl.col("paper_id") == first).then(pl.lit(FORMULA_TITLE))
        .when(pl.col("paper_id") == second).then(pl.lit(SCRIPT_TITLE))
        .otherwise(pl.col("title")).alias("title"))
    store.write_papers(papers)
    write_topics(store)
    return store


def write_topics(store: Store) -> None:
    """A seeded k-means fit on TF-IDF vectors, saved as topic artifacts."""
    from sklearn.cluster import KMeans
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer

    papers = store.read_papers().sort("paper_id")
    docs = (papers["title"] + ". " + papers["abstract"].fill_null("")).to_list()
    vec = TfidfVectorizer(stop_words="english", min_df=2, max_features=4000)
    X = vec.fit_transform(docs)  # noqa: N806
    km = KMeans(N_TOPICS, random_state=SEED, n_init=4).fit(X)
    dist = km.transform(X).min(axis=1)
    topic = np.where(dist > np.quantile(dist, 0.9), -1, km.labels_).astype(np.int32)
    xy = TruncatedSVD(2, random_state=SEED).fit_transform(X).astype(np.float32)
    terms = np.array(vec.get_feature_names_out())
    words = {t: terms[np.argsort(-km.cluster_centers_[t])[:8]].tolist() for t in range(N_TOPICS)}
    ids = papers["paper_id"].to_list()
    old = ("paper_id", "topic", "prob", "x", "y")
    assignments = pl.DataFrame({"paper_id": ids, "topic": topic,
                                "prob": (1 / (1 + dist)).astype(np.float32),
                                "x": xy[:, 0], "y": xy[:, 1]},
                               schema={c: art.ASSIGNMENT_SCHEMA[c] for c in old})
    rows = [{"topic": t, "label": OUTLIER_LABEL if t < 0 else " / ".join(words[t][:3]),
             "words": [] if t < 0 else words[t], "size": int((topic == t).sum()),
             "representative": [ids[i] for i in np.flatnonzero(topic == t)[:3]],
             "group": group_of(t)}
            for t in range(-1, N_TOPICS)]
    table = pl.DataFrame(rows, schema={c: art.TOPIC_SCHEMA[c] for c in rows[0]})
    groups = pl.DataFrame([{"group": g, "label": f"group {g} of the fixture",
                            "size": int(np.isin(topic, [t for t in range(N_TOPICS)
                                                        if group_of(t) == g]).sum()),
                            "topics": [t for t in range(N_TOPICS) if group_of(t) == g]}
                           for g in (0, 1)], schema=art.GROUP_SCHEMA)
    meta = {"settings": {"method": "tfidf-kmeans (test fixture)", "seed": SEED,
                         "n_topics": N_TOPICS, "embedder": "tfidf"},
            "seed": SEED, "embedder": "tfidf", "corpus_hash": store.corpus_hash(),
            "fitted_at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC).isoformat(),
            "n_topics": N_TOPICS}
    atomic_write_parquet(art.path_of(store, art.ASSIGNMENTS), assignments)
    atomic_write_parquet(art.path_of(store, art.TOPIC_TABLE), table)
    atomic_write_parquet(art.path_of(store, art.GROUP_TABLE), groups)
    atomic_write_json(art.path_of(store, art.META), meta)


def group_of(topic: int) -> int:
    """The fixture's topic groups: topics 0-2 in group 0, 3-5 in group 1, outliers -1."""
    return -1 if topic < 0 else topic // 3


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk; asserts the PNG signature."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])
