"""Keyword trends against an independent count over the raw fixture JSON, and the match rules."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.filters import Filters
from analysis.ingest import load_sources
from analysis.schema import InputError
from analysis.trends import (
    MAX_PHRASES,
    keyword_trend,
    match_papers,
    papers_per_period,
    phrase_hits,
    phrase_pattern,
)
from tests.support.keyword_oracle import contains_phrase, independent_counts, raw_papers
from tests.support.paths import DAILY

PHRASES = ["reinforcement learning", "diffusion", "fine-tuning", "large language models",
           "LLMs", "training parameters", "agent", "benchmark"]


# ---- the project's route ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def frame() -> pl.LazyFrame:
    result = load_sources([str(DAILY)])
    assert len(result.problems) == 0
    return result.frame.lazy()


@pytest.fixture(scope="module")
def papers() -> list[dict]:
    return raw_papers()


@pytest.mark.parametrize(("field", "basis", "period"), [
    ("both", "published", "month"),
    ("title", "published", "quarter"),
    ("abstract", "listed", "week"),
    ("both", "listed", "year"),
])
def test_keyword_counts_match_independent_count(frame, papers, field, basis, period):
    filters = Filters(basis=basis, period=period)
    got = keyword_trend(frame, PHRASES, filters, field=field)
    assert got["phrase"].unique(maintain_order=True).to_list() == PHRASES
    for phrase in PHRASES:
        counts, totals = independent_counts(papers, phrase, field, basis, period)
        rows = got.filter(pl.col("phrase") == phrase)
        mine = {r["period"]: (r["count"], r["total"]) for r in rows.iter_rows(named=True)}
        # every period that has papers is there, with the same numbers
        for key in totals:
            assert mine[key] == (counts[key], totals[key]), (phrase, key)
        # every other period in the range is an explicit zero
        for key, (c, t) in mine.items():
            if key not in totals:
                assert (c, t) == (0, 0), (phrase, key)
        assert sum(c for c, _ in mine.values()) == sum(counts.values())
        assert rows["period"].is_sorted()
    # the phrases do occur, so the comparison is not between zeros
    totals_found = got.group_by("phrase").agg(pl.col("count").sum())
    assert totals_found.filter(pl.col("count") > 0).height >= 5


@pytest.mark.parametrize("field", ["both", "title"])
def test_hits_kept_across_filter_changes_give_the_same_counts(frame, papers, field):
    """The dashboard matches each paper once per phrase, then only counts per filter state."""
    hits = phrase_hits(frame, PHRASES, field)
    assert hits.height == frame.select(pl.len()).collect().item()
    for filters in (Filters(), Filters(basis="published", period="quarter"),
                    Filters(start=dt.date(2024, 6, 1), end=dt.date(2024, 9, 30), period="week",
                            min_upvotes=5)):
        kept = keyword_trend(frame, PHRASES, filters, field=field, hits=hits)
        assert kept.equals(keyword_trend(frame, PHRASES, filters, field=field))
    counts, _ = independent_counts(papers, "diffusion", field, "listed", "month")
    got = keyword_trend(frame, PHRASES, Filters(), field=field, hits=hits)
    mine = dict(got.filter(pl.col("phrase") == "diffusion").select("period", "count").iter_rows())
    assert all(mine[k] == v for k, v in counts.items())
    assert sum(counts.values()) > 10


def test_periods_are_contiguous_first_days(frame):
    for period, step in [("month", "1mo"), ("week", "1w"), ("quarter", "1q")]:
        got = keyword_trend(frame, ["diffusion"], Filters(period=period))
        days = got["period"]
        expected = pl.date_range(days.min(), days.max(), interval=step, eager=True)
        assert days.to_list() == expected.to_list()
        if period == "week":
            assert all(d.weekday() == 0 for d in days.to_list())
        else:
            assert all(d.day == 1 for d in days.to_list())
        per = papers_per_period(frame, Filters(period=period))
        assert per["count"].to_list() == got["total"].to_list()


def test_filter_range_gives_zero_periods_at_the_ends(frame):
    filters = Filters(start=dt.date(2023, 11, 15), end=dt.date(2026, 8, 2), period="month")
    got = keyword_trend(frame, "diffusion", filters)
    assert got["period"][0] == dt.date(2023, 11, 1)
    assert got["period"][-1] == dt.date(2026, 8, 1)
    early = got.filter(pl.col("period") < dt.date(2024, 5, 1))
    assert early.height == 6
    assert early["total"].sum() == 0
    assert early["count"].sum() == 0
    assert early["share"].to_list() == [0.0] * 6
    assert early["ci_low"].null_count() == 6  # no interval without papers


def test_small_periods_flagged(frame):
    got = keyword_trend(frame, "diffusion", Filters(period="month"))
    assert (got["small"] == (got["total"] < 20)).all()
    assert got["small"].any()
    assert not got["small"].all()


def test_match_rules():
    df = pl.DataFrame({
        "title": ["Fine-tuning LLMs", "fine tuning a model", "finetuning", "A refined tuning",
                  "Large Language Model survey", "LARGE-LANGUAGE MODELS", "diffusions at scale",
                  "Diffusion-based", "nondiffusion", "diffusional", "C++ code", "the C++"],
        "abstract": [None] * 12,
    })
    def ids(phrase, regex=False):
        return match_papers(df.with_row_index("i"), phrase, field="title", regex=regex) \
            .collect()["i"].to_list()
    assert ids("fine-tuning") == [0, 1]
    assert ids("fine tuning") == [0, 1]
    assert ids("large language models") == [4, 5]
    assert ids("large language model") == [4, 5]
    assert ids("LLM") == [0]
    assert ids("diffusion") == [6, 7]
    assert ids("C++") == [10, 11]
    assert ids(r"fine.?tun", regex=True) == [0, 1, 2]
    assert ids(r"\bdiffusion\w+", regex=True) == [6, 9]


def test_regex_special_characters_are_escaped():
    assert "\\." in phrase_pattern("gpt-4.5")
    df = pl.DataFrame({"title": ["gpt-4x5", "GPT 4.5 report"], "abstract": ["", ""]})
    assert match_papers(df, "gpt-4.5").collect()["title"].to_list() == ["GPT 4.5 report"]


@pytest.mark.parametrize("pattern", ["a(", "[z-a]", "(?P<x", "a{99999999}"])
def test_bad_regex_is_a_clear_error(frame, pattern):
    with pytest.raises(InputError) as info:
        keyword_trend(frame, ["diffusion", pattern], Filters(), regex=True)
    message = str(info.value)
    assert repr(pattern) in message
    assert "phrase" in message
    assert "\n" not in message


@pytest.mark.parametrize("phrases", [[""], ["   "], ["-"], []])
def test_empty_phrases_are_errors(frame, phrases):
    with pytest.raises(InputError):
        keyword_trend(frame, phrases, Filters())


def test_bad_field_is_an_error(frame):
    with pytest.raises(InputError, match="field"):
        keyword_trend(frame, ["x"], Filters(), field="body")


def test_min_upvotes_filter_changes_the_total(frame):
    all_ = keyword_trend(frame, "model", Filters(period="year"))
    some = keyword_trend(frame, "model", Filters(period="year", min_upvotes=20))
    assert some["total"].sum() < all_["total"].sum()
    assert (some["count"] <= all_.filter(pl.col("period").is_in(some["period"].implode()))
            ["count"]).all()


# ---- property: the regex route and the plain-Python route agree on generated text --------------
WORDS = ["fine", "tuning", "model", "models", "diffusion", "agent", "rl", "llm", "data", "mixture",
         "of", "experts", "naïve", "café", "x1", "e", "finetuning", "sub_word"]
GLUE = [" ", "  ", "-", " - ", "\u2010", "\u2013", ", ", ". ", "\n", "(", ")", "/", "'", "_", ""]


@given(
    phrase=st.lists(st.sampled_from(WORDS), min_size=1, max_size=3),
    phrase_glue=st.sampled_from([" ", "-"]),
    text=st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(["", "s"]),
                            st.sampled_from(GLUE), st.booleans()), max_size=12),
)
@settings(max_examples=300, deadline=None)
def test_matching_agrees_with_plain_python(phrase, phrase_glue, text):
    words = "".join(((w + s).upper() if up else w + s) + g for w, s, g, up in text)
    query = phrase_glue.join(phrase)
    df = pl.DataFrame({"title": [words], "abstract": [""]})
    got = match_papers(df, query, field="title").collect().height == 1
    assert got == contains_phrase(words, query), (query, words)


def test_at_most_ten_phrases_in_one_query(frame):
    ten = [f"word{i}" for i in range(MAX_PHRASES)]
    assert keyword_trend(frame, ten, Filters())["phrase"].n_unique() == MAX_PHRASES
    with pytest.raises(InputError) as info:
        keyword_trend(frame, [f"word{i}" for i in range(1_500)], Filters())
    assert "at most 10 phrases per query, not 1,500" in str(info.value)
    assert "phrase" in str(info.value)


@pytest.mark.parametrize(("pattern", "words"), [
    ("a" * 201, "longer than 200 characters"),
    (r"\w{100}", "repeats a piece 100 times"),
    (r"x{3,500}", "repeats a piece 500 times"),
])
def test_long_or_costly_regexes_are_refused(frame, pattern, words):
    with pytest.raises(InputError) as info:
        keyword_trend(frame, [pattern], Filters(), regex=True)
    assert words in str(info.value)
    assert "\n" not in str(info.value)
    assert phrase_pattern(r"\w{20}", regex=True)  # up to twenty repeats are fine
