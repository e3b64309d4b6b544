"""A window's papers per phrase, as the rising phrases count them, against a plain count."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.ingest import load_sources
from analysis.trends import text_phrases
from tests.support.paths import DAILY


@pytest.fixture(scope="module")
def index() -> text_phrases.TextPhrases:
    frame = load_sources([str(DAILY)]).frame
    return text_phrases.of_texts(frame.select("title", "abstract"), "both", 3)


def plain_counts(index: text_phrases.TextPhrases, hashes: np.ndarray) -> np.ndarray:
    """Papers per phrase over every pair of the index (no support cut)."""
    per_text = np.bincount(np.searchsorted(index.hashes, hashes), minlength=len(index.hashes))
    return np.bincount(index.pair_phrase, weights=per_text[index.pair_text],
                       minlength=len(index.keys)).astype(np.int64)


def moving_windows(n: int, steps: int, seed: int):
    """(recent, baseline) text positions, as a date slider and filters would move them.

    Each step shifts both windows a little, sometimes drops or brings back a scattered few
    texts (an upvote floor), sometimes repeats a text (papers sharing one text), and once in a
    while jumps somewhere else or empties the recent window.
    """
    rng = np.random.default_rng(seed)
    end = n // 2
    dropped = np.zeros(n, dtype=bool)
    for step in range(steps):
        end = int(np.clip(end + rng.integers(-40, 41), 300, n))
        if step % 7 == 6:
            end = int(rng.integers(300, n + 1))
        if step % 3 == 1:
            dropped = rng.random(n) < rng.choice([0.0, 0.05, 0.3])
        recent = np.arange(end - 150, end)
        baseline = np.arange(max(0, end - 700), end - 150)
        recent, baseline = recent[~dropped[recent]], baseline[~dropped[baseline]]
        if step % 5 == 4:
            recent = np.concatenate([recent, recent[:: 9]])  # some texts twice
        if step % 11 == 10:
            recent = recent[:0]
        yield recent, baseline


@pytest.mark.parametrize("support", [1, 3, 5])
def test_each_window_counts_as_a_plain_count_does(index, support):
    for recent, baseline in moving_windows(len(index.hashes), 60, seed=support):
        r_hashes, b_hashes = index.hashes[recent], index.hashes[baseline]
        got_recent, got_baseline = text_phrases.window_counts(
            index, text_phrases.positions(index, r_hashes),
            text_phrases.positions(index, b_hashes), support)
        p = len(got_recent)
        assert len(got_baseline) == p
        # every phrase the cut leaves out is below the support in both windows' terms
        most = max(1, *(int(np.bincount(np.searchsorted(index.hashes, h)).max(initial=0))
                        for h in (r_hashes, b_hashes)))
        assert p == int((index.texts_with * most >= support).sum())
        np.testing.assert_array_equal(got_recent, plain_counts(index, r_hashes)[:p])
        np.testing.assert_array_equal(got_baseline, plain_counts(index, b_hashes)[:p])
