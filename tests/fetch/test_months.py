"""fetch(months=...) and fill_gaps against the local server serving a real month answer.

The server answers ``?month=2023-07`` from the archive's file of that month (185 papers, served
in pages of ``limit``); months without a file answer ``[]``.
"""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
import pytest

from analysis import coverage
from analysis.fetch import fetch
from analysis.ingest import ingest
from analysis.schema import InputError
from analysis.store import Store
from tests.support.hf_server import FAST, Fault, state_of
from tests.support.paths import MONTHS

JULY = MONTHS / "daily_papers_2023-07.json"
DATE = "Sat, 01 Aug 2026 10:00:00 GMT"  # the server's fixed Date header


def _july() -> list[dict]:
    return json.loads(JULY.read_bytes())


def month_fetch(store, server, months, **kw):
    kw.setdefault("policy", FAST)
    kw.setdefault("assign", False)
    kw.setdefault("today", dt.date(2026, 8, 1))
    return fetch(store, endpoint=server.endpoint, months=months, **kw)


def test_a_month_gives_exactly_its_185_papers(store, hf_api):
    hf_api.date = DATE
    entries = _july()
    summary = month_fetch(store, hf_api, "2023-07")
    assert summary.fetched == ["2023-07"]
    assert summary.unit == "month"
    assert "months fetched: 1 of 1" in summary.lines()[0]
    papers = store.read_papers()
    assert papers.height == len({e["paper"]["id"] for e in entries}) == 185
    assert set(papers["paper_id"]) == {e["paper"]["id"] for e in entries}
    assert set(papers["source"]) == {"hf-month-api"}
    assert papers["listed"].dt.strftime("%Y-%m").unique().to_list() == ["2023-07"]
    read = dt.datetime(2026, 8, 1, 10, tzinfo=dt.UTC)
    assert (papers["upvotes_at"] == read).all()  # the moment the server answered
    by_id = {e["paper"]["id"]: e["paper"]["upvotes"] for e in entries}
    assert dict(papers.select("paper_id", "upvotes").iter_rows()) == by_id
    # four pages of 50 (p=1..3), kept verbatim as received, then the state and the list size
    assert [r.query.get("p") for r in hf_api.requests_for("2023-07")] == [None, "1", "2", "3"]
    raw = sorted(p.name for p in store.raw_month_dir.iterdir() if not p.name.startswith("."))
    assert raw == ["2023-07.json", "2023-07.p1.json", "2023-07.p2.json", "2023-07.p3.json"]
    # beside each page, the moment it was read (so `rebuild` gives the same upvotes_at)
    sides = [json.loads((store.raw_month_dir / f".{n}.options.json").read_bytes()) for n in raw]
    assert sides == [{"read_at": "2026-08-01T10:00:00Z"}] * 4
    kept = [e for n in raw for e in json.loads((store.raw_month_dir / n).read_bytes())]
    assert kept == entries
    assert state_of(store) == {}
    months = json.loads(store.fetch_state_path.read_text())["months"]
    assert months["2023-07"]["entries"] == 185
    assert months["2023-07"]["read_at"] == "2026-08-01T10:00:00Z"
    table = coverage.store_coverage(store)
    row = table.filter(pl.col("month") == "2023-07").row(0, named=True)
    assert (row["papers"], row["listing"], row["status"]) == (185, 185, "complete")


def test_one_page_month_is_kept_byte_for_byte(store, hf_api):
    month_fetch(store, hf_api, "2023-07", page_size=200)
    assert (store.raw_month_dir / "2023-07.json").read_bytes() == JULY.read_bytes()
    assert store.read_papers().height == 185


def test_a_done_month_is_skipped_and_a_range_stops_at_this_month(store, hf_api):
    month_fetch(store, hf_api, "2023-07")
    n = len(hf_api.requests)
    again = month_fetch(store, hf_api, "2023-06..2023-08")
    assert again.skipped == 1
    assert again.fetched == ["2023-06", "2023-08"]  # no list: fetched, empty
    assert again.empty == ["2023-06", "2023-08"]
    assert len(hf_api.requests) == n + 2
    fresh = Store(store.root.parent / "fresh")
    now = month_fetch(fresh, hf_api, "2023-07..2030-01", today=dt.date(2023, 8, 15))
    assert now.fetched == ["2023-07", "2023-08"]  # none after this month


def test_month_fetch_failures_are_per_month_and_retried(store, hf_api):
    hf_api.script("2023-07", Fault("ok"), Fault("status", 503), Fault("status", 503),
                  Fault("status", 503))
    summary = month_fetch(store, hf_api, "2023-07")
    (month, msg), = summary.failures
    assert month == "2023-07"
    assert "HTTP 503" in msg
    assert "month=2023-07" in msg
    assert not store.papers_path.exists()  # a month is kept whole or not at all
    assert not list(store.raw_month_dir.glob("*")) if store.raw_month_dir.exists() else True
    again = month_fetch(store, hf_api, "2023-07")
    assert again.fetched == ["2023-07"]
    assert store.read_papers().height == 185


def test_fill_gaps_fetches_the_months_the_store_lacks(store, hf_api):
    ingest(store, [MONTHS / "index.json"])  # sizes of every month's list, no papers
    before = coverage.store_coverage(store)
    assert before.filter(pl.col("month") == "2023-07")["status"].item() == "partial"
    summary = fetch(store, endpoint=hf_api.endpoint, fill_gaps=True, policy=FAST, assign=False,
                    today=dt.date(2023, 7, 31))
    assert {r.query["month"] for r in hf_api.requests} == {"2023-05", "2023-06", "2023-07"}
    assert "3 month(s) not held in full" in summary.note
    after = coverage.store_coverage(store).filter(pl.col("month") == "2023-07").row(0, named=True)
    assert (after["papers"], after["listing"], after["status"]) == (185, 185, "complete")
    hf_api.requests.clear()
    again = fetch(store, endpoint=hf_api.endpoint, fill_gaps=True, policy=FAST, assign=False,
                  today=dt.date(2023, 7, 31))
    assert not {r.query.get("month") for r in hf_api.requests} & {"2023-07"}
    assert again.exit_code == 0


def test_months_and_days_do_not_mix(store, hf_api):
    with pytest.raises(InputError, match="either days"):
        fetch(store, dt.date(2023, 7, 1), endpoint=hf_api.endpoint, months="2023-07")
    with pytest.raises(InputError, match="not a month"):
        month_fetch(store, hf_api, "July")
    with pytest.raises(InputError, match="runs backwards"):
        month_fetch(store, hf_api, "2023-09..2023-07")
    assert hf_api.requests == []
