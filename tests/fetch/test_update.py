"""fetch() against a real local HTTP server serving recorded Daily Papers API responses.

Covers days, pages, skipping, refresh, planning and options.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest

from analysis.fetch import resolve_endpoint
from analysis.fetch.client import RetryPolicy
from analysis.schema import InputError
from analysis.store import Store
from tests.support.hf_server import (
    ALL_IDS,
    FETCH_DAYS,
    LAST,
    PAPER_DAYS,
    WEEKEND,
    Fault,
    ids_of,
    run_fetch,
    state_of,
)


def test_fetches_five_days_pages_and_weekend(store, hf_api):
    seen = []
    summary = run_fetch(store, hf_api, page_size=10, progress=lambda d, t, m: seen.append((d, t)))
    papers = store.read_papers()
    assert set(papers["paper_id"]) == ALL_IDS
    assert papers.height == 71
    assert summary.papers_new == 71
    assert summary.fetched == sorted(PAPER_DAYS + WEEKEND)
    assert summary.empty == WEEKEND
    assert summary.failures == []
    assert summary.exit_code == 0
    # every paper is listed on the day it was requested for
    for day in PAPER_DAYS:
        listed = papers.filter(pl.col("paper_id").is_in(list(ids_of(day))))["listed"]
        assert set(listed) == {dt.date.fromisoformat(day)}
    # 23 papers with limit=10: three pages, p=1 and p=2 asked for, saved as three raw files
    pages = [r.query.get("p") for r in hf_api.requests_for("2026-01-16")]
    assert pages == [None, "1", "2"]
    raw16 = sorted(p.name for p in store.raw_dir.glob("2026-01-16*"))
    assert raw16 == ["2026-01-16.json", "2026-01-16.p1.json", "2026-01-16.p2.json"]
    assert sum(len(json.loads(store.raw_dir.joinpath(n).read_bytes())) for n in raw16) == 23
    state = state_of(store)
    assert {d: s["status"] for d, s in state.items()} == {d: "ok" for d in PAPER_DAYS + WEEKEND}
    assert state["2026-01-16"]["entries"] == 23
    assert state["2026-01-17"]["entries"] == 0
    assert json.loads(store.raw_dir.joinpath("2026-01-17.json").read_bytes()) == []
    assert seen[-1] == (7, 7)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_raw_responses_are_saved_verbatim(store, hf_api):
    run_fetch(store, hf_api)
    for day in PAPER_DAYS:
        recorded = (FETCH_DAYS / f"{day}.json").read_bytes()
        assert (store.raw_dir / f"{day}.json").read_bytes() == recorded
    assert all(r.query["limit"] == "50" for r in hf_api.requests)


def test_done_days_are_skipped_and_refresh_updates_upvotes(store, hf_api):
    run_fetch(store, hf_api)
    before = store.read_papers()
    n = len(hf_api.requests)
    again = run_fetch(store, hf_api)
    assert again.planned == 0
    assert again.skipped == 7
    assert len(hf_api.requests) == n
    assert again.exit_code == 0
    assert "up to date" in again.lines()[0]

    hf_api.upvote_bump = 5  # a later snapshot: every paper has 5 more upvotes
    refreshed = run_fetch(store, hf_api, start=None, end=LAST, refresh=True, since="3d",
                    today=LAST)
    assert refreshed.fetched == ["2026-01-19", "2026-01-20", "2026-01-21"]
    assert refreshed.papers_new == 0
    assert refreshed.papers_updated == 32
    after = store.read_papers().join(before, on="paper_id", suffix="_before")
    bumped = after.filter(pl.col("listed") >= dt.date(2026, 1, 19))
    assert (bumped["upvotes"] == bumped["upvotes_before"] + 5).all()
    assert bumped.height == 32
    kept = after.filter(pl.col("listed") < dt.date(2026, 1, 19))
    assert (kept["upvotes"] == kept["upvotes_before"]).all()
    assert kept.height == 39
    assert store.read_papers().height == 71
    # --refresh alone covers the last 14 days
    hf_api.upvote_bump = 7
    alone = run_fetch(store, hf_api, start=None, end=None, refresh=True, today=LAST)
    assert alone.fetched == [str(LAST - dt.timedelta(days=i)) for i in range(13, -1, -1)]
    assert alone.papers_updated == 71
    assert alone.papers_new == 0
    assert len(alone.empty) == 9
    final = store.read_papers().join(before, on="paper_id", suffix="_before")
    assert (final["upvotes"] == final["upvotes_before"] + 7).all()
    assert final.height == 71


def test_continues_after_newest_day_and_covers_an_empty_store(store, hf_api):
    first = run_fetch(store, hf_api, start=None, end=None, today=dt.date(2026, 1, 16))
    assert first.fetched == [f"2026-01-{d}" for d in range(10, 17)]  # the last 7 days
    assert "no days yet" in first.note
    later = run_fetch(store, hf_api, start=None, end=None, today=LAST)
    assert later.fetched == ["2026-01-17", "2026-01-18", "2026-01-19", "2026-01-20", "2026-01-21"]
    assert "continuing after 2026-01-16" in later.note
    assert set(store.read_papers()["paper_id"]) == ALL_IDS


def test_endpoint_follows_hf_endpoint(monkeypatch):
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:5555/")
    assert resolve_endpoint() == "http://127.0.0.1:5555"
    assert resolve_endpoint("http://localhost:1") == "http://localhost:1"
    monkeypatch.delenv("HF_ENDPOINT")
    assert resolve_endpoint() == "https://huggingface.co"
    with pytest.raises(InputError, match="not an http"):
        resolve_endpoint("ftp://example")


def test_bad_since_and_both_from_and_since(store, hf_api):
    with pytest.raises(InputError, match="--since"):
        run_fetch(store, hf_api, start=None, since="soon")
    with pytest.raises(InputError, match="either --from or --since"):
        run_fetch(store, hf_api, since="3d")
    assert not Path(store.fetch_state_path).exists()


def test_at_most_three_requests_at_once(store, hf_api):
    for day in range(15, 22):
        hf_api.script(f"2026-01-{day}", Fault("hang", seconds=0.5))
    summary = run_fetch(store, hf_api, concurrency=3)
    assert summary.failures == []
    assert hf_api.max_inflight == 3
    one = Store(store.root.parent / "one")
    hf_api.max_inflight = 0
    for day in range(15, 22):
        hf_api.script(f"2026-01-{day}", Fault("hang", seconds=0.05))
    run_fetch(one, hf_api, concurrency=1)
    assert hf_api.max_inflight == 1


def test_a_server_that_ignores_paging_does_not_loop(store, hf_api):
    hf_api.ignore_paging = True
    summary = run_fetch(store, hf_api, page_size=10)
    assert summary.failures == []
    assert set(store.read_papers()["paper_id"]) == ALL_IDS
    assert len(hf_api.requests_for("2026-01-16")) == 2  # p=1 brought the same papers: stop
    assert sorted(p.name for p in store.raw_dir.glob("2026-01-16*")) == ["2026-01-16.json"]


def test_raw_dir_option(store, hf_api, tmp_path):
    raw = tmp_path / "elsewhere"
    summary = run_fetch(store, hf_api, raw_dir=raw)
    assert summary.raw_dir == str(raw)
    assert len(list(raw.glob("*.json"))) == 7
    assert not store.raw_dir.exists()
    assert store.read_papers().height == 71


def test_a_second_writer_waits_for_the_store_lock(store, hf_api):
    import threading
    import time

    held, release = threading.Event(), threading.Event()

    def other_writer() -> None:
        with store.lock():
            held.set()
            release.wait(10)

    thread = threading.Thread(target=other_writer)
    thread.start()
    held.wait(10)
    told: list[str] = []
    threading.Timer(1.0, release.set).start()
    t0 = time.monotonic()
    summary = run_fetch(store, hf_api, on_wait=told.append)
    waited = time.monotonic() - t0
    thread.join(10)
    assert waited >= 0.9  # it waited for the other writer instead of failing or interleaving
    assert summary.papers_new == 71
    assert len(told) == 1
    assert told[0].startswith("held by pid ")


def test_a_busy_store_is_one_clear_error_after_the_timeout(store, hf_api):
    import threading

    held, release = threading.Event(), threading.Event()

    def other_writer() -> None:
        with store.lock():
            held.set()
            release.wait(10)

    thread = threading.Thread(target=other_writer)
    thread.start()
    held.wait(10)
    try:
        with pytest.raises(InputError, match="the store is busy"):
            run_fetch(store, hf_api, lock_timeout=0.3)
    finally:
        release.set()
        thread.join(10)
    assert not store.exists()


def test_days_left_unrecorded_by_a_killed_run_are_planned_again():
    from analysis.fetch.plan import FetchState, plan_days

    state = FetchState()
    now = dt.datetime(2026, 2, 1, tzinfo=dt.UTC)
    for day in (15, 17, 18):  # 16 was in flight when the run died; 19 failed
        state.mark_ok(dt.date(2026, 1, day), entries=1, files=[], at=now)
    state.mark_failed(dt.date(2026, 1, 19), kind="server", error="HTTP 503", at=now)
    plan = plan_days(state, None, start=None, end=None, since=None, refresh=False,
                     today=dt.date(2026, 1, 21))
    assert [d.day for d in plan.days] == [16, 19, 20, 21]
    assert plan.retrying == 1
    # a list fetched on its own day may still grow: it is not done yet
    state.mark_ok(dt.date(2026, 1, 21), entries=1, files=[], at=dt.datetime(2026, 1, 21, 9,
                                                                                tzinfo=dt.UTC))
    assert not state.is_done(dt.date(2026, 1, 21))
    assert state.is_done(dt.date(2026, 1, 18))


def test_retry_delay_honours_retry_after_within_the_cap():
    policy = RetryPolicy(backoff=0.01, max_delay=30, jitter=0)
    assert policy.delay(0) == 0.01
    assert policy.delay(3) == 0.08
    assert policy.delay(0, retry_after=5) == 5
    assert policy.delay(0, retry_after=500) == 30


def test_days_after_today_are_not_fetched(store, hf_api):
    summary = run_fetch(store, hf_api, start=dt.date(2026, 2, 1), end=dt.date(2026, 2, 5),
                  today=dt.date(2026, 1, 31))
    assert summary.planned == 0
    assert summary.exit_code == 0
    assert hf_api.requests == []
    assert "no days from 2026-02-01 to 2026-01-31" in summary.lines()[0]


def test_token_is_not_sent_over_plain_http_to_another_machine():
    from analysis.fetch.update import _safe_for_token

    assert _safe_for_token("https://huggingface.co")
    assert _safe_for_token("http://127.0.0.1:8")
    assert not _safe_for_token("http://mirror.example.org")


def test_last_run_is_recorded(store, hf_api):
    from analysis.fetch import last_run

    assert last_run(store) == {}
    hf_api.script("2026-01-19", Fault("html"))
    run_fetch(store, hf_api)
    got = last_run(store)
    assert {k: got[k] for k in ("planned", "fetched", "failed", "papers_new")} == {
        "planned": 7, "fetched": 6, "failed": 1, "papers_new": 71 - 12}
    assert got["at"].endswith("Z")


def test_a_day_of_exactly_one_full_page_asks_once_more(store, hf_api):
    day = dt.date(2026, 1, 20)  # 4 papers
    summary = run_fetch(store, hf_api, start=day, end=day, page_size=4)
    assert [r.query.get("p") for r in hf_api.requests] == [None, "1"]
    assert summary.fetched == ["2026-01-20"]
    assert summary.papers_new == 4
    assert json.loads((store.raw_dir / "2026-01-20.p1.json").read_bytes()) == []
    assert state_of(store)["2026-01-20"]["pages"] == 2
