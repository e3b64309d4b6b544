"""Papers without a topic are their own row, "Not yet assigned", in every topic view and export.

Real data: the bundled store as it was before 71 real papers (the fetch-days fixtures), which a
plain `ingest` then adds. Before, those papers were silently missing from topic-trend (every
topic at 0% for their days, shares summing below one) and from `papers --topic`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import polars as pl
import pytest

from analysis.cli import main
from analysis.filters import Filters
from analysis.ingest import ingest
from analysis.names import UNASSIGNED, UNASSIGNED_LABEL
from analysis.store import Store
from analysis.topics import artifacts as art
from analysis.trends import emerging_topics, paper_frame, topic_frequency, upvote_stats
from tests.support.hf_server import ALL_IDS, PAPER_DAYS
from tests.support.paths import FETCH_DAYS
from tests.support.stores import before_the_fetch_days

JANUARY = Filters(start=dt.date(2026, 1, 1), end=dt.date(2026, 1, 31), period="week")


@pytest.fixture(scope="module")
def grown(tmp_path_factory) -> Store:
    """The store before the 71 papers, then a plain ingest of their five real days."""
    store = before_the_fetch_days(tmp_path_factory.mktemp("grown") / "store")
    ingest(store, [FETCH_DAYS / f"{day}.json" for day in PAPER_DAYS])
    return store


def test_the_new_papers_are_their_own_row_and_shares_add_up(grown):
    freq = topic_frequency(paper_frame(grown), JANUARY)
    waiting = freq.filter(pl.col("topic") == UNASSIGNED)
    assert waiting.get_column("label").unique().to_list() == [UNASSIGNED_LABEL]
    assert waiting.get_column("count").sum() == len(ALL_IDS)
    sums = freq.group_by("period").agg(pl.col("share").sum(), pl.col("count").sum(),
                                       pl.col("total").first())
    assert (sums.get_column("count") == sums.get_column("total")).all()
    assert all(abs(s - 1) < 1e-9 for s in sums.get_column("share").to_list() if s)
    week = freq.filter(pl.col("period") == pl.date(2026, 1, 19))  # Mon 19 .. Wed 21 Jan
    assert week.filter(pl.col("topic") >= 0).get_column("count").sum() < week["total"][0]


def test_upvotes_by_topic_and_emerging(grown):
    stats = upvote_stats(paper_frame(grown), JANUARY, by="topic")
    row = stats.filter(pl.col("topic") == UNASSIGNED).row(0, named=True)
    assert row["label"] == UNASSIGNED_LABEL
    assert row["n"] + row["n_null"] == len(ALL_IDS)
    emerging = emerging_topics(paper_frame(grown), Filters(period="month"))
    assert emerging.filter(pl.col("topic") < 0).height == 0


def test_cli_says_what_to_run_and_papers_lists_them(grown, capsys):
    assert main(["topic-trend", "--store", str(grown.root), "--from", "2026-01-01",
                 "--to", "2026-01-31", "--period", "week", "--csv"]) == 0
    out, err = capsys.readouterr()
    rows = list(csv.DictReader(io.StringIO(out)))
    assert sum(int(r["count"]) for r in rows if r["label"] == UNASSIGNED_LABEL) == len(ALL_IDS)
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0] == (f"papertrends topic-trend: note: {len(ALL_IDS)} paper(s) not yet assigned "
                        f"a topic, counted as “{UNASSIGNED_LABEL}”: run `papertrends assign "
                        f"--store {grown.root}`")
    assert main(["papers", "--store", str(grown.root), "--topic", str(UNASSIGNED),
                 "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert {p["paper_id"] for p in listed} == ALL_IDS


def test_export_csv_and_report_carry_the_row(grown, tmp_path, capsys):
    out = tmp_path / "trend.csv"
    assert main(["export", "topic-trend", "--store", str(grown.root), "--from", "2026-01-01",
                 "--to", "2026-01-31", "--top", "0", "--format", "csv", "--out", str(out)]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert sum(int(r["count"]) for r in rows if r["label"] == UNASSIGNED_LABEL) == len(ALL_IDS)
    report = tmp_path / "report.html"
    assert main(["report", "--store", str(grown.root), "--from", "2026-01-01", "--to",
                 "2026-01-31", "--view", "topic-trend", "--out", str(report)]) == 0
    assert UNASSIGNED_LABEL in report.read_text(encoding="utf-8")
    capsys.readouterr()


def test_a_changed_abstract_makes_the_topic_stale(tmp_path):
    store = before_the_fetch_days(tmp_path / "store")
    paper = store.read_papers().sort("paper_id").row(100, named=True)
    assert paper["paper_id"] in set(art.read_assignments(store)["paper_id"])
    frame = pl.DataFrame([{**paper, "abstract": paper["abstract"] + " A new last sentence."}])
    table = tmp_path / "changed.parquet"
    frame.write_parquet(table)
    ingest(store, [table])
    topics = paper_frame(store).filter(pl.col("paper_id") == paper["paper_id"]).collect()
    assert topics["topic"][0] == UNASSIGNED
    assert art.pending(store)["paper_id"].to_list() == [paper["paper_id"]]


def test_assign_gives_them_topics_from_the_cached_vectors(tmp_path):
    from analysis.topics.fit import assign_new

    store = before_the_fetch_days(tmp_path / "store")
    ingest(store, [FETCH_DAYS / f"{day}.json" for day in PAPER_DAYS])
    counts = assign_new(store)
    assert counts["assigned"] == len(ALL_IDS)
    assert art.pending(store).height == 0
    frame = paper_frame(store).collect()
    assert not (frame["topic"] == UNASSIGNED).any()
    fit = art.read_fit(store)
    sizes = dict(fit.table.select("topic", "size").iter_rows())
    counted = dict(fit.assignments.group_by("topic").len().iter_rows())
    assert sizes == {t: counted.get(t, 0) for t in sizes}
