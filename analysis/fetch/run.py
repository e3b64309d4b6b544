"""The download-and-write loop behind :func:`analysis.fetch.fetch`.

Worker threads (daemon, so Ctrl-C never waits on a hung socket) download whole days; the calling
thread parses each day, saves its raw pages, ingests finished days in batches and then marks them
done in the fetch state, in that order.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import queue
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from analysis.fetch.client import FetchCancelled, FetchError, HttpClient
from analysis.fetch.plan import FetchState, Plan, utc_now
from analysis.ingest import ingest_frame
from analysis.names import Progress
from analysis.schema import InputError, Problems
from analysis.sources.hf_api import parse_response
from analysis.store import Store

#: Entries asked for per request (`limit`). 50 is the API's own default page: recorded days hold
#: at most 50 entries, several exactly 50, so that size is known to be served in full. A larger
#: limit could be capped silently by the server, and a capped page would look like the last one.
PAGE_SIZE = 50
MAX_PAGES = 50  # a day never holds 5,000 papers; stop there rather than loop forever
CONCURRENCY = 3  # requests in flight at once: polite to the API
FLUSH_SECONDS = 1.0  # ingest finished days at least this often
FLUSH_DAYS = 20  # ... or whenever this many are waiting


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
    first: str = ""
    last: str = ""

    @property
    def ok(self) -> bool:
        """False only when days were planned and none was fetched."""
        return not (self.planned and not self.fetched)

    @property
    def exit_code(self) -> int:
        """The command's exit status: 0 when :attr:`ok`, else 1."""
        return 0 if self.ok else 1

    def lines(self) -> list[str]:
        """A short human summary, one fact per line."""
        out = []
        if self.note:
            out.append(self.note)
        if not self.planned and not self.skipped:
            out.append(f"nothing to fetch: no days from {self.first} to {self.last} "
                       "(days after today are not fetched)")
        elif not self.planned:
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
            out += [f"  {msg}" for _day, msg in self.failures[:10]]  # msg names the day
            if len(self.failures) > 10:
                out.append(f"  ... and {len(self.failures) - 10} more")
        if self.stopped:
            out.append(f"stopped early: {self.stopped}")
        if self.topics:
            out.append(f"topics: {self.topics}")
        return out

    def to_dict(self) -> dict:
        """The summary as plain JSON-ready values, ``ok`` included."""
        return {"endpoint": self.endpoint, "planned": self.planned, "fetched": self.fetched,
                "empty": self.empty, "skipped": self.skipped, "papers_new": self.papers_new,
                "papers_updated": self.papers_updated, "entries": self.entries,
                "failures": [{"day": d, "error": m} for d, m in self.failures],
                "problems": self.problems, "stopped": self.stopped, "topics": self.topics,
                "note": self.note, "raw_dir": self.raw_dir, "first": self.first,
                "last": self.last, "ok": self.ok}


@dataclass
class DayPages:
    """One day's pages as received: [(url, body bytes, number of entries)]."""

    day: dt.date
    pages: list[tuple[str, bytes, int]]


def day_url(endpoint: str, day: dt.date, *, limit: int = PAGE_SIZE, page: int = 0) -> str:
    """The API URL of one page of a day's list (``p`` is left out for the first page)."""
    params: dict[str, str | int] = {"date": day.isoformat(), "limit": limit}
    if page:
        params["p"] = page
    return f"{endpoint}/api/daily_papers?{urllib.parse.urlencode(params)}"


def raw_name(day: dt.date, page: int) -> str:
    """File name of a day's raw page: ``2026-01-15.json``, then ``2026-01-15.p1.json``..."""
    return f"{day.isoformat()}.json" if page == 0 else f"{day.isoformat()}.p{page}.json"


def fetch_day(client: HttpClient, endpoint: str, day: dt.date, *, page_size: int = PAGE_SIZE,
              max_pages: int = MAX_PAGES) -> DayPages:
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
            if isinstance(data, dict) and isinstance(data.get("error"), str):
                what = f"an error: {' '.join(data['error'].split())[:200]!r}"
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
            return DayPages(day, pages)
    if len(pages) == max_pages:
        raise FetchError(f"{day.isoformat()}: more than {max_pages} pages of {page_size} from "
                         f"{endpoint}; stopping (is paging ignored?)", url=endpoint, kind="shape")
    return DayPages(day, pages)


