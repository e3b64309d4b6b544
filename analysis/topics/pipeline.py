"""The topic model itself: seeded reduction and clustering inside BERTopic, and the 2-D map.

The steps (measured on the bundled corpus and on the 12.5k-paper union store; see issue 12):

1. PCA to 50 dimensions (exact, deterministic), rows re-normalised to unit length;
2. exact 30-nearest-neighbour graph of those vectors (brute force, deterministic), then a seeded
   single-thread UMAP to 5 dimensions on that graph (min_dist 0): UMAP pulls topics apart;
3. the clusterer (BERTopic's ``hdbscan_model``):

   * ``hdbscan`` (default): HDBSCAN with leaf selection, min_cluster_size 20, min_samples 30
     (from 4,000 to 15,000 papers; in proportion to the corpus outside that range, see
     :meth:`Settings.resolve`).
     ``eom`` selection collapses this corpus into a few giant topics; leaf finds 50-70 topics
     and leaves about half the papers out. Those outliers keep an honest ``outlier`` status and
     are then given the topic with the nearest centroid where their MiniLM cosine to it reaches
     0.6 (:func:`analysis.topics.match.nearest_topic`, the rule of BERTopic's
     ``reduce_outliers(strategy="embeddings", threshold=0.6)``; the ``fast`` model's is 0.82,
     see :data:`REASSIGN_THRESHOLDS`); 4-6 % stay outliers;
   * ``ward``: Ward clustering into ``n_topics`` clusters (0.4 * sqrt(N) unless set), clusters
     smaller than ``min_topic_size`` merged into the nearest; no outliers;
4. BERTopic's c-TF-IDF on English-stop-word 1-2-grams gives each topic's top words; labels are
   made from phrases in :mod:`analysis.topics.labels`;
5. a seeded 2-D UMAP on the same neighbour graph gives the topic map.

Heavy libraries are imported inside the functions that use them.
"""

from __future__ import annotations

import contextlib
import logging
import math
import warnings
from dataclasses import asdict, dataclass, replace

import numpy as np

from analysis.topics.clusterers import HdbscanTopics, WardTopics
from analysis.topics.vectorizers import GROW_FROM, ctfidf_model, topic_vectorizer
from analysis.topics.vectors import normalise

VERSION = 3
PCA_DIMS = 50
CLUSTERERS = ("hdbscan", "ward")
TEMPERATURE = 0.05  # softmax temperature over topic cosines, for a Ward / new paper probability
#: Corpus size from which the HDBSCAN sizes stop growing (smaller corpora get smaller ones).
FULL_SIZE = 4000
MIN_CLUSTER_SIZE, MIN_SAMPLES = 20, 30
#: The cosine to its nearest topic's centroid an outlier (or a later paper) needs to join it, per
#: embedder. On the bundled 12,570 papers MiniLM's 0.6 is the 2.6 % quantile of the members'
#: cosines to their own centroid and places 92.7 % of HDBSCAN's outliers. The static ``fast``
#: model's cosines sit higher and closer together (members: 5 % quantile 0.84, median 0.90):
#: 0.6 placed every outlier, so no paper was ever left out; 0.82 is its members' 2.6 % quantile.
REASSIGN_THRESHOLDS = {"minilm": 0.6, "minilm-openvino": 0.6, "fast": 0.82}


def hdbscan_scale(n_docs: int) -> float:
    """How much of the measured sizes (20 / 30) a corpus of n_docs papers gets.

    Below FULL_SIZE papers less (small corpora); up to GROW_FROM exactly them (the range they
    were measured on: 50-70 topics on the 8.5k and 12.5k stores); above, in proportion to the
    corpus, so that a topic stays about the same share of it (at 100k papers a fixed 20 found
    1,041 topics of 0.1 % each).
    """
    if n_docs < FULL_SIZE:
        return n_docs / FULL_SIZE
    return max(1.0, n_docs / GROW_FROM)


