"""After a fetch, new papers get topics from the store's model without a refit."""

from __future__ import annotations

import shutil

import pytest

from analysis.fetch import fetch
from analysis.fetch.client import RetryPolicy
from analysis.store import BUNDLED_STORE, Store
from tests.support.hf_server import ALL_IDS, FIRST, LAST
from tests.support.paths import DAILY

FAST = RetryPolicy(timeout=5.0, retries=2, backoff=0.02)
NEW_IDS = ALL_IDS

def test_no_topic_model_is_said_not_an_error(tmp_path, hf_api):
    summary = fetch(Store(tmp_path / "s"), FIRST, LAST, endpoint=hf_api.endpoint, policy=FAST)
    assert summary.exit_code == 0
    assert summary.papers_new == 71
    assert summary.topics.startswith("no topic model in this store")


def test_a_broken_topic_model_does_not_lose_the_fetched_papers(tmp_path, hf_api):
    from analysis.topics.artifacts import ASSIGNMENTS, META, TOPIC_TABLE

    store = Store(tmp_path / "s")
    store.topics_dir.mkdir(parents=True)
    for name in (ASSIGNMENTS, TOPIC_TABLE, META):
        (store.topics_dir / name).write_bytes(b"damaged")
    summary = fetch(store, FIRST, LAST, endpoint=hf_api.endpoint, policy=FAST)
    assert summary.exit_code == 0
    assert store.read_papers().height == 71
    assert summary.topics.startswith("papers not given topics: ")
    assert str(store.topics_dir / "meta.json") in summary.topics
    assert f"papertrends fit --store {store.root}" in summary.topics
    assert "\n" not in summary.topics


@pytest.mark.slow
def test_new_papers_get_topics_without_a_refit(tmp_path, hf_api):
    from analysis.ingest import ingest
    from analysis.topics.artifacts import read_assignments, read_meta, read_topic_table
    from analysis.topics.embedders import fast_model_dir
    from analysis.topics.fit import fit

    store = Store(tmp_path / "s")
    ingest(store, [DAILY])  # 447 papers from other days
    shipped = fast_model_dir(Store(BUNDLED_STORE))
    if (shipped / "model.safetensors").is_file():  # saves distilling the word model again
        shutil.copytree(shipped, fast_model_dir(store))
    fit(store, embedder="minilm", seed=42)
    meta, table = read_meta(store), read_topic_table(store)
    assert not NEW_IDS & set(read_assignments(store)["paper_id"])

    summary = fetch(store, FIRST, LAST, endpoint=hf_api.endpoint, policy=FAST)
    assert summary.papers_new == 71
    assert summary.topics.startswith("71 new paper(s) given topics without a refit"), summary.topics
    assigned = read_assignments(store)
    assert set(assigned["paper_id"]) >= NEW_IDS
    assert assigned.height == 447 + 71
    new = assigned.filter(assigned["paper_id"].is_in(list(NEW_IDS)))
    assert new["topic"].is_in(table["topic"].to_list() + [-1]).all()
    assert read_meta(store)["fitted_at"] == meta["fitted_at"]  # no refit
    assert read_topic_table(store)["topic"].to_list() == table["topic"].to_list()
