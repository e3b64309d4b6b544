"""Keeping topic ids stable across refits, and placing new papers without a refit (NumPy/SciPy)."""

from __future__ import annotations

import numpy as np

from analysis.names import OUTLIER
from analysis.schema import InputError
from analysis.topics.artifacts import ASSIGNED, MEMBER, OUTLIER_STATUS, REASSIGNED
from analysis.topics.vectors import normalise

MATCH_THRESHOLD = 0.6  # centred cosine of topic centroids from which two topics are "the same"


def match_topics(prev_ids: np.ndarray, prev_vecs: np.ndarray, new_vecs: np.ndarray,
                 threshold: float = MATCH_THRESHOLD) -> tuple[list[int], dict]:
    """Give the topics of a new fit the ids of the previous fit's topics they continue.

    Centroids are compared by *centred* cosine: the mean of all centroids (old and new) is taken
    away first, because raw centroids of one corpus all point the same way (0.94-0.99 cosine with
    the static embedder), which would make every topic match every other.

    One-to-one matching of centroids by the Hungarian method on that similarity; a pair counts
    only at or above ``threshold``. Unmatched new topics get fresh ids (after the largest id ever
    used). An unmatched new topic whose closest previous topic (above threshold) is already taken
    is a *split* of it; an unmatched previous topic whose closest new topic is above threshold was
    *merged* into it; otherwise topics are *new* or *gone*.

    Args:
        prev_ids: ids of the previous topics (outliers excluded).
        prev_vecs: their unit-length centroids, one row each.
        new_vecs: unit-length centroids of the new fit's topics, in the new fit's order.
        threshold: the cosine needed to continue an id.

    Returns:
        (the id for each new topic, a change record with keys kept, new, split, merged, gone).
    """
    from scipy.optimize import linear_sum_assignment

    n_new = new_vecs.shape[0]
    changes: dict = {"kept": [], "new": [], "split": {}, "merged": {}, "gone": []}
    if len(prev_ids) == 0 or prev_vecs.shape[1] != new_vecs.shape[1]:
        changes["new"] = list(range(n_new))
        return list(range(n_new)), changes
    sims = centred_cosine(new_vecs, prev_vecs)
    rows, cols = linear_sum_assignment(-sims)
    ids: list[int | None] = [None] * n_new
    used_prev: set[int] = set()
    for r, c in zip(rows, cols, strict=True):
        if sims[r, c] >= threshold:
            ids[r] = int(prev_ids[c])
            used_prev.add(int(c))
            changes["kept"].append(int(prev_ids[c]))
    next_id = int(np.max(prev_ids)) + 1
    for r in range(n_new):
        if ids[r] is not None:
            continue
        ids[r] = next_id
        best = int(np.argmax(sims[r]))
        if sims[r, best] >= threshold:
            changes["split"].setdefault(str(int(prev_ids[best])), []).append(next_id)
        else:
            changes["new"].append(next_id)
        next_id += 1
    for c, pid in enumerate(prev_ids):
        if c in used_prev:
            continue
        best = int(np.argmax(sims[:, c]))
        if sims[best, c] >= threshold:
            changes["merged"][str(int(pid))] = ids[best]
        else:
            changes["gone"].append(int(pid))
    given = [i for i in ids if i is not None]
    assert len(given) == n_new  # the loop above gave every new topic an id
    return given, changes


