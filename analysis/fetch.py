"""Keep a store current: fetch new days from the Hugging Face Daily Papers API.

``fetch(store)`` downloads ``GET {endpoint}/api/daily_papers?date=YYYY-MM-DD&limit=100`` for each
day it plans (see :func:`analysis.fetch_state.plan_days`), saves every response verbatim under the
store's raw folder, ingests the papers, then gives new papers topics without a refit when the store
has a topic model.

Paging: a page holds at most :data:`PAGE_SIZE` entries (``limit``); when a page comes back full the
next one is asked for with ``p=1, 2, ...``; a shorter page ends the day. The raw files of a day are
``<day>.json``, ``<day>.p1.json``, ... A day with no list (weekends) answers ``[]``: that is a
fetched, empty day.

Order of writes, so an interruption never leaves a half state: raw files (atomic) -> paper table
(atomic merge) -> fetch state (atomic). A day is marked done only after its papers are in the
table; anything not marked is fetched again next time, and the merge keeps one row per paper.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import time
import urllib.parse
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from analysis.fetch_state import FetchState, Plan, parse_since, plan_days, utc_now
from analysis.http_client import FetchCancelled, FetchError, HttpClient, RetryPolicy
from analysis.schema import InputError, Problems
from analysis.store import Store, atomic_write_bytes

DEFAULT_ENDPOINT = "https://huggingface.co"
PAGE_SIZE = 100  # entries per request (`limit`); real days hold ~5-60
MAX_PAGES = 50  # a day never holds 5,000 papers; stop there rather than loop forever
CONCURRENCY = 3  # requests in flight at once: polite to the API
FLUSH_SECONDS = 1.0  # ingest finished days at least this often
FLUSH_DAYS = 20  # ... or whenever this many are waiting

#: progress(done, total, message): called from the calling thread as each day finishes.
Progress = Callable[[int, int, str], None]


@dataclass
class FetchSummary:
    """What a fetch run did. ``exit_code`` is 1 only when days were planned and none came in."""

    endpoint: str
    planned: int = 0
    fetched: list[str] = field(default_factory=list)
    empty: list[str] = field(default_factory=list)
    skipped: int = 0
    papers_new: int = 0
    papers_updated: int = 0
    entries: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    stopped: str | None = None
    topics: str = ""
    note: str = ""
    raw_dir: str = ""

    @property
    def ok(self) -> bool:
        return not (self.planned and not self.fetched)

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def lines(self) -> list[str]:
        """A short human summary, one fact per line."""
        out = []
        if self.note:
            out.append(self.note)
        if not self.planned:
            out.append(f"nothing to fetch: the store is up to date ({self.skipped} day(s) "
                       "already fetched; --refresh fetches them again)")
        else:
            out.append(f"days fetched: {len(self.fetched)} of {self.planned} "
                       f"({len(self.empty)} without a list), {self.skipped} skipped as done")
            out.append(f"papers: {self.papers_new} new, {self.papers_updated} updated "
                       f"({self.entries} entries read)")
        if self.problems:
            out.append(f"skipped {len(self.problems)} bad entr"
                       f"{'y' if len(self.problems) == 1 else 'ies'}, e.g. {self.problems[0]}")
        if self.failures:
            out.append(f"failures: {len(self.failures)} day(s); they are retried next run")
            out += [f"  {day}: {msg}" for day, msg in self.failures[:10]]
            if len(self.failures) > 10:
                out.append(f"  ... and {len(self.failures) - 10} more")
        if self.stopped:
            out.append(f"stopped early: {self.stopped}")
        if self.topics:
            out.append(f"topics: {self.topics}")
        return out

    def to_dict(self) -> dict:
        return {"endpoint": self.endpoint, "planned": self.planned, "fetched": self.fetched,
                "empty": self.empty, "skipped": self.skipped, "papers_new": self.papers_new,
                "papers_updated": self.papers_updated, "entries": self.entries,
                "failures": [{"day": d, "error": m} for d, m in self.failures],
                "problems": self.problems, "stopped": self.stopped, "topics": self.topics,
                "note": self.note, "raw_dir": self.raw_dir, "ok": self.ok}


@dataclass
class _Day:
    """One day's pages as received: [(url, body bytes, number of entries)]."""

    day: dt.date
    pages: list[tuple[str, bytes, int]]


