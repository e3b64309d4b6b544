"""The trend commands on the bundled store (read-only), cross-checked with `papertrends papers`."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import polars as pl
import pytest

from analysis.store import Store
from analysis.trends import match_papers, paper_frame
from tests.support.keyword_oracle import contains_phrase
from tests.support.paths import REPO

STORE = REPO / "data"
PHRASES = ["reinforcement learning", "diffusion"]


def run(*args: str) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("papertrends")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "analysis.cli"]
    env = {k: v for k, v in os.environ.items() if k != "PAPERTRENDS_STORE"}
    return subprocess.run([*cmd, *args], capture_output=True, text=True, env=env, timeout=120,
                          cwd=REPO)


@pytest.fixture(scope="module")
def papers() -> list[dict]:
    out = run("papers", "--store", str(STORE), "--json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@pytest.mark.parametrize(("field", "basis"), [("both", None), ("title", None),
                                             ("title", "published"), ("both", "published")])
def test_trend_json_adds_up_with_papers(papers, field, basis):
    col = basis or "listed"  # the default basis is the listing day
    extra = ("--basis", basis) if basis else ()
    out = run("trend", *PHRASES, "--period", "month", "--json", "--store", str(STORE),
              "--field", field, *extra)
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    assert {tuple(sorted(r)) for r in rows} == {
        ("ci_high", "ci_low", "count", "period", "phrase", "share", "total")}
    dated = [p for p in papers if p[col]]
    totals = Counter(p[col][:7] + "-01" for p in dated)
    for phrase in PHRASES:
        mine = [r for r in rows if r["phrase"] == phrase]
        periods = [r["period"] for r in mine]
        assert periods == sorted(periods)
        assert all(p.endswith("-01") for p in periods)
        assert {r["period"]: r["total"] for r in mine if r["total"]} == dict(totals)
        assert sum(r["total"] for r in mine) == len(dated)
        if field == "title":  # `papers` lists titles: count them with plain Python
            by_month = Counter(p[col][:7] + "-01" for p in dated
                               if contains_phrase(p["title"], phrase))
            assert {r["period"]: r["count"] for r in mine if r["count"]} == dict(by_month)
        else:  # the drill-down list gives the same papers
            hits = match_papers(paper_frame(Store(STORE)), phrase, field=field).collect()
            hits = hits.filter(pl.col(col).is_not_null())
            assert sum(r["count"] for r in mine) == hits.height
        assert sum(r["count"] for r in mine) > 50


def test_trend_csv_and_bad_regex():
    out = run("trend", "diffusion", "--period", "year", "--csv", "--store", str(STORE))
    assert out.returncode == 0, out.stderr
    header = out.stdout.splitlines()[0].split(",")
    assert header[:4] == ["phrase", "period", "count", "total"]
    bad = run("trend", "diffusion(", "--regex", "--store", str(STORE))
    assert bad.returncode == 2
    assert "diffusion(" in bad.stderr
    assert "Traceback" not in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1


def test_other_commands_run():
    for args in (["upvotes", "--json"], ["upvotes", "--by", "period", "--csv"],
                 ["upvotes", "--top", "3", "--json"],
                 ["rising", "--json", "--limit", "5"]):
        out = run(*args, "--store", str(STORE))
        assert out.returncode == 0, (args, out.stderr)
    dist = json.loads(run("upvotes", "--json", "--store", str(STORE)).stdout)
    n = Store(STORE).read_papers().filter(pl.col("listed").is_not_null()
                                         & pl.col("upvotes").is_not_null()).height
    assert sum(r["count"] for r in dist) == n
    rising = json.loads(run("rising", "--json", "--limit", "5", "--store", str(STORE)).stdout)
    assert len(rising) == 5
    assert rising[0]["g2"] >= rising[-1]["g2"]


def test_topic_commands_need_topics_or_give_json(tmp_path):
    has = paper_frame(Store(STORE)).select(pl.col("topic").is_not_null().any()).collect().item()
    out = run("topic-trend", "--json", "--period", "quarter", "--store", str(STORE))
    if not has:
        assert out.returncode == 2
        assert "papertrends fit" in out.stderr
        return
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    assert {"topic", "label", "period", "count", "total", "share", "ci_low", "ci_high"} == set(
        rows[0])
    dt.date.fromisoformat(rows[0]["period"])
    per = paper_frame(Store(STORE)).filter(pl.col("topic").is_not_null()
                                           & pl.col("listed").is_not_null())
    assert sum(r["count"] for r in rows) == per.select(pl.len()).collect().item()
    assert all(r["total"] >= r["count"] for r in rows)


def test_emerging_and_upvotes_by_topic_on_the_bundled_topics():
    store = Store(STORE)
    has = paper_frame(store).select(pl.col("topic").is_not_null().any()).collect().item()
    if not has:
        out = run("emerging", "--store", str(STORE))
        assert out.returncode == 2
        assert "papertrends fit" in out.stderr
        return
    out = run("emerging", "--json", "--store", str(STORE))
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    assert rows
    assert all(r["topic"] != -1 and r["papers"] >= 10 for r in rows)
    assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1))
    slopes = [r["slope"] for r in rows]
    assert slopes == sorted(slopes, reverse=True)
    assert {r["method"] for r in rows} == {
        "binomial GLM (logit) slope of share per period, likelihood-ratio test"}
    out = run("upvotes", "--by", "topic", "--json", "--store", str(STORE))
    assert out.returncode == 0, out.stderr
    stats = json.loads(out.stdout)
    dated = paper_frame(store).filter(pl.col("listed").is_not_null()
                                      & pl.col("topic").is_not_null()).collect()
    assert sum(r["n"] for r in stats) == dated["upvotes"].is_not_null().sum()
    assert sum(r["n_null"] for r in stats) == dated["upvotes"].is_null().sum()


def test_measure_picks_the_columns_of_count_or_share():
    count = run("trend", "diffusion", "--measure", "count", "--csv")
    assert count.returncode == 0, count.stderr
    assert count.stdout.splitlines()[0] == "phrase,period,count,total"
    share = run("topic-trend", "--measure", "share", "--csv", "--period", "quarter")
    assert share.returncode == 0, share.stderr
    header = share.stdout.splitlines()[0].split(",")
    assert "share" in header
    assert "count" not in header
    bad = run("trend", "diffusion", "--measure", "mean")
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr


@pytest.mark.parametrize("basis", ["listed", "published"])
def test_exported_topic_trend_shares_sum_to_one_per_period(basis, tmp_path):
    out = tmp_path / "shares.csv"
    done = run("export", "topic-trend", "--format", "csv", "--out", str(out), "--basis", basis)
    assert done.returncode == 0, done.stderr
    rows = pl.read_csv(out)
    sums = rows.group_by("period").agg(pl.col("share").sum(), pl.col("total").first())
    full = sums.filter(pl.col("total") > 0)
    assert full.height > 10
    assert (full["share"] - 1).abs().max() <= 1e-9
    # periods without a paper have no share at all (a gap), not 0%
    empty = rows.filter(pl.col("total") == 0)
    assert empty["share"].null_count() == empty.height
    if basis == "published":
        assert empty.height > 0


def test_export_keyword_trend_counts():
    done = run("export", "keyword-trend", "--phrase", "diffusion", "--measure", "count",
               "--format", "csv", "--out", "-")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0].startswith("phrase,period,count,total")
