"""Upvotes you can compare: counts filtered by how long after listing they were read.

Checked against plain Python over the raw fixture files: the daily files' counts were read on
the listing day, the archive's on 2026-06-26.
"""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import polars as pl
import pytest

from analysis.cli import main
from analysis.filters import Filters
from analysis.schema import InputError
from analysis.store import Store
from analysis.trends import paper_frame, upvote_distribution, upvote_null_count, upvote_stats
from analysis.trends.upvotes import EARLY, MATURED, early_periods, parse_age, top_papers
from analysis.views.registry import build_view
from tests.support.paths import DAILY, MONTH_SLICES, MONTHS

ARCHIVE_DAY = dt.date(2026, 6, 26)


def _readings() -> dict[str, tuple[int, dt.date, dt.date]]:
    """Paper id -> (count, listing day, day read) of its latest reading, from the raw files."""
    out: dict[str, tuple[int, dt.date, dt.date]] = {}
    first: dict[str, dt.date] = {}

    def note(pid: str, count: int, listed: dt.date, read: dt.date) -> None:
        first[pid] = min(first.get(pid, listed), listed)
        if pid not in out or (read, count) > (out[pid][2], out[pid][0]):
            out[pid] = (count, listed, read)

    for path in DAILY.glob("*.json"):
        day = dt.date.fromisoformat(path.stem)
        for e in json.loads(path.read_bytes()):
            note(e["paper"]["id"], e["paper"]["upvotes"], day, day)
    files = [*MONTH_SLICES.glob("*.slice-*.json"), MONTHS / "daily_papers_2023-07.json"]
    for path in files:
        for e in json.loads(path.read_bytes()):
            day = dt.date.fromisoformat(e["paper"]["submittedOnDailyAt"][:10])
            note(e["paper"]["id"], e["paper"]["upvotes"], day, ARCHIVE_DAY)
    return {pid: (c, first[pid], read) for pid, (c, _listed, read) in out.items()}


READINGS = _readings()


@pytest.fixture(scope="module")
def lf(record_store) -> pl.LazyFrame:
    return paper_frame(Store(record_store))


def test_the_age_filter_keeps_exactly_the_matured_counts(lf):
    matured = {pid: c for pid, (c, listed, read) in READINGS.items() if (read - listed).days >= 30}
    early = {pid: c for pid, (c, listed, read) in READINGS.items() if (read - listed).days < 30}
    assert len(matured) > 200
    assert len(early) > 300
    top = top_papers(lf, Filters(), n=10_000, upvote_age=30)
    assert dict(top.select("paper_id", "upvotes").iter_rows()) == matured
    dist = upvote_distribution(lf, Filters(), upvote_age=30)
    assert dist["count"].sum() == len(matured)
    assert upvote_null_count(lf, Filters(), upvote_age=30) == len(early)
    every = upvote_distribution(lf, Filters())
    assert every["count"].sum() == len(READINGS)


def test_by_period_shows_early_and_matured_counts_apart(lf):
    quarter = Filters(period="quarter")
    stats = upvote_stats(lf, quarter, by="period", split_at=30)
    q3 = stats.filter(pl.col("period") == dt.date(2025, 7, 1))
    kinds = dict(q3.select("counts", "n").iter_rows())
    counts: dict[str, list[int]] = {EARLY: [], MATURED: []}
    for _pid, (c, listed, read) in READINGS.items():
        if dt.date(2025, 7, 1) <= listed < dt.date(2025, 10, 1):
            counts[EARLY if (read - listed).days < 30 else MATURED].append(c)
    assert kinds == {k: len(v) for k, v in counts.items()}
    assert counts[EARLY]
    assert counts[MATURED]
    medians = dict(q3.select("counts", "median").iter_rows())
    assert medians == {k: float(np.median(v)) for k, v in counts.items()}
    # a period without papers still has its row
    assert stats["period"].n_unique() == stats.select(pl.col("period").unique()).height
    early, total = early_periods(lf, Filters())
    assert 0 < early < total


def test_views_say_how_many_periods_hold_early_counts(lf):
    view = build_view("upvotes-by-period", lf, Filters())
    early, total = early_periods(lf, Filters())
    assert f"{early} of {total} periods hold early counts" in view.caption
    aged = build_view("upvote-distribution", lf, Filters(), upvote_age=30)
    assert "only counts read 30+ days after listing" in aged.caption
    assert aged.options == {"upvote_age": 30}
    by_period = build_view("upvotes-by-period", lf, Filters(), upvote_age=30)
    assert set(by_period.data["counts"]) <= {MATURED, EARLY}
    assert by_period.data.filter(pl.col("counts") == EARLY)["n"].sum() == 0


def test_cli_upvote_age(record_store, capsys):
    assert main(["upvotes", "--store", str(record_store), "--upvote-age", "30d", "--top",
                 "5", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows
    for row in rows:
        count, listed, read = READINGS[row["paper_id"]]
        assert (read - listed).days >= 30
        assert row["upvotes"] == count
    assert main(["upvotes", "--store", str(record_store), "--by", "period", "--csv"]) == 0
    assert "counts" in capsys.readouterr().out.splitlines()[0]
    with pytest.raises(SystemExit) as stop:
        main(["upvotes", "--store", str(record_store), "--upvote-age", "a month"])
    assert stop.value.code == 2
    assert "not a number of days" in capsys.readouterr().err


def test_parse_age():
    assert (parse_age("30d"), parse_age("4w"), parse_age("30"), parse_age("all")) == (
        30, 28, 30, None)
    with pytest.raises(InputError, match="not a number of days"):
        parse_age("soon")
