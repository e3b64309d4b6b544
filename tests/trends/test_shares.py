"""Topic frequency against the assignment table, counted independently; emerging topics."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from analysis.filters import Filters, apply
from analysis.ingest import load_sources
from analysis.names import OUTLIER_LABEL
from analysis.store import Store, atomic_write_json, atomic_write_parquet
from analysis.trends import (
    EMERGING_FIRTH,
    EMERGING_METHOD,
    emerging_topics,
    paper_frame,
    papers_per_period,
    topic_frequency,
    topic_sizes,
)
from analysis.trends.shares import TopicCounts, topic_counts
from tests.support.paths import DAILY, REPO


def fake_topic(paper_id: str) -> int:
    """A fixed topic per paper (-1..4) from a hash of its id: an assignment table for tests."""
    return int(hashlib.sha256(paper_id.encode()).hexdigest(), 16) % 6 - 1


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Store:
    """A store of the fixture papers with topic artifacts in the topics helper's layout."""
    store = Store(tmp_path_factory.mktemp("store"))
    papers = load_sources([str(DAILY)]).frame
    store.write_papers(papers)
    ids = papers["paper_id"].to_list()
    n = len(ids)
    assignments = pl.DataFrame({
        "paper_id": ids,
        "topic": pl.Series([fake_topic(i) for i in ids], dtype=pl.Int32),
        "prob": pl.Series([0.5] * n, dtype=pl.Float32),
        "x": pl.Series(np.linspace(0, 1, n), dtype=pl.Float32),
        "y": pl.Series(np.linspace(1, 0, n), dtype=pl.Float32),
    })
    table = pl.DataFrame({
        "topic": pl.Series(range(-1, 5), dtype=pl.Int32),
        "label": ["outliers", "alpha", "beta", "", "delta", None],
        "words": [["w"]] * 6, "size": [1] * 6, "representative": [[ids[0]]] * 6,
    })
    atomic_write_parquet(store.topics_dir / "assignments.parquet", assignments)
    atomic_write_parquet(store.topics_dir / "topic_table.parquet", table)
    atomic_write_json(store.topics_dir / "meta.json", {"n_topics": 5})
    return store


@pytest.fixture(scope="module")
def assignment_file(store) -> Path:
    return store.topics_dir / "assignments.parquet"


@pytest.fixture(scope="module")
def frame(store) -> pl.LazyFrame:
    return paper_frame(store)


def test_paper_frame_joins_topics_and_labels(frame):
    df = frame.collect()
    assert df.height == 447
    assert df["topic"].null_count() == 0
    assert df.schema["topic"] == pl.Int32
    assert df.schema["topic_label"] == pl.Utf8
    labels = dict(df.select("topic", "topic_label").unique().iter_rows())
    assert labels == {-1: OUTLIER_LABEL, 0: "alpha", 1: "beta", 2: "Topic 2", 3: "delta",
                      4: "Topic 4"}
    assert df["x"].min() == 0.0
    assert df["y"].max() == 1.0


def raw_dates(basis: str = "listed") -> dict[str, dt.date]:
    """Paper id -> its date read from the daily files (``listed``: the first file's day)."""
    out: dict[str, dt.date] = {}
    for path in sorted(DAILY.glob("*.json")):
        for entry in json.loads(path.read_text(encoding="utf-8")):
            day = entry["paper"]["publishedAt"][:10] if basis == "published" else path.stem
            out.setdefault(entry["paper"]["id"], dt.date.fromisoformat(day))
    return out


@pytest.mark.parametrize("basis", [None, "published"])
def test_topic_counts_match_the_assignment_table(frame, assignment_file, basis):
    import pyarrow.parquet as pq

    table = pq.read_table(assignment_file).to_pylist()
    dates = raw_dates(basis or "listed")  # the default basis: listed
    counts, totals = Counter(), Counter()
    for row in table:
        month = dates[row["paper_id"]].replace(day=1)
        counts[(month, row["topic"])] += 1
        totals[month] += 1
    filters = Filters(period="month", basis=basis) if basis else Filters(period="month")
    got = topic_frequency(frame, filters)
    assert set(got["topic"].unique()) == {-1, 0, 1, 2, 3, 4}
    for r in got.iter_rows(named=True):
        assert r["count"] == counts.get((r["period"], r["topic"]), 0)
        assert r["total"] == totals.get(r["period"], 0)
        if r["total"]:
            assert r["share"] == pytest.approx(r["count"] / r["total"])
    assert got["count"].sum() == len(table)
    assert got.filter(pl.col("topic") == -1)["label"].unique().to_list() == [OUTLIER_LABEL]
    assert got.filter(pl.col("topic") == 0)["label"].unique().to_list() == ["alpha"]
    # shares of all topics add up to one in every period with papers
    sums = got.filter(pl.col("total") > 0).group_by("period").agg(pl.col("share").sum())
    assert np.allclose(sums["share"].to_numpy(), 1.0)


