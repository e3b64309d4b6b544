"""The dashboard parts of issue 13 in Streamlit's AppTest, on the bundled store.

The data note on every page, the topic detail under the sidebar's topics, the keyword chart in
counts, paper lists sorted over all their papers with a CSV of them all, long author lists
folded, a picked band listing the papers of its period, and the limit on phrases. What only a
browser shows (tooltips, titles, clicks, the brush, requests) is in tests/browser/test_e2e.py.
"""

from __future__ import annotations

import datetime as dt
import io
import json

import polars as pl
import pytest

from tests.support.dashboard import run
from tests.support.paths import REPO

BUNDLED = REPO / "data"
PAGES = ("overview.py", "topics.py", "keywords.py", "upvotes.py", "papers.py")


@pytest.fixture(autouse=True)
def bundled_store(monkeypatch):
    monkeypatch.setenv("PAPERTRENDS_STORE", str(BUNDLED))
    monkeypatch.setenv("PAPERTRENDS_NO_FIT", "1")


@pytest.fixture(scope="module")
def papers() -> pl.DataFrame:
    table = pl.read_parquet(BUNDLED / "papers.parquet")
    topics = pl.read_parquet(BUNDLED / "topics" / "assignments.parquet")
    return table.join(topics.select("paper_id", "topic"), on="paper_id", how="left")


@pytest.fixture(scope="module")
def topics() -> pl.DataFrame:
    return pl.read_parquet(BUNDLED / "topics" / "topic_table.parquet")


def plain(markdown: str) -> str:
    return markdown.replace("\\", "")


def chart_specs(at) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]


def paper_lists(at) -> list:
    return [d.value for d in at.dataframe if "paper_id" in d.value.columns]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_says_where_the_data_comes_from(page, papers):
    at = run(page)
    listed = papers.filter(pl.col("listed").is_not_null())
    notes = [plain(c.value) for c in at.caption if plain(c.value).startswith("Data: ")]
    assert len(notes) == 1
    note = notes[0]
    assert f"{listed.height:,} papers from Hugging Face Daily Papers" in note
    assert f"listed {listed['listed'].min()} to {listed['listed'].max()}" in note
    assert f"~{listed.height / listed['listed'].n_unique():.0f} a day" in note
    assert "upvotes read at different ages" in note
    readme = (BUNDLED / "README.md").read_text(encoding="utf-8")
    assert any(m.value.strip() == readme.strip() for m in at.markdown), "About: data/README.md"


def test_topic_detail_follows_the_sidebar_topics(topics):
    ranked = topics.filter(pl.col("topic") >= 0).sort(["size", "topic"], descending=[True, False])
    largest, third = ranked.row(0, named=True), ranked.row(2, named=True)
    at = run("topics.py", topic=str(third["topic"]), t=str(largest["topic"]))
    box = at.selectbox(key="topic_select")
    assert box.options == [third["label"]]  # only the topic the sidebar keeps ...
    assert box.value == third["topic"]  # ... even when the URL names another one
    assert any(third["label"] in plain(m.value) for m in at.markdown)


def test_a_picked_segment_lists_its_topic_in_its_period(papers):
    at = run("topics.py", pick="topic-trend|period=2025-03-01|topic=13")
    (shown,) = paper_lists(at)[:1]
    march = papers.filter((pl.col("listed").dt.strftime("%Y-%m") == "2025-03")
                          & (pl.col("topic") == 13))
    assert set(shown["paper_id"]) == set(march["paper_id"])
    assert march.height > 3


def test_the_other_topics_band_lists_the_topics_not_drawn(papers):
    at = run("topics.py", pick="topic-trend|period=2025-03-01|topic=-3")
    (shown,) = paper_lists(at)[:1]
    listed = papers.filter(pl.col("listed").is_not_null() & (pl.col("topic") >= 0))
    sizes = listed.group_by("topic").len().sort(["len", "topic"], descending=[True, False])
    drawn = sizes["topic"].head(10).to_list() + [-1]  # the ten largest and the outliers
    march = papers.filter((pl.col("listed").dt.strftime("%Y-%m") == "2025-03")
                          & ~pl.col("topic").is_in(drawn))
    assert set(shown["paper_id"]) == set(march["paper_id"])
    assert march.height > 50


def test_keywords_page_draws_counts_or_shares():
    at = run("keywords.py", q="diffusion", measure="count")
    layers = chart_specs(at)[0]["layer"]
    assert {la["encoding"]["y"]["field"] for la in layers} == {"count"}
    assert at.button_group(key="w_measure").value == "count"
    at.button_group(key="w_measure").set_value("share").run()
    layers = chart_specs(at)[0]["layer"]
    assert "share" in {la["encoding"]["y"]["field"] for la in layers}
    assert "measure" not in at.query_params  # the default is left out of the URL


@pytest.mark.parametrize(("sort", "column", "newest"), [
    ("newest", "listed", True), ("oldest", "listed", False)])
def test_papers_page_sorts_all_papers_not_the_rows_shown(papers, sort, column, newest):
    at = run("papers.py", sort=sort)
    table = paper_lists(at)[0]
    listed = papers.filter(pl.col("listed").is_not_null())
    first = listed[column].max() if newest else listed[column].min()
    assert table["date"].iloc[0].date() == first
    assert len(table) == 500 < listed.height
    assert any(f"CSV of all {listed.height:,}" == b.label for b in at.download_button)
    assert at.query_params["sort"] == sort


def test_any_paper_list_downloads_as_csv_of_all_its_papers(papers):
    from analysis.filters import Filters, apply
    from analysis.store import Store
    from analysis.trends import paper_frame
    from dashboard.components import drill, listing

    every = drill.as_list(apply(paper_frame(Store(BUNDLED)), Filters()), "listed", "oldest")
    rows = pl.read_csv(io.BytesIO(listing.csv_maker(every)()))
    assert rows.height == papers.filter(pl.col("listed").is_not_null()).height > 500
    assert rows["date"][0] == str(papers["listed"].min())


def test_long_author_lists_are_folded(papers):
    most = papers.sort("n_authors", descending=True, nulls_last=True).row(0, named=True)
    at = run("papers.py", paper=most["paper_id"])
    text = " ".join(m.value for m in at.markdown)
    assert f"and {len(most['authors']) - 12:,} more" in text
    assert any(e.label == f"All {len(most['authors']):,} authors" for e in at.expander)


def test_the_paper_detail_shows_the_whole_topic_label(papers, topics):
    from dashboard.text import escape

    row = papers.filter(pl.col("topic") >= 0).sort("upvotes", descending=True,
                                                   nulls_last=True).row(0, named=True)
    label = topics.filter(pl.col("topic") == row["topic"])["label"].item()
    at = run("papers.py", paper=row["paper_id"])
    assert any(escape(label) in m.value and "paper-topic" in m.value for m in at.markdown)


def test_more_than_ten_phrases_get_a_clear_message():
    at = run("keywords.py", allow_errors=True, q=", ".join(f"w{i}" for i in range(1_500)))
    assert not at.exception
    assert any("at most 10 phrases per query, not 1,500" in e.value for e in at.error)


def test_a_picked_period_of_papers_per_month_lists_that_month(papers):
    at = run(pick="papers-per-period|period=2025-06-01", **{"from": "2025-01-01",
                                                            "to": "2025-06-30"})
    (shown,) = paper_lists(at)[:1]
    june = papers.filter(pl.col("listed").is_between(dt.date(2025, 6, 1), dt.date(2025, 6, 30)))
    assert set(shown["paper_id"]) == set(june["paper_id"])