class Run:
    """One fetch run: workers download, this thread writes (raw files, table, state)."""

    def __init__(self, store: Store, state: FetchState, summary: FetchSummary,
                 client: HttpClient, raw: Path, progress: Progress | None) -> None:
        """Hold what the run writes to and reports to.

        Args:
            store: the store the days go into.
            state: the fetch state, updated as days finish.
            summary: filled in as the run goes.
            client: the HTTP client the workers share.
            raw: folder for the raw pages.
            progress: told how far the run is, when given.
        """
        self.store, self.state, self.summary, self.client = store, state, summary, client
        self.raw, self.progress = raw, progress
        self.pending: list[tuple[DayPages, pl.DataFrame]] = []
        self.last_flush = time.monotonic()
        self.done = 0

    def run(self, plan: Plan, endpoint: str, concurrency: int, page_size: int) -> None:
        """Download with a few daemon threads (Ctrl-C never waits on a hung socket)."""
        total = len(plan.days)
        self._tell(total, f"fetching {total} day(s) from {endpoint}")
        jobs: queue.Queue[dt.date] = queue.Queue()
        for day in plan.days:
            jobs.put(day)
        results: queue.Queue[tuple[dt.date, DayPages | BaseException]] = queue.Queue()

        def work() -> None:
            while not self.client.cancel.is_set():
                try:
                    day = jobs.get_nowait()
                except queue.Empty:
                    return
                try:
                    results.put((day, fetch_day(self.client, endpoint, day, page_size=page_size)))
                except BaseException as exc:  # handed to the writing thread
                    results.put((day, exc))

        for i in range(min(concurrency, total)):
            threading.Thread(target=work, name=f"fetch-{i}", daemon=True).start()
        try:
            while self.done < total and not self.summary.stopped:
                try:
                    day, got = results.get(timeout=FLUSH_SECONDS)
                except queue.Empty:
                    got = None
                if got is not None:
                    self._finish(day, got, total)
                if self.pending and (self.done == total or len(self.pending) >= FLUSH_DAYS
                                     or time.monotonic() - self.last_flush >= FLUSH_SECONDS):
                    self._flush()
            self.client.cancel.set()
            self._flush()
            self._tell(total, f"done: {len(self.summary.fetched)} day(s) saved")
        except BaseException:
            self.client.cancel.set()
            with contextlib.suppress(Exception):
                self._flush()  # keep what fully arrived; the rest is fetched next time
            raise
        finally:
            self.summary.failures.sort()
            self.summary.fetched.sort()
            self.summary.empty.sort()
            self.state.last_run = {"at": utc_now().strftime("%Y-%m-%dT%H:%M:%SZ"),
                                   "planned": total, "fetched": len(self.summary.fetched),
                                   "failed": len(self.summary.failures),
                                   "papers_new": self.summary.papers_new,
                                   "papers_updated": self.summary.papers_updated}
            with contextlib.suppress(Exception):
                self.state.save(self.store)

    def _tell(self, total: int, message: str) -> None:
        if self.progress is not None:
            self.progress(self.done, total, message)

    def _finish(self, day: dt.date, got: DayPages | BaseException, total: int) -> None:
        self.done += 1
        now = utc_now()
        try:
            if isinstance(got, BaseException):
                raise got
            frame = self._keep(got)
        except FetchCancelled:  # stopped while waiting to retry: try it again next run
            self.state.mark_failed(day, kind="cancelled", error="stopped before it finished",
                                   at=now)
            return
        except (FetchError, InputError) as err:
            kind = getattr(err, "kind", "invalid")
            msg = err.message if isinstance(err, FetchError) else f"{day.isoformat()}: {err}"
            self.state.mark_failed(day, kind=kind, error=msg, at=now)
            self.summary.failures.append((day.isoformat(), msg))
            if getattr(err, "fatal", False):
                left = total - self.done
                self.summary.stopped = (f"{day.isoformat()} failed in a way retrying cannot fix "
                                        f"(see above); {left} remaining day(s) not tried")
            self._tell(total, f"{day.isoformat()}: failed")
            return
        self.pending.append((got, frame))
        n = sum(p[2] for p in got.pages)
        self._tell(total, f"{day.isoformat()}: {n} paper(s)")

    def _keep(self, got: DayPages) -> pl.DataFrame:
        """Parse every page (so a bad body is caught before anything is written), then save."""
        problems = Problems()
        frames = []
        for page, (_url, body, _n) in enumerate(got.pages):
            name = str(self.raw / raw_name(got.day, page))
            frames.append(parse_response(body, file=name, listed=got.day, problems=problems))
        try:
            for page, (_url, body, _n) in enumerate(got.pages):
                self.store.write_bytes(self.raw / raw_name(got.day, page), body)
            self._drop_stale_pages(got)
        except OSError as exc:
            raise InputError(f"cannot save the raw response: {exc.strerror or exc}",
                             file=str(self.raw / raw_name(got.day, 0)),
                             hint="check free disk space and the folder's permissions") from None
        self.summary.problems += [str(p) for p in problems.items]
        return pl.concat(frames, how="vertical_relaxed") if frames else pl.DataFrame()

    def _drop_stale_pages(self, got: DayPages) -> None:
        page = len(got.pages)
        while (extra := self.raw / raw_name(got.day, page)).exists():
            self.store.remove(extra)
            page += 1

    def _flush(self) -> None:
        """Ingest the days that arrived, then mark them done (in that order)."""
        if not self.pending:
            return
        batch, self.pending = sorted(self.pending, key=lambda p: p[0].day), []
        frames = [f for _, f in batch if f.height]
        if frames:

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
