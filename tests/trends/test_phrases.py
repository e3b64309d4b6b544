"""Rising phrases: counts against plain Python over the raw JSON, a planted phrase, stop words."""

from __future__ import annotations

import datetime as dt
import json
import re

import numpy as np
import polars as pl
import pytest
from scipy import stats
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from analysis.filters import Filters
from analysis.ingest import load_sources
from analysis.schema import InputError
from analysis.trends import rising_phrases
from analysis.trends.phrases import months_before
from analysis.trends.text_phrases import _supported
from tests.support.paths import DAILY

PUNCT = ".,;:!?()[]{}\""


def months_back(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` earlier (clamped to the month's end), plain arithmetic."""
    y, m = divmod(day.year * 12 + day.month - 1 - months, 12)
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(y, m + 1, d)
        except ValueError:
            continue
    raise AssertionError


def tokens(text: str) -> list[str]:
    text = re.sub(r"['’]s\b", "", text.lower())
    out, word = [], []
    for ch in text + " ":
        if ch.isalnum():
            word.append(ch)
            continue
        if word:
            out.append("".join(word))
            word = []
        if ch in PUNCT:
            out.append(ch)
    return out


def has_phrase(toks: list[str], phrase: list[str]) -> bool:
    n = len(phrase)
    return any(toks[i:i + n] == phrase for i in range(len(toks) - n + 1))


@pytest.fixture(scope="module")
def frame() -> pl.LazyFrame:
    return load_sources([str(DAILY)]).frame.lazy()


def raw_docs(basis: str = "listed") -> list[tuple[dt.date, list[str]]]:
    """(date, tokens) per paper; ``listed`` is the first daily file (named by its day) it is in."""
    seen = {}
    for path in sorted(DAILY.glob("*.json")):
        for entry in json.loads(path.read_text(encoding="utf-8")):
            p = entry["paper"]
            if p["id"] not in seen:
                text = (p.get("title") or "") + " . " + (p.get("summary") or "")
                day = p["publishedAt"][:10] if basis == "published" else path.stem
                seen[p["id"]] = (dt.date.fromisoformat(day), tokens(text))
    return list(seen.values())


@pytest.mark.parametrize("basis", [None, "published"])
def test_counts_match_plain_python(frame, basis):
    filters = Filters(basis=basis) if basis else Filters()  # the default basis: listed
    got = rising_phrases(frame, filters, recent_months=6, baseline_months=12, min_support=3,
                         limit=40)
    assert got.height == 40
    docs = raw_docs(basis or "listed")
    end = max(d for d, _ in docs)
    recent_start = months_back(end, 6) + dt.timedelta(days=1)
    base_start = months_back(recent_start, 12)
    assert got["recent_start"][0] == recent_start
    assert got["baseline_start"][0] == base_start
    recent = [t for d, t in docs if recent_start <= d <= end]
    base = [t for d, t in docs if base_start <= d < recent_start]
    assert got["recent_papers"][0] == len(recent)
    assert got["baseline_papers"][0] == len(base)
    for r in got.iter_rows(named=True):
        words = r["phrase"].split(" ")
        assert r["recent_count"] == sum(has_phrase(t, words) for t in recent), r["phrase"]
        assert r["baseline_count"] == sum(has_phrase(t, words) for t in base), r["phrase"]
        assert r["recent_count"] >= 3
        assert r["recent_share"] > r["baseline_share"]
        table = [[r["recent_count"], len(recent) - r["recent_count"]],
                 [r["baseline_count"], len(base) - r["baseline_count"]]]
        g2 = stats.chi2_contingency(table, correction=False, lambda_="log-likelihood")[0]
        assert r["g2"] == pytest.approx(g2, rel=1e-9)
    assert got["g2"].is_sorted(descending=True)
    assert set(got["words"].to_list()) <= {1, 2, 3}
    # the same columns in the same order as a result with no phrase
    none = rising_phrases(frame, Filters(start=dt.date(2030, 1, 1)))
    assert none.height == 0
    assert got.schema == none.schema


def test_no_phrase_starts_or_ends_with_a_stop_word(frame):
    got = rising_phrases(frame, Filters(), recent_months=6, baseline_months=12, min_support=2,
                         limit=None)
    assert got.height > 100
    for phrase in got["phrase"].to_list():
        words = phrase.split(" ")
        assert words[0] not in ENGLISH_STOP_WORDS
        assert words[-1] not in ENGLISH_STOP_WORDS
        assert not all(w in ENGLISH_STOP_WORDS for w in words)
        assert not any(ch in PUNCT for ch in phrase)


def planted() -> pl.LazyFrame:
    """Baseline: 400 papers, 4 say "quantum widget"; recent: 100 papers, 30 do."""
    rows = []
    for i in range(500):
        recent = i >= 400
        day = dt.date(2026, 5, 1) + dt.timedelta(days=i % 20) if recent else \
            dt.date(2025, 6, 1) + dt.timedelta(days=i % 250)
        hit = (i % 10 < 3) if recent else (i % 100 == 0)
        abstract = ("We build a quantum-widget system. " if hit else "We study the data. ") + \
            "It is of the and to the."
        rows.append({"paper_id": str(i), "title": "A paper", "abstract": abstract,
                     "published": day, "listed": day, "upvotes": 1})
    return pl.DataFrame(rows).lazy()


def test_planted_phrase_rises():
    got = rising_phrases(planted(), Filters(), recent_months=3, baseline_months=12)
    top = got.row(0, named=True)
    best = got.filter(pl.col("g2") == top["g2"])["phrase"].to_list()
    assert "quantum widget" in best
    assert "build a quantum" in best
    row = got.filter(pl.col("phrase") == "quantum widget").row(0, named=True)
    assert (row["recent_count"], row["baseline_count"]) == (30, 4)
    assert top["p_value"] < 1e-10
    assert top["q_value"] < 1e-8
    assert "the" not in got["phrase"].to_list()


def test_bad_arguments(frame):
    with pytest.raises(InputError):
        rising_phrases(frame, Filters(), field="body")
    with pytest.raises(InputError):
        rising_phrases(frame, Filters(), max_words=4)
    empty = rising_phrases(frame, Filters(start=dt.date(2020, 1, 1), end=dt.date(2020, 2, 1)))
    assert empty.height == 0
    assert "g2" in empty.columns


def test_papers_with_the_same_text_each_count(frame):
    """Two papers with one text both count (the counts of a doubled corpus double)."""
    once = frame.collect()
    twice = pl.concat([once, once.with_columns(pl.col("paper_id") + "-copy")]).lazy()
    kw = {"recent_months": 6, "baseline_months": 12, "min_support": 3, "limit": None}
    single = rising_phrases(frame, Filters(), **kw)
    double = rising_phrases(twice, Filters(), **kw)
    assert single.height > 20
    assert double["recent_papers"][0] == 2 * single["recent_papers"][0]
    got = {r["phrase"]: (r["recent_count"], r["baseline_count"])
           for r in double.iter_rows(named=True)}
    for r in single.iter_rows(named=True):
        assert got[r["phrase"]] == (2 * r["recent_count"], 2 * r["baseline_count"]), r["phrase"]
    # in the doubled corpus a phrase of two texts has four papers: it reaches a support of 3,
    # so the doubled corpus rises exactly the phrases a support of 2 rises in the single one
    low = rising_phrases(frame, Filters(), **{**kw, "min_support": 2})
    assert low.height > single.height
    assert sorted(got) == sorted(low["phrase"].to_list())


def test_months_before_is_polars_month_offset():
    days = pl.date_range(dt.date(2023, 1, 1), dt.date(2028, 12, 31), eager=True)
    for months in (1, 2, 3, 6, 11, 12, 13, 24):
        want = days.dt.offset_by(f"-{months}mo").to_list()
        got = [months_before(d, months) for d in days.to_list()]
        assert got == want, months


@pytest.mark.parametrize("support", [0, 1, 2, 3, 5, 7, 50, 10**9])
def test_the_support_cut_counts_the_phrases_with_that_support(support):
    texts_with = np.array([40, 9, 7, 7, 5, 5, 5, 3, 1, 1])  # descending, as the index keeps it
    assert _supported(texts_with, support) == int((texts_with >= support).sum())
    assert _supported(texts_with[:0], support) == 0
