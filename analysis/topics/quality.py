"""Topic quality: the keyword pair check, NPMI coherence, diversity, seed agreement (ARI).

The keyword pair check is external: Hugging Face's ``ai_keywords`` (the ``keywords`` column) never
enter the fit.

* keywords are normalised (lower case, "(VLMs)"-style asides dropped, spaces folded) and
  deduplicated per paper; a keyword is *specific* when 3 to 30 papers of the corpus carry it;
* the pairs are the unordered pairs of distinct papers that share at least one specific keyword,
  each counted once however many keywords they share;
* the same-topic share is the share of those pairs whose papers have the same topic; a paper that
  is still an outlier (-1) shares a topic with nobody;
* the baseline is that share under a size-preserving shuffle of the topic labels over all papers.
  Its expectation is exact and needs no seed: ``sum_k n_k (n_k - 1) / (N (N - 1))`` over the
  topics, outliers left out (:func:`shuffle_share` checks it by seeded permutations);
* the lift is the same-topic share over the baseline.

The lift grows with the number of topics and with the share of papers left out, so compare methods
at equal topic counts and print the share next to the lift.
"""

from __future__ import annotations

import re

import numpy as np
from scipy import sparse

from analysis.topics.clusterers import WardTopics
from analysis.topics.vectorizers import ctfidf_model, vectorizer

KW_MIN_PAPERS, KW_MAX_PAPERS = 3, 30
#: Ward needs a distance matrix of N^2 / 2 floats: above this many papers it is left out.
WARD_MAX = 30_000
_PAREN = re.compile(r"\s*\([^)]*\)\s*")
_SPACE = re.compile(r"\s+")


def norm_keyword(keyword: str) -> str:
    """A keyword in comparable form: lower case, "(VLMs)"-style asides dropped, spaces folded."""
    return _SPACE.sub(" ", _PAREN.sub(" ", keyword or "")).strip().lower()


def paper_keywords(keywords: list[list[str] | None]) -> list[list[str]]:
    """Each paper's distinct normalised keywords, sorted."""
    return [sorted({k for k in map(norm_keyword, kws or []) if k}) for kws in keywords]


def keyword_pairs(keywords: list[list[str]], min_papers: int = KW_MIN_PAPERS,
                  max_papers: int = KW_MAX_PAPERS) -> tuple[np.ndarray, np.ndarray, dict]:
    """The pairs of papers sharing a specific keyword: (rows i, rows j > i, counts).

    Args:
        keywords: each paper's normalised keywords (:func:`paper_keywords`).
        min_papers: a specific keyword is carried by at least this many papers...
        max_papers: ...and at most this many.

    Returns:
        Row indices i and j of each pair, and counts: papers_with_keywords, specific_keywords,
        pairs, papers_in_pairs.
    """
    vocab: dict[str, int] = {}
    rows, cols = [], []
    for r, kws in enumerate(keywords):
        for k in kws:
            rows.append(r)
            cols.append(vocab.setdefault(k, len(vocab)))
    m = sparse.csr_matrix((np.ones(len(rows), dtype=np.int32), (rows, cols)),
                          shape=(len(keywords), len(vocab)))
    df = np.asarray(m.sum(axis=0)).ravel()
    keep = np.flatnonzero((df >= min_papers) & (df <= max_papers))
    m = m[:, keep]
    co = sparse.triu(m @ m.T, k=1).tocoo()
    counts = {"papers_with_keywords": int(sum(1 for k in keywords if k)),
              "specific_keywords": int(len(keep)), "pairs": int(co.nnz),
              "papers_in_pairs": int(len(np.union1d(co.row, co.col)))}
    return co.row.astype(np.int64), co.col.astype(np.int64), counts


def same_topic_share(labels: np.ndarray, i: np.ndarray, j: np.ndarray) -> float:
    """Share of the pairs (i, j) whose two papers have the same topic (outliers match nobody)."""
    if len(i) == 0:
        return 0.0
    a, b = labels[i], labels[j]
    return float(((a == b) & (a >= 0)).mean())


def expected_share(labels: np.ndarray) -> float:
    """The exact expected same-topic share of any pair under a uniform shuffle of the labels."""
    n = len(labels)
    if n < 2:
        return 0.0
    _, counts = np.unique(labels[labels >= 0], return_counts=True)
    return float((counts * (counts - 1.0)).sum() / (n * (n - 1.0)))


