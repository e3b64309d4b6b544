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


def test_topics_page_controls_and_detail_round_trip(topics, table):
    top = topics.filter(pl.col("topic") >= 0).sort(["size", "topic"], descending=[True, False])
    top = top.row(1, named=True)  # the second largest (the largest shows until one is chosen)
    at = run("topics.py")
    assert "t" not in at.query_params, "nothing chosen: nothing in the URL"
    outliers = next(m.value for m in at.metric if m.label.startswith("Outliers"))
    listed = table.filter(pl.col("listed").is_not_null())  # the default basis
    share = listed.filter(pl.col("topic") == -1).height / listed.height
    assert outliers == f"{share:.1%}"
    at.button_group(key="w_measure").set_value("count").run()
    at.button_group(key="w_layout").set_value("lines").run()
    at.selectbox(key="topic_select").set_value(top["topic"]).run()
    assert not at.exception
    assert at.query_params["measure"] == "count"
    assert at.query_params["layout"] == "lines"
    assert at.query_params["t"] == str(top["topic"])
    shown = " ".join(m.value for m in at.markdown).replace("\\", "")  # markdown escapes
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



@pytest.fixture(scope="module")
def groups() -> pl.DataFrame:
    path = STORE / "topics" / "group_table.parquet"
    if not path.is_file():
        pytest.skip("this fit has no topic groups")
    return pl.read_parquet(path)


def test_group_level_round_trips_in_the_url(groups):
    at = run("topics.py", level="group")
    assert at.button_group(key="w_level").value == "group"
    assert at.query_params["level"] == "group"
    at.button_group(key="w_level").set_value("topic").run()
    assert not at.exception
    assert "level" not in at.query_params, "the default level stays out of the URL"


def test_group_filter_keeps_that_groups_papers(table, topics, groups):
    g = groups.row(0, named=True)
    at = run()
    ms = at.multiselect(key="w_group")
    assert g["label"] in ms.options, "groups are offered by label"
    ms.set_value([g["group"]]).run()
    assert not at.exception
    papers = int(next(m.value for m in at.metric if m.label == "Papers").replace(",", ""))
    in_group = topics.filter(pl.col("group") == g["group"])["topic"]
    expected = table.filter(pl.col("topic").is_in(in_group.implode())
                            & pl.col("listed").is_not_null())
    assert papers == expected.height
    assert at.query_params["group"] == str(g["group"])
    offered = set(at.multiselect(key="w_topic").options)
    labels = dict(topics.select("topic", "label").iter_rows())
    assert offered == {labels[t] for t in in_group}, "the topic filter offers the group's topics"


def test_topic_detail_shows_lineage_representatives_and_words(table, topics):
    top = biggest(topics)
    words = pl.read_parquet(STORE / "topics" / "topic_words_over_time.parquet").filter(
        (pl.col("every") == "month") & (pl.col("topic") == top["topic"])).sort("count")
    period = words["period"][-1]  # the topic's busiest month
    at = run("topics.py", t=str(top["topic"]), pick=f"topic-words|period={period}")
    shown = " ".join(m.value for m in at.markdown)
    assert "**Lineage**" in shown
    assert "Words over time" in shown
    reps = [b for b in at.button if b.key and b.key.startswith("rep_")]
    assert [b.key[4:] for b in reps] == list(top["representative"])
    assert f"from the month starting {period}" in shown
    listed = [d.value for d in at.dataframe if d.key == "tp_words_list"]
    day = pl.coalesce("listed", "published").dt.truncate("1mo")
    expected = table.filter((pl.col("topic") == top["topic"]) & (day == period))
    assert set(listed[0]["paper_id"]) == set(expected["paper_id"])
    assert expected.height == words["count"][-1], "the row's count is its list's length"
    reps[0].click().run()
    assert not at.exception
    assert at.session_state["w_paper"] == top["representative"][0]
