"""Keep a store current: fetch new days (or whole months) from the Hugging Face Daily Papers API.

``fetch(store)`` downloads ``GET {endpoint}/api/daily_papers?date=YYYY-MM-DD&limit=50`` for each
day it plans (see :func:`analysis.fetch.plan.plan_days`), saves every response verbatim under the
store's raw folder, ingests the papers, then gives every paper not yet assigned a topic one,
without a refit, when the store has a topic model: also when nothing new came in, so a run killed
during assignment is finished by the next one. ``fetch(store, months=[...])`` asks for whole
months instead (``?month=YYYY-MM``, raw files under ``raw/hf-month/``) and records each month's
list size; ``fill_gaps=True`` picks the months whose full list the store does not hold (or does
not know).

Paging: a page holds at most :data:`PAGE_SIZE` entries (``limit``); when a page comes back full the
next one is asked for with ``p=1, 2, ...``; a shorter page ends the day. The raw files of a day are
``<day>.json``, ``<day>.p1.json``, ... A day with no list (weekends) answers ``[]``: that is a
fetched, empty day.

Order of writes, so an interruption never leaves a half state: raw files (atomic) -> paper table
(atomic merge) -> fetch state (atomic). A day is marked done only after its papers are in the
table; anything not marked is fetched again next time, and the merge keeps one row per paper.
The whole run holds the store lock: a second writer waits for it.
"""

from __future__ import annotations

import datetime as dt
import os
import urllib.parse
from collections.abc import Callable
from pathlib import Path

import polars as pl
from huggingface_hub import get_token

from analysis import coverage
from analysis.fetch.client import HttpClient, RetryPolicy, default_endpoint
from analysis.fetch.plan import (
    FetchState,
    parse_months,
    parse_since,
    plan_days,
    plan_months,
    utc_now,
)
from analysis.fetch.run import CONCURRENCY, PAGE_SIZE, FetchSummary, Run
from analysis.health import check_embeddings, check_topics, require
from analysis.names import Progress
from analysis.schema import InputError
from analysis.store import Store
from analysis.topics.artifacts import has_topics, pending
from analysis.topics.engine import LOCAL, Engine

DEFAULT_ENDPOINT = "https://huggingface.co"
REFRESH_WINDOW = "14d"  # what --refresh re-fetches when no --from / --since is given


def resolve_endpoint(endpoint: str | None = None) -> str:
    """The API base URL: the argument, else $HF_ENDPOINT, else huggingface_hub's endpoint.

    $HF_ENDPOINT is read now (huggingface_hub reads it once, at import).
    """
    url = (endpoint or os.environ.get("HF_ENDPOINT") or default_endpoint()
           or DEFAULT_ENDPOINT).strip().rstrip("/")
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InputError(f"endpoint {url!r} is not an http(s) URL", field="endpoint",
                         hint="use e.g. https://huggingface.co")
    return url


def _safe_for_token(endpoint: str) -> bool:
    """A token goes only over https, or plain http to this machine (a local mirror or test)."""
    parts = urllib.parse.urlsplit(endpoint)
    return parts.scheme == "https" or parts.hostname in ("127.0.0.1", "localhost", "::1")


def newest_listed(store: Store) -> dt.date | None:
    """The newest listing day in the paper table (None for an empty store)."""
    if not store.exists():
        return None
    return store.scan_papers().select(pl.col("listed").max()).collect().item()


