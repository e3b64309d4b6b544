"""The download-and-write loop behind :func:`analysis.fetch.fetch`.

Worker threads (daemon, so Ctrl-C never waits on a hung socket) download whole days (or whole
months); the calling thread parses each, saves its raw pages, ingests finished ones in batches,
records the size of each month's list, and then marks them done in the fetch state, in that
order.
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

from analysis import coverage
from analysis.fetch.client import FetchCancelled, FetchError, HttpClient
from analysis.fetch.plan import FetchState, Key, Plan, utc_now
from analysis.ingest import ingest_frame
from analysis.kept import write_options
from analysis.names import Progress, iso
from analysis.schema import InputError, Problems
from analysis.sources.hf_api import month_listing, parse_response
from analysis.store import Store

#: Entries asked for per request (`limit`). 50 is the API's own default page: recorded days hold
#: at most 50 entries, several exactly 50, so that size is known to be served in full. A larger
#: limit could be capped silently by the server, and a capped page would look like the last one.
PAGE_SIZE = 50
MAX_PAGES = 50  # a day never holds 2,500 papers; stop there rather than loop forever
MAX_MONTH_PAGES = 400  # ... nor a month 20,000
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
    unit: str = "day"  # or "month" (fetch --month, --fill-gaps)

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
        unit = self.unit
        if not self.planned and not self.skipped:
            out.append(f"nothing to fetch: no {unit}s from {self.first} to {self.last} "
                       f"({unit}s after today are not fetched)")
        elif not self.planned:
            out.append(f"nothing to fetch: the store is up to date ({self.skipped} {unit}(s) "
                       "already fetched; --refresh fetches them again)")
        else:
            out.append(f"{unit}s fetched: {len(self.fetched)} of {self.planned} "
                       f"({len(self.empty)} without a list), {self.skipped} skipped as done")
            out.append(f"papers: {self.papers_new} new, {self.papers_updated} updated "
                       f"({self.entries} entries read)")
        if self.problems:
            out.append(f"skipped {len(self.problems)} bad entr"
                       f"{'y' if len(self.problems) == 1 else 'ies'}, e.g. {self.problems[0]}")
        if self.failures:
            out.append(f"failures: {len(self.failures)} {unit}(s); they are retried next run")
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
                "last": self.last, "unit": self.unit, "ok": self.ok}


@dataclass
class Pages:
    """One day's (or month's) pages as received: [(url, body bytes, entries, read at)]."""

    key: Key
    pages: list[tuple[str, bytes, list, dt.datetime]]

    @property
    def day(self) -> dt.date | None:
        """The day, for a day's pages (None for a month)."""
        return self.key if isinstance(self.key, dt.date) else None

    @property
    def name(self) -> str:
        """``2026-01-15`` or ``2023-07``."""
        return self.key.isoformat() if isinstance(self.key, dt.date) else self.key

    @property
    def entries(self) -> int:
        """Entries over all pages."""
        return sum(len(p[2]) for p in self.pages)


#: Kept for callers of the day-only name.
DayPages = Pages


def day_url(endpoint: str, day: dt.date, *, limit: int = PAGE_SIZE, page: int = 0) -> str:
    """The API URL of one page of a day's list (``p`` is left out for the first page)."""
    return _url(endpoint, {"date": day.isoformat()}, limit, page)


def month_url(endpoint: str, month: str, *, limit: int = PAGE_SIZE, page: int = 0) -> str:
    """The API URL of one page of a month's list (``?month=YYYY-MM``)."""
    return _url(endpoint, {"month": month}, limit, page)


def _url(endpoint: str, which: dict[str, str], limit: int, page: int) -> str:
    params: dict[str, str | int] = {**which, "limit": limit}
    if page:
        params["p"] = page
    return f"{endpoint}/api/daily_papers?{urllib.parse.urlencode(params)}"


def raw_name(key: Key, page: int) -> str:
    """File name of a raw page: ``2026-01-15.json`` (``2023-07.json``), then ``.p1.json``..."""
    name = key.isoformat() if isinstance(key, dt.date) else key
    return f"{name}.json" if page == 0 else f"{name}.p{page}.json"


