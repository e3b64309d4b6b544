"""Coverage: per month, the papers each source holds and how much of the month's full list.

A source that reads a whole month's list (the API's ``?month=``, or an archive of such answers
with its ``index.json``) tells how many papers that month listed. Those sizes live in the
store's ``listings.json``::

    {"version": 1,
     "months": {"2025-08": {"entries": 452, "papers": 452, "read_at": "2026-06-26T11:52:01Z",
                             "origin": "daily_papers_2025-08.json"}}}

``entries`` is the length of the list (a paper listed on two days counts twice), ``papers`` the
distinct papers in it (None when only an index count is known). Several readings of one month
keep the latest (then the one that counted papers, then the larger). A month whose list is known
and larger than what the store holds is *partial*: counts for it show coverage, not the list.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

import polars as pl

from analysis.health import listings_fix
from analysis.schema import InputError
from analysis.sources.hf_api import MonthListing
from analysis.store import Store

VERSION = 1
#: Status of a month: its full list is known and held, known and not fully held, or unknown.
COMPLETE, PARTIAL, UNKNOWN = "complete", "partial", "unknown"


def read_listings(store: Store) -> dict[str, dict]:
    """Month -> the best known size of its list (empty when the store knows none).

    Raises:
        InputError: ``listings.json`` exists but cannot be read.
    """
    path = store.listings_path
    try:
        data = store.read_json(path, default={}) or {}
    except (ValueError, OSError) as exc:
        raise InputError(f"cannot read the month list sizes: {str(exc)[:200]}", file=str(path),
                         hint=listings_fix(store)) from None
    if data == {}:
        return {}
    hint = listings_fix(store)
    months = data.get("months") if isinstance(data, dict) else None
    if not isinstance(months, dict):
        raise InputError("expected an object with 'months'", file=str(path), field="months",
                         hint=hint)
    for month, record in months.items():
        problem = _record_problem(month, record)
        if problem:
            raise InputError(problem[1], file=str(path), entry=f"month {month!r}",
                             field=problem[0], hint=hint)
    return {str(m): dict(r) for m, r in months.items()}


#: A month key: ``YYYY-MM``.
_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


def _record_problem(month: str, record: object) -> tuple[str, str] | None:
    """(field, what is wrong) with one month's reading, or None when it is sound."""
    if not _MONTH.fullmatch(month):
        return "month", "not a month of the form YYYY-MM"
    if not isinstance(record, dict):
        return "months", "expected an object (entries, papers, read_at, origin)"
    for name in ("entries", "papers"):
        value = record.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                  or value < 0):
            return name, f"expected a whole number of papers >= 0, got {str(value)[:40]!r}"
    for name in ("read_at", "origin"):
        if record.get(name) is not None and not isinstance(record[name], str):
            return name, "expected text"
    return None


def _rank(record: dict) -> tuple:
    """Sort key of one reading of a month's size: later, then counted papers, then larger."""
    return (str(record.get("read_at") or ""), record.get("papers") is not None,
            int(record.get("papers") or 0), int(record.get("entries") or 0),
            str(record.get("origin") or ""))


def merged_listings(old: dict[str, dict], found: Iterable[MonthListing]) -> dict[str, dict]:
    """The listings with new readings added (the same set gives the same result in any order)."""
    out = {m: dict(r) for m, r in old.items()}
    for item in found:
        record = item.as_dict()
        if item.month not in out or _rank(record) > _rank(out[item.month]):
            out[item.month] = record
    return dict(sorted(out.items()))


def add_listings(store: Store, found: Iterable[MonthListing]) -> None:
    """Add readings of month sizes to the store's ``listings.json`` (untouched if the same).

    The caller holds the store lock; the file is written through the store (atomic, journaled).
    """
    old = read_listings(store)
    new = merged_listings(old, found)
    if new != old or not store.listings_path.exists():
        store.write_json(store.listings_path, {"version": VERSION, "months": new})


def rebuild_listings(store: Store, found: Iterable[MonthListing]) -> str | None:
    """``listings.json`` with the sizes found in raw files added; an unreadable one replaced.

    Returns:
        What was dropped (for the rebuild report), or None.
    """
    found = list(found)
    try:
        old = read_listings(store)
    except InputError:
        old = None
    new = merged_listings(old or {}, found)
    if new != old and (new or old is None):
        store.write_json(store.listings_path, {"version": VERSION, "months": new})
    if old is None:
        return (f"{store.listings_path}: unreadable month list sizes (those the raw files tell "
                "were written again)")
    return None


def listing_size(record: dict) -> int:
    """The number of papers a month listed: distinct papers when counted, else its entries."""
    papers = record.get("papers")
    return int(papers if papers is not None else record.get("entries") or 0)


