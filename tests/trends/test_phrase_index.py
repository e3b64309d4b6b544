"""The word index gives keyword trends exactly the rule's counts, and stays current."""

from __future__ import annotations

import datetime as dt
import shutil

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.filters import Filters
from analysis.store import Store
from analysis.trends import keyword_trend, match_papers, paper_frame
from analysis.trends import phrase_index as PI
from analysis.trends.keywords import MAX_PHRASES
from tests.support.lookups import watch_lookups

PHRASES = ["reinforcement learning", "diffusion", "fine-tuning", "large language models",
           "LLMs", "training parameters", "agent", "benchmark", "mixture of experts",
           "state of the art", "vision-language", "text-to-image", "3D", "GPT-4o", "C++", "of",
           "naïve", "Mixture-of-Experts", "chain of thought"]


def trend(lf, phrases, filters, **options) -> pl.DataFrame:
    """keyword_trend of many phrases, asked in queries of at most MAX_PHRASES (the CLI's limit)."""
    return pl.concat([keyword_trend(lf, phrases[i:i + MAX_PHRASES], filters, **options)
                      for i in range(0, len(phrases), MAX_PHRASES)])


@pytest.fixture
def store(tmp_path, sample_store) -> Store:
    shutil.copytree(sample_store, tmp_path / "s")
    return Store(tmp_path / "s")


@pytest.mark.parametrize(("field", "period"), [("both", "month"), ("title", "week"),
                                               ("abstract", "quarter")])
def test_index_counts_equal_the_regex_counts(store, field, period):
    PI.build(store)
    index = PI.load(store)
    assert index is not None
    lf = paper_frame(store)
    filters = Filters(period=period)
    plain = trend(lf, PHRASES, filters, field=field)
    indexed = trend(lf, PHRASES, filters, field=field, index=index)
    assert indexed.equals(plain)
    assert plain["count"].sum() > 100  # the phrases do occur


def test_index_words_cover_plain_phrases_only():
    assert PI.index_words(["large", "language", "models"]) == ["large", "language", "model"]
    assert PI.index_words(["mixture", "of", "experts"]) == ["mixture", None, "expert"]
    assert PI.index_words(["LLMs"]) == ["llm"]
    assert PI.index_words(["of", "the"]) is None  # only unindexed words: the regex answers
    assert PI.index_words(["naïve"]) is None  # Unicode case folding: the regex answers
    assert PI.index_words(["C++"]) is None


def test_update_indexes_only_new_or_changed_papers(store):
    papers = store.read_papers()
    first = papers.head(200)
    store.write_papers(first)
    PI.build(store)
    changed = papers.with_columns(
        pl.when(pl.col("paper_id") == first["paper_id"][0])
        .then(pl.lit("A survey of diffusion agents")).otherwise(pl.col("title")).alias("title"))
    store.write_papers(changed)
    assert PI.load(store) is None  # the table changed: the old index is not used
    meta = PI.update(store)
    assert meta is not None
    assert len(meta["parts"]) == 2
    added = pl.read_parquet(store.phrase_index_dir / f"part-{meta['parts'][1]:06d}.docs.parquet")
    assert added.height == papers.height - 200 + 1  # the new ones and the changed one
    index = PI.load(store)
    assert index is not None
    lf = paper_frame(store)
    assert trend(lf, PHRASES, Filters(), index=index).equals(
        trend(lf, PHRASES, Filters()))


def test_many_updates_fold_into_one_part(store):
    papers = store.read_papers()
    store.write_papers(papers.head(50))
    PI.build(store)
    for n in range(60, 60 + 10 * PI.MAX_PARTS, 10):
        store.write_papers(papers.head(n))
        meta = PI.update(store)
        assert meta is not None
        assert len(meta["parts"]) <= PI.MAX_PARTS
    assert len(list(store.phrase_index_dir.glob("part-*.keys.npy"))) == len(meta["parts"])
    index = PI.load(store)
    assert index is not None
    lf = paper_frame(store)
    assert trend(lf, PHRASES, Filters(), index=index).equals(
        trend(lf, PHRASES, Filters()))


def test_papers_the_index_does_not_hold_are_still_counted(store):
    papers = store.read_papers()
    index = PI.from_papers(papers.head(100))  # knows only the first hundred
    lf = paper_frame(store)
    assert trend(lf, PHRASES, Filters(), index=index).equals(
        trend(lf, PHRASES, Filters()))