def centred_cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosine similarity of the rows of a and b after removing the mean of all their rows."""
    mean = np.vstack([a, b]).mean(axis=0)
    return normalise(a - mean) @ normalise(b - mean).T


def place_new(new_vecs: np.ndarray, fitted_vecs: np.ndarray, fitted_xy: np.ndarray,
              k: int = 10, block: int = 2048) -> np.ndarray:
    """Map positions for new papers: similarity-weighted mean of the k nearest fitted papers.

    The positions have as many columns as ``fitted_xy`` (2 for the map). Works through the new
    papers ``block`` rows at a time, so a million of them never need a million-by-corpus
    similarity matrix at once.
    """
    out = np.zeros((len(new_vecs), fitted_xy.shape[1] if fitted_xy.ndim == 2 else 2),
                   dtype=np.float32)
    if len(new_vecs) == 0 or len(fitted_vecs) == 0:
        return out
    k = min(k, len(fitted_vecs))
    for start in range(0, len(new_vecs), block):
        sims = new_vecs[start:start + block] @ fitted_vecs.T
        near = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        w = np.clip(np.take_along_axis(sims, near, axis=1), 1e-6, None) ** 4
        xy = (fitted_xy[near] * w[..., None]).sum(axis=1) / w.sum(axis=1, keepdims=True)
        out[start:start + block] = xy
    return out


def nearest_topic(vecs: np.ndarray, cents: np.ndarray, threshold: float
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The one rule that places a paper outside the clustering: the nearest topic centroid.

    Used for the papers HDBSCAN leaves out (after the fit) and for papers added later
    (``assign``). It is the rule of BERTopic's ``reduce_outliers(strategy="embeddings",
    threshold=...)``: cosine of the paper's embedding to each topic's mean member embedding.

    Args:
        vecs: unit-length paper embeddings, one row each.
        cents: unit-length topic centroids, one row per topic.
        threshold: the cosine a paper needs to join its nearest topic.

    Returns:
        (row of the nearest centroid, its cosine, whether that reaches the threshold) per paper.
    """
    if len(vecs) == 0 or len(cents) == 0:
        n = len(vecs)
        return (np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.float32),
                np.zeros(n, dtype=bool))
    sims = vecs @ cents.T
    best = np.argmax(sims, axis=1)
    cos = sims[np.arange(len(best)), best].astype(np.float32)
    return best, cos, cos >= threshold


def place(vecs: np.ndarray, ids: np.ndarray, cents: np.ndarray, threshold: float,
          placed_vecs: np.ndarray, placed_xy: np.ndarray) -> dict[str, np.ndarray]:
    """Topic, probability, map position, status and cosine of papers the clustering did not see.

    The one path for papers added after a fit (``assign``) and for the papers outside the sample
    of a sample fit: the nearest centroid where the cosine reaches ``threshold``
    (:func:`nearest_topic`), else an outlier; the probability is the softmax over centroid
    cosines (0 for outliers); the position comes from the nearest placed papers
    (:func:`place_new`).

    Args:
        vecs: unit-length embeddings of the papers to place.
        ids: the topic id of each centroid row.
        cents: unit-length topic centroids.
        threshold: the cosine a paper needs to join its nearest topic.
        placed_vecs: embeddings of papers that already have a map position...
        placed_xy: ...and those positions.

    Returns:
        ``topic`` (int32, -1 for outliers), ``prob`` and ``sim`` (float32), ``xy`` and ``status``
        (``assigned`` or ``outlier``).
    """
    from analysis.topics.pipeline import probabilities

    best, cos, near = nearest_topic(vecs, cents, threshold)
    prob = np.where(near, probabilities(vecs, cents)[1], 0.0) if len(vecs) else np.zeros(0)
    return {"topic": np.where(near, np.asarray(ids)[best], OUTLIER).astype(np.int32),
            "prob": prob.astype(np.float32), "sim": cos,
            "xy": place_new(vecs, placed_vecs, placed_xy),
            "status": np.where(near, ASSIGNED, OUTLIER_STATUS)}


def place_outliers(emb: np.ndarray, raw: np.ndarray, threshold: float
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(final topics, status, cosine to own or nearest centroid) after placing the outliers.

    The outliers of HDBSCAN join their nearest topic where the cosine reaches the threshold
    (:func:`nearest_topic`, the rule ``assign`` uses for papers added later).

    Raises:
        InputError: the clustering found no topic.
    """
    from analysis.topics.pipeline import centroids

    inner = sorted(int(i) for i in np.unique(raw) if i >= 0)
    if not inner:
        raise InputError("the clustering found no topic at all",
                         hint="add papers, or use --clusterer ward")
    cents = centroids(emb, raw, inner)
    best, cos, near = nearest_topic(emb, cents, threshold)
    out = raw < 0
    final = raw.copy()
    final[out & near] = np.asarray(inner)[best[out & near]]
    status = np.where(~out, MEMBER, np.where(near, REASSIGNED, OUTLIER_STATUS))
    sim = cos.copy()  # for members: the cosine to their own topic's centroid
    rows = np.flatnonzero(~out)
    sim[rows] = np.einsum("ij,ij->i", emb[rows], cents[np.searchsorted(inner, raw[rows])])
    return final, status, sim.astype(np.float32)
