"""Merging readings of the same papers: which reading wins, and that batching never matters.

Real readings: the daily fixture files (read early on their listing day) and slices of the month
archive (read on 2026-06-26) that hold the same papers, plus the page dump.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.files import parquet_bytes
from analysis.ingest import ingest_frame
from analysis.merge import merge, merge_all
from analysis.schema import Problems, normalise_title, normalise_titles
from analysis.sources import hf_api, page_dump
from analysis.store import Store
from tests.support.paths import DAILY, FIXTURES, PAGE_DUMP, REFERENCE_DATE

SLICES = FIXTURES / "month-slices"
ARCHIVE_READ = dt.datetime(2026, 6, 26, 11, 52, 1, tzinfo=dt.UTC)


def _day(path: Path) -> pl.DataFrame:
    return hf_api.parse_response(path.read_bytes(), file=path.name,
                                 listed=hf_api.listing_date_from_name(path.name),
                                 problems=Problems())


def _slice(path: Path) -> pl.DataFrame:
    month = path.name[:7]
    return hf_api.parse_response(path.read_bytes(), file=path.name, listed=None,
                                 problems=Problems(), month=month, read_at=ARCHIVE_READ)


def _units() -> list[pl.DataFrame]:
    """Every real reading unit: one frame per daily file, per month slice, and the page dump."""
    units = [_day(p) for p in sorted(DAILY.glob("*.json"))]
    units += [_slice(p) for p in sorted(SLICES.glob("*.slice-*.json"))]
    units.append(page_dump.parse_page_dump(PAGE_DUMP.read_bytes(), file=PAGE_DUMP.name,
                                           reference_date=dt.date.fromisoformat(REFERENCE_DATE),
                                           problems=Problems()))
    return units


UNITS = _units()


def _all_at_once(root: Path) -> bytes:
    store = Store(root)
    ingest_frame(store, pl.concat(UNITS, how="vertical"))
    return store.papers_path.read_bytes()


def test_the_units_overlap_in_both_sources():
    slices = pl.concat(UNITS[27:31])
    days = pl.concat(UNITS[:27])
    shared = set(slices["paper_id"]) & set(days["paper_id"])
    assert len(shared) == 8 + 14 + 6 + 13  # the daily papers of the four sliced days
    assert set(slices["source"]) == {"hf-month-api"}
    assert set(days["source"]) == {"hf-daily-api"}


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(st.randoms(use_true_random=False), st.integers(1, 8))
def test_any_batching_in_any_order_gives_the_same_bytes(tmp_path_factory, rnd: random.Random,
                                                        n_batches: int):
    expected = _all_at_once(tmp_path_factory.mktemp("once"))
    units = list(UNITS)
    rnd.shuffle(units)
    cuts = sorted(rnd.sample(range(1, len(units)), n_batches - 1))
    store = Store(tmp_path_factory.mktemp("batches"))
    for lo, hi in zip([0, *cuts], [*cuts, len(units)], strict=True):
        batch = units[lo:hi]
        rnd.shuffle(batch)
        ingest_frame(store, pl.concat(batch, how="vertical").sample(fraction=1.0, shuffle=True,
                                                                    seed=rnd.randint(0, 99)))
    # read through the deltas the batches left, and folded into one file: the same bytes
    assert parquet_bytes(store.read_papers()) == expected
    store.compact_papers()
    assert store.papers_path.read_bytes() == expected
    assert not list(store.deltas_dir.glob("*.parquet"))


def test_the_latest_reading_wins_and_the_earliest_listing_stays(tmp_path):
    store = Store(tmp_path)
    ingest_frame(store, pl.concat(UNITS, how="vertical"))
    papers = store.read_papers()
    entries = json.loads((SLICES / "2025-08.slice-2025-08-20.json").read_bytes())
    daily = {e["paper"]["id"]: e for e in json.loads((DAILY / "2025-08-20.json").read_bytes())}
    for entry in entries:
        pid = entry["paper"]["id"]
        row = papers.filter(pl.col("paper_id") == pid).row(0, named=True)
        assert row["upvotes"] == entry["paper"]["upvotes"]  # the archive read last
        assert row["upvotes_at"] == ARCHIVE_READ
        assert row["source"] == "hf-month-api"
        if pid in daily:
            assert row["sources"] == ["hf-daily-api", "hf-month-api"]
            assert row["listed"] == dt.date(2025, 8, 20)
            assert row["upvotes"] >= daily[pid]["paper"]["upvotes"]
        else:
            assert row["sources"] == ["hf-month-api"]
            assert row["listed"] == dt.date.fromisoformat(entry["paper"]["submittedOnDailyAt"][:10])
    # a paper only the crawler saw keeps its early-day count, read on its listing day
    only = papers.filter(pl.col("sources") == ["hf-daily-api"]).row(0, named=True)
    assert only["upvotes_at"] == dt.datetime.combine(only["listed"], dt.time(), dt.UTC)


@settings(max_examples=10, deadline=None)
@given(st.randoms(use_true_random=False))
def test_merging_only_the_touched_rows_equals_folding_every_row(rnd: random.Random):
    units = list(UNITS)
    rnd.shuffle(units)
    cut = rnd.randrange(1, len(units))
    old, _ = merge_all(pl.concat(units[:cut], how="vertical"), pl.DataFrame())
    new = pl.concat(units[cut:], how="vertical")
    got, stats = merge(old, new)
    want, want_stats = merge_all(old, new)
    assert parquet_bytes(got) == parquet_bytes(want)
    assert stats == want_stats


def test_merge_folds_old_rows_no_new_reading_names_when_their_titles_meet():
    """A table not made by a merge (a title-only row beside the arXiv row of its title)."""
    readings = pl.concat(UNITS, how="vertical")
    arxiv = readings.filter(~pl.col("paper_id").str.starts_with("title:")).head(1)
    twin = arxiv.with_columns(paper_id=pl.lit("title:0000000000000000"),
                              title=pl.col("title").str.to_uppercase() + "!")
    table = pl.concat([readings.filter(pl.col("paper_id") != arxiv["paper_id"][0]).unique(
        "paper_id", keep="first").head(50), arxiv, twin], how="vertical")
    new = readings.filter(pl.col("paper_id").is_in(readings["paper_id"].tail(3).implode()))
    got, stats = merge(table, new)
    want, want_stats = merge_all(table, new)
    assert got.equals(want)
    assert stats == want_stats
    assert "title:0000000000000000" not in got["paper_id"].to_list()


@given(st.lists(st.text(max_size=40), max_size=30))
def test_titles_normalise_alike_in_polars_and_in_python(titles):
    real = [t for u in UNITS for t in u["title"].head(5).to_list()]
    series = pl.Series("title", [*titles, *real, None])
    got = normalise_titles(series).to_list()
    assert got == [*(normalise_title(t) for t in [*titles, *real]), None]