def fetch_day(client: HttpClient, endpoint: str, day: dt.date, *, page_size: int = PAGE_SIZE,
              max_pages: int = MAX_PAGES) -> Pages:
    """All pages of one day. Raises FetchError (naming the day and URL) or FetchCancelled."""
    return fetch_pages(client, endpoint, day, page_size=page_size, max_pages=max_pages)


def fetch_pages(client: HttpClient, endpoint: str, key: Key, *, page_size: int = PAGE_SIZE,
                max_pages: int | None = None) -> Pages:
    """All pages of one day (a date) or month (``YYYY-MM``), asked for until a short page.

    Raises:
        FetchError: naming the day (month) and the URL.
        FetchCancelled: the run was stopped before a request.
    """
    name = key.isoformat() if isinstance(key, dt.date) else key
    if max_pages is None:
        max_pages = MAX_PAGES if isinstance(key, dt.date) else MAX_MONTH_PAGES
    pages: list[tuple[str, bytes, list, dt.datetime]] = []
    seen: set[str] = set()
    for page in range(max_pages):
        url = (day_url(endpoint, key, limit=page_size, page=page) if isinstance(key, dt.date)
               else month_url(endpoint, key, limit=page_size, page=page))
        try:
            got = client.get_json(url)
        except FetchError as err:
            err.message = f"{name}: {err.message}"
            raise
        data = got.data
        if not isinstance(data, list):
            what = (f"an object with keys {', '.join(sorted(map(str, data))[:5])}"
                    if isinstance(data, dict) else type(data).__name__)
            if isinstance(data, dict) and isinstance(data.get("error"), str):
                what = f"an error: {' '.join(data['error'].split())[:200]!r}"
            raise FetchError(f"{name}: JSON of the wrong shape from {url}: expected a "
                             f"list of daily-paper entries, got {what}; check --endpoint / "
                             "HF_ENDPOINT", url=url, kind="shape")
        ids = {str(e.get("paper", {}).get("id")) for e in data
               if isinstance(e, dict) and isinstance(e.get("paper"), dict)}
        if page and ids and ids <= seen:  # the server ignored `p` and sent the same page again
            break
        seen |= ids
        pages.append((url, got.body, data, got.read_at))
        if len(data) < page_size:
            return Pages(key, pages)
    if len(pages) == max_pages:
        raise FetchError(f"{name}: more than {max_pages} pages of {page_size} from "
                         f"{endpoint}; stopping (is paging ignored?)", url=endpoint, kind="shape")
    return Pages(key, pages)


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
        self.pending: list[tuple[Pages, pl.DataFrame]] = []
        self.last_flush = time.monotonic()
        self.done = 0

    def run(self, plan: Plan, endpoint: str, concurrency: int, page_size: int) -> None:
        """Download with a few daemon threads (Ctrl-C never waits on a hung socket)."""
        keys: list[Key] = [*plan.days, *plan.months]
        total = len(keys)
        unit = "month" if plan.months else "day"
        self._tell(total, f"fetching {total} {unit}(s) from {endpoint}")
        jobs: queue.Queue[Key] = queue.Queue()
        for key in keys:
            jobs.put(key)
        results: queue.Queue[tuple[Key, Pages | BaseException]] = queue.Queue()

        def work() -> None:
            while not self.client.cancel.is_set():
                try:
                    key = jobs.get_nowait()
                except queue.Empty:
                    return
                try:
                    results.put((key, fetch_pages(self.client, endpoint, key,
                                                  page_size=page_size)))
                except BaseException as exc:  # handed to the writing thread
                    results.put((key, exc))

        for i in range(min(concurrency, total)):
            threading.Thread(target=work, name=f"fetch-{i}", daemon=True).start()
        try:
            while self.done < total and not self.summary.stopped:
                try:
                    key, got = results.get(timeout=FLUSH_SECONDS)
                except queue.Empty:
                    got = None
                if got is not None:
                    self._finish(key, got, total)
                if self.pending and (self.done == total or len(self.pending) >= FLUSH_DAYS
                                     or time.monotonic() - self.last_flush >= FLUSH_SECONDS):
                    self._flush()
            self.client.cancel.set()
            self._flush()
            self._tell(total, f"done: {len(self.summary.fetched)} {unit}(s) saved")
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
            if plan.months:
                self.state.last_run["unit"] = "month"
            with contextlib.suppress(Exception):
                self.state.save(self.store)

    def _tell(self, total: int, message: str) -> None:
        if self.progress is not None:
            self.progress(self.done, total, message)

    def _finish(self, key: Key, got: Pages | BaseException, total: int) -> None:
        self.done += 1
        now = utc_now()
        name = key.isoformat() if isinstance(key, dt.date) else key
        try:
            if isinstance(got, BaseException):
                raise got
            frame = self._keep(got)
        except FetchCancelled:  # stopped while waiting to retry: try it again next run
            self.state.mark_failed(key, kind="cancelled", error="stopped before it finished",
                                   at=now)
            return
        except (FetchError, InputError) as err:
            kind = getattr(err, "kind", "invalid")
            msg = err.message if isinstance(err, FetchError) else f"{name}: {err}"
            self.state.mark_failed(key, kind=kind, error=msg, at=now)
            self.summary.failures.append((name, msg))
            if getattr(err, "fatal", False):
                left = total - self.done
                self.summary.stopped = (f"{name} failed in a way retrying cannot fix "
                                        f"(see above); {left} remaining not tried")
            self._tell(total, f"{name}: failed")
            return
        self.pending.append((got, frame))
        self._tell(total, f"{name}: {got.entries} paper(s)")

    def _keep(self, got: Pages) -> pl.DataFrame:
        """Parse every page (so a bad body is caught before anything is written), then save."""
        problems = Problems()
        frames = []
        month = None if got.day is not None else got.name
        for page, (_url, body, _entries, read_at) in enumerate(got.pages):
            name = str(self.raw / raw_name(got.key, page))
            frames.append(parse_response(body, file=name, listed=got.day, problems=problems,
                                         month=month, read_at=read_at))
        try:
            for page, (_url, body, _entries, read_at) in enumerate(got.pages):
                target = self.raw / raw_name(got.key, page)
                write_options(self.store, target, {"read_at": iso(read_at)})
                self.store.write_bytes(target, body)
            self._drop_stale_pages(got)
        except OSError as exc:
            raise InputError(f"cannot save the raw response: {exc.strerror or exc}",
                             file=str(self.raw / raw_name(got.key, 0)),
                             hint="check free disk space and the folder's permissions") from None
        self.summary.problems += [str(p) for p in problems.items]
        return pl.concat(frames, how="vertical_relaxed") if frames else pl.DataFrame()

    def _drop_stale_pages(self, got: Pages) -> None:
        page = len(got.pages)
        while (extra := self.raw / raw_name(got.key, page)).exists():
            self.store.remove(extra)
            side = extra.parent / f".{extra.name}.options.json"
            if side.exists():
                self.store.remove(side)
            page += 1

    def _flush(self) -> None:
        """Ingest what arrived, record month sizes, then mark them done (in that order)."""
        if not self.pending:
            return
        batch, self.pending = sorted(self.pending, key=lambda p: p[0].name), []
        frames = [f for _, f in batch if f.height]
        if frames:
            report = ingest_frame(self.store, pl.concat(frames, how="vertical_relaxed"))
            self.summary.papers_new += report.stats.added
            self.summary.papers_updated += report.stats.updated
        sizes = [month_listing([e for p in got.pages for e in p[2]], month=got.name,
                               read_at=got.pages[0][3] if got.pages else None,
                               origin=raw_name(got.key, 0))
                 for got, _ in batch if got.day is None]
        if sizes:
            coverage.add_listings(self.store, sizes)
        now = utc_now()
        for got, _frame in batch:
            n = got.entries
            self.state.mark_ok(got.key, entries=n, at=now,
                               files=[raw_name(got.key, i) for i in range(len(got.pages))],
                               read_at=got.pages[0][3] if got.pages else None)
            self.summary.fetched.append(got.name)
            self.summary.entries += n
            if n == 0:
                self.summary.empty.append(got.name)
        self.state.save(self.store)
        self.last_flush = time.monotonic()