@dataclass(frozen=True)
class Settings:
    """Everything that decides a fit. ``None`` sizes are derived from the corpus size.

    Attributes:
        embedder: the embedding backend (``minilm`` or ``fast``).
        seed: seeds both UMAP runs (clustering space and 2-D map).
        clusterer: ``hdbscan`` (default) or ``ward``.
        min_cluster_size: HDBSCAN's smallest topic (default 20; smaller below 4,000 papers,
            larger above 15,000: see :func:`hdbscan_scale`).
        min_samples: HDBSCAN's density smoothing (default 30, scaled the same way; above
            min_cluster_size is steadier across seeds).
        reassign_threshold: an HDBSCAN outlier joins its nearest topic when its cosine to that
            topic's centroid reaches this (default: the embedder's, ``REASSIGN_THRESHOLDS``).
        n_topics: Ward's number of clusters (default 0.4 * sqrt(papers), 5 to 60).
        min_topic_size: Ward's smallest topic (default max(10, papers / 400)).
        pca_dims, neighbors, umap_dims, umap_epochs: the reduction.
        version: the pipeline version (a new version never reuses an old fit).
    """

    embedder: str = "minilm"
    seed: int = 42
    clusterer: str = "hdbscan"
    min_cluster_size: int | None = None
    min_samples: int | None = None
    reassign_threshold: float | None = None
    n_topics: int | None = None
    min_topic_size: int | None = None
    pca_dims: int = PCA_DIMS
    neighbors: int = 30
    umap_dims: int = 5
    umap_epochs: int = 1000
    version: int = VERSION

    def resolve(self, n_docs: int, of: int | None = None) -> Settings:
        """Fill in the derived sizes for clustering n_docs papers (only the clusterer's own).

        Args:
            n_docs: the papers clustered.
            of: the corpus they are a sample of (None: they are the corpus). HDBSCAN's derived
                sizes are the corpus's, times the sample's share of it, so that a sample looks
                for topics of the same share of the papers as a full fit would. Sizes given
                explicitly are used as given.
        """
        threshold = self.reassign_threshold
        if threshold is None:
            threshold = REASSIGN_THRESHOLDS.get(self.embedder, REASSIGN_THRESHOLDS["minilm"])
        if self.clusterer == "ward":
            min_size = self.min_topic_size or max(10, round(n_docs / 400))
            n_topics = self.n_topics or min(60, max(5, round(0.4 * math.sqrt(n_docs))))
            n_topics = max(1, min(n_topics, n_docs // max(1, min_size)))
            return replace(self, n_topics=n_topics, min_topic_size=min_size,
                           min_cluster_size=None, min_samples=None, reassign_threshold=threshold)
        corpus = of or n_docs
        scale = hdbscan_scale(corpus) * n_docs / corpus
        mcs = self.min_cluster_size or max(5, round(MIN_CLUSTER_SIZE * scale))
        ms = self.min_samples or max(5, round(MIN_SAMPLES * scale))
        return replace(self, min_cluster_size=mcs, min_samples=ms, n_topics=None,
                       min_topic_size=None, reassign_threshold=threshold)

    def to_dict(self) -> dict:
        """The settings as a plain dict (recorded in the fit's meta)."""
        return asdict(self)


class UnitPCA:
    """PCA to a few dimensions, rows scaled back to unit length.

    Exact and deterministic: eigenvectors of the (dim x dim) covariance matrix in float64, each
    with its sign fixed so that its largest component is positive.
    """

    def __init__(self, n_components: int = PCA_DIMS) -> None:
        """Set the number of dimensions kept (fewer when the data has fewer)."""
        self.n_components = n_components
        self.embedding_: np.ndarray | None = None

    def fit(self, X: np.ndarray, y=None) -> UnitPCA:  # noqa: N803 - sklearn naming
        """Learn the components from the rows of X; ``embedding_`` holds X projected.

        ``y`` is ignored (sklearn's signature).
        """
        X = np.asarray(X, dtype=np.float64)  # noqa: N806
        dims = max(1, min(self.n_components, X.shape[0] - 1, X.shape[1]))
        self.mean_ = X.mean(axis=0)
        centred = X - self.mean_
        values, vectors = np.linalg.eigh(centred.T @ centred)
        comps = vectors[:, np.argsort(values)[::-1][:dims]]
        signs = np.sign(comps[np.argmax(np.abs(comps), axis=0), np.arange(dims)])
        self.components_ = comps * np.where(signs == 0, 1.0, signs)
        self.embedding_ = self.transform(X)
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:  # noqa: N803
        """Project rows onto the components, scaled to unit length."""
        return normalise((np.asarray(X, dtype=np.float64) - self.mean_) @ self.components_)


class PcaUmap:
    """BERTopic's reduction step: UnitPCA, exact kNN graph, then seeded UMAP to a few dimensions.

    Keeps ``pca_`` (the PCA vectors) and ``knn_`` (the graph) for the 2-D map.
    """

    def __init__(self, settings: Settings) -> None:
        """Keep the (resolved) settings: PCA and UMAP sizes, neighbours, seed, epochs."""
        self.settings = settings

    def fit(self, X: np.ndarray, y=None) -> PcaUmap:  # noqa: N803 - sklearn naming
        """Reduce the document embeddings X; ``embedding_`` holds the result.

        Very small inputs (at most ``umap_dims + 2`` rows) skip UMAP and keep the PCA vectors.
        ``y`` is ignored.
        """
        s = self.settings
        pca = UnitPCA(s.pca_dims).fit(X)
        assert pca.embedding_ is not None  # fit() sets it
        self.pca_ = pca.embedding_.astype(np.float32)
        n = self.pca_.shape[0]
        self.knn_ = exact_knn(self.pca_, max(2, min(s.neighbors, n - 1)))
        if n <= s.umap_dims + 2:
            self.embedding_ = self.pca_
            return self
        self.embedding_ = run_umap(self.pca_, self.knn_, s.umap_dims, 0.0, s.seed, s.umap_epochs)
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:  # noqa: N803
        """The fitted reduction of the documents it was fitted on.

        Raises:
            ValueError: X has a different number of rows (new documents are not supported).
        """
        if X.shape[0] == self.pca_.shape[0]:
            return self.embedding_
        raise ValueError("PcaUmap only transforms the documents it was fitted on")


def run_umap(vectors: np.ndarray, knn: tuple[np.ndarray, np.ndarray], dims: int,
             min_dist: float, seed: int, epochs: int) -> np.ndarray:
    """Seeded UMAP on a precomputed neighbour graph (no approximate search)."""
    import umap

    idx, dist = knn
    reducer = umap.UMAP(n_neighbors=idx.shape[1], n_components=dims, min_dist=min_dist,
                        metric="euclidean", random_state=seed, low_memory=True, n_jobs=1,
                        n_epochs=epochs, precomputed_knn=(idx, dist, None))
    with warnings.catch_warnings():  # "no search index": we never call reducer.transform
        warnings.filterwarnings("ignore", message="precomputed_knn", category=UserWarning)
        return reducer.fit_transform(vectors).astype(np.float32)


def clusterer(settings: Settings) -> HdbscanTopics | WardTopics:
    """The clusterer the (resolved) settings name."""
    if settings.clusterer == "ward":
        assert settings.n_topics is not None, "resolve() the settings first"
        assert settings.min_topic_size is not None, "resolve() the settings first"
        return WardTopics(settings.n_topics, settings.min_topic_size)
    assert settings.min_cluster_size is not None, "resolve() the settings first"
    assert settings.min_samples is not None, "resolve() the settings first"
    return HdbscanTopics(settings.min_cluster_size, settings.min_samples)


def build_model(settings: Settings, n_docs: int):
    """A BERTopic model wired to the deterministic reducer and the settings' clusterer.

    ``language=None``: without an embedding model BERTopic would otherwise take "english" and
    delete every character but ``[A-Za-z0-9 ]`` before c-TF-IDF ("best-of-N" -> "bestofn").
    """
    from bertopic import BERTopic

    return BERTopic(language=None, umap_model=PcaUmap(settings),
                    hdbscan_model=clusterer(settings), vectorizer_model=topic_vectorizer(n_docs),
                    ctfidf_model=ctfidf_model(), top_n_words=10,
                    calculate_probabilities=False, verbose=False)


@contextlib.contextmanager
def quiet_bertopic():
    """Silence BERTopic's logger (update_topics warns about custom topics, which we mean)."""
    log = logging.getLogger("BERTopic")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        log.setLevel(level)


def run(docs: list[str], embeddings: np.ndarray, settings: Settings):
    """Fit BERTopic; returns (model, labels as np.ndarray, clusterer probabilities).

    Labels are BERTopic's (renumbered by size, -1 = outlier). The probabilities are HDBSCAN's
    membership strengths (0 for outliers), or None for Ward.
    """
    model = build_model(settings, len(docs))
    with quiet_bertopic():
        topics, _ = model.fit_transform(docs, embeddings=embeddings)
    probs = getattr(model.hdbscan_model, "probabilities_", None)
    return model, np.asarray(topics, dtype=np.int64), probs


def update_words(model, docs: list[str], labels: np.ndarray, embeddings: np.ndarray) -> None:
    """Recompute the c-TF-IDF words for final labels, and the topic vectors as their centroids.

    ``update_topics`` is given the vectoriser and c-TF-IDF model again: left out, BERTopic
    silently swaps in a bare ``CountVectorizer()`` (stop words back in). It does not recompute
    topic vectors from documents, so ``topic_embeddings_`` is set here (outlier row first).
    """
    with quiet_bertopic():
        model.update_topics(docs, topics=labels.tolist(), vectorizer_model=model.vectorizer_model,
                            ctfidf_model=model.ctfidf_model, top_n_words=10)
    ids = sorted(int(i) for i in np.unique(labels))
    model.topic_embeddings_ = np.stack([normalise(embeddings[labels == t].mean(0)[None])[0]
                                        for t in ids])


def topic_words(model, topic: int, n: int = 10) -> list[str]:
    """The topic's top c-TF-IDF terms."""
    return [w for w, _ in (model.get_topic(topic) or []) if w][:n]


def centroids(embeddings: np.ndarray, labels: np.ndarray, ids: list[int]) -> np.ndarray:
    """Unit-length mean embedding of each topic, rows in the order of ids."""
    return normalise(np.stack([embeddings[labels == t].mean(0) for t in ids]))


def probabilities(embeddings: np.ndarray, cents: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(index of the closest centroid, softmax probability of it) for each row."""
    sims = embeddings @ cents.T
    best = np.argmax(sims, axis=1)
    z = (sims - sims.max(axis=1, keepdims=True)) / TEMPERATURE
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    return best, p[np.arange(len(best)), best].astype(np.float32)


def map_2d(reducer: PcaUmap, settings: Settings) -> np.ndarray:
    """Seeded 2-D UMAP of the PCA vectors on the same neighbour graph (the topic map)."""
    if reducer.pca_.shape[0] < 5:
        return np.zeros((reducer.pca_.shape[0], 2), dtype=np.float32)
    idx, dist = reducer.knn_
    k = min(15, idx.shape[1])  # a finer neighbourhood than the clustering's reads better
    return run_umap(reducer.pca_, (idx[:, :k], dist[:, :k]), 2, 0.1, settings.seed, 200)


def exact_knn(unit: np.ndarray, k: int, block: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """Exact k nearest neighbours (self first) of unit-length rows, with Euclidean distances.

    Brute force in blocks: on ~10k rows of 50 dimensions this takes well under a second, is
    deterministic, and spares UMAP its approximate search (and the numba compilation it needs).
    """
    idx = np.empty((unit.shape[0], k), dtype=np.int32)
    dist = np.empty((unit.shape[0], k), dtype=np.float32)
    for start in range(0, unit.shape[0], block):
        sims = unit[start:start + block] @ unit.T
        rows = np.arange(sims.shape[0])
        sims[rows, rows + start] = np.inf  # self first
        part = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(sims, part, axis=1), axis=1, kind="stable")
        near = np.take_along_axis(part, order, axis=1)
        cos = np.take_along_axis(sims, near, axis=1)
        cos[:, 0] = 1.0
        idx[start:start + block] = near
        dist[start:start + block] = np.sqrt(np.clip(2.0 - 2.0 * cos, 0.0, None))
    return idx, dist
