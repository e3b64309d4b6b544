"""The keyword pair check, its exact shuffle baseline, NPMI on a known corpus, topic groups."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import CountVectorizer

from analysis.topics import hierarchy
from analysis.topics.quality import (
    Corpus,
    expected_share,
    keyword_lift,
    keyword_pairs,
    paper_keywords,
    same_topic_share,
    shuffle_share,
)
from analysis.topics.vectors import normalise


def test_keywords_are_normalised_and_deduplicated():
    assert paper_keywords([["Vision-Language Models (VLMs)", "vision-language  models"], None]) \
        == [["vision-language models"], []]


def test_pairs_count_each_pair_once_and_only_specific_keywords():
    kws = [["a", "b"], ["a", "b"], ["a"], ["c"], ["c"], ["c"], ["rare"], []]
    i, j, counts = keyword_pairs(kws, min_papers=3, max_papers=3)
    assert sorted(zip(i.tolist(), j.tolist(), strict=True)) == [
        (0, 1), (0, 2), (1, 2), (3, 4), (3, 5), (4, 5)]  # "b" (2 papers) and "rare" left out
    assert counts == {"papers_with_keywords": 7, "specific_keywords": 2, "pairs": 6,
                      "papers_in_pairs": 6}


def test_same_topic_share_and_lift():
    labels = np.array([0, 0, 1, 1, -1, -1])
    i, j = np.array([0, 2, 4, 0]), np.array([1, 3, 5, 2])
    assert same_topic_share(labels, i, j) == 0.5, "the outlier pair (4, 5) never matches"
    base = expected_share(labels)
    assert base == pytest.approx((2 + 2) / 30)
    lift = keyword_lift(labels, (i, j, {}))
    assert lift["lift"] == pytest.approx(0.5 / base, rel=1e-3)


def test_expected_share_is_the_mean_over_shuffles():
    rng = np.random.default_rng(3)
    labels = rng.integers(-1, 6, size=400)
    i = rng.integers(0, 400, size=3000)
    j = (i + rng.integers(1, 399, size=3000)) % 400
    exact = expected_share(labels)
    assert shuffle_share(labels, i, j, rounds=60) == pytest.approx(exact, rel=0.05)


def test_npmi_and_diversity_on_a_known_corpus():
    docs = ["cat dog", "cat dog", "fish bird", "fish bird", "cat fish"]
    corpus = Corpus(docs, CountVectorizer())
    assert corpus.npmi([["cat", "dog"], ["fish", "bird"]]) > 0.5
    assert corpus.npmi([["dog", "bird"]]) == -1.0


def test_natural_cut_takes_the_largest_step_within_bounds():
    # 20 leaves; merge distances rise slowly except a jump before the last 10 merges, so
    # undoing those 10 merges leaves 11 groups
    d = np.r_[np.linspace(0.1, 0.2, 9), np.linspace(1.0, 1.1, 10)]
    merges = np.zeros((19, 4))
    merges[:, 2] = d
    assert hierarchy.natural_cut(merges, 8, 15) == 11
    assert hierarchy.natural_cut(merges, 12, 15) in range(12, 16)
    assert hierarchy.natural_cut(merges[:5], 8, 15) == 6, "few topics: each its own group"


def test_groups_gather_close_topics_and_number_them_by_size():
    rng = np.random.default_rng(0)
    centres = normalise(rng.normal(size=(3, 16)))
    cents = normalise(np.vstack([c + 0.05 * rng.normal(size=(4, 16)) for c in centres]))
    ids = list(range(100, 112))
    sizes = [10] * 4 + [50] * 4 + [20] * 4
    groups = hierarchy.groups(ids, cents, sizes, n_groups=3)
    assert [groups[t] for t in ids] == [2] * 4 + [0] * 4 + [1] * 4
