"""fetch() against a real local HTTP server serving recorded Daily Papers API responses."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import polars as pl
import pytest
from hf_server import FETCH_DAYS, Fault, HFServer

from analysis.fetch import fetch, resolve_endpoint
from analysis.http_client import RetryPolicy
from analysis.schema import InputError
from analysis.store import Store

FIRST, LAST = dt.date(2026, 1, 15), dt.date(2026, 1, 21)
PAPER_DAYS = ["2026-01-15", "2026-01-16", "2026-01-19", "2026-01-20", "2026-01-21"]
WEEKEND = ["2026-01-17", "2026-01-18"]
FAST = RetryPolicy(timeout=1.0, retries=2, backoff=0.02, max_delay=3.0)


def ids_of(day: str) -> set[str]:
    return {e["paper"]["id"] for e in json.loads((FETCH_DAYS / f"{day}.json").read_bytes())}


ALL_IDS = set().union(*(ids_of(d) for d in PAPER_DAYS))


@pytest.fixture(autouse=True)
def no_real_endpoint(monkeypatch):
    """A test that forgets --endpoint hits a closed loopback port, never huggingface.co."""
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture
def server():
    with HFServer() as srv:
        assert srv.endpoint.startswith("http://127.0.0.1:")  # loopback only
        yield srv


@pytest.fixture
def store(tmp_path) -> Store:
    return Store(tmp_path / "store")


def run(store, server, start=FIRST, end=LAST, **kw):
    kw.setdefault("policy", FAST)
    kw.setdefault("assign", False)
    return fetch(store, start, end, endpoint=server.endpoint, **kw)


def state_of(store: Store) -> dict:
    return json.loads(store.fetch_state_path.read_text())["days"]


def test_fetches_five_days_pages_and_weekend(store, server):
    seen = []
    summary = run(store, server, page_size=10, progress=lambda d, t, m: seen.append((d, t)))
    papers = store.read_papers()
    assert set(papers["paper_id"]) == ALL_IDS and papers.height == 71
    assert summary.papers_new == 71 and summary.fetched == sorted(PAPER_DAYS + WEEKEND)
    assert summary.empty == WEEKEND and summary.failures == [] and summary.exit_code == 0
    # every paper is listed on the day it was requested for
    for day in PAPER_DAYS:
        listed = papers.filter(pl.col("paper_id").is_in(list(ids_of(day))))["listed"]
        assert set(listed) == {dt.date.fromisoformat(day)}
    # 23 papers with limit=10: three pages, p=1 and p=2 asked for, saved as three raw files
    pages = [r.query.get("p") for r in server.requests_for("2026-01-16")]
    assert pages == [None, "1", "2"]
    raw16 = sorted(p.name for p in store.raw_dir.glob("2026-01-16*"))
    assert raw16 == ["2026-01-16.json", "2026-01-16.p1.json", "2026-01-16.p2.json"]
    assert sum(len(json.loads(store.raw_dir.joinpath(n).read_bytes())) for n in raw16) == 23
    state = state_of(store)
    assert {d: s["status"] for d, s in state.items()} == {d: "ok" for d in PAPER_DAYS + WEEKEND}
    assert state["2026-01-16"]["entries"] == 23 and state["2026-01-17"]["entries"] == 0
    assert json.loads(store.raw_dir.joinpath("2026-01-17.json").read_bytes()) == []
    assert seen[-1] == (7, 7) and [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_raw_responses_are_saved_verbatim(store, server):
    run(store, server)
    for day in PAPER_DAYS:
        recorded = (FETCH_DAYS / f"{day}.json").read_bytes()
        assert (store.raw_dir / f"{day}.json").read_bytes() == recorded
    assert all(r.query["limit"] == "50" for r in server.requests)


def test_done_days_are_skipped_and_refresh_updates_upvotes(store, server):
    run(store, server)
    before = store.read_papers()
    n = len(server.requests)
    again = run(store, server)
    assert again.planned == 0 and again.skipped == 7 and len(server.requests) == n
    assert again.exit_code == 0 and "up to date" in again.lines()[0]

    server.upvote_bump = 5  # a later snapshot: every paper has 5 more upvotes
    refreshed = run(store, server, start=None, end=LAST, refresh=True, since="3d",
                    today=LAST)
    assert refreshed.fetched == ["2026-01-19", "2026-01-20", "2026-01-21"]
    assert refreshed.papers_new == 0 and refreshed.papers_updated == 32
    after = store.read_papers().join(before, on="paper_id", suffix="_before")
    bumped = after.filter(pl.col("listed") >= dt.date(2026, 1, 19))
    assert (bumped["upvotes"] == bumped["upvotes_before"] + 5).all() and bumped.height == 32
    kept = after.filter(pl.col("listed") < dt.date(2026, 1, 19))
    assert (kept["upvotes"] == kept["upvotes_before"]).all() and kept.height == 39
    assert store.read_papers().height == 71
    # --refresh alone covers the last 14 days
    server.upvote_bump = 7
    alone = run(store, server, start=None, end=None, refresh=True, today=LAST)
    assert alone.fetched == [str(LAST - dt.timedelta(days=i)) for i in range(13, -1, -1)]
    assert alone.papers_updated == 71 and alone.papers_new == 0 and len(alone.empty) == 9
    final = store.read_papers().join(before, on="paper_id", suffix="_before")
    assert (final["upvotes"] == final["upvotes_before"] + 7).all() and final.height == 71


def test_continues_after_newest_day_and_covers_an_empty_store(store, server):
    first = run(store, server, start=None, end=None, today=dt.date(2026, 1, 16))
    assert first.fetched == [f"2026-01-{d}" for d in range(10, 17)]  # the last 7 days
    assert "no days yet" in first.note
    later = run(store, server, start=None, end=None, today=LAST)
    assert later.fetched == ["2026-01-17", "2026-01-18", "2026-01-19", "2026-01-20", "2026-01-21"]
    assert "continuing after 2026-01-16" in later.note
    assert set(store.read_papers()["paper_id"]) == ALL_IDS


def test_429_with_retry_after_is_honoured(store, server):
    server.script("2026-01-19", Fault("status", 429, {"Retry-After": "1"}))
    summary = run(store, server)
    reqs = server.requests_for("2026-01-19")
    assert len(reqs) == 2 and reqs[1].at - reqs[0].at >= 0.95  # waited as told, not 0.02 s
    assert summary.failures == [] and ids_of("2026-01-19") <= set(store.read_papers()["paper_id"])


def test_500_then_success(store, server):
    server.script("2026-01-15", Fault("status", 500), Fault("status", 503))
    summary = run(store, server)
    assert len(server.requests_for("2026-01-15")) == 3
    assert summary.failures == [] and set(store.read_papers()["paper_id"]) == ALL_IDS


def test_hanging_response_times_out_then_retry_succeeds(store, server):
    server.script("2026-01-20", Fault("hang", seconds=5))
    t0 = time.monotonic()
    summary = run(store, server, policy=RetryPolicy(timeout=0.5, retries=2, backoff=0.02))
    assert time.monotonic() - t0 < 4.5  # the client gave up on the hang, it did not wait it out
    assert len(server.requests_for("2026-01-20")) == 2
    assert summary.failures == [] and set(store.read_papers()["paper_id"]) == ALL_IDS


def test_hanging_every_time_fails_that_day_only(store, server):
    server.script("2026-01-20", *[Fault("hang", seconds=5)] * 3)
    summary = run(store, server, policy=RetryPolicy(timeout=0.4, retries=1, backoff=0.02))
    assert [d for d, _ in summary.failures] == ["2026-01-20"]
    msg = summary.failures[0][1]
    assert "timeout" in msg and "2026-01-20" in msg and "date=2026-01-20" in msg
    assert summary.exit_code == 0  # the other days came in
    assert set(store.read_papers()["paper_id"]) == ALL_IDS - ids_of("2026-01-20")
    assert state_of(store)["2026-01-20"]["status"] == "failed"
    assert not (store.raw_dir / "2026-01-20.json").exists()
    # the next run retries the failed day (and only that one) without being told
    again = run(store, server, start=None, end=None, today=LAST)
    assert again.fetched == ["2026-01-20"] and again.papers_new == 4
    assert set(store.read_papers()["paper_id"]) == ALL_IDS
    assert state_of(store)["2026-01-20"]["status"] == "ok"


def test_html_body_is_a_clear_failure_and_nothing_of_it_is_kept(store, server):
    server.script("2026-01-16", Fault("html"))
    summary = run(store, server)
    (day, msg), = summary.failures
    assert day == "2026-01-16" and "HTML page instead of JSON" in msg and "127.0.0.1" in msg
    assert "\n" not in msg and len(server.requests_for("2026-01-16")) == 1  # not retried
    assert not list(store.raw_dir.glob("2026-01-16*"))
    assert set(store.read_papers()["paper_id"]) == ALL_IDS - ids_of("2026-01-16")
    assert state_of(store)["2026-01-16"]["kind"] == "html"


def test_truncated_body_is_retried(store, server):
    server.script("2026-01-21", Fault("truncate"))
    summary = run(store, server)
    assert summary.failures == [] and len(server.requests_for("2026-01-21")) == 2
    assert (store.raw_dir / "2026-01-21.json").read_bytes() == (
        FETCH_DAYS / "2026-01-21.json").read_bytes()


def test_truncated_every_time_fails_without_writing(store, server):
    server.script("2026-01-21", *[Fault("truncate")] * 3)
    summary = run(store, server)
    (day, msg), = summary.failures
    assert day == "2026-01-21" and "cut short" in msg and "gave up after 3 attempts" in msg
    assert not (store.raw_dir / "2026-01-21.json").exists()
    assert set(store.read_papers()["paper_id"]) == ALL_IDS - ids_of("2026-01-21")


def test_json_of_the_wrong_shape(store, server):
    server.script("2026-01-15", Fault("body", body=b'{"papers": [], "total": 0}'))
    summary = run(store, server)
    (day, msg), = summary.failures
    assert day == "2026-01-15" and "wrong shape" in msg and "papers, total" in msg
    assert set(store.read_papers()["paper_id"]) == ALL_IDS - ids_of("2026-01-15")


def test_a_bad_entry_is_skipped_and_named(store, server, tmp_path):
    entries = json.loads((FETCH_DAYS / "2026-01-20.json").read_bytes())
    del entries[1]["paper"]["id"]
    server.script("2026-01-20", Fault("body", body=json.dumps(entries).encode()))
    summary = run(store, server, start=dt.date(2026, 1, 20), end=dt.date(2026, 1, 20))
    assert summary.fetched == ["2026-01-20"] and summary.papers_new == 3
    assert len(summary.problems) == 1 and "entry 1" in summary.problems[0]
    assert "paper.id" in summary.problems[0] and "2026-01-20.json" in summary.problems[0]


def test_429_after_all_retries(store, server):
    server.script("2026-01-19", *[Fault("status", 429, {"Retry-After": "0"})] * 3)
    summary = run(store, server)
    (day, msg), = summary.failures
    assert day == "2026-01-19" and "HTTP 429" in msg and "rate limited" in msg
    assert len(server.requests_for("2026-01-19")) == 3


def test_404_names_the_url(store, server):
    server.script("2026-01-19", Fault("status", 404, body=b'{"error":"Not Found"}'))
    summary = run(store, server)
    (day, msg), = summary.failures
    assert "HTTP 404" in msg and "/api/daily_papers?date=2026-01-19" in msg and "Not Found" in msg
    assert len(summary.fetched) == 6


def test_401_stops_the_run_and_nothing_is_written(store, server):
    body = b'{"error":"Invalid credentials in Authorization header"}'
    server.script("2026-01-15", *[Fault("status", 401, body=body)] * 2)
    summary = run(store, server, start=FIRST, end=FIRST, token="hf_secret_do_not_leak")
    assert summary.exit_code == 1 and summary.fetched == []
    (day, msg), = summary.failures
    assert "HTTP 401" in msg and "HF_TOKEN" in msg and "hf_secret_do_not_leak" not in msg
    assert server.requests_for("2026-01-15")[0].authorization == "Bearer hf_secret_do_not_leak"
    assert not store.papers_path.exists() and not store.raw_dir.exists()
    assert "hf_secret_do_not_leak" not in store.fetch_state_path.read_text()


def test_connection_refused_is_one_clear_line(store):
    summary = fetch(store, FIRST, LAST, endpoint="http://127.0.0.1:9", policy=FAST, assign=False)
    assert summary.exit_code == 1 and summary.stopped
    assert "connection refused" in summary.failures[0][1]
    assert not store.papers_path.exists()


def test_a_failed_run_leaves_the_paper_table_as_it_was(store, server):
    run(store, server, start=FIRST, end=FIRST)
    before = store.papers_path.read_bytes()
    server.script("2026-01-16", Fault("html"))
    summary = run(store, server, start=dt.date(2026, 1, 16), end=dt.date(2026, 1, 16))
    assert summary.exit_code == 1 and store.papers_path.read_bytes() == before


def test_endpoint_follows_hf_endpoint(monkeypatch):
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:5555/")
    assert resolve_endpoint() == "http://127.0.0.1:5555"
    assert resolve_endpoint("http://localhost:1") == "http://localhost:1"
    monkeypatch.delenv("HF_ENDPOINT")
    assert resolve_endpoint() == "https://huggingface.co"
    with pytest.raises(InputError, match="not an http"):
        resolve_endpoint("ftp://example")


def test_bad_since_and_both_from_and_since(store, server):
    with pytest.raises(InputError, match="--since"):
        run(store, server, start=None, since="soon")
    with pytest.raises(InputError, match="either --from or --since"):
        run(store, server, since="3d")
    assert not Path(store.fetch_state_path).exists()


def test_a_dropped_connection_is_retried(store, server):
    server.script("2026-01-15", Fault("drop"))
    summary = run(store, server)
    assert summary.failures == [] and len(server.requests_for("2026-01-15")) == 2
    assert set(store.read_papers()["paper_id"]) == ALL_IDS


def test_at_most_three_requests_at_once(store, server):
    for day in range(15, 22):
        server.script(f"2026-01-{day}", Fault("hang", seconds=0.5))
    summary = run(store, server, concurrency=3)
    assert summary.failures == [] and server.max_inflight == 3
    one = Store(store.root.parent / "one")
    server.max_inflight = 0
    for day in range(15, 22):
        server.script(f"2026-01-{day}", Fault("hang", seconds=0.05))
    run(one, server, concurrency=1)
    assert server.max_inflight == 1


def test_a_server_that_ignores_paging_does_not_loop(store, server):
    server.ignore_paging = True
    summary = run(store, server, page_size=10)
    assert summary.failures == [] and set(store.read_papers()["paper_id"]) == ALL_IDS
    assert len(server.requests_for("2026-01-16")) == 2  # p=1 brought the same papers: stop
    assert sorted(p.name for p in store.raw_dir.glob("2026-01-16*")) == ["2026-01-16.json"]


def test_raw_dir_option(store, server, tmp_path):
    raw = tmp_path / "elsewhere"
    summary = run(store, server, raw_dir=raw)
    assert summary.raw_dir == str(raw) and len(list(raw.glob("*.json"))) == 7
    assert not store.raw_dir.exists() and store.read_papers().height == 71


def test_one_fetch_per_store_at_a_time(store, server):
    from analysis.fetch import _store_lock

    with _store_lock(store), pytest.raises(InputError, match="another fetch is already running"):
        run(store, server)
    assert run(store, server).papers_new == 71


def test_days_left_unrecorded_by_a_killed_run_are_planned_again():
    from analysis.fetch_state import FetchState, plan_days

    state = FetchState()
    now = dt.datetime(2026, 2, 1, tzinfo=dt.UTC)
    for day in (15, 17, 18):  # 16 was in flight when the run died; 19 failed
        state.mark_ok(dt.date(2026, 1, day), entries=1, files=[], at=now)
    state.mark_failed(dt.date(2026, 1, 19), kind="server", error="HTTP 503", at=now)
    plan = plan_days(state, None, start=None, end=None, since=None, refresh=False,
                     today=dt.date(2026, 1, 21))
    assert [d.day for d in plan.days] == [16, 19, 20, 21] and plan.retrying == 1
    # a list fetched on its own day may still grow: it is not done yet
    state.mark_ok(dt.date(2026, 1, 21), entries=1, files=[], at=dt.datetime(2026, 1, 21, 9,
                                                                                tzinfo=dt.UTC))
    assert not state.is_done(dt.date(2026, 1, 21)) and state.is_done(dt.date(2026, 1, 18))


def test_retry_delay_honours_retry_after_within_the_cap():
    policy = RetryPolicy(backoff=0.01, max_delay=30, jitter=0)
    assert policy.delay(0) == 0.01 and policy.delay(3) == 0.08
    assert policy.delay(0, retry_after=5) == 5
    assert policy.delay(0, retry_after=500) == 30


def test_days_after_today_are_not_fetched(store, server):
    summary = run(store, server, start=dt.date(2026, 2, 1), end=dt.date(2026, 2, 5),
                  today=dt.date(2026, 1, 31))
    assert summary.planned == 0 and summary.exit_code == 0 and server.requests == []
    assert "no days from 2026-02-01 to 2026-01-31" in summary.lines()[0]


def test_token_is_not_sent_over_plain_http_to_another_machine():
    from analysis.fetch import _safe_for_token

    assert _safe_for_token("https://huggingface.co") and _safe_for_token("http://127.0.0.1:8")
    assert not _safe_for_token("http://mirror.example.org")


def test_an_unwritable_raw_folder_is_a_clear_failure(store, server, tmp_path):
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the raw folder should be")
    summary = run(store, server, start=FIRST, end=FIRST, raw_dir=blocked)
    (day, msg), = summary.failures
    assert summary.exit_code == 1 and "cannot save the raw response" in msg
    assert "blocked" in msg and "disk space" in msg and not store.papers_path.exists()


def test_last_run_is_recorded(store, server):
    from analysis.fetch import last_run

    assert last_run(store) == {}
    server.script("2026-01-19", Fault("html"))
    run(store, server)
    got = last_run(store)
    assert {k: got[k] for k in ("planned", "fetched", "failed", "papers_new")} == {
        "planned": 7, "fetched": 6, "failed": 1, "papers_new": 71 - 12}
    assert got["at"].endswith("Z")


def test_a_day_of_exactly_one_full_page_asks_once_more(store, server):
    day = dt.date(2026, 1, 20)  # 4 papers
    summary = run(store, server, start=day, end=day, page_size=4)
    assert [r.query.get("p") for r in server.requests] == [None, "1"]
    assert summary.fetched == ["2026-01-20"] and summary.papers_new == 4
    assert json.loads((store.raw_dir / "2026-01-20.p1.json").read_bytes()) == []
    assert state_of(store)["2026-01-20"]["pages"] == 2


def test_an_error_object_with_status_200_is_quoted(store, server):
    server.script("2026-01-15", Fault("body", body=b'{"error": "Service temporarily paused"}'))
    summary = run(store, server, start=FIRST, end=FIRST)
    (day, msg), = summary.failures
    assert "wrong shape" in msg and "Service temporarily paused" in msg


def test_dns_failure_is_a_fatal_one_line_error():
    import socket

    from analysis.http_client import _network_error

    err = _network_error(socket.gaierror(-2, "Name or service not known"),
                         "https://no-such-host.invalid/api/daily_papers?date=2026-01-15")
    assert err.fatal and err.kind == "dns" and "no-such-host.invalid" in err.message
    assert "no network or DNS failure" in err.message and "HF_ENDPOINT" in err.message
