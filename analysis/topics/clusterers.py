"""The clusterers of the topic fit: HDBSCAN (the default) and Ward, with BERTopic's interface.

Each has ``fit(X)`` and ``labels_`` (-1 = outlier), the way BERTopic calls a clusterer;
:func:`analysis.topics.pipeline.clusterer` picks one from the fit's settings.
"""

from __future__ import annotations

import numpy as np

from analysis.topics.vectors import normalise


class HdbscanTopics:
    """HDBSCAN with exact single-thread settings; ``labels_`` (-1 = outlier) and ``probabilities_``.

    A wrapper rather than a bare ``hdbscan.HDBSCAN``: BERTopic then does not ask for prediction
    data (membership vectors cost minutes and are not used). Deterministic for the same input.
    """

    def __init__(self, min_cluster_size: int, min_samples: int) -> None:
        """Set the smallest topic and the density smoothing."""
        self.min_cluster_size = min_cluster_size
        self.min_samples = min_samples
        self.labels_: np.ndarray | None = None
        self.probabilities_: np.ndarray | None = None

    def fit(self, X: np.ndarray, y=None) -> HdbscanTopics:  # noqa: N803
        """Cluster the rows of X (leaf selection); ``y`` is ignored."""
        import hdbscan

        n = X.shape[0]
        if n <= self.min_cluster_size:  # too few rows for two topics: one topic
            self.labels_ = np.zeros(n, dtype=np.int64)
            self.probabilities_ = np.ones(n, dtype=np.float32)
            return self
        model = hdbscan.HDBSCAN(min_cluster_size=self.min_cluster_size,
                                min_samples=min(self.min_samples, n - 1), metric="euclidean",
                                cluster_selection_method="leaf", core_dist_n_jobs=1,
                                prediction_data=False)
        model.fit(np.asarray(X, dtype=np.float64))
        self.labels_ = model.labels_.astype(np.int64)
        self.probabilities_ = model.probabilities_.astype(np.float32)
        return self


class WardTopics:
    """Ward clustering into n clusters, then small clusters merged into their nearest neighbour.

    Deterministic: the same vectors always give the same labels. Exposes ``labels_`` like the
    clusterers BERTopic expects.
    """

    def __init__(self, n_clusters: int, min_size: int) -> None:
        """Set the number of clusters and the smallest cluster kept on its own."""
        self.n_clusters = n_clusters
        self.min_size = min_size
        self.labels_: np.ndarray | None = None

    def fit(self, X: np.ndarray, y=None) -> WardTopics:  # noqa: N803
        """Cluster the rows of X; ``labels_`` holds a cluster id per row.

        When fewer than two clusters are possible, every row gets label 0. ``y`` is ignored.
        """
        from sklearn.cluster import AgglomerativeClustering

        n = min(self.n_clusters, X.shape[0])
        if n < 2:
            self.labels_ = np.zeros(X.shape[0], dtype=np.int64)
            return self
        labels = AgglomerativeClustering(n_clusters=n, linkage="ward").fit(X).labels_
        self.labels_ = merge_small(X, labels, self.min_size)
        return self


def merge_small(X: np.ndarray, labels: np.ndarray, min_size: int) -> np.ndarray:  # noqa: N803
    """Merge clusters below min_size, smallest first, into the cluster with the closest centroid."""
    labels = labels.copy()
    while True:
        ids, counts = np.unique(labels, return_counts=True)
        if len(ids) < 2 or counts.min() >= min_size:
            break
        small = ids[np.argmin(counts)]
        cents = normalise(np.stack([X[labels == t].mean(0) for t in ids]))
        sims = cents @ cents[ids == small][0]
        sims[ids == small] = -np.inf
        labels[labels == small] = ids[int(np.argmax(sims))]
    _, labels = np.unique(labels, return_inverse=True)
    return labels