def coverage_table(lf: pl.LazyFrame | pl.DataFrame, listings: dict[str, dict]) -> pl.DataFrame:
    """Per month: papers in the store, per source, the full list's size and the share held.

    Args:
        lf: the paper table (``listed`` and ``sources`` are read).
        listings: :func:`read_listings` of the store.

    Returns:
        ``month`` (``YYYY-MM``), ``papers`` (listed that month, all sources), ``listing`` (the
        month's list size, null when unknown), ``share`` (of the list the store holds, at most
        1), ``status`` (complete, partial or unknown), ``listing_read_at``, then one count
        column per source (papers that source saw, by their listing month). Months run from
        the first to the last with papers or a known list, none skipped.
    """
    listed = lf.lazy().filter(pl.col("listed").is_not_null()).select(
        pl.col("listed").dt.strftime("%Y-%m").alias("month"), "sources")
    per_month = listed.group_by("month").agg(pl.len().cast(pl.Int64).alias("papers")).collect()
    per_source = (listed.explode("sources").group_by("month", "sources").len()
                  .collect().pivot("sources", index="month", values="len"))
    names = sorted(c for c in per_source.columns if c != "month" and c != "null")
    months = sorted(set(per_month["month"].to_list()) | set(listings))
    axis = pl.DataFrame({"month": _all_months(months)}, schema={"month": pl.Utf8()})
    sizes = pl.DataFrame(
        {"month": list(listings), "listing": [listing_size(r) for r in listings.values()],
         "listing_read_at": [r.get("read_at") for r in listings.values()]},
        schema={"month": pl.Utf8(), "listing": pl.Int64(), "listing_read_at": pl.Utf8()})
    out = (axis.join(per_month, on="month", how="left")
           .join(sizes, on="month", how="left")
           .join(per_source.select("month", *names), on="month", how="left")
           .with_columns(pl.col("papers", *names).fill_null(0).cast(pl.Int64)))
    share = pl.min_horizontal(pl.col("papers"), pl.col("listing")) / pl.col("listing")
    status = (pl.when(pl.col("listing").is_null()).then(pl.lit(UNKNOWN))
              .when(pl.col("papers") < pl.col("listing")).then(pl.lit(PARTIAL))
              .otherwise(pl.lit(COMPLETE)))
    return out.with_columns(
        share=pl.when(pl.col("listing") > 0).then(share.round(4)).otherwise(None),
        status=status,
    ).select("month", "papers", "listing", "share", "status", "listing_read_at", *names)


def _all_months(months: list[str]) -> list[str]:
    """Every ``YYYY-MM`` from the first to the last of ``months`` (sorted input)."""
    if not months:
        return []
    year, month = int(months[0][:4]), int(months[0][5:7])
    out = []
    while (text := f"{year:04d}-{month:02d}") <= months[-1]:
        out.append(text)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def store_coverage(store: Store) -> pl.DataFrame:
    """:func:`coverage_table` of a store."""
    return coverage_table(store.scan_papers(), read_listings(store))


def partial_months(table: pl.DataFrame) -> tuple[str, ...]:
    """The months a coverage table marks partial, oldest first."""
    if table.height == 0:
        return ()
    return tuple(table.filter(pl.col("status") == PARTIAL)["month"].to_list())


def as_records(table: pl.DataFrame) -> list[dict]:
    """The table as JSON-ready records, the per-source counts nested under ``sources``."""
    fixed = ["month", "papers", "listing", "share", "status", "listing_read_at"]
    names = [c for c in table.columns if c not in fixed]
    out = []
    for row in table.iter_rows(named=True):
        rec = {k: row[k] for k in fixed}
        rec["sources"] = {n: row[n] for n in names}
        out.append(rec)
    return out


def months_of(day: dt.date, period_end: dt.date) -> list[str]:
    """The ``YYYY-MM`` of every month that the days ``day`` .. ``period_end`` touch."""
    return _all_months([day.strftime("%Y-%m"), period_end.strftime("%Y-%m")])


def partial_flags(periods: pl.Series, every: str, months: Iterable[str]) -> pl.Series:
    """For each period start, whether the period touches a partial month.

    Args:
        periods: first days of the periods (Date).
        every: the Polars duration of one period (``1mo``, ``1w``, ...).
        months: the partial months (``YYYY-MM``).
    """
    bad = set(months)
    if not bad:
        return pl.Series("partial", [False] * periods.len(), dtype=pl.Boolean())
    ends = periods.dt.offset_by(every) - dt.timedelta(days=1)
    flags = [start is not None and any(m in bad for m in months_of(start, end))
             for start, end in zip(periods.to_list(), ends.to_list(), strict=True)]
    return pl.Series("partial", flags, dtype=pl.Boolean())


def describe_partial(months: Iterable[str], limit: int = 6) -> str:
    """``2025-03, 2025-05 and 3 more`` for a caption."""
    months = list(months)
    shown = ", ".join(months[:limit])
    return shown + (f" and {len(months) - limit} more" if len(months) > limit else "")
