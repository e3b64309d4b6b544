"""fetch() against scripted faults of the local API server.

Checks each outcome and the store's content afterwards.
"""

from __future__ import annotations

import datetime as dt
import json
import time

from analysis.fetch import fetch
from analysis.fetch.client import RetryPolicy
from tests.support.hf_server import (
    ALL_IDS,
    FAST,
    FETCH_DAYS,
    FIRST,
    LAST,
    Fault,
    ids_of,
    run_fetch,
    state_of,
)


def test_429_with_retry_after_is_honoured(store, hf_api):
    hf_api.script("2026-01-19", Fault("status", 429, {"Retry-After": "1"}))
    summary = run_fetch(store, hf_api)
    reqs = hf_api.requests_for("2026-01-19")
    assert len(reqs) == 2
    assert reqs[1].at - reqs[0].at >= 0.95
    assert summary.failures == []
    assert ids_of("2026-01-19") <= set(store.read_papers()["paper_id"])


def test_500_then_success(store, hf_api):
    hf_api.script("2026-01-15", Fault("status", 500), Fault("status", 503))
    summary = run_fetch(store, hf_api)
    assert len(hf_api.requests_for("2026-01-15")) == 3
    assert summary.failures == []
    assert set(store.read_papers()["paper_id"]) == ALL_IDS


def test_hanging_response_times_out_then_retry_succeeds(store, hf_api):
    hf_api.script("2026-01-20", Fault("hang", seconds=5))
    t0 = time.monotonic()
    summary = run_fetch(store, hf_api, policy=RetryPolicy(timeout=0.5, retries=2, backoff=0.02))
    assert time.monotonic() - t0 < 4.5  # the client gave up on the hang, it did not wait it out
    assert len(hf_api.requests_for("2026-01-20")) == 2
    assert summary.failures == []
    assert set(store.read_papers()["paper_id"]) == ALL_IDS


def test_hanging_every_time_fails_that_day_only(store, hf_api):
    hf_api.script("2026-01-20", *[Fault("hang", seconds=5)] * 3)
    summary = run_fetch(store, hf_api, policy=RetryPolicy(timeout=0.4, retries=1, backoff=0.02))
    assert [d for d, _ in summary.failures] == ["2026-01-20"]
    msg = summary.failures[0][1]
    assert "timeout" in msg
    assert "2026-01-20" in msg
    assert "date=2026-01-20" in msg
    assert summary.exit_code == 0  # the other days came in
    assert set(store.read_papers()["paper_id"]) == ALL_IDS - ids_of("2026-01-20")
    assert state_of(store)["2026-01-20"]["status"] == "failed"
    assert not (store.raw_dir / "2026-01-20.json").exists()
    # the next run retries the failed day (and only that one) without being told
    again = run_fetch(store, hf_api, start=None, end=None, today=LAST)
    assert again.fetched == ["2026-01-20"]
    assert again.papers_new == 4
    assert set(store.read_papers()["paper_id"]) == ALL_IDS
    assert state_of(store)["2026-01-20"]["status"] == "ok"


def test_html_body_is_a_clear_failure_and_nothing_of_it_is_kept(store, hf_api):
    hf_api.script("2026-01-16", Fault("html"))
    summary = run_fetch(store, hf_api)
    (day, msg), = summary.failures
    assert day == "2026-01-16"
    assert "HTML page instead of JSON" in msg
    assert "127.0.0.1" in msg
    assert "\n" not in msg
    assert len(hf_api.requests_for("2026-01-16")) == 1
    assert not list(store.raw_dir.glob("2026-01-16*"))
    assert set(store.read_papers()["paper_id"]) == ALL_IDS - ids_of("2026-01-16")
    assert state_of(store)["2026-01-16"]["kind"] == "html"


def test_truncated_body_is_retried(store, hf_api):
    hf_api.script("2026-01-21", Fault("truncate"))
    summary = run_fetch(store, hf_api)
    assert summary.failures == []
    assert len(hf_api.requests_for("2026-01-21")) == 2
    assert (store.raw_dir / "2026-01-21.json").read_bytes() == (
        FETCH_DAYS / "2026-01-21.json").read_bytes()


def test_truncated_every_time_fails_without_writing(store, hf_api):
    hf_api.script("2026-01-21", *[Fault("truncate")] * 3)
    summary = run_fetch(store, hf_api)
    (day, msg), = summary.failures
    assert day == "2026-01-21"
    assert "cut short" in msg
    assert "gave up after 3 attempts" in msg
    assert not (store.raw_dir / "2026-01-21.json").exists()
    assert set(store.read_papers()["paper_id"]) == ALL_IDS - ids_of("2026-01-21")


def test_json_of_the_wrong_shape(store, hf_api):
    hf_api.script("2026-01-15", Fault("body", body=b'{"papers": [], "total": 0}'))
    summary = run_fetch(store, hf_api)
    (day, msg), = summary.failures
    assert day == "2026-01-15"
    assert "wrong shape" in msg
    assert "papers, total" in msg
    assert set(store.read_papers()["paper_id"]) == ALL_IDS - ids_of("2026-01-15")