def test_ingest_keeps_an_index_current(tmp_path, sample_store):
    from analysis.ingest import ingest
    from tests.support.paths import DAILY

    store = Store(tmp_path / "s")
    files = sorted(DAILY.glob("*.json"))
    ingest(store, files[:5])
    PI.build(store)
    ingest(store, files[5:])
    index = PI.load(store)
    assert index is not None  # current after the second ingest
    lf = paper_frame(store)
    assert trend(lf, PHRASES, Filters(), index=index).equals(
        trend(lf, PHRASES, Filters()))


# ---- property: the index and the regular expression agree on generated text ---------------------
WORDS = ["fine", "tuning", "model", "models", "Model", "LLM", "llms", "of", "mixture", "experts",
         "naïve", "café", "x1", "e", "sub_word", "K", "\u212a", "İ", "data"]
GLUE = [" ", "  ", "-", " - ", "\u2010", "\u2013", ", ", ". ", "\n", "(", "/", "'", "_", "",
        "é", "\u00ad", "\t"]


@given(
    phrases=st.lists(st.lists(st.sampled_from(WORDS), min_size=1, max_size=3), min_size=1,
                     max_size=4),
    texts=st.lists(st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(["", "s"]),
                                      st.sampled_from(GLUE)), max_size=14),
                   min_size=1, max_size=6),
)
@settings(max_examples=200, deadline=None)
def test_index_agrees_with_plain_python(phrases, texts):
    bodies = ["".join(w + s + g for w, s, g in text) for text in texts]
    papers = pl.DataFrame({"paper_id": [f"p{i}" for i in range(len(bodies))],
                           "title": bodies, "abstract": [""] * len(bodies)})
    index = PI.from_papers(papers)
    for words in phrases:
        query = " ".join(words)
        looked_up = PI.index_words(words)
        if looked_up is None or None in looked_up:
            continue  # answered (or confirmed) by the regex, tested in test_keywords
        mask = index.documents(looked_up, "title")
        got = [f"p{i}" for i in range(len(bodies)) if mask[i]]
        rule = match_papers(papers, query, field="title").collect()["paper_id"].to_list()
        assert got == rule, (query, bodies)
    # the whole trend, unindexed words and all, through keyword_trend
    frame = papers.with_columns(pl.lit(dt.date(2025, 1, 1)).alias("listed"),
                                pl.lit(dt.date(2025, 1, 1)).alias("published"),
                                pl.lit(1).alias("upvotes"), pl.lit(None, pl.Int32).alias("topic"))
    queries = list(dict.fromkeys(" ".join(w) for w in phrases))
    assert keyword_trend(frame, queries, Filters(), field="title", index=index).equals(
        keyword_trend(frame, queries, Filters(), field="title"))


def test_the_view_and_the_export_look_phrases_up_in_the_index(store, tmp_path, monkeypatch):
    """The dashboard's keyword view and `export keyword-trend` use a store's index, same counts."""
    from analysis.cli import main
    from analysis.views.registry import build_view

    PI.build(store)
    looked_up = watch_lookups(monkeypatch)
    lf = paper_frame(store)
    phrases = ["diffusion", "large language models", "agent"]
    plain = build_view("keyword-trend", lf, Filters(), phrases=phrases)
    assert not looked_up
    indexed = build_view("keyword-trend", lf, Filters(), phrases=phrases, index=PI.load(store))
    assert indexed.data.equals(plain.data)
    assert len(looked_up) == 3
    out = tmp_path / "trend.csv"
    assert main(["export", "keyword-trend", "--store", str(store.root), "--phrase", "diffusion",
                 "--phrase", "agent", "--format", "csv", "--out", str(out)]) == 0
    assert len(looked_up) == 5
    rows = pl.read_csv(out)
    want = plain.data.filter(pl.col("phrase").is_in(["diffusion", "agent"]))
    assert rows.group_by("phrase").agg(pl.col("count").sum()).sort("phrase").rows() == \
        want.group_by("phrase").agg(pl.col("count").sum()).sort("phrase").rows()


def test_building_in_chunks_gives_the_same_index_as_one_pass(store, tmp_path, monkeypatch):
    """The chunked build (bounded memory at a million papers) writes the same bytes."""
    PI.build(store)
    one = {p.name: p.read_bytes() for p in store.phrase_index_dir.glob("part-*")}
    other = Store(tmp_path / "other")
    shutil.copytree(store.root, other.root)
    shutil.rmtree(other.phrase_index_dir)
    monkeypatch.setattr(PI, "CHUNK", 97)
    PI.build(other)
    chunked = {p.name: p.read_bytes() for p in other.phrase_index_dir.glob("part-*")}
    assert chunked.keys() == one.keys()
    assert all(chunked[name] == one[name] for name in one)
    assert len(one["part-000000.keys.npy"]) > 100_000  # a real index, not an empty one
