"""The word counting of the topic model: which terms c-TF-IDF and the quality checks count.

Light to import: scikit-learn and BERTopic are imported inside the functions.
"""

from __future__ import annotations

import functools

from analysis.trends.text import TOPIC_STOP_WORDS

TOKEN = r"(?u)\b[^\W_][\w\-]*[^\W_]\b"  # words of 2+ characters; keeps "fine-tuning", "3d"
#: Corpus size above which c-TF-IDF's min_df stops growing and the HDBSCAN sizes grow with it.
GROW_FROM = 15_000


def _counter(cls, min_df: int):
    """A vectorizer of class cls: English stop words, 1-2-grams, terms in at most half the docs."""
    return cls(stop_words=sorted(TOPIC_STOP_WORDS), ngram_range=(1, 2), token_pattern=TOKEN,
               min_df=min_df, max_df=0.5)


def vectorizer(n_docs: int):
    """CountVectorizer over papers: rare terms (under 1 paper in 1,000, at least 2) dropped."""
    from sklearn.feature_extraction.text import CountVectorizer

    return _counter(CountVectorizer, max(2, n_docs // 1000))


@functools.cache
def _per_topic_class():
    from sklearn.feature_extraction.text import CountVectorizer

    class PerTopicVectorizer(CountVectorizer):
        """CountVectorizer whose ``min_df`` never passes what ``max_df`` allows.

        c-TF-IDF counts one document per topic, so with few topics (a large
        ``--min-cluster-size``) ``max_df`` of them can be fewer than ``min_df``, which
        scikit-learn refuses: there ``min_df`` becomes that many for this call.
        """

        def fit_transform(self, raw_documents, y=None):
            """Learn the vocabulary of the topic documents; their term counts."""
            keep = self.min_df, self.max_df
            docs = list(raw_documents)
            most = self.max_df if isinstance(self.max_df, int) else self.max_df * len(docs)
            if isinstance(self.min_df, int) and most < self.min_df:
                self.min_df = max(1, int(most))
                if most < 1:
                    self.max_df = 1.0
            try:
                return super().fit_transform(docs, y)
            finally:
                self.min_df, self.max_df = keep

    return PerTopicVectorizer


def topic_vectorizer(n_docs: int):
    """The c-TF-IDF vectorizer (one document per topic): a term in at least ``min_df`` topics.

    ``min_df`` follows the corpus up to :data:`GROW_FROM` papers (1 per 1,000 papers, at least
    2), then stays: above that the number of topics stays about the same (the HDBSCAN sizes
    grow with the corpus), and at 100k papers 100 topics of 100 would drop every word.
    """
    return _counter(_per_topic_class(), max(2, min(n_docs, GROW_FROM) // 1000))


def ctfidf_model():
    """BERTopic's c-TF-IDF weighting, with frequent words damped."""
    from bertopic.vectorizers import ClassTfidfTransformer

    return ClassTfidfTransformer(reduce_frequent_words=True)
