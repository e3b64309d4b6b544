"""The shipped topic fit through the light topic commands, checked against the artifact files.

Reads the bundled store (or $PAPERTRENDS_TEST_TOPIC_STORE) without writing to it: `topics
--json` (quality, groups, representatives, lineage), `topic-words`, `topic-trend --level group`
and the group filter. Expected values are computed here from the Parquet files directly.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from tests.support.paths import REPO

STORE = Path(os.environ.get("PAPERTRENDS_TEST_TOPIC_STORE") or REPO / "data")
TOPICS = STORE / "topics"

pytestmark = pytest.mark.skipif(not (TOPICS / "group_table.parquet").is_file(),
                                reason=f"no topic fit with groups in {STORE}")


def run(*args: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "analysis.cli", *args, "--store", str(STORE)]
    env = {k: v for k, v in os.environ.items() if k != "PAPERTRENDS_STORE"}
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300, cwd=REPO)


def ok_json(*args: str):
    out = run(*args)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@pytest.fixture(scope="module")
def report() -> dict:
    return ok_json("topics", "--json")


@pytest.fixture(scope="module")
def papers() -> pl.DataFrame:
    """Each paper with its topic and group, joined here from the files."""
    p = pl.read_parquet(STORE / "papers.parquet").select("paper_id", "title", "listed",
                                                         "published")
    a = pl.read_parquet(TOPICS / "assignments.parquet").select("paper_id", "topic", "status")
    t = pl.read_parquet(TOPICS / "topic_table.parquet").select("topic", "group")
    return p.join(a, on="paper_id", how="left").join(t, on="topic", how="left")


def test_the_fit_is_hdbscan_with_honest_outliers(report, papers):
    assert report["settings"]["clusterer"] == "hdbscan"
    assert 20 <= report["n_topics"] <= 150
    assert report["largest_share"] <= 0.08
    assert 0.01 <= report["outlier_share"] <= 0.15
    fitted = papers.filter(pl.col("topic").is_not_null())
    outliers = fitted.filter(pl.col("topic") == -1).height
    assert report["outlier_share"] == pytest.approx(outliers / fitted.height, abs=1e-4)
    status = dict(fitted.group_by("status").len().iter_rows())
    assert report["status"] == status
    assert status["outlier"] == outliers, "only papers still out of every topic are -1"
    assert set(status) <= {"member", "reassigned", "outlier", "assigned"}


def test_the_keyword_check_beats_ward_at_the_same_topic_count(report):
    cmp = report["quality"]["compare"]
    mine, ward = cmp["hdbscan"], cmp["ward_same_count"]
    assert mine["n_topics"] == report["n_topics"]
    assert ward["n_topics"] == mine["n_topics"]
    assert mine["lift"] >= ward["lift"]
    assert mine["same_topic_share"] == pytest.approx(mine["lift"] * mine["baseline"], rel=0.01)
    assert cmp["pairs"]["pairs"] > 1000
    for entry in cmp.values():
        if "lift" in entry:
            assert -1 <= entry["coherence_npmi"] <= 1
            assert 0 < entry["diversity"] <= 1


def test_labels_follow_the_naming_rules(report):
    assert report["quality"]["label_problems"] == []
    labels = [t["label"] for t in report["topics"] if t["topic"] >= 0]
    heads = [label.split(" · ")[0].lower() for label in labels]
    assert len(set(heads)) == len(heads), "no head phrase in two labels"
    for label in labels:
        for phrase in label.split(" · "):
            assert 1 <= len(phrase.split()) <= 3, label
            assert all(len(word) >= 3 for word in phrase.split()), label
        others = [o for o in labels if o != label]
        head = label.split(" · ")[0]
        assert not any(head in o.split(" · ") for o in others), head


def test_each_topic_has_representatives_a_group_and_a_lineage(report, papers):
    titles = dict(papers.select("paper_id", "title").iter_rows())
    members = papers.filter(pl.col("topic") >= 0)
    topic_of = dict(members.select("paper_id", "topic").iter_rows())
    groups = {g["group"] for g in report["groups"]}
    assert 8 <= len(groups) <= 15
    for t in (t for t in report["topics"] if t["topic"] >= 0):
        reps = t["representative"]
        assert 2 <= len(reps) <= 3
        for rep in reps:
            assert topic_of[rep["paper_id"]] == t["topic"]
            assert rep["title"] == titles[rep["paper_id"]]
        assert t["group"] in groups
        assert t["lineage"]["status"] in ("first fit", "kept", "split", "new")
    by_group = {g["group"]: set(g["topics"]) for g in report["groups"]}
    assert set().union(*by_group.values()) == {t["topic"] for t in report["topics"]
                                               if t["topic"] >= 0}


def quarter_of(df: pl.DataFrame) -> pl.Expr:
    return pl.coalesce("listed", "published").dt.truncate("1q")


def test_topic_words_move_over_time_for_the_largest_topics(report, papers):
    largest = sorted((t for t in report["topics"] if t["topic"] >= 0),
                     key=lambda t: (-t["count"], t["topic"]))[:5]
    for t in largest:
        rows = ok_json("topic-words", "--topic", str(t["topic"]), "--json")
        assert {tuple(sorted(r)) for r in rows} == {("count", "period", "topic", "words")}
        assert len(rows) >= 3
        assert [r["period"] for r in rows] == sorted(r["period"] for r in rows)
        assert rows[0]["words"] != rows[-1]["words"], t["label"]
        mine = papers.filter(pl.col("topic") == t["topic"])
        counts = mine.group_by(quarter_of(mine).alias("q")).len().drop_nulls("q")
        expected = {q.isoformat(): n for q, n in counts.iter_rows()}
        assert {r["period"]: r["count"] for r in rows} == expected


@pytest.mark.parametrize("basis", ["listed", "published"])
def test_group_shares_per_period_sum_to_one(papers, basis):
    rows = ok_json("topic-trend", "--level", "group", "--period", "quarter", "--basis", basis,
                   "--json")
    assert {tuple(sorted(r)) for r in rows} == {
        ("ci_high", "ci_low", "count", "group", "label", "period", "share", "total")}
    sums: dict[str, float] = {}
    for r in rows:
        if r["total"]:  # periods without a paper have shares of 0 (published dates have gaps)
            sums[r["period"]] = sums.get(r["period"], 0.0) + r["share"]
    assert len(sums) >= 3
    assert max(abs(s - 1) for s in sums.values()) <= 1e-9
    dated = papers.filter(pl.col(basis).is_not_null())
    counts = dated.group_by(pl.col(basis).dt.truncate("1q").alias("q"), "group").len()
    expected = {(q.isoformat(), g): n for q, g, n in counts.iter_rows()}
    assert {(r["period"], r["group"]): r["count"] for r in rows if r["count"]} == expected


def test_the_group_filter_keeps_that_groups_topics(report):
    group = report["groups"][0]
    rows = ok_json("topic-trend", "--group", str(group["group"]), "--period", "year", "--json")
    assert {r["topic"] for r in rows} == set(group["topics"])


def test_bad_topic_word_requests_say_what_to_do():
    out = run("topic-words", "--topic", "99999", "--json")
    assert out.returncode == 2
    assert "field 'topic'" in out.stderr
    assert "papertrends topics" in out.stderr
    assert "Traceback" not in out.stderr
    out = run("topic-words", "--topic", "-1")
    assert out.returncode == 2
    assert "outliers" in out.stderr
    out = run("topic-words", "--topic", "0", "--period", "week")
    assert out.returncode == 2
    assert "invalid choice" in out.stderr
    out = run("topic-trend", "--level", "cluster")
    assert out.returncode == 2
    assert "invalid choice" in out.stderr
