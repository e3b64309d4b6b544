"""What `fetch` remembers between runs, and which days a run should fetch.

The state lives in ``store.fetch_state_path`` (JSON, written atomically)::

    {"version": 1,
     "days": {"2026-01-15": {"status": "ok", "entries": 16, "pages": 1,
                              "fetched_at": "2026-11-27T05:01:02Z", "files": ["2026-01-15.json"]},
              "2026-01-16": {"status": "failed", "kind": "rate-limited", "error": "...",
                              "attempted_at": "...", "failures": 2}},
     "last_run": {...}}

A day counts as done only when it was fetched after it ended (UTC): a list fetched on its own day
may still grow, so the next run fetches it again. Failed days are retried on the next run.
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


def utc_now() -> dt.datetime:
    """The current UTC moment, to the second."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def iso(moment: dt.datetime) -> str:
    """A moment as UTC ISO text, e.g. ``2026-01-15T07:45:00Z``."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class FetchState:
    """The per-day record of what was fetched and what failed."""

    days: dict[str, dict] = field(default_factory=dict)
    last_run: dict = field(default_factory=dict)

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
        return cls(days=dict(data.get("days", {})), last_run=dict(data.get("last_run") or {}))

    def save(self, store: Store) -> None:
        """Write the state file atomically, days in date order."""
        atomic_write_json(store.fetch_state_path,
                          {"version": VERSION, "days": dict(sorted(self.days.items())),
                           "last_run": self.last_run})

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

    def is_done(self, day: dt.date) -> bool:
        """Fetched successfully, after the day was over (so its list can no longer grow)."""
        rec = self.days.get(day.isoformat()) or {}
        if rec.get("status") != "ok":
            return False
        fetched = str(rec.get("fetched_at") or "")[:10]
        return fetched > day.isoformat()

    # ---- updates ----------------------------------------------------------------------------
    def mark_ok(self, day: dt.date, *, entries: int, files: list[str], at: dt.datetime) -> None:
        """Record a successful fetch of ``day``: its entry count, the raw files and when."""
        self.days[day.isoformat()] = {"status": "ok", "entries": entries, "pages": len(files),
                                      "files": files, "fetched_at": iso(at)}

    def mark_failed(self, day: dt.date, *, kind: str, error: str, at: dt.datetime) -> None:
        """Record a failed fetch of ``day``, counting the failures.

        What an earlier good fetch of the day brought in is kept under ``previous_ok``.
        """
        old = self.days.get(day.isoformat()) or {}
        rec = {"status": "failed", "kind": kind, "error": error, "attempted_at": iso(at),
               "failures": int(old.get("failures", 0)) + 1}
        if old.get("status") == "ok":  # keep what an earlier good fetch brought in
            rec["previous_ok"] = {k: old[k] for k in ("entries", "fetched_at") if k in old}
        self.days[day.isoformat()] = rec


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
    """The days a run fetches, and why the others were left out."""

    days: list[dt.date]
    start: dt.date | None
    end: dt.date
    skipped: int = 0
    retrying: int = 0
    note: str = ""


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
