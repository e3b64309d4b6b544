"""The topic parts of the dashboard on a store with a topic model.

The store is the bundled one, or the one named by $PAPERTRENDS_TEST_TOPIC_STORE. Covers topic
labels, the topic filter, a picked topic, the topic detail and similar papers. Expected values come
from the artifact files read directly.
"""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.text import escape
from tests.support.dashboard import APP, run
from tests.support.paths import REPO

STORE = Path(os.environ.get("PAPERTRENDS_TEST_TOPIC_STORE") or REPO / "data")

pytestmark = pytest.mark.skipif(
    not (STORE / "topics" / "assignments.parquet").is_file(),
    reason=f"no topic model in {STORE} (the topics work ships data/topics)")


@pytest.fixture(autouse=True)
def topic_store(monkeypatch):
    monkeypatch.setenv("PAPERTRENDS_STORE", str(STORE))
    monkeypatch.setenv("PAPERTRENDS_NO_FIT", "1")


@pytest.fixture(scope="module")
def table() -> pl.DataFrame:
    """Papers with their topic, joined here from the files (not through the dashboard)."""
    papers = pl.read_parquet(STORE / "papers.parquet")
    assign = pl.read_parquet(STORE / "topics" / "assignments.parquet")
    return papers.join(assign.select("paper_id", "topic"), on="paper_id", how="left")


@pytest.fixture(scope="module")
def topics() -> pl.DataFrame:
    return pl.read_parquet(STORE / "topics" / "topic_table.parquet")


def biggest(topics: pl.DataFrame) -> dict:
    return topics.filter(pl.col("topic") >= 0).sort("size", descending=True).row(0, named=True)


def test_overview_counts_topics(table):
    at = run()
    shown = next(m.value for m in at.metric if m.label == "Topics")
    expected = table.filter(pl.col("listed").is_not_null() & (pl.col("topic") >= 0))
    assert int(shown) == expected["topic"].n_unique()


@pytest.mark.parametrize("basis", [None, "published"])
def test_topic_filter_keeps_that_topics_papers(table, topics, basis):
    top = biggest(topics)
    at = run(**({"basis": basis} if basis else {}))
    ms = at.multiselect(key="w_topic")
    assert top["label"] in ms.options, "topics are offered by label"
    ms.set_value([top["topic"]]).run()
    papers = int(next(m.value for m in at.metric if m.label == "Papers").replace(",", ""))
    col = basis or "listed"  # the default basis is the listing day
    expected = table.filter((pl.col("topic") == top["topic"]) & pl.col(col).is_not_null())
    assert papers == expected.height
    assert at.query_params["topic"] == str(top["topic"])


def test_topics_page_controls_and_detail_round_trip(topics):
    top = topics.filter(pl.col("topic") >= 0).sort(["size", "topic"], descending=[True, False])
    top = top.row(1, named=True)  # the second largest (the largest shows until one is chosen)
    at = run("topics.py")
    assert "t" not in at.query_params, "nothing chosen: nothing in the URL"
    assert any(m.label.startswith("Outliers") for m in at.metric)
    at.button_group(key="w_measure").set_value("count").run()
    at.button_group(key="w_layout").set_value("lines").run()
    at.selectbox(key="topic_select").set_value(top["topic"]).run()
    assert not at.exception
    assert at.query_params["measure"] == "count"
    assert at.query_params["layout"] == "lines"
    assert at.query_params["t"] == str(top["topic"])
    shown = " ".join(m.value for m in at.markdown)
    assert top["label"].split(" ")[0] in shown
    again = AppTest.from_file(APP, default_timeout=90)
    again.query_params.update(dict(at.query_params))
    again.run().switch_page("app_pages/topics.py").run()
    assert again.selectbox(key="topic_select").value == top["topic"]


def test_a_picked_topic_lists_its_papers(table, topics):
    top = biggest(topics)
    at = run("topics.py", pick=f"topic-trend|topic={top['topic']}")
    lists = [d.value for d in at.dataframe if "paper_id" in d.value.columns]
    expected = table.filter((pl.col("topic") == top["topic"]) & pl.col("listed").is_not_null())
    if expected.height <= 500:
        assert set(lists[0]["paper_id"]) == set(expected["paper_id"])
    else:  # the list shows the 500 most upvoted
        assert len(lists[0]) == 500
        assert set(lists[0]["paper_id"]) <= set(expected["paper_id"])
    assert at.selectbox(key="topic_select").value == top["topic"], "the picked topic's detail opens"


def test_paper_detail_shows_topic_and_similar_papers(table, topics):
    row = table.filter(pl.col("topic") >= 0).sort("upvotes", descending=True,
                                                  nulls_last=True).row(0, named=True)
    at = run("papers.py")
    at.session_state["w_paper"] = row["paper_id"]
    at.run()
    assert not at.exception
    label = topics.filter(pl.col("topic") == row["topic"])["label"].item()
    assert any("paper-topic" in m.value and escape(label) in m.value for m in at.markdown)
    similar = [b for b in at.button if b.key and b.key.startswith("sim_")]
    assert similar, "similar papers are offered"
    similar[0].click().run()
    assert not at.exception
    assert at.session_state["w_paper"] == similar[0].key[4:]

