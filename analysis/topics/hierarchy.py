"""Topic groups: the fine topics agglomerated into 8-15 groups by their centroids.

What BERTopic's ``hierarchical_topics(use_ctfidf=False)`` does with our centroids as
``topic_embeddings_``: Ward linkage of the topics on ``1 - cosine`` of their centroids (scipy),
without naming every merge. Centroid distances group the bundled corpus the way a reader would
(speech and audio together, science apart); the c-TF-IDF distance put text-to-speech with RL
reasoning in one group of a quarter of all papers.

The tree is cut where it is most natural: among 8 to 15 groups, the count whose next merge is the
largest step up in merge distance relative to that merge's height (ties to fewer groups). The
absolute step favours the fewest groups, since merges high in the tree are far apart anyway (on
the bundled corpus the absolute steps at 8, 11 and 14 groups were within 12 % of each other, the
relative ones 0.105, 0.114, 0.148). Groups are numbered by size, largest first.
"""

from __future__ import annotations

import numpy as np

GROUPS = (8, 15)


def linkage(cents: np.ndarray) -> np.ndarray:
    """Ward linkage matrix of unit-length topic centroids on cosine distance."""
    from scipy.cluster import hierarchy
    from scipy.spatial.distance import squareform

    dist = np.clip(1.0 - cents.astype(np.float64) @ cents.T.astype(np.float64), 0.0, None)
    np.fill_diagonal(dist, 0.0)
    return hierarchy.linkage(squareform((dist + dist.T) / 2, checks=False), "ward")


def natural_cut(merges: np.ndarray, lo: int = GROUPS[0], hi: int = GROUPS[1]) -> int:
    """The group count in [lo, hi] after which the next merge is the largest relative step up.

    Args:
        merges: a scipy linkage matrix over n leaves (n - 1 rows, distances ascending).
        lo: fewest groups.
        hi: most groups.

    Returns:
        The count (n itself when there are at most ``lo`` leaves).
    """
    n = merges.shape[0] + 1
    if n <= lo:
        return n
    d = merges[:, 2]
    # k groups undo the last k-1 merges; the step above that cut is d[n-k] - d[n-k-1]
    steps = {k: (d[n - k] - d[n - k - 1]) / d[n - k] if d[n - k] > 0 else 0.0
             for k in range(lo, min(hi, n - 1) + 1)}
    return max(steps, key=lambda k: (steps[k], -k))


def groups(topic_ids: list[int], cents: np.ndarray, sizes: list[int],
           n_groups: int | None = None) -> dict[int, int]:
    """Topic id -> group id (0 = the group with the most papers).

    Args:
        topic_ids: the fine topics (outliers excluded).
        cents: their unit-length centroids, same order.
        sizes: their paper counts, same order.
        n_groups: the number of groups (default: :func:`natural_cut`).
    """
    from scipy.cluster import hierarchy

    if len(topic_ids) < 2:
        return {t: 0 for t in topic_ids}
    merges = linkage(cents)
    k = n_groups or natural_cut(merges)
    cut = hierarchy.fcluster(merges, t=k, criterion="maxclust")
    total: dict[int, int] = {}
    first: dict[int, int] = {}
    for t, g, s in zip(topic_ids, cut, sizes, strict=True):
        total[int(g)] = total.get(int(g), 0) + int(s)
        first[int(g)] = min(first.get(int(g), t), t)
    order = sorted(total, key=lambda g: (-total[g], first[g]))
    renum = {g: i for i, g in enumerate(order)}
    return {int(t): renum[int(g)] for t, g in zip(topic_ids, cut, strict=True)}