def fetch(
    store: Store,
    start: dt.date | None = None,
    end: dt.date | None = None,
    *,
    endpoint: str | None = None,
    token: str | None = None,
    refresh: bool = False,
    since: str | int | dt.date | None = None,
    progress: Progress | None = None,
    raw_dir: str | os.PathLike[str] | None = None,
    concurrency: int = CONCURRENCY,
    policy: RetryPolicy | None = None,
    page_size: int = PAGE_SIZE,
    assign: bool = True,
    engine: Engine = LOCAL,
    today: dt.date | None = None,
    months: str | list[str] | None = None,
    fill_gaps: bool = False,
    lock_timeout: float | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> FetchSummary:
    """Fetch days (or whole months) from the Daily Papers API into ``store`` and ingest them.

    Args:
        store: the store to update (created if it does not exist yet).
        start: first day (inclusive). Without ``start`` (and ``since``) the run continues
            after the newest day in the store and retries days that failed before.
        end: last day (inclusive; default today, and never after today).
        endpoint: API base URL (default $HF_ENDPOINT or https://huggingface.co).
        token: sent as a Bearer token (default: huggingface_hub's token, i.e. $HF_TOKEN or the
            one saved by `hf auth login`); never logged or written.
        refresh: fetch days again even when done (to update upvotes); alone, it covers the
            last 14 days.
        since: ``"14d"``, ``"2w"``, a number of days or a date: the window ending today.
        progress: ``progress(done, total, message)``, called as each day finishes.
        raw_dir: where raw responses go (default ``store.raw_dir``).
        concurrency: requests in flight at once (1-8).
        policy: timeouts and retries (see :class:`analysis.fetch.client.RetryPolicy`).
        page_size: the ``limit`` asked for per page.
        assign: give papers not yet assigned a topic one, when the store has a topic model.
        engine: where their embeddings are computed (here, or on Ray).
        today: the current UTC date (for tests).
        months: ``"2023-07"``, ``"2023-07..2023-09"`` or a list of months: fetch these whole
            (``?month=``) instead of days.
        fill_gaps: fetch whole every month the store holds only part of (or whose full list it
            does not know), from its first listing month to this one.
        lock_timeout: give up waiting for another writer after this many seconds (None: wait).
        on_wait: told who holds the store lock, when the run has to wait for it.

    Returns:
        A :class:`FetchSummary`; ``summary.exit_code`` is non-zero only if nothing came in.

    Raises:
        InputError: bad arguments, a damaged paper table or fetch state, or the store stayed
            busy past ``lock_timeout``.
    """
    endpoint = resolve_endpoint(endpoint)
    token = token if token is not None else get_token()
    today = today or utc_now().date()
    by_month = months is not None or fill_gaps
    if by_month and (start is not None or end is not None or since is not None):
        raise InputError("give either days (--from/--to/--since) or months "
                         "(--month/--fill-gaps), not both", field="month")
    if months is not None and fill_gaps:
        raise InputError("give either --month or --fill-gaps, not both", field="month")
    wanted = parse_months(months, today) if isinstance(months, str) else list(months or [])
    if not 1 <= concurrency <= 8:
        raise InputError("concurrency must be between 1 and 8", field="concurrency")
    if page_size < 1:
        raise InputError("page size must be at least 1", field="page_size")
    if refresh and start is None and since is None and not by_month:
        since = REFRESH_WINDOW  # upvotes settle over the first weeks
    default_raw = store.raw_month_dir if by_month else store.raw_dir
    raw = Path(raw_dir) if raw_dir is not None else default_raw
    summary = FetchSummary(endpoint=endpoint, raw_dir=str(raw),
                           unit="month" if by_month else "day")
    if token and not _safe_for_token(endpoint):
        token = None
        summary.note = ("the token (HF_TOKEN or a saved login) was not sent: the endpoint is plain "
                        "http to another machine")
    with store.lock(timeout=lock_timeout, on_wait=on_wait):
        require(store, needs=("papers",))
        state = FetchState.load(store)
        if fill_gaps:
            wanted = gap_months(store, today)
        if by_month:
            plan = plan_months(state, wanted, refresh=refresh, today=today,
                               note=_gap_note(wanted) if fill_gaps else "")
        else:
            plan = plan_days(state, newest_listed(store), start=start, end=end,
                             since=parse_since(since, today), refresh=refresh, today=today)
        summary.planned, summary.skipped = len(plan.days) + len(plan.months), plan.skipped
        summary.first, summary.last = str(plan.start or ""), str(plan.end)
        summary.note = "; ".join(n for n in (summary.note, plan.note) if n)
        if plan.days or plan.months:
            client = HttpClient(token=token or None, policy=policy or RetryPolicy())
            Run(store, state, summary, client, raw, progress).run(plan, endpoint, concurrency,
                                                                   page_size)
        if assign:
            n = summary.planned

            def say(done: int, total: int, message: str) -> None:
                if progress is not None:
                    progress(n, n, f"topics: {message.strip()}")

            summary.topics = assign_topics(store, progress=say, new=summary.papers_new,
                                           engine=engine)
    return summary


def gap_months(store: Store, today: dt.date) -> list[str]:
    """Months, from the store's first listing month to this one, whose full list it lacks.

    That is every month the coverage table marks partial, or whose list size is unknown.
    """
    table = coverage.store_coverage(store)
    now = today.strftime("%Y-%m")
    return [m for m, status in table.select("month", "status").iter_rows()
            if status != coverage.COMPLETE and m <= now]


def _gap_note(months: list[str]) -> str:
    if not months:
        return "no gaps: the store holds every month's full list it knows of"
    return (f"{len(months)} month(s) not held in full ({months[0]} .. {months[-1]}): "
            "fetching them whole")


def assign_topics(store: Store, progress: Progress | None = None, new: int = 0,
                  engine: Engine = LOCAL) -> str:
    """Give every paper not yet assigned a topic one (no refit).

    Returns:
        A one-line outcome ("" when there was nothing to do); never raises: a broken model must
        not lose the fetched papers.
    """
    try:
        damaged = [p for p in check_topics(store) + check_embeddings(store) if p.damaged]
        if damaged:
            return f"papers not given topics: {damaged[0].line()}"
        if not has_topics(store):
            return (f"no topic model in this store; run `papertrends fit --store {store.root}` "
                    "to add topics") if new else ""
        waiting = pending(store).height
        if not waiting:
            return ""
        if progress is not None:
            progress(0, 1, f"giving {waiting} paper(s) not yet assigned a topic one (no refit)")
        from analysis.topics.fit import assign_new

        counts = assign_new(store, progress=progress, engine=engine)
    except Exception as exc:  # a broken model must not lose the fetched papers
        detail = " ".join(str(exc).split())[:200]
        return (f"topic assignment failed ({type(exc).__name__}: {detail}); "
                f"run `papertrends assign --store {store.root}` to try again")
    counts = dict(counts or {})
    outliers = counts.get("outliers", 0)
    return (f"{counts.get('assigned', 0)} new paper(s) given topics without a refit "
            f"({outliers} of them outliers: no topic close enough; "
            f"{counts.get('unchanged', 0)} kept theirs)")


def last_run(store: Store) -> dict:
    """What the last fetch into ``store`` did, for a dashboard's "last updated" line.

    Returns:
        at (UTC), planned, fetched, failed, papers_new, papers_updated; {} if none.
    """
    return dict(FetchState.load(store).last_run)