def test_every_topic_has_every_period(frame):
    got = topic_frequency(frame, Filters(period="week"))
    per = got.group_by("topic").agg(pl.len().alias("n"), pl.col("period").n_unique().alias("u"))
    weeks = papers_per_period(frame, Filters(period="week")).height
    assert (per["n"] == weeks).all()
    assert (per["u"] == weeks).all()
    assert got.filter(pl.col("total") == 0).height > 0  # empty weeks are present as zero


def test_topic_filter_keeps_the_period_total(frame):
    everything = topic_frequency(frame, Filters(period="quarter"))
    two = topic_frequency(frame, Filters(period="quarter", topics=(-1, 2)))
    assert set(two["topic"].unique()) == {-1, 2}
    joined = two.join(everything, on=["period", "topic"], suffix="_all")
    assert joined.height == two.height
    assert (joined["count"] == joined["count_all"]).all()
    assert (joined["total"] == joined["total_all"]).all()


def test_paper_frame_without_topics_has_null_topic_columns(tmp_path):
    store = Store(tmp_path / "store")
    store.write_papers(load_sources([str(DAILY)]).frame)
    lf = paper_frame(store)
    df = lf.collect()
    assert {"topic", "prob", "x", "y", "topic_label"} <= set(df.columns)
    if df["topic"].null_count() == df.height:  # no topic model in this fresh store
        assert df["topic"].dtype == pl.Int32
        assert topic_frequency(lf, Filters()).height == 0
    assert df.height == 447


def test_bundled_store_topics_match_its_assignment_table():
    """When the bundled store has a topic model, count its assignment Parquet directly."""
    store = Store(REPO / "data")
    path = store.topics_dir / "assignments.parquet"
    if not path.is_file():
        pytest.skip("the bundled store has no topic assignments yet")
    assign = pl.read_parquet(path).select("paper_id", "topic")
    papers = pl.read_parquet(store.papers_path).select("paper_id", "listed")
    got = topic_frequency(paper_frame(store), Filters(period="year"))
    by_topic = dict(got.group_by("topic").agg(pl.col("count").sum()).iter_rows())
    dated = set(papers.filter(pl.col("listed").is_not_null())["paper_id"].to_list())
    expected = Counter(t for pid, t in assign.iter_rows() if pid in dated)
    assert by_topic == dict(expected)


@pytest.mark.parametrize("filters", [
    Filters(), Filters(start=dt.date(2025, 1, 1), min_upvotes=5),
    Filters(basis="published", end=dt.date(2025, 6, 30), topics=(0, 3, 7)),
])
def test_topic_sizes_count_each_topics_papers_like_a_plain_group_by(filters):
    store = Store(REPO / "data")
    lf = paper_frame(store)
    got = topic_sizes(lf, filters)
    plain = (apply(lf, filters).filter(pl.col("topic") >= 0)
             .group_by("topic").agg(pl.len().alias("papers")).collect())
    assert dict(zip(got["topic"], got["papers"], strict=True)) == dict(plain.iter_rows())
    assert got.height > 0
    assert got["papers"].is_sorted(descending=True)
    assert got["label"].null_count() == 0


# ---- emerging topics ----------------------------------------------------------------------
def synthetic_topics() -> pl.LazyFrame:
    """12 months of 200 papers: topic 0 grows 2% -> 24%, 1 flat 20%, 2 falls 30% -> 8%."""
    rng = np.random.default_rng(11)
    rows = []
    for m in range(12):
        shares = {0: 0.02 + 0.02 * m, 1: 0.20, 2: 0.30 - 0.02 * m, 3: 0.01}
        shares[-1] = 1 - sum(shares.values())
        topics = rng.choice(list(shares), size=200, p=list(shares.values()))
        day = dt.date(2025, 1 + m, 10) if m < 12 else None
        rows += [{"paper_id": f"{m}-{i}", "title": "t", "abstract": "a", "published": day,
                  "listed": day, "upvotes": 1, "topic": int(t), "topic_label": f"t{t}"}
                 for i, t in enumerate(topics)]
    return pl.DataFrame(rows, schema_overrides={"topic": pl.Int32}).lazy()