def shuffle_share(labels: np.ndarray, i: np.ndarray, j: np.ndarray, rounds: int = 20,
                  seed: int = 0) -> float:
    """The mean same-topic share over seeded shuffles of the labels (checks expected_share)."""
    rng = np.random.default_rng(seed)
    return float(np.mean([same_topic_share(rng.permutation(labels), i, j)
                          for _ in range(rounds)]))


def keyword_lift(labels: np.ndarray, pairs: tuple[np.ndarray, np.ndarray, dict]) -> dict:
    """Same-topic share of the keyword pairs, its shuffle baseline and the lift (share/baseline)."""
    i, j, _ = pairs
    share = same_topic_share(labels, i, j)
    base = expected_share(labels)
    return {"same_topic_share": round(share, 4), "baseline": round(base, 5),
            "lift": round(share / base, 3) if base > 0 and len(i) else None}


def partition_summary(labels: np.ndarray) -> dict:
    """Topic count, largest topic's share and outlier share of a labelling."""
    n = len(labels)
    _, counts = np.unique(labels[labels >= 0], return_counts=True)
    return {"n_topics": int(len(counts)),
            "largest_share": round(float(counts.max() / n), 4) if len(counts) else 0.0,
            "outlier_share": round(float((labels < 0).mean()), 4) if n else 0.0}


def diversity(words: list[list[str]], top_n: int = 10) -> float:
    """Share of unique terms among all topics' top-n terms (1.0: no term shared by two topics)."""
    terms = [w for ws in words for w in ws[:top_n]]
    return round(len(set(terms)) / len(terms), 4) if terms else 0.0


class Corpus:
    """The corpus as bags of words, built once and reused to judge several labellings.

    Args:
        docs: the texts the topics were fitted on.
        vectorizer: an unfitted CountVectorizer like the topic model's (same tokens, stop words
            and n-grams).
    """

    def __init__(self, docs: list[str], vectorizer) -> None:
        """Count every term of every document once."""
        from sklearn.base import clone

        counter = clone(vectorizer)
        self.bow = counter.fit_transform(docs).tocsr()
        self.vocab = counter.get_feature_names_out()
        self.present = (self.bow > 0).astype(np.float64).tocsc()
        self.index = {w: i for i, w in enumerate(self.vocab)}

    def topic_words(self, labels: np.ndarray, top_n: int = 10) -> dict[int, list[str]]:
        """Each topic's top c-TF-IDF terms (BERTopic's weighting; outliers a class of their own)."""
        ids = np.unique(labels)
        onehot = sparse.csr_matrix((np.ones(len(labels)), (np.searchsorted(ids, labels),
                                                           np.arange(len(labels)))),
                                   shape=(len(ids), len(labels)))
        weights = ctfidf_model().fit_transform(onehot @ self.bow).toarray()
        out = {}
        for r, t in enumerate(ids):
            if t >= 0:
                order = np.argsort(-weights[r], kind="stable")[:top_n]
                out[int(t)] = [str(self.vocab[c]) for c in order if weights[r, c] > 0]
        return out

    def npmi(self, words: list[list[str]], top_n: int = 10) -> float:
        """Mean NPMI of each topic's top-n term pairs over document co-occurrence.

        Pairs that never co-occur count as -1. In [-1, 1]; higher is more coherent.
        """
        vocab = sorted({w for ws in words for w in ws[:top_n] if w in self.index})
        if not vocab:
            return 0.0
        sub = self.present[:, [self.index[w] for w in vocab]]
        n = self.present.shape[0]
        p = np.asarray(sub.sum(axis=0)).ravel() / n
        joint = (sub.T @ sub).toarray() / n
        pos = {w: k for k, w in enumerate(vocab)}
        scores = []
        for ws in words:
            ids = [pos[w] for w in ws[:top_n] if w in pos]
            vals = [_npmi(joint[a, b], p[a], p[b]) for x, a in enumerate(ids) for b in ids[x + 1:]]
            if vals:
                scores.append(float(np.mean(vals)))
        return round(float(np.mean(scores)), 4) if scores else 0.0

    def judge(self, labels: np.ndarray, pairs: tuple[np.ndarray, np.ndarray, dict]) -> dict:
        """Size summary, keyword lift, NPMI and diversity of one labelling."""
        words = self.topic_words(labels)
        ws = [words[t] for t in sorted(words)]
        return {**partition_summary(labels), **keyword_lift(labels, pairs),
                "coherence_npmi": self.npmi(ws), "diversity": diversity(ws)}