def resolve_endpoint(endpoint: str | None = None) -> str:
    """The API base URL: the argument, else $HF_ENDPOINT, else https://huggingface.co."""
    url = (endpoint or os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).strip().rstrip("/")
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InputError(f"endpoint {url!r} is not an http(s) URL", field="endpoint",
                         hint="use e.g. https://huggingface.co")
    return url


def day_url(endpoint: str, day: dt.date, *, limit: int = PAGE_SIZE, page: int = 0) -> str:
    params: dict[str, str | int] = {"date": day.isoformat(), "limit": limit}
    if page:
        params["p"] = page
    return f"{endpoint}/api/daily_papers?{urllib.parse.urlencode(params)}"


def raw_name(day: dt.date, page: int) -> str:
    return f"{day.isoformat()}.json" if page == 0 else f"{day.isoformat()}.p{page}.json"


def fetch_day(client: HttpClient, endpoint: str, day: dt.date, *, page_size: int = PAGE_SIZE,
              max_pages: int = MAX_PAGES) -> _Day:
    """All pages of one day. Raises FetchError (naming the day and URL) or FetchCancelled."""
    pages: list[tuple[str, bytes, int]] = []
    seen: set[str] = set()
    for page in range(max_pages):
        url = day_url(endpoint, day, limit=page_size, page=page)
        try:
            data, body = client.get_json(url)
        except FetchError as err:
            err.message = f"{day.isoformat()}: {err.message}"
            raise
        if not isinstance(data, list):
            what = (f"an object with keys {', '.join(sorted(map(str, data))[:5])}"
                    if isinstance(data, dict) else type(data).__name__)
            raise FetchError(f"{day.isoformat()}: JSON of the wrong shape from {url}: expected a "
                             f"list of daily-paper entries, got {what}; check --endpoint / "
                             "HF_ENDPOINT", url=url, kind="shape")
        ids = {str(e.get("paper", {}).get("id")) for e in data
               if isinstance(e, dict) and isinstance(e.get("paper"), dict)}
        if page and ids and ids <= seen:  # the server ignored `p` and sent the same page again
            break
        seen |= ids
        pages.append((url, body, len(data)))
        if len(data) < page_size:
            return _Day(day, pages)
    if len(pages) == max_pages:
        raise FetchError(f"{day.isoformat()}: more than {max_pages} pages of {page_size} from "
                         f"{endpoint}; stopping (is paging ignored?)", url=endpoint, kind="shape")
    return _Day(day, pages)


