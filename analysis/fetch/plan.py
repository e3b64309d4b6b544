"""What `fetch` remembers between runs, and which days or months a run should fetch.

The state lives in ``store.fetch_state_path`` (JSON, written atomically)::

    {"version": 1,
     "days": {"2026-01-15": {"status": "ok", "entries": 16, "pages": 1,
                              "fetched_at": "2026-11-27T05:01:02Z", "files": ["2026-01-15.json"],
                              "read_at": "2026-11-27T05:01:01Z"},
              "2026-01-16": {"status": "failed", "kind": "rate-limited", "error": "...",
                              "attempted_at": "...", "failures": 2}},
     "months": {"2023-07": {"status": "ok", "entries": 185, "pages": 4, ...}},
     "last_run": {...}}

``read_at`` is when the server answered (its ``Date``): the ``upvotes_at`` of those papers.
A day (a month) counts as done only when it was fetched after it ended (UTC): a list fetched
before its end may still grow, so the next run fetches it again. Failed ones are retried on the
next run.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from analysis.schema import InputError
from analysis.store import Store, atomic_write_json

VERSION = 1
DEFAULT_WINDOW = 7  # days fetched into a store that has none yet
_SINCE = re.compile(r"^\s*(\d+)\s*([dw]?)\s*$", re.IGNORECASE)
_MONTH = re.compile(r"^(199\d|2\d{3})-(0[1-9]|1[0-2])$")


def utc_now() -> dt.datetime:
    """The current UTC moment, to the second."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def iso(moment: dt.datetime) -> str:
    """A moment as UTC ISO text, e.g. ``2026-01-15T07:45:00Z``."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


#: A day is keyed by its date, a month by its text ``YYYY-MM``.
Key = dt.date | str


def month_end(month: str) -> dt.date:
    """The last day of a month ``YYYY-MM``."""
    year, mon = int(month[:4]), int(month[5:7])
    first_next = dt.date(year + mon // 12, mon % 12 + 1, 1)
    return first_next - dt.timedelta(days=1)


def parse_months(value: str, today: dt.date) -> list[str]:
    """``2023-07`` or ``2023-07..2023-09`` -> every month of the range, none after this one.

    Raises:
        InputError: not a month or a range of months, or a range that runs backwards.
    """
    parts = [p.strip() for p in str(value).split("..")]
    if len(parts) not in (1, 2) or not all(_MONTH.match(p) for p in parts):
        raise InputError(f"--month {value!r} is not a month or a range of months",
                         field="month", hint="use e.g. 2023-07 or 2023-07..2023-12")
    first, last = parts[0], parts[-1]
    if first > last:
        raise InputError(f"--month {value!r} runs backwards", field="month",
                         hint="give the earlier month first, e.g. 2023-07..2023-12")
    out, month = [], first
    now = today.strftime("%Y-%m")
    while month <= min(last, now):
        out.append(month)
        month = (month_end(month) + dt.timedelta(days=1)).strftime("%Y-%m")
    return out


@dataclass
class FetchState:
    """The per-day and per-month record of what was fetched and what failed."""

    days: dict[str, dict] = field(default_factory=dict)
    last_run: dict = field(default_factory=dict)
    months: dict[str, dict] = field(default_factory=dict)

    def _table(self, key: Key) -> tuple[dict[str, dict], str]:
        if isinstance(key, dt.date):
            return self.days, key.isoformat()
        return self.months, key

    @classmethod
    def load(cls, store: Store) -> FetchState:
        """Read the state file (an empty state if there is none)."""
        path = store.fetch_state_path
        try:
            data = store.read_json(path, default={}) or {}
        except (ValueError, OSError) as exc:
            raise InputError(f"cannot read the fetch state: {exc}", file=str(path),
                             hint="delete the file; days will be fetched again") from None
        if not isinstance(data, dict) or not isinstance(data.get("days", {}), dict):
            raise InputError("the fetch state is not an object with 'days'", file=str(path),
                             field="days", hint="delete the file; days will be fetched again")
        months = data.get("months") or {}
        if not isinstance(months, dict):
            raise InputError("the fetch state's 'months' is not an object", file=str(path),
                             field="months", hint="delete the file; months will be fetched again")
        return cls(days=dict(data.get("days", {})), last_run=dict(data.get("last_run") or {}),
                   months=dict(months))

    def save(self, store: Store) -> None:
        """Write the state file atomically, days and months in order."""
        state = {"version": VERSION, "days": dict(sorted(self.days.items())),
                 "last_run": self.last_run}
        if self.months:
            state["months"] = dict(sorted(self.months.items()))
        atomic_write_json(store.fetch_state_path, state)

    # ---- queries ----------------------------------------------------------------------------
    def ok_days(self) -> list[dt.date]:
        """The days fetched successfully, oldest first."""
        return sorted(dt.date.fromisoformat(d) for d, r in self.days.items()
                      if r.get("status") == "ok")

    def failed_days(self) -> list[dt.date]:
        """The days whose last fetch failed, oldest first."""
        return sorted(dt.date.fromisoformat(d) for d, r in self.days.items()
                      if r.get("status") == "failed")

    def gaps(self) -> list[dt.date]:
        """Days between the first and the newest fetched day that have no record at all.

        Such days were in flight when an earlier run was killed.
        """
        ok = self.ok_days()
        if not ok:
            return []
        out, day = [], ok[0]
        while day < ok[-1]:
            if day.isoformat() not in self.days:
                out.append(day)
            day += dt.timedelta(days=1)
        return out

    def is_done(self, key: Key) -> bool:
        """Fetched successfully after the day (month) was over, so its list can no longer grow."""
        table, name = self._table(key)
        rec = table.get(name) or {}
        if rec.get("status") != "ok":
            return False
        fetched = str(rec.get("fetched_at") or "")[:10]
        last = key.isoformat() if isinstance(key, dt.date) else month_end(key).isoformat()
        return fetched > last

    # ---- updates ----------------------------------------------------------------------------
    def mark_ok(self, key: Key, *, entries: int, files: list[str], at: dt.datetime,
                read_at: dt.datetime | None = None) -> None:
        """Record a successful fetch of a day (month): entries, the raw files, when, read when."""
        table, name = self._table(key)
        rec = {"status": "ok", "entries": entries, "pages": len(files), "files": files,
               "fetched_at": iso(at)}
        if read_at is not None:
            rec["read_at"] = iso(read_at)
        table[name] = rec

    def mark_failed(self, key: Key, *, kind: str, error: str, at: dt.datetime) -> None:
        """Record a failed fetch of a day (month), counting the failures.

        What an earlier good fetch of it brought in is kept under ``previous_ok``.
        """
        table, name = self._table(key)
        old = table.get(name) or {}
        rec = {"status": "failed", "kind": kind, "error": error, "attempted_at": iso(at),
               "failures": int(old.get("failures", 0)) + 1}
        if old.get("status") == "ok":  # keep what an earlier good fetch brought in
            rec["previous_ok"] = {k: old[k] for k in ("entries", "fetched_at") if k in old}
        table[name] = rec


def parse_since(value: str | int | dt.date | None, today: dt.date) -> dt.date | None:
    """``14d``, ``2w``, ``14`` (days) or a date -> the first day of the window ending today."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int):
        n, unit = value, "d"
    else:
        m = _SINCE.match(value)
        if not m:
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                raise InputError(f"--since {value!r} is not a span or a date",
                                 field="since", hint="use e.g. 14d, 2w or 2026-05-01") from None
        n, unit = int(m.group(1)), (m.group(2) or "d").lower()
    days = n * 7 if unit == "w" else n
    if days < 1:
        raise InputError("--since must cover at least one day", field="since", hint="e.g. 14d")
    return today - dt.timedelta(days=days - 1)