def test_a_bad_entry_is_skipped_and_named(store, hf_api, tmp_path):
    entries = json.loads((FETCH_DAYS / "2026-01-20.json").read_bytes())
    del entries[1]["paper"]["id"]
    hf_api.script("2026-01-20", Fault("body", body=json.dumps(entries).encode()))
    summary = run_fetch(store, hf_api, start=dt.date(2026, 1, 20), end=dt.date(2026, 1, 20))
    assert summary.fetched == ["2026-01-20"]
    assert summary.papers_new == 3
    assert len(summary.problems) == 1
    assert "entry 1" in summary.problems[0]
    assert "paper.id" in summary.problems[0]
    assert "2026-01-20.json" in summary.problems[0]


def test_an_entry_dated_2030_is_skipped_and_planning_does_not_move(store, hf_api):
    entries = json.loads((FETCH_DAYS / "2026-01-20.json").read_bytes())
    entries[2]["paper"]["publishedAt"] = "2030-01-16T00:00:00.000Z"
    hf_api.script("2026-01-20", Fault("body", body=json.dumps(entries).encode()))
    summary = run_fetch(store, hf_api)
    assert len(summary.problems) == 1
    assert "2026-01-20.json: entry 2: field 'paper.publishedAt'" in summary.problems[0]
    assert "2030-01-16 is in the future" in summary.problems[0]
    papers = store.read_papers()
    assert set(papers["paper_id"]) == ALL_IDS - {entries[2]["paper"]["id"]}
    assert papers["published"].max() < dt.date(2027, 1, 1)
    later = run_fetch(store, hf_api, start=None, end=None, today=LAST + dt.timedelta(days=2))
    assert "continuing after 2026-01-21" in later.note


def test_429_after_all_retries(store, hf_api):
    hf_api.script("2026-01-19", *[Fault("status", 429, {"Retry-After": "0"})] * 3)
    summary = run_fetch(store, hf_api)
    (day, msg), = summary.failures
    assert day == "2026-01-19"
    assert "HTTP 429" in msg
    assert "rate limited" in msg
    assert len(hf_api.requests_for("2026-01-19")) == 3


def test_404_names_the_url(store, hf_api):
    hf_api.script("2026-01-19", Fault("status", 404, body=b'{"error":"Not Found"}'))
    summary = run_fetch(store, hf_api)
    (day, msg), = summary.failures
    assert "HTTP 404" in msg
    assert "/api/daily_papers?date=2026-01-19" in msg
    assert "Not Found" in msg
    assert len(summary.fetched) == 6


def test_401_stops_the_run_and_nothing_is_written(store, hf_api):
    body = b'{"error":"Invalid credentials in Authorization header"}'
    hf_api.script("2026-01-15", *[Fault("status", 401, body=body)] * 2)
    summary = run_fetch(store, hf_api, start=FIRST, end=FIRST, token="hf_secret_do_not_leak")
    assert summary.exit_code == 1
    assert summary.fetched == []
    (day, msg), = summary.failures
    assert "HTTP 401" in msg
    assert "HF_TOKEN" in msg
    assert "hf_secret_do_not_leak" not in msg
    assert hf_api.requests_for("2026-01-15")[0].authorization == "Bearer hf_secret_do_not_leak"
    assert not store.papers_path.exists()
    assert not store.raw_dir.exists()
    assert "hf_secret_do_not_leak" not in store.fetch_state_path.read_text()


def test_connection_refused_is_one_clear_line(store):
    summary = fetch(store, FIRST, LAST, endpoint="http://127.0.0.1:9", policy=FAST, assign=False)
    assert summary.exit_code == 1
    assert summary.stopped
    assert "connection refused" in summary.failures[0][1]
    assert not store.papers_path.exists()


def test_a_failed_run_leaves_the_paper_table_as_it_was(store, hf_api):
    run_fetch(store, hf_api, start=FIRST, end=FIRST)
    before = store.papers_path.read_bytes()
    hf_api.script("2026-01-16", Fault("html"))
    summary = run_fetch(store, hf_api, start=dt.date(2026, 1, 16), end=dt.date(2026, 1, 16))
    assert summary.exit_code == 1
    assert store.papers_path.read_bytes() == before


def test_a_dropped_connection_is_retried(store, hf_api):
    hf_api.script("2026-01-15", Fault("drop"))
    summary = run_fetch(store, hf_api)
    assert summary.failures == []
    assert len(hf_api.requests_for("2026-01-15")) == 2
    assert set(store.read_papers()["paper_id"]) == ALL_IDS


def test_an_unwritable_raw_folder_is_a_clear_failure(store, hf_api, tmp_path):
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the raw folder should be")
    summary = run_fetch(store, hf_api, start=FIRST, end=FIRST, raw_dir=blocked)
    (day, msg), = summary.failures
    assert summary.exit_code == 1
    assert "cannot save the raw response" in msg
    assert "blocked" in msg
    assert "disk space" in msg
    assert not store.papers_path.exists()


def test_an_error_object_with_status_200_is_quoted(store, hf_api):
    hf_api.script("2026-01-15", Fault("body", body=b'{"error": "Service temporarily paused"}'))
    summary = run_fetch(store, hf_api, start=FIRST, end=FIRST)
    (day, msg), = summary.failures
    assert "wrong shape" in msg
    assert "Service temporarily paused" in msg


def test_dns_failure_is_a_fatal_one_line_error():
    import socket

    from analysis.fetch.client import _network_error

    err = _network_error(socket.gaierror(-2, "Name or service not known"),
                         "https://no-such-host.invalid/api/daily_papers?date=2026-01-15")
    assert err.fatal
    assert err.kind == "dns"
    assert "no-such-host.invalid" in err.message
    assert "no network or DNS failure" in err.message
    assert "HF_ENDPOINT" in err.message
