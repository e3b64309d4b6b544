"""Fitting on a time-stratified sample and placing the rest (`fit --sample N`), on real papers."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from analysis.audit import check_store
from analysis.cli import main
from analysis.schema import InputError
from analysis.store import Store
from analysis.topics import artifacts as art
from analysis.topics import sample as sampling
from analysis.views.notes import model_text
from tests.support.paths import BUNDLED

ARTIFACTS = (art.ASSIGNMENTS, art.TOPIC_TABLE, art.GROUP_TABLE, art.WORDS_OVER_TIME,
             art.TOPIC_VECTORS)


@pytest.fixture(scope="module")
def real_papers() -> pl.DataFrame:
    """The 12,570 real papers of the bundled store."""
    return Store(BUNDLED).read_papers()


def test_sample_keeps_every_months_share(real_papers):
    n = 3000
    rows = sampling.stratified_rows(real_papers, n, seed=7)
    assert len(rows) == n
    assert len(np.unique(rows)) == n
    assert (np.diff(rows) > 0).all(), "row numbers ascending"
    months = sampling.month_of(real_papers)
    whole = Counter(months)
    got = Counter(months[r] for r in rows)
    assert set(got) <= set(whole)
    for month, count in whole.items():
        exact = n * count / real_papers.height
        assert abs(got.get(month, 0) - exact) < 1, month  # largest remainder: floor or ceil
    # a month with a tenth of the average share still gets its few papers
    assert all(got[m] >= 1 for m, c in whole.items() if c * n >= real_papers.height)


def test_sample_is_seeded_and_independent_of_row_order(real_papers):
    rows = sampling.stratified_rows(real_papers, 2000, seed=3)
    again = sampling.stratified_rows(real_papers, 2000, seed=3)
    assert np.array_equal(rows, again)
    ids = set(real_papers["paper_id"].gather(rows).to_list())
    shuffled = real_papers.sample(fraction=1.0, shuffle=True, seed=11)
    other = sampling.stratified_rows(shuffled, 2000, seed=3)
    assert set(shuffled["paper_id"].gather(other).to_list()) == ids
    reseeded = sampling.stratified_rows(real_papers, 2000, seed=4)
    assert set(real_papers["paper_id"].gather(reseeded).to_list()) != ids


def test_quotas_add_up_by_largest_remainder():
    assert sampling.quotas({"a": 1, "b": 1, "c": 1}, 2) == {"a": 1, "b": 1, "c": 0}
    assert sampling.quotas({"a": 5, "b": 3, "c": 2}, 5) == {"a": 3, "b": 1, "c": 1}
    assert sum(sampling.quotas({str(i): i + 1 for i in range(50)}, 333).values()) == 333


def test_sample_size_rule():
    top = sampling.SAMPLE_FROM
    assert sampling.sample_size(None, 12_570) is None, "the bundled store is fitted whole"
    assert sampling.sample_size(None, top) is None
    assert sampling.sample_size(None, top + 1) == sampling.DEFAULT_SAMPLE
    assert sampling.sample_size(0, 10**6) is None
    assert sampling.sample_size(5000, 5000) is None
    assert sampling.sample_size(10**7, 10**6) is None, "larger than the corpus: all"
    assert sampling.sample_size(5000, 10**6) == 5000
    with pytest.raises(InputError, match="0 .all papers. or more"):
        sampling.sample_size(-1, 100)


@pytest.mark.parametrize(("text", "value"), [("all", 0), ("ALL", 0), ("0", 0), ("25000", 25000),
                                             (None, None)])
def test_parse_sample(text, value):
    assert sampling.parse_sample(text) == value


@pytest.mark.parametrize(("text", "message"), [
    ("-5", "papertrends fit: error: field 'sample': --sample must be 0 (all papers) or more, "
     "not -5 (e.g. --sample 25000, or --sample all)"),
    ("many", "papertrends fit: error: field 'sample': --sample takes a number of papers or "
     "'all', not 'many'"),
    ("2.5", "--sample takes a number of papers or 'all', not '2.5'"),
])
def test_cli_bad_sample_is_one_line_exit_2(tmp_path, capsys, text, message):
    root = tmp_path / "store"
    Store(root).write_papers(Store(BUNDLED).read_papers().head(50))
    before = {p: p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
    code = main(["fit", "--store", str(root), "--sample", text])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err
    assert {p: p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()} == before


def real_store(root: Path, papers: pl.DataFrame) -> Store:
    """A store of these real papers with their cached MiniLM vectors (no model runs)."""
    store = Store(root)
    store.write_papers(papers)
    cache = pl.read_parquet(Store(BUNDLED).embeddings_path("minilm"))
    store.write_parquet(store.embeddings_path("minilm"), cache)
    return store


@pytest.fixture(scope="module")
def sample_fit(tmp_path_factory, real_papers):
    """Every fourth real paper (3,143, all months), clustered on a sample of 1,000."""
    papers = real_papers.sort("paper_id").gather_every(4)
    store = real_store(tmp_path_factory.mktemp("sample-fit"), papers)
    from analysis.topics.fit import fit

    meta = fit(store, sample=1000, seed=5)
    return store, meta, papers


@pytest.mark.slow
def test_sample_fit_places_every_paper(sample_fit):
    store, meta, papers = sample_fit
    n = papers.height
    a = art.read_assignments(store)
    assert a.height == n
    assert set(a["paper_id"]) == set(papers["paper_id"])
    assert art.pending(store).height == 0, "no paper left unassigned"
    assert meta["sample"] == {"n": 1000, "of": n, "seed": 5, "strata": "listing month",
                              "rest": "placed by the nearest-centroid rule of `assign`"}
    assert meta["n_papers"] == n
    assert meta["n_assigned_after_fit"] == 0
    assert "sample of 1,000 of 3,143 papers" in meta["method"]
    assert "sample of 1,000 of 3,143 papers" in model_text(meta, meta["corpus_hash"])
    status = Counter(a["status"].to_list())
    assert status["member"] + status["reassigned"] + status["assigned"] + status["outlier"] == n
    assert status["assigned"] > n - 1000 - status["outlier"]
    assert status["member"] + status["reassigned"] <= 1000
    assert meta["quality"]["status"] == dict(status)
    # sizes, groups, words over time and the keyword check describe every paper
    table = art.read_topic_table(store)
    assert int(table["size"].sum()) == n
    sizes = a.group_by("topic").len("n").join(table, on="topic")
    assert (sizes["n"] == sizes["size"]).all()
    placed = n - a.filter(pl.col("topic") == -1).height
    assert int(art.read_groups(store)["size"].sum()) == placed
    years = art.read_topic_words(store, "year")
    assert int(years["count"].sum()) == placed, "every dated paper with a topic counted"
    kw = meta["quality"]["keywords"]
    assert kw["n_topics"] == table.filter(pl.col("topic") >= 0).height
    assert kw["pairs"]["papers_with_keywords"] > 1000, "the check ran over all papers"
    assert meta["quality"]["compare"]["on_sample"] == 1000
    # the rest got the rule of `assign`: nearest centroid at cosine >= 0.6, else an outlier
    rest = a.filter(pl.col("status") == "assigned")
    assert (rest["sim"] >= meta["settings"]["reassign_threshold"] - 1e-6).all()
    assert a["x"].is_finite().all()
    assert a["y"].is_finite().all()
    assert check_store(store) == [], "`papertrends check` finds nothing to mend"


@pytest.mark.slow
def test_sample_fit_is_reproducible_and_reused(sample_fit, tmp_path):
    store, meta, papers = sample_fit
    from analysis.topics.fit import fit

    assert fit(store, sample=1000, seed=5)["reused"], "same store, seed and sample: reused"
    again = real_store(tmp_path / "again", papers)
    meta2 = fit(again, sample=1000, seed=5)
    assert meta2["key"] == meta["key"]
    for name in ARTIFACTS:
        assert art.path_of(again, name).read_bytes() == art.path_of(store, name).read_bytes()


@pytest.mark.slow
def test_no_sampling_below_the_threshold_is_todays_fit(real_papers, tmp_path):
    """Default, --sample all and a sample larger than the store all take today's path."""
    from analysis.topics.fit import fit

    papers = real_papers.sort("paper_id").gather_every(8)
    fits = {}
    for name, sample in (("default", None), ("all", 0), ("larger", 10**6)):
        store = real_store(tmp_path / name, papers)
        fits[name] = (store, fit(store, sample=sample, seed=5))
    first, meta = fits["default"]
    assert "sample" not in meta
    assert "sample" not in meta["method"]
    for store, other in fits.values():
        assert other["key"] == meta["key"]
        for name in ARTIFACTS:
            assert art.path_of(store, name).read_bytes() == art.path_of(first, name).read_bytes()
    assert set(art.read_assignments(first)["status"]) <= {"member", "reassigned", "outlier"}
    shutil.rmtree(tmp_path)
