"""The dashboard on a store above the map's cap: one shared frame, a sampled map, exact lists.

The store is 60,000 synthetic papers (``bench/dashboard_store.py``: real papers resampled, each
with the bundled topic of the paper it was copied from) and the map's cap is lowered to 5,000
points (``PAPERTRENDS_MAP_POINTS``), so the code paths of a million-paper store run here in
seconds. Expected values are read from the store's files, not through the dashboard.
"""

from __future__ import annotations

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from analysis.filters import Filters
from analysis.store import ENV_MAP_POINTS
from analysis.trends import match_papers, paper_frame
from analysis.views import registry
from bench.dashboard_store import make_store
from dashboard.components import vega
from tests.support.dashboard import APP, ok, run

PAPERS = 60_000
CAP = 5_000


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A 60k-paper store with the bundled topics."""
    return make_store(tmp_path_factory.mktemp("big") / "store", PAPERS)


@pytest.fixture(scope="module")
def table(store) -> pl.DataFrame:
    """Papers with their topic, joined here from the files."""
    papers = pl.read_parquet(store.papers_path)
    assign = pl.read_parquet(store.topics_dir / "assignments.parquet")
    return papers.join(assign.select("paper_id", "topic"), on="paper_id", how="left")


@pytest.fixture(autouse=True)
def big_store(store, monkeypatch):
    monkeypatch.setenv("PAPERTRENDS_STORE", str(store.root))
    monkeypatch.setenv("PAPERTRENDS_NO_FIT", "1")
    monkeypatch.setenv(ENV_MAP_POINTS, str(CAP))


def dataset_rows(spec: dict) -> int:
    """Rows of the one dataset a Vega-Lite spec embeds (Arrow IPC bytes)."""
    import pyarrow as pa

    (raw,) = spec["datasets"].values()
    return pa.ipc.open_stream(raw).read_all().num_rows


def test_the_map_draws_a_fixed_sample_of_at_most_the_cap(store, table):
    lf = paper_frame(store).collect().lazy()
    whole = registry.build_view("topic-map", lf, Filters())
    narrow = registry.build_view("topic-map", lf, Filters(min_upvotes=5, basis="published"))
    assert table.height == PAPERS
    assert whole.data.height == CAP == narrow.data.height
    assert dataset_rows(vega.to_spec(whole.chart)) == CAP  # what reaches the browser
    # the same papers under every filter (the map never reshuffles), greyed where left out
    assert set(whole.data["paper_id"]) == set(narrow.data["paper_id"])
    assert narrow.data["shown"].sum() < whole.data["shown"].sum()
    assert "fixed sample of 5,000 of the 60,000 papers" in whole.caption
    # every topic of the store is on the map, so every label still sits at its centre
    assert set(whole.data["topic"]) == set(table["topic"])
    # a search marks the most upvoted matches of all papers, drawn or not
    found = registry.build_view("topic-map", lf, Filters(), search="diffusion")
    marked = found.data.filter(pl.col("match") > 0)
    hits = table.filter(pl.col("title").str.to_lowercase().str.contains("diffusion",
                                                                        literal=True))
    top = hits.sort(["upvotes", "paper_id"], descending=[True, False], nulls_last=True)
    assert set(marked["paper_id"]) == set(top["paper_id"].head(marked.height))
    assert found.data.height <= CAP + marked.height


def test_a_click_on_the_sampled_map_lists_every_paper_of_that_topic(table):
    row = table.filter(pl.col("topic") >= 0).sort("paper_id").row(0, named=True)
    at = run("topics.py", pick=f"topic-map|paper_id={row['paper_id']}",
             paper=row["paper_id"], min_upvotes="3")
    expected = table.filter((pl.col("topic") == row["topic"]) & (pl.col("upvotes") >= 3)
                            & pl.col("listed").is_not_null())
    assert expected.height > 500  # more than a list shows: the count must come from all
    sorts = [s.label for s in at.button_group if s.label.startswith("Sort all")]
    assert f"Sort all {expected.height:,} papers by" in sorts
    lists = [d.value for d in at.dataframe if "paper_id" in d.value.columns]
    shown = lists[0]  # pandas, as AppTest gives it
    top = expected.sort(["upvotes", "paper_id"], descending=[True, False]).head(500)
    assert list(shown["paper_id"]) == top["paper_id"].to_list()


def test_the_papers_page_counts_all_papers_and_shows_the_top_rows(table):
    at = run("papers.py", search="diffusion")
    hits = match_papers(table.filter(pl.col("listed").is_not_null()), "diffusion").collect()
    assert any(f"{hits.height:,} papers" in c.value for c in at.caption)
    shown = next(d.value for d in at.dataframe if "paper_id" in d.value.columns)
    assert len(shown) == 500 < hits.height


def test_sessions_share_one_paper_frame():
    """Two sessions (two AppTests in one process, as two tabs on one server) read one frame."""
    first = AppTest.from_file(APP, default_timeout=120)
    first.run()
    second = AppTest.from_file(APP, default_timeout=120)
    second.query_params["min_upvotes"] = "4"
    second.run()
    ok(first)
    ok(second)
    one, two = (at.session_state["_context"].loaded for at in (first, second))
    assert one.frame is two.frame
    assert one.frame.height == PAPERS