@dataclass
class Plan:
    """The days (or months) a run fetches, and why the others were left out."""

    days: list[dt.date]
    start: dt.date | None
    end: dt.date
    skipped: int = 0
    retrying: int = 0
    note: str = ""
    months: list[str] = field(default_factory=list)


def plan_months(state: FetchState, months: list[str], *, refresh: bool, today: dt.date,
                note: str = "") -> Plan:
    """Choose the months to fetch whole: those given, less the ones done (unless ``refresh``).

    Months that failed before, or were left in flight by a killed run, are among those not
    done, so naming the same months again resumes.
    """
    todo = [m for m in months if refresh or not state.is_done(m)]
    first = dt.date.fromisoformat(f"{months[0]}-01") if months else None
    last = min(month_end(months[-1]), today) if months else today
    return Plan(days=[], start=first, end=last, skipped=len(months) - len(todo), note=note,
                months=todo)


def plan_days(
    state: FetchState,
    newest_listed: dt.date | None,
    *,
    start: dt.date | None,
    end: dt.date | None,
    since: dt.date | None,
    refresh: bool,
    today: dt.date,
) -> Plan:
    """Choose the days to fetch.

    Without ``start`` or ``since`` the run continues after the newest day already fetched or
    listed in the store (or covers the last week of an empty store), and also retries the days
    that failed before. Days already done are skipped unless ``refresh``.
    """
    if start is not None and since is not None:
        raise InputError("give either --from or --since, not both", field="since")
    last = min(end or today, today)
    explicit = start is not None or since is not None
    note = ""
    if start is None:
        start = since
    if start is None:
        known = [d for d in (*state.ok_days()[-1:], newest_listed) if d is not None]
        if known:
            start = max(known) + dt.timedelta(days=1)
            note = f"continuing after {max(known).isoformat()}, the newest day in the store"
        else:
            start = today - dt.timedelta(days=DEFAULT_WINDOW - 1)
            note = f"the store has no days yet: fetching the last {DEFAULT_WINDOW} days"
    candidates: list[dt.date] = []
    day = start
    while day <= last:
        candidates.append(day)
        day += dt.timedelta(days=1)
    retrying = 0
    if not explicit:  # days that failed earlier, or never finished, are retried
        extra = [d for d in state.failed_days() + state.gaps() if d < start
                 and (end is None or d <= end)]
        extra = sorted(set(extra))
        retrying = len(extra)
        candidates = extra + candidates
    days = [d for d in candidates if refresh or not state.is_done(d)]
    return Plan(days=days, start=start, end=last, skipped=len(candidates) - len(days),
                retrying=retrying, note=note)