def test_emerging_topics_finds_the_growing_topic():
    got = emerging_topics(synthetic_topics(), Filters(period="month"), k=6, min_size=10)
    assert got["method"].unique().to_list() == [EMERGING_METHOD]
    assert -1 not in got["topic"].to_list()
    assert got["topic"][0] == 0
    assert got["rank"][0] == 1
    first = got.row(0, named=True)
    assert first["significant"]
    assert first["p_value"] < 0.01
    assert first["slope"] > 0
    assert first["last_share"] > first["first_share"]
    falling = got.filter(pl.col("topic") == 2).row(0, named=True)
    assert falling["slope"] < 0
    assert not falling["significant"]
    assert got["slope"].is_sorted(descending=True)
    assert got["window_start"][0] == dt.date(2025, 7, 1)
    assert got["window_end"][0] == dt.date(2025, 12, 1)
    assert got["periods"][0] == 6
    # topic 3 has about 2 papers a month, below min_size over the window when raised
    strict = emerging_topics(synthetic_topics(), Filters(period="month"), k=6, min_size=30)
    assert 3 not in strict["topic"].to_list()


def reshaped(got: TopicCounts, drop: tuple[int, ...] = (),
             add: dict[int, np.ndarray] | None = None) -> TopicCounts:
    """The counts without the topics ``drop`` and with the columns ``add`` (topic -> counts)."""
    add = add or {}
    keep = ~np.isin(got.ids, list(drop))
    ids = np.concatenate([got.ids[keep], np.array(list(add), dtype=got.ids.dtype)])
    columns = np.column_stack([got.counts[:, keep], *add.values()])
    order = np.argsort(ids, kind="stable")
    return TopicCounts(got.axis, ids[order], columns[:, order], got.totals)


def test_emerging_topics_uses_the_counts_it_is_given():
    lf, f = synthetic_topics(), Filters(period="month")
    got = topic_counts(lf, f)
    assert_frame_equal(emerging_topics(lf, f, counts=got), emerging_topics(lf, f))
    # it reads the counts given, not the frame: topic 2 made to grow overtakes topic 0
    late = got.axis["period"].to_numpy() >= np.datetime64("2025-10-01")
    two = got.counts[:, list(got.ids).index(2)]
    grown = reshaped(got, drop=(2,), add={2: np.where(late, got.totals, two)})
    assert emerging_topics(lf, f, counts=grown)["topic"][0] == 2


def test_a_topic_new_in_the_last_period_ranks_first_with_a_finite_slope():
    """All its papers in the last period: no finite plain slope; Firth's estimate, named so."""
    lf, f = synthetic_topics(), Filters(period="month")
    counts = topic_counts(lf, f)
    last = counts.axis["period"].to_numpy() == np.datetime64("2025-12-01")
    got = emerging_topics(lf, f, counts=reshaped(counts, add={4: np.where(last, 15, 0)}))
    first = got.row(0, named=True)
    assert first["topic"] == 4
    assert first["method"] == EMERGING_FIRTH
    assert 0 < first["slope"] < 10  # the plain fit ran off to 30+ before it stopped
    assert first["p_value"] < 1e-6
    assert set(got["method"][1:].to_list()) == {EMERGING_METHOD}
    assert got["slope"].is_finite().all()
    assert got["slope"].is_sorted(descending=True)


def test_emerging_topics_with_equal_trends_are_in_id_order():
    """Topics whose counts are equal in every period tie in slope and p: listed by id."""
    lf, f = synthetic_topics(), Filters(period="month")
    counts = topic_counts(lf, f)
    zero = counts.counts[:, list(counts.ids).index(0)]
    got = emerging_topics(lf, f, counts=reshaped(counts, drop=(0,),
                                                 add={t: zero for t in (9, 5, 7)}))
    assert got["topic"].to_list()[:3] == [5, 7, 9]
    assert got["slope"][0] == got["slope"][2]
    assert got["rank"].to_list() == list(range(1, got.height + 1))


def test_emerging_needs_three_periods():
    with pytest.raises(ValueError, match="k must be at least 3 periods"):
        emerging_topics(synthetic_topics(), Filters(), k=2)
