"""Rising phrases: the same input gives the same rows in the same order; the phrase cache."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from analysis.filters import Filters
from analysis.ingest import load_sources
from analysis.trends import rising_phrases, text_phrases
from tests.support.paths import DAILY


@pytest.fixture(scope="module")
def frame() -> pl.DataFrame:
    return load_sources([str(DAILY)]).frame


def tied() -> pl.DataFrame:
    """Baseline: 200 papers about "the data"; recent: 40, half of them with the same sentence.

    Every phrase of "Zebra kernels beat apple gradients." then has the same counts (20 recent,
    0 baseline), so they all tie on G².
    """
    rows = []
    for i in range(240):
        recent = i >= 200
        day = dt.date(2026, 5, 1) + dt.timedelta(days=i % 20) if recent else \
            dt.date(2025, 6, 1) + dt.timedelta(days=i % 250)
        text = "Zebra kernels beat apple gradients." if recent and i % 2 else "We study the data."
        rows.append({"paper_id": str(i), "title": "A paper", "abstract": text,
                     "published": day, "listed": day, "upvotes": 1})
    return pl.DataFrame(rows)


def test_two_calls_give_identical_frames(frame):
    filters = Filters(basis="published")
    first = rising_phrases(frame.lazy(), filters, recent_months=6, min_support=2, limit=None)
    text_phrases._INDEX_CACHE.clear()  # the second call tokenises again, rows shuffled
    shuffled = frame.sample(fraction=1.0, shuffle=True, seed=7)
    second = rising_phrases(shuffled.lazy(), filters, recent_months=6, min_support=2, limit=None)
    assert first.height > 100
    assert_frame_equal(first, second)
    top = rising_phrases(shuffled.lazy(), filters, recent_months=6, min_support=2, limit=30)
    assert_frame_equal(top, first.head(30))


def test_ties_are_ordered_by_phrase():
    got = rising_phrases(tied().lazy(), Filters(), recent_months=3, min_support=5, limit=None)
    best = got.filter(pl.col("g2") == got["g2"].max())
    expected = sorted(["zebra", "kernels", "apple", "gradients", "zebra kernels",
                       "kernels beat", "beat apple", "apple gradients", "zebra kernels beat",
                       "kernels beat apple", "beat apple gradients", "beat"])
    assert best["phrase"].to_list() == expected
    assert (best["recent_count"] == 20).all()
    assert (best["baseline_count"] == 0).all()
    top = rising_phrases(tied().lazy(), Filters(), recent_months=3, min_support=5, limit=3)
    assert top["phrase"].to_list() == expected[:3]


def test_changed_text_is_not_served_from_the_cache():
    data = tied()
    before = rising_phrases(data.lazy(), Filters(), recent_months=3, limit=None)
    assert "zebra" in before["phrase"].to_list()
    edited = data.with_columns(pl.col("abstract").str.replace("Zebra", "Walrus"))
    after = rising_phrases(edited.lazy(), Filters(), recent_months=3, limit=None)
    phrases = after["phrase"].to_list()
    assert "walrus" in phrases
    assert "zebra" not in phrases
    assert after.filter(pl.col("phrase") == "walrus kernels")["recent_count"].item() == 20
