"""The real topic pipeline (fast embedder, BERTopic, UMAP) on the fixture papers."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from analysis.cli import main
from analysis.schema import InputError
from analysis.store import Store
from analysis.topics import artifacts as art
from analysis.topics import fit as topics
from analysis.topics.labels import label_problems
from analysis.topics.pipeline import REASSIGN_THRESHOLDS
from tests.support.paths import REPO

pytestmark = pytest.mark.slow
N_NEW = 100


@pytest.fixture(scope="module")
def fitted(tmp_path_factory, sample_store, fast_models):
    """A store holding all fixture papers but the newest 100, fitted with the fast embedder."""
    papers = Store(sample_store).read_papers()
    newest = papers.sort(["published", "paper_id"], descending=True, nulls_last=True).head(N_NEW)
    root = tmp_path_factory.mktemp("fitted")
    store = Store(root)
    shutil.copytree(fast_models, store.models_dir)
    store.write_papers(papers.join(newest.select("paper_id"), on="paper_id", how="anti"))
    meta = topics.fit(store, embedder="fast", seed=1)
    return store, meta, papers, newest


def copy_store(store: Store, dest: Path) -> Store:
    shutil.copytree(store.root, dest)
    return Store(dest)


def test_fit_writes_complete_artifacts(fitted):
    store, meta, papers, newest = fitted
    assert art.has_topics(store)
    a = art.read_assignments(store)
    t = art.read_topic_table(store)
    n = papers.height - N_NEW
    assert a.height == n
    assert a["paper_id"].n_unique() == n
    assert a.schema == pl.Schema(art.ASSIGNMENT_SCHEMA)
    assert t.schema == pl.Schema(art.TOPIC_SCHEMA)
    assert pl.read_parquet(art.path_of(store, art.ASSIGNMENTS)).columns == list(a.columns)
    assert meta["settings"]["clusterer"] == "hdbscan"
    assert -1 in t["topic"].to_list()
    real = t.filter(pl.col("topic") >= 0)
    assert 5 <= real.height <= 40
    assert real["label"].n_unique() == real.height, "labels must be distinct"
    assert label_problems(dict(real.select("topic", "label").iter_rows())) == []
    assert all(len(w) >= 5 for w in real["words"])
    sizes = a.group_by("topic").len("n")
    joined = t.join(sizes, on="topic", how="left").with_columns(pl.col("n").fill_null(0))
    assert (joined["size"] == joined["n"]).all()
    assert int(t["size"].sum()) == n
    # honest outliers: status says how each paper got its topic
    status = dict(a.group_by("status").len().iter_rows())
    assert set(status) <= {"member", "reassigned", "outlier"}
    assert status.get("outlier", 0) == a.filter(pl.col("topic") == -1).height
    threshold = meta["settings"]["reassign_threshold"]
    assert threshold == REASSIGN_THRESHOLDS["fast"] == 0.82  # the fast model's own (MiniLM: 0.6)
    assert status.get("outlier", 0) > 0, "at 0.6 the fast model's cosines placed every paper"
    placed = a.filter(pl.col("status") == "reassigned")
    assert (placed["sim"] >= threshold - 1e-6).all()
    assert (a.filter(pl.col("status") == "outlier")["sim"] < threshold).all()
    assert (placed["prob"] == 0).all(), "HDBSCAN's probability stays honest (0 = left out)"
    members = a.filter(pl.col("status") == "member")
    member_counts = dict(members.group_by("topic").len().iter_rows())
    assert all(member_counts.get(r["topic"], 0) == r["members"] for r in real.iter_rows(named=True))
    assert a["prob"].is_between(0, 1).all()
    assert a["x"].is_finite().all()
    assert a["y"].is_finite().all()
    topic_of = dict(a.select("paper_id", "topic").iter_rows())
    for row in real.iter_rows(named=True):
        assert 1 <= len(row["representative"]) <= 3
        assert all(topic_of[p] == row["topic"] for p in row["representative"])
        assert row["lineage"] == "first fit"
    groups = art.read_groups(store)
    assert sorted(t for ts in groups["topics"] for t in ts) == sorted(real["topic"])
    assert set(real["group"]) == set(groups["group"])
    assert groups["size"].sum() == n - status.get("outlier", 0)
    words = pl.read_parquet(art.path_of(store, art.WORDS_OVER_TIME))
    assert set(words["every"]) == set(art.WORD_PERIODS)
    assert set(words["topic"]) <= set(real["topic"])
    q = meta["quality"]
    assert q["largest_share"] <= 0.35
    assert q["outlier_share"] <= 0.3
    assert 0.5 <= q["diversity"] <= 1.0
    assert -1.0 <= q["coherence_npmi"] <= 1.0
    assert q["compare"]["ward_same_count"]["n_topics"] <= real.height
    assert q["label_problems"] == []
    assert meta["corpus_hash"] == store.corpus_hash()
    # safetensors / JSON / Parquet / NumPy only: nothing that would be unpickled
    files = [p.name for p in store.topics_dir.rglob("*") if p.is_file()]
    assert "topic_embeddings.safetensors" in files
    assert "ctfidf.safetensors" in files
    assert not [f for f in files if f.endswith((".pkl", ".pickle", ".bin", ".pt"))]
    model = topics.load_model(store)
    inner_to_ours = {int(k): v for k, v in meta["model_topic_ids"].items()}
    assert sorted(inner_to_ours.values()) == sorted(real["topic"].to_list())
    assert model.topic_embeddings_.shape[0] == real.height + (1 if status.get("outlier") else 0)
    words = dict(zip(real["topic"].to_list(), real["words"].to_list(), strict=True))
    assert all([w for w, _ in model.get_topic(i)][:3] == words[t][:3]
               for i, t in inner_to_ours.items())


def test_same_data_and_seed_give_identical_assignments(fitted, tmp_path):
    store, meta, _, _ = fitted
    again = copy_store(store, tmp_path / "again")
    shutil.rmtree(again.topics_dir)
    meta2 = topics.fit(again, embedder="fast", seed=1)
    assert meta2["key"] == meta["key"]
    for name in (art.ASSIGNMENTS, art.TOPIC_TABLE, art.GROUP_TABLE, art.WORDS_OVER_TIME,
                 art.TOPIC_VECTORS):
        assert art.path_of(again, name).read_bytes() == art.path_of(store, name).read_bytes()
    # and an identical fit over existing artifacts is skipped
    assert topics.fit(again, embedder="fast", seed=1)["reused"] is True


def test_assign_new_papers_leaves_the_others_alone(fitted, tmp_path, capsys):
    store, _, papers, newest = fitted
    grown = copy_store(store, tmp_path / "grown")
    before = art.read_assignments(grown)
    grown.write_papers(papers)
    counts = topics.assign_new(grown)
    assert counts["assigned"] == N_NEW
    assert counts["unchanged"] == before.height
    after = art.read_assignments(grown)
    assert after.height == papers.height
    assert after.join(before, on="paper_id", how="semi").sort("paper_id").equals(
        before.sort("paper_id"))
    added = after.join(newest.select("paper_id"), on="paper_id", how="semi")
    assert added.height == N_NEW
    valid = set(art.read_topic_table(grown).filter(pl.col("topic") >= 0)["topic"])
    assert set(added["topic"]) <= valid | {-1}
    threshold = art.read_meta(grown)["settings"]["reassign_threshold"]
    placed = added["status"] == "assigned"
    assert set(added["status"]) <= {"assigned", "outlier"}
    assert ((added["sim"] >= threshold) == placed).all(), "the fit's nearest-centroid rule"
    assert ((added["topic"] == -1) == ~placed).all()
    assert counts["outliers"] == int((~placed).sum())
    assert added["x"].is_finite().all()
    box = before.select(pl.col("x").min().alias("lo"), pl.col("x").max().alias("hi")).row(0)
    assert added["x"].is_between(box[0], box[1]).all()
    assert art.read_topic_table(grown)["size"].sum() == papers.height
    assert topics.assign_new(grown)["assigned"] == 0  # idempotent

    # refitting the grown corpus keeps ids of the topics that continue
    meta = topics.fit(grown, embedder="fast", seed=1)
    ch = meta["changes"]
    new_a = art.read_assignments(grown)
    assert len(ch["kept"]) >= 0.5 * meta["n_topics"]
    both = before.join(new_a, on="paper_id", suffix="_new")
    plurality = 0  # kept ids whose old papers mostly went to the topic carrying that id
    for tid in ch["kept"]:
        members = both.filter(pl.col("topic") == tid)
        top = members.group_by("topic_new").len().sort(["len", "topic_new"], descending=True)
        plurality += int(top["topic_new"][0] == tid)
    assert plurality >= 0.6 * len(ch["kept"]), (plurality, ch)
    n_ids = len(set(ch["kept"]) | set(ch["new"]) | {i for v in ch["split"].values() for i in v})
    assert n_ids == meta["n_topics"]
    # the lineage people see: topic table, meta's previous labels, `topics --json`
    old_labels = dict(art.read_topic_table(store).filter(pl.col("topic") >= 0)
                      .select("topic", "label").iter_rows())
    assert meta["previous"]["labels"] == {str(k): v for k, v in old_labels.items()}
    table = art.read_topic_table(grown).filter(pl.col("topic") >= 0)
    line = {r["topic"]: r for r in table.iter_rows(named=True)}
    assert sorted(t for t, r in line.items() if r["lineage"] == "kept") == sorted(ch["kept"])
    for old, news in ch["split"].items():
        assert all(line[t]["lineage"] == "split" and line[t]["lineage_from"] == [int(old)]
                   for t in news)
    for old, into in ch["merged"].items():
        assert int(old) in line[into]["merged_from"]
    assert main(["topics", "--store", str(grown.root), "--json"]) == 0
    shown = {t["topic"]: t["lineage"] for t in json.loads(capsys.readouterr().out)["topics"]
             if t["topic"] >= 0}
    kept = [t for t in ch["kept"]]
    assert all(shown[t]["status"] == "kept" and shown[t]["from"][0]["label"] == old_labels[t]
               for t in kept)


def test_topics_command_json(fitted, capsys):
    store, meta, _, _ = fitted
    assert main(["topics", "--store", str(store.root), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    for key in ("n_topics", "outlier_share", "largest_share", "diversity", "coherence_npmi",
                "settings", "corpus_hash", "topics"):
        assert key in out
    assert out["n_topics"] == meta["n_topics"]
    assert out["settings"]["seed"] == 1
    assert out["settings"]["embedder"] == "fast"
    assert {t["topic"] for t in out["topics"]} >= {-1, 0}
    assert sum(t["count"] for t in out["topics"]) == out["n_papers"]
    assert main(["topics", "--store", str(store.root)]) == 0
    assert "topics over" in capsys.readouterr().out


def test_topic_words_and_the_ward_clusterer(fitted, tmp_path, capsys):
    store, _, _, _ = fitted
    table = art.read_topic_table(store).filter(pl.col("topic") >= 0).sort("size", descending=True)
    top = table["topic"][0]
    assert main(["topic-words", "--store", str(store.root), "--topic", str(top), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    expected = art.read_topic_words(store, "quarter").filter(pl.col("topic") == top)
    assert [r["count"] for r in rows] == expected.sort("period")["count"].to_list()
    assert all(1 <= len(r["words"]) <= 5 for r in rows)
    ward = copy_store(store, tmp_path / "ward")
    assert main(["fit", "--store", str(ward.root), "--embedder", "fast", "--seed", "1",
                 "--clusterer", "ward", "--json"]) == 0
    meta = json.loads(capsys.readouterr().out)
    assert meta["settings"]["clusterer"] == "ward"
    a = art.read_assignments(ward)
    assert (a["topic"] >= 0).all(), "Ward leaves no paper out"
    assert set(a["status"]) == {"member"}
    assert "ward" in meta["quality"]["compare"]


def test_similar_papers_uses_cached_vectors(fitted):
    store, _, _, _ = fitted
    pid = art.read_assignments(store)["paper_id"][0]
    sim = art.similar_papers(store, pid, k=5)
    assert sim.height == 5
    assert pid not in sim["paper_id"].to_list()
    assert sim["score"].is_sorted(descending=True)


def test_damaged_artifact_is_a_clear_error(fitted, tmp_path, capsys):
    store, _, _, _ = fitted
    broken = copy_store(store, tmp_path / "broken")
    art.path_of(broken, art.ASSIGNMENTS).write_bytes(b"garbage")
    assert main(["topics", "--store", str(broken.root)]) == 2
    err = capsys.readouterr().err
    assert "assignments.parquet" in err
    assert "papertrends fit" in err
    with pytest.raises(InputError, match="unknown embedder"):
        topics.fit(broken, embedder="glove")
    with pytest.raises(InputError, match="no topic model"):
        topics.assign_new(Store(tmp_path / "empty"))


def test_light_modules_do_not_import_heavy_libraries():
    code = ("import sys, analysis.topics.artifacts, analysis.commands.topics, "
            "analysis.topics.quality, analysis.topics.match, analysis.topics.pipeline, "
            "analysis.topics.embedders, analysis.topics.labels, analysis.topics.hierarchy, "
            "analysis.topics.tables, analysis.topics.words, analysis.views.topic_words;"
            "heavy = [m for m in ('torch', 'umap', 'bertopic', 'sentence_transformers', 'hdbscan')"
            " if m in sys.modules]; print(heavy); sys.exit(1 if heavy else 0)")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=REPO)
    assert res.returncode == 0, res.stdout + res.stderr


def test_fit_mends_damaged_topics_and_a_damaged_cache(fitted, tmp_path, capsys):
    """The fix `check` names for damaged topic files (`fit`) and cache (`fit --force`) works."""
    from tests.support.stores import cut_in_half

    store = copy_store(fitted[0], tmp_path / "s")
    cut_in_half(art.path_of(store, art.META))
    cut_in_half(store.embeddings_path("fast"))
    assert main(["check", "--store", str(store.root)]) == 2
    capsys.readouterr()
    assert main(["fit", "--store", str(store.root), "--embedder", "fast", "--seed", "1",
                 "--force"]) == 0
    out, err = capsys.readouterr()
    assert "fitted:" in out
    assert main(["check", "--store", str(store.root)]) == 0, capsys.readouterr()
    assert art.read_assignments(store).height == fitted[0].read_papers().height


def test_words_over_time_leaves_out_papers_of_a_topic_the_model_lacks(fitted):
    """A sample fit places outliers the sample never had: BERTopic must not shift its rows."""
    import numpy as np

    from analysis.topics.vectors import doc_texts
    from analysis.topics.words import words_over_time

    store, meta, _, _ = fitted
    model = topics.load_model(store)
    papers = store.read_papers()
    to_id = {int(k): v for k, v in meta["model_topic_ids"].items()}
    ours = dict(art.read_assignments(store).select("paper_id", "topic").iter_rows())
    inner = {v: k for k, v in to_id.items()} | {-1: -1}
    labels = np.array([inner[ours[p]] for p in papers["paper_id"]], dtype=np.int64)
    unknown = max(model.topic_representations_) + 1  # e.g. -1 where the model has no outliers
    odd = np.zeros(len(labels), dtype=bool)
    odd[::7] = True
    docs, listed, published = doc_texts(papers), papers["listed"].to_list(), \
        papers["published"].to_list()
    got = words_over_time(model, docs, np.where(odd, unknown, labels), listed, published,
                          to_id | {unknown: 999})
    keep = np.flatnonzero(~odd)
    want = words_over_time(model, [docs[i] for i in keep], labels[keep],
                           [listed[i] for i in keep], [published[i] for i in keep], to_id)
    assert got.equals(want)
    assert got.height > 0
    assert 999 not in got["topic"].to_list()