@contextlib.contextmanager
def _store_lock(store: Store) -> Iterator[None]:
    """One fetch per store at a time (advisory lock on a file in the store)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not on POSIX: no lock
        yield
        return
    store.root.mkdir(parents=True, exist_ok=True)
    with open(store.fetch_lock_path, "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise InputError("another fetch is already running on this store", file=str(store.root),
                             hint="wait for it to finish") from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


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
    today: dt.date | None = None,
) -> FetchSummary:
    """Fetch days from the Daily Papers API into ``store`` and ingest them.

    Args:
        store: the store to update (created if it does not exist yet).
        start, end: first and last day (inclusive). Without ``start`` (and ``since``) the run
            continues after the newest day in the store and retries days that failed before.
        endpoint: API base URL (default $HF_ENDPOINT or https://huggingface.co).
        token: sent as a Bearer token (default $HF_TOKEN); never logged or written.
        refresh: fetch days again even when done (to update upvotes).
        since: ``"14d"``, ``"2w"``, a number of days or a date: the window ending today.
        progress: ``progress(done, total, message)``, called as each day finishes.
        raw_dir: where raw responses go (default ``store.raw_dir``).
        concurrency: requests in flight at once (1-8).
        policy: timeouts and retries (see :class:`analysis.http_client.RetryPolicy`).
        page_size: the ``limit`` asked for per page.
        assign: give new papers topics when the store has a topic model.
        today: the current UTC date (for tests).

    Returns:
        A :class:`FetchSummary`; ``summary.exit_code`` is non-zero only if nothing came in.

    Raises:
        InputError: bad arguments, an unreadable fetch state, or a fetch already running.
    """
    endpoint = resolve_endpoint(endpoint)
    token = token if token is not None else os.environ.get("HF_TOKEN")
    today = today or utc_now().date()
    if not 1 <= concurrency <= 8:
        raise InputError("concurrency must be between 1 and 8", field="concurrency")
    if page_size < 1:
        raise InputError("page size must be at least 1", field="page_size")
    raw = Path(raw_dir) if raw_dir is not None else store.raw_dir
    summary = FetchSummary(endpoint=endpoint, raw_dir=str(raw))
    with _store_lock(store):
        state = FetchState.load(store)
        plan = plan_days(state, newest_listed(store), start=start, end=end,
                         since=parse_since(since, today), refresh=refresh, today=today)
        summary.planned, summary.skipped, summary.note = len(plan.days), plan.skipped, plan.note
        if plan.days:
            client = HttpClient(token=token or None, policy=policy or RetryPolicy())
            _Run(store, state, summary, client, raw, progress).run(plan, endpoint, concurrency,
                                                                   page_size)
        if assign and summary.papers_new:
            summary.topics = assign_topics(store)
    return summary


def assign_topics(store: Store) -> str:
    """Give papers without a topic one (no refit); a one-line outcome, never an exception."""
    try:
        from analysis.topic_artifacts import has_topics
    except ImportError:
        return "not assigned: the topic modules are not available"
    try:
        if not has_topics(store):
            return "no topic model in this store; run `papertrends fit` to add topics"
        from analysis.topics import assign_new

        counts = assign_new(store)
    except Exception as exc:  # a broken model must not lose the fetched papers
        return (f"topic assignment failed ({type(exc).__name__}: {str(exc)[:200]}); "
                "run `papertrends assign` to try again")
    return "assigned: " + ", ".join(f"{k} {v}" for k, v in sorted(dict(counts).items()))


class _Run:
    """One fetch run: workers download, this thread writes (raw files, table, state)."""

    def __init__(self, store: Store, state: FetchState, summary: FetchSummary,
                 client: HttpClient, raw: Path, progress: Progress | None) -> None:
        self.store, self.state, self.summary, self.client = store, state, summary, client
        self.raw, self.progress = raw, progress
        self.pending: list[tuple[_Day, pl.DataFrame]] = []
        self.last_flush = time.monotonic()
        self.done = 0

    def run(self, plan: Plan, endpoint: str, concurrency: int, page_size: int) -> None:
        total = len(plan.days)
        self._tell(total, f"fetching {total} day(s) from {endpoint}")
        pool = ThreadPoolExecutor(max_workers=min(concurrency, total),
                                  thread_name_prefix="fetch")
        futures: dict[Future, dt.date] = {
            pool.submit(fetch_day, self.client, endpoint, d, page_size=page_size): d
            for d in plan.days}
        waiting = set(futures)
        try:
            while waiting:
                finished, waiting = wait(waiting, timeout=FLUSH_SECONDS,
                                         return_when=FIRST_COMPLETED)
                for fut in sorted(finished, key=futures.__getitem__):
                    self._finish(fut, futures[fut], total)
                    if self.summary.stopped:
                        self._stop(pool, waiting)
                        waiting = set()
                        break
                if self.pending and (not waiting or len(self.pending) >= FLUSH_DAYS
                                     or time.monotonic() - self.last_flush >= FLUSH_SECONDS):
                    self._flush()
            self._flush()
        except BaseException:
            self._stop(pool, waiting)
            with contextlib.suppress(Exception):
                self._flush()  # keep what fully arrived; the rest is fetched next time
            raise
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
            self.state.last_run = {"at": utc_now().strftime("%Y-%m-%dT%H:%M:%SZ"),
                                   **{k: v for k, v in self.summary.to_dict().items()
                                      if k in ("planned", "papers_new", "papers_updated")},
                                   "fetched": len(self.summary.fetched),
                                   "failed": len(self.summary.failures)}
            with contextlib.suppress(Exception):
                self.state.save(self.store)

    def _tell(self, total: int, message: str) -> None:
        if self.progress is not None:
            self.progress(self.done, total, message)

    def _stop(self, pool: ThreadPoolExecutor, waiting: set[Future]) -> None:
        self.client.cancel.set()
        for fut in waiting:
            fut.cancel()

    def _finish(self, fut: Future, day: dt.date, total: int) -> None:
        self.done += 1
        now = utc_now()
        try:
            got: _Day = fut.result()
            frame = self._keep(got)
        except FetchCancelled:
            return
        except (FetchError, InputError) as err:
            kind = getattr(err, "kind", "shape")
            msg = err.message if isinstance(err, FetchError) else f"{day.isoformat()}: {err}"
            self.state.mark_failed(day, kind=kind, error=msg, at=now)
            self.summary.failures.append((day.isoformat(), msg))
            if getattr(err, "fatal", False):
                self.summary.stopped = msg
            self._tell(total, f"{day.isoformat()}: failed")
            return
        self.pending.append((got, frame))
        n = sum(p[2] for p in got.pages)
        self._tell(total, f"{day.isoformat()}: {n} paper(s)")

    def _keep(self, got: _Day) -> pl.DataFrame:
        """Parse every page (so a bad body is caught before anything is written), then save."""
        from analysis.sources.hf_api import parse_response

        problems = Problems()
        frames = []
        for page, (_url, body, _n) in enumerate(got.pages):
            name = str(self.raw / raw_name(got.day, page))
            frames.append(parse_response(body, file=name, listed=got.day, problems=problems))
        for page, (_url, body, _n) in enumerate(got.pages):
            atomic_write_bytes(self.raw / raw_name(got.day, page), body)
        self._drop_stale_pages(got)
        self.summary.problems += [str(p) for p in problems.items]
        return pl.concat(frames, how="vertical_relaxed") if frames else pl.DataFrame()

    def _drop_stale_pages(self, got: _Day) -> None:
        page = len(got.pages)
        while (extra := self.raw / raw_name(got.day, page)).exists():
            extra.unlink()
            page += 1

    def _flush(self) -> None:
        """Ingest the days that arrived, then mark them done (in that order)."""
        if not self.pending:
            return
        batch, self.pending = sorted(self.pending, key=lambda p: p[0].day), []
        frames = [f for _, f in batch if f.height]
        if frames:
            from analysis.ingest import ingest_frame

            report = ingest_frame(self.store, pl.concat(frames, how="vertical_relaxed"))
            self.summary.papers_new += report.stats.added
            self.summary.papers_updated += report.stats.updated
        now = utc_now()
        for got, _frame in batch:
            n = sum(p[2] for p in got.pages)
            self.state.mark_ok(got.day, entries=n, at=now,
                               files=[raw_name(got.day, i) for i in range(len(got.pages))])
            self.summary.fetched.append(got.day.isoformat())
            self.summary.entries += n
            if n == 0:
                self.summary.empty.append(got.day.isoformat())
        self.state.save(self.store)
        self.last_flush = time.monotonic()
