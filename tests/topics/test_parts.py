"""Small parts of the topic engine: settings, id matching, placement, the outlier rule, quality."""

from __future__ import annotations

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer

from analysis.topics.clusterers import merge_small
from analysis.topics.match import match_topics, nearest_topic, place_new
from analysis.topics.pipeline import Settings, probabilities
from analysis.topics.quality import diversity, npmi_coherence, report
from analysis.topics.tables import lineage
from analysis.topics.vectorizers import topic_vectorizer
from analysis.topics.vectors import normalise


def test_settings_derive_sizes_from_the_corpus():
    s = Settings().resolve(8600)
    assert s.clusterer == "hdbscan"
    assert (s.min_cluster_size, s.min_samples) == (20, 30)
    assert s.n_topics is None
    small = Settings().resolve(500)
    assert 5 <= small.min_cluster_size < 20
    assert small.min_samples < 30
    assert Settings(min_cluster_size=40, min_samples=7).resolve(500).min_cluster_size == 40
    assert (Settings().resolve(12_570).min_cluster_size, Settings().resolve(12_570).min_samples) \
        == (20, 30)  # the bundled union store keeps the measured sizes


def test_the_outlier_threshold_is_the_embedders_own_unless_given():
    assert Settings().resolve(8600).reassign_threshold == 0.6  # MiniLM: the bundled fit's
    assert Settings(embedder="minilm-openvino").resolve(8600).reassign_threshold == 0.6
    assert Settings(embedder="fast").resolve(8600).reassign_threshold == 0.82
    assert Settings(embedder="fast", clusterer="ward").resolve(8600).reassign_threshold == 0.82
    assert Settings(embedder="fast", reassign_threshold=0.5).resolve(8600).reassign_threshold \
        == 0.5


def test_hdbscan_sizes_grow_with_the_corpus_and_a_sample_gets_its_share():
    big = Settings().resolve(100_000)
    assert (big.min_cluster_size, big.min_samples) == (133, 200)  # a topic: >= 1 in 750 papers
    sample = Settings().resolve(25_000, of=100_000)
    assert (sample.min_cluster_size, sample.min_samples) == (33, 50)  # a quarter of the corpus's
    assert sample.min_cluster_size == Settings().resolve(25_000).min_cluster_size
    # a sample of a small corpus is clustered with its share of the small corpus's sizes
    assert Settings().resolve(2_000, of=8_000).min_cluster_size == 5
    assert Settings(min_cluster_size=20).resolve(25_000, of=100_000).min_cluster_size == 20
    ward = Settings(clusterer="ward").resolve(8600)
    assert 20 <= ward.n_topics <= 80
    assert ward.min_topic_size == 22
    assert ward.min_cluster_size is None
    tiny = Settings(clusterer="ward", min_topic_size=50).resolve(300)
    assert tiny.n_topics * tiny.min_topic_size <= 300


def test_merge_small_folds_tiny_clusters_into_the_nearest():
    rng = np.random.default_rng(0)
    a = normalise(rng.normal([5, 0, 0], 0.1, (20, 3)))
    b = normalise(rng.normal([0, 5, 0], 0.1, (20, 3)))
    c = normalise(rng.normal([4, 1, 0], 0.1, (3, 3)))  # tiny, close to a
    labels = merge_small(np.vstack([a, b, c]), np.array([0] * 20 + [1] * 20 + [2] * 3), 5)
    assert len(set(labels)) == 2
    assert (labels[40:] == labels[0]).all()


def test_probabilities_pick_the_closest_centroid():
    cents = normalise(np.eye(3, dtype=np.float32))
    best, prob = probabilities(normalise(np.array([[1, 0.1, 0], [0, 0, 1]], np.float32)), cents)
    assert best.tolist() == [0, 2]
    assert (prob > 0.9).all()


def unit(v: np.ndarray) -> np.ndarray:
    return (v / np.linalg.norm(v)).astype(np.float32)


