"""Topic quality measures: topic diversity and NPMI coherence on the corpus."""

from __future__ import annotations

import numpy as np


def diversity(words: list[list[str]], top_n: int = 10) -> float:
    """Share of unique terms among all topics' top-n terms (1.0: no term shared by two topics)."""
    terms = [w for ws in words for w in ws[:top_n]]
    return round(len(set(terms)) / len(terms), 4) if terms else 0.0


def npmi_coherence(words: list[list[str]], docs: list[str], vectorizer, top_n: int = 10) -> float:
    """Mean normalised PMI of each topic's top-n term pairs, counted as document co-occurrence.

    Args:
        words: the top terms of each topic (outliers excluded).
        docs: the corpus the topics were fitted on.
        vectorizer: a CountVectorizer configured like the one of the topic model (same tokens,
            stop words and n-grams); only its settings are used.
        top_n: how many terms per topic.

    Returns:
        Mean NPMI in [-1, 1]; pairs that never co-occur count as -1. Higher is more coherent.
    """
    from sklearn.base import clone

    vocab = sorted({w for ws in words for w in ws[:top_n]})
    if not vocab or not docs:
        return 0.0
    counter = clone(vectorizer).set_params(vocabulary=vocab, binary=True, min_df=1, max_df=1.0)
    present = counter.fit_transform(docs).tocsc().astype(np.float64)
    n = present.shape[0]
    index = {w: i for i, w in enumerate(counter.get_feature_names_out())}
    p = np.asarray(present.sum(axis=0)).ravel() / n
    joint = (present.T @ present).toarray() / n
    scores = []
    for ws in words:
        ids = [index[w] for w in ws[:top_n] if w in index]
        pairs = [(a, b) for i, a in enumerate(ids) for b in ids[i + 1:]]
        vals = []
        for a, b in pairs:
            pab = joint[a, b]
            if pab <= 0 or p[a] <= 0 or p[b] <= 0:
                vals.append(-1.0)
            elif pab >= 1:
                vals.append(1.0)
            else:
                vals.append(np.log(pab / (p[a] * p[b])) / -np.log(pab))
        if vals:
            scores.append(float(np.mean(vals)))
    return round(float(np.mean(scores)), 4) if scores else 0.0


def report(labels: np.ndarray, words: list[list[str]], coherence: float) -> dict:
    """The quality summary kept in the fit's meta and printed by `papertrends topics`."""
    n = len(labels)
    topics, counts = np.unique(labels[labels >= 0], return_counts=True)
    return {
        "n_papers": int(n),
        "n_topics": int(len(topics)),
        "outlier_share": round(float((labels < 0).sum() / n), 4) if n else 0.0,
        "largest_share": round(float(counts.max() / n), 4) if n and len(counts) else 0.0,
        "smallest_topic": int(counts.min()) if len(counts) else 0,
        "diversity": diversity(words),
        "coherence_npmi": coherence,
    }