def _npmi(pab: float, pa: float, pb: float) -> float:
    if pab <= 0 or pa <= 0 or pb <= 0:
        return -1.0
    if pab >= 1:
        return 1.0
    return float(np.log(pab / (pa * pb)) / -np.log(pab))


def npmi_coherence(words: list[list[str]], docs: list[str], vectorizer, top_n: int = 10) -> float:
    """Mean NPMI of each topic's top-n term pairs, counted as document co-occurrence.

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
        vals = [_npmi(joint[a, b], p[a], p[b]) for i, a in enumerate(ids) for b in ids[i + 1:]]
        if vals:
            scores.append(float(np.mean(vals)))
    return round(float(np.mean(scores)), 4) if scores else 0.0


def ari(a: np.ndarray, b: np.ndarray) -> float:
    """Adjusted Rand index of two labellings of the same papers (outliers one label)."""
    from sklearn.metrics import adjusted_rand_score

    return round(float(adjusted_rand_score(a, b)), 4)


def compare(docs: list[str], emb: np.ndarray, model, raw: np.ndarray, final: np.ndarray,
            keywords: list[list[str] | None], settings, plain: bool = False) -> dict:
    """The keyword check, NPMI and diversity of this fit next to other methods, same embeddings.

    Args:
        docs: the fitted texts.
        emb: their embeddings.
        model: the fitted BERTopic model (its ``umap_model.embedding_`` is the clustering space).
        raw: the clusterer's own labels (-1: HDBSCAN outlier).
        final: the final labels (after the outliers were placed).
        keywords: each paper's keywords as stored.
        settings: the fit's :class:`analysis.topics.pipeline.Settings`.
        plain: also fit plain ``BERTopic()`` on the same embeddings (about a minute).

    Returns:
        ``pairs`` (counts of the keyword pairs) and one entry per method: the fit itself under
        its clusterer's name; for HDBSCAN also its labels before outliers were placed and Ward
        with the same number of topics on the same UMAP vectors (up to ``WARD_MAX`` papers);
        ``plain_bertopic`` if asked.
    """
    pairs = keyword_pairs(paper_keywords(keywords))
    corpus = Corpus(docs, vectorizer(len(docs)))
    out: dict = {"pairs": pairs[2], settings.clusterer: corpus.judge(final, pairs)}
    if settings.clusterer == "hdbscan":
        out["hdbscan_before_reassignment"] = corpus.judge(raw, pairs)
    if settings.clusterer == "hdbscan" and len(docs) <= WARD_MAX:
        k = out["hdbscan"]["n_topics"]
        ward = WardTopics(k, max(10, round(len(docs) / 400))).fit(model.umap_model.embedding_)
        assert ward.labels_ is not None  # fit() sets it
        out["ward_same_count"] = corpus.judge(ward.labels_, pairs)
    if plain:
        from bertopic import BERTopic

        labels, _ = BERTopic().fit_transform(docs, embeddings=emb)
        out["plain_bertopic"] = corpus.judge(np.asarray(labels, dtype=np.int64), pairs)
    return out


def keyword_check(labels: np.ndarray, keywords: list[list[str] | None]) -> dict:
    """Size summary and the ai_keywords lift of one labelling of every paper (no words, no NPMI).

    What a sample fit reports for all its papers, beside ``compare`` run on the sample.
    """
    pairs = keyword_pairs(paper_keywords(keywords))
    return {**partition_summary(labels), **keyword_lift(labels, pairs), "pairs": pairs[2]}


def report(labels: np.ndarray, words: list[list[str]], coherence: float) -> dict:
    """The quality summary kept in the fit's meta and printed by `papertrends topics`."""
    n = len(labels)
    _, counts = np.unique(labels[labels >= 0], return_counts=True)
    return {
        "n_papers": int(n),
        **partition_summary(labels),
        "smallest_topic": int(counts.min()) if len(counts) else 0,
        "diversity": diversity(words),
        "coherence_npmi": coherence,
    }