def test_match_topics_keeps_ids_and_records_changes():
    rng = np.random.default_rng(1)
    prev = normalise(rng.normal(size=(4, 16)).astype(np.float32))
    prev_ids = np.array([0, 1, 2, 7])
    # new fit: topics 7 and 0 continue (reordered), 1 split in two, 2 gone, one brand new
    split_a = unit(prev[1] + 0.1 * rng.normal(size=16))
    split_b = unit(prev[1] + 0.1 * rng.normal(size=16))
    fresh = unit(rng.normal(size=16))
    new = np.stack([prev[3], prev[0], split_a, split_b, fresh])
    ids, ch = match_topics(prev_ids, prev, new)
    assert ids[0] == 7
    assert ids[1] == 0
    assert 1 in ids[2:4]
    assert ids[4] >= 8
    assert len(set(ids)) == 5
    assert sorted(ch["kept"]) == [0, 1, 7]
    assert list(ch["split"]) == ["1"]
    assert ch["gone"] == [2]
    assert ids[4] in ch["new"]
    # two old topics into one: the one not continued is recorded as merged
    ids2, ch2 = match_topics(prev_ids[:2], prev[:2],
                             normalise((prev[0] + 0.3 * prev[1])[None, :]), threshold=0.8)
    assert ids2 == [0]
    assert ch2["merged"] in ({}, {"1": 0})


def test_nearest_topic_places_only_papers_close_enough():
    cents = normalise(np.eye(3, dtype=np.float32))
    papers = normalise(np.array([[1, 0.2, 0], [0.5, 0.5, 0.5], [0, 0.1, 1]], np.float32))
    best, cos, near = nearest_topic(papers, cents, 0.6)
    assert best.tolist()[0] == 0
    assert best.tolist()[2] == 2
    assert near.tolist() == [True, False, True]  # the middle paper is 0.58 from every centre
    assert np.allclose(cos, (papers @ cents.T).max(axis=1))
    _, _, none = nearest_topic(papers[:0], cents, 0.6)
    assert none.shape == (0,)


def test_lineage_names_kept_split_merged_and_new_topics():
    changes = {"kept": [0, 2], "new": [9], "split": {"2": [8]}, "merged": {"5": 0}, "gone": [4]}
    lines = lineage([0, 2, 8, 9], changes, first_fit=False)
    assert (lines[0].status, lines[0].parents, lines[0].merged) == ("kept", (0,), (5,))
    assert (lines[8].status, lines[8].parents) == ("split", (2,))
    assert (lines[9].status, lines[9].parents) == ("new", ())
    assert lineage([0, 1], {"new": [0, 1]}, first_fit=True)[1].status == "first fit"


def test_place_new_lands_near_its_neighbours():
    fitted = normalise(np.array([[1, 0], [0.9, 0.1], [0, 1], [0.1, 0.9]], np.float32))
    xy = np.array([[0, 0], [1, 0], [10, 10], [11, 10]], np.float32)
    out = place_new(normalise(np.array([[1, 0.05]], np.float32)), fitted, xy, k=2)
    assert 0 <= out[0, 0] <= 1
    assert abs(out[0, 1]) < 1e-6


def test_diversity_and_npmi_on_a_known_corpus():
    assert diversity([["a", "b"], ["b", "c"]]) == 0.75
    docs = ["cat dog", "cat dog", "fish bird", "fish bird", "cat fish"]
    vec = CountVectorizer()
    good = npmi_coherence([["cat", "dog"], ["fish", "bird"]], docs, vec)
    bad = npmi_coherence([["dog", "bird"], ["cat", "bird"]], docs, vec)
    assert good > 0.5
    assert bad == -1.0
    r = report(np.array([0, 0, 1, -1]), [["a"], ["b"]], good)
    assert r["n_topics"] == 2
    assert r["outlier_share"] == 0.25
    assert r["largest_share"] == 0.5


def test_the_topic_vectorizer_keeps_words_with_few_topics_and_at_scale():
    assert topic_vectorizer(12_570).min_df == 12  # the bundled store: as measured
    assert topic_vectorizer(100_000).min_df == 15  # not 100 topics of about 100
    docs = ["video diffusion model video generation", "language model reasoning agent",
            "video diffusion language model"]  # three topics: max_df 0.5 of them is 1.5
    vec = topic_vectorizer(12_570)
    counts = vec.fit_transform(docs)
    assert counts.shape == (3, len(vec.vocabulary_))
    assert "video generation" in vec.vocabulary_  # in one topic: kept
    assert "video diffusion" not in vec.vocabulary_  # in two of three: above max_df
    assert (vec.min_df, vec.max_df) == (12, 0.5)  # the settings stay as they were
    assert topic_vectorizer(12_570).fit_transform(["one topic only"]).shape[0] == 1
