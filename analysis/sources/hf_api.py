"""Hugging Face Daily Papers API responses: a day's list (``?date=``) or a month's (``?month=``).

A response is a JSON list of entries ``{paper: {id, title, summary, authors, publishedAt,
upvotes, ai_keywords?, submittedOnDailyAt?, organization?}, publishedAt, title, summary,
organization?, ...}``. Some crawlers wrap it as ``{status, date, count, data: [...]}``; that
wrapper is accepted too.

Day lists (source ``hf-daily-api``): the listing day of an entry is, in order, the day asked
for (the day in the file name, ``2025-06-13.json``), ``paper.submittedOnDailyAt``, the top-level
``publishedAt``. Month lists (source ``hf-month-api``; files named ``2025-08.json``,
``2025-08.p1.json`` or the archive's ``daily_papers_2025-08.json``): the listing day is
``paper.submittedOnDailyAt`` only - the top-level ``publishedAt`` of a month list is not the
listing moment.

When the upvote count was read (``upvotes_at``): the moment given by the caller (a fetch's
response time, an archive's ``fetched_at``); without one, a day list's listing day (the
early-day crawler read its lists on the listing day) and null for a month list.

The archive's own ``index.json`` (``{fetched_at, monthly_files: [{month, count}]}``) holds no
papers: :func:`read_index` reads its read time and the size of every month's list.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from analysis.names import iso
from analysis.schema import InputError, Problems
from analysis.sources.common import (
    check_date,
    check_id,
    check_moment,
    check_names,
    check_text,
    check_upvotes,
    checked_rows,
    decode,
    to_frame,
)

SOURCE = "hf-daily-api"
MONTH_SOURCE = "hf-month-api"
INDEX_NAME = "index.json"
_FILE_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})")
#: ``2025-08.json``, ``2025-08.p1.json``, ``daily_papers_2025-08.json``, and the copies a store
#: keeps of ingested files (``<16 hex digits>.daily_papers_2025-08.json``).
_MONTH_FILE = re.compile(
    r"^(?:[0-9a-f]{16}\.)?(?:daily_papers_)?(\d{4}-(?:0[1-9]|1[0-2]))(?:\.p\d+)?\.json$")


@dataclass(frozen=True)
class MonthListing:
    """What one reading of a month's list said about its size.

    Attributes:
        month: ``YYYY-MM``.
        entries: how many entries the list held (a paper listed twice counts twice).
        papers: how many distinct papers (None when only a count is known, as in an index).
        read_at: when the list was read (ISO UTC text; None when unknown).
        origin: the file it came from.
    """

    month: str
    entries: int
    papers: int | None
    read_at: str | None
    origin: str

    def as_dict(self) -> dict:
        """The record as JSON-ready values (the month is the key it is stored under)."""
        return {"entries": self.entries, "papers": self.papers, "read_at": self.read_at,
                "origin": self.origin}


def month_from_name(name: str) -> str | None:
    """The month of a month-list file name (``2025-08.json``, ``daily_papers_2025-08.json``)."""
    m = _MONTH_FILE.match(Path(name).name)
    if not m:
        return None
    year, month = int(m.group(1)[:4]), int(m.group(1)[5:])
    return m.group(1) if year >= 1990 and 1 <= month <= 12 else None


def is_index(obj: object) -> bool:
    """Whether a parsed JSON object is an archive index (``monthly_files`` and ``fetched_at``)."""
    return isinstance(obj, dict) and isinstance(obj.get("monthly_files"), list)


def read_index(obj: object, *, file: str) -> tuple[dt.datetime | None, list[MonthListing]]:
    """An archive index -> (its read time, the size of each month's list).

    Raises:
        InputError: the index is not an object with a list ``monthly_files`` of
            ``{month, count}`` objects, or its ``fetched_at`` is not a moment.
    """
    if not is_index(obj):
        raise InputError("expected an archive index with 'monthly_files'", file=file,
                         field="monthly_files")
    assert isinstance(obj, dict)
    read_at = check_moment(obj.get("fetched_at"), "fetched_at")
    out = []
    for i, item in enumerate(obj["monthly_files"]):
        month = item.get("month") if isinstance(item, dict) else None
        count = item.get("count") if isinstance(item, dict) else None
        if not isinstance(month, str) or month_from_name(f"{month}.json") != month:
            raise InputError(f"expected a month YYYY-MM, got {str(month)[:20]!r}", file=file,
                             entry=f"monthly_files {i}", field="month")
        try:
            entries = check_upvotes(count, "count")
        except InputError as err:
            err.file, err.entry = file, f"monthly_files {i}"
            raise
        if entries is None:
            continue
        out.append(MonthListing(month, entries, None, iso(read_at), Path(file).name))
    return read_at, out


def sibling_index_read_at(file: str) -> dt.datetime | None:
    """The ``fetched_at`` of the archive index next to a month file (None without one)."""
    path = Path(file).with_name(INDEX_NAME)
    if not path.is_file() or path == Path(file):
        return None
    try:
        obj = json.loads(path.read_bytes())
        return read_index(obj, file=str(path))[0]
    except (InputError, ValueError, OSError):
        return None


def month_listing(entries: list, *, month: str, read_at: dt.datetime | None,
                  origin: str) -> MonthListing:
    """The size of a month's list from its entries (all pages of it)."""
    ids = {str(e["paper"].get("id")) for e in entries
           if isinstance(e, dict) and isinstance(e.get("paper"), dict) and e["paper"].get("id")}
    return MonthListing(month, len(entries), len(ids), iso(read_at), Path(origin).name)


def listing_date_from_name(name: str) -> dt.date | None:
    """The listing day encoded in a daily file name such as 2025-06-13.json (else None).

    A name with an implausible day (``2030-01-16.json``) gives None: each entry's own
    listing day is used then, and checked.
    """
    m = _FILE_DATE.search(Path(name).name)
    if not m:
        return None
    try:
        day = check_date(m.group(1), "file name")
    except InputError:
        return None
    return day


def load_json(text: str, *, file: str) -> object:
    """Parse JSON text, turning every failure into a one-line InputError."""
    stripped = text.strip()
    if not stripped:
        raise InputError("file is empty", file=file, hint="check the download and try again")
    if stripped.startswith("<"):
        raise InputError(
            "looks like an HTML or XML page, not JSON (an error page saved as a file?)",
            file=file,
            hint="download the API response again",
        )
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"not valid JSON (truncated or damaged?): {exc.msg} at column {exc.colno}",
            file=file,
            entry=f"line {exc.lineno}",
            hint="download the file again",
        ) from None
    except RecursionError:
        raise InputError("JSON nested too deeply", file=file) from None


def entries_of(obj: object, *, file: str) -> list:
    """The list of entries in a parsed response, or an InputError saying what was found."""
    if isinstance(obj, list):
        return obj
    if isinstance(obj, dict):
        if "error" in obj:
            msg = obj.get("error")
            msg = msg if isinstance(msg, str) else json.dumps(msg)[:200]
            raise InputError(
                f"the API returned an error instead of papers: {msg[:200]!r}",
                file=file,
                field="error",
                hint="fetch that day again later",
            )
        if isinstance(obj.get("data"), list):
            return obj["data"]
        if isinstance(obj.get("paper"), dict):
            return [obj]
        keys = ", ".join(sorted(map(str, obj))[:6]) or "none"
        raise InputError(
            f"expected a JSON list of daily-paper entries, got an object with keys {keys}",
            file=file,
        )
    raise InputError(
        f"expected a JSON list of daily-paper entries, got {type(obj).__name__}", file=file
    )


def parse_response(
    data: bytes | str,
    *,
    file: str,
    listed: dt.date | None,
    problems: Problems,
    notes: list[str] | None = None,
    month: str | None = None,
    read_at: dt.datetime | None = None,
) -> pl.DataFrame:
    """One API response body -> canonical rows.

    Args:
        data: the response body (bytes are decoded as UTF-8).
        file: name used in messages (a path, a URL or ``<stdin>``).
        listed: the listing day of every entry of a day's list, when known (the date asked for).
        problems: bad entries are added here; the good ones are returned.
        notes: messages about values that were changed (e.g. cut to the length cap).
        month: ``YYYY-MM`` when the body is (a page of) a month's list.
        read_at: when the upvote counts were read (see the module docstring for the default).

    Raises:
        InputError: the whole body is unusable (empty, not JSON, an HTML page, an error object).
    """
    text = decode(data, file=file)
    entries = entries_of(load_json(text, file=file), file=file)
    return parse_entries(entries, file=file, listed=listed, problems=problems, notes=notes,
                         month=month, read_at=read_at)


def parse_entry_lines(
    data: bytes | str,
    *,
    file: str,
    listed: dt.date | None,
    problems: Problems,
    notes: list[str] | None = None,
    month: str | None = None,
    read_at: dt.datetime | None = None,
) -> pl.DataFrame:
    """API entries saved as JSON Lines (one entry per line); bad lines go to problems."""
    text = decode(data, file=file)
    labelled = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            labelled.append((f"line {n}", json.loads(line)))
        except (json.JSONDecodeError, RecursionError):
            problems.add(InputError("not valid JSON", file=file, entry=f"line {n}"))
    return _frame(labelled, file=file, listed=listed, problems=problems, notes=notes,
                  month=month, read_at=read_at)


def parse_entries(
    entries: list,
    *,
    file: str,
    listed: dt.date | None,
    problems: Problems,
    notes: list[str] | None = None,
    month: str | None = None,
    read_at: dt.datetime | None = None,
) -> pl.DataFrame:
    """Map API entries to canonical rows; bad entries go to problems (see parse_response)."""
    labelled = [(f"entry {i}", entry) for i, entry in enumerate(entries)]
    return _frame(labelled, file=file, listed=listed, problems=problems, notes=notes,
                  month=month, read_at=read_at)


def _frame(labelled: list[tuple[str, object]], *, file: str, listed: dt.date | None,
           problems: Problems, notes: list[str] | None, month: str | None,
           read_at: dt.datetime | None) -> pl.DataFrame:
    def row(entry: object, changed: list[str]) -> dict:
        if month is not None:
            return _month_row(entry, read_at, changed)
        return _row(entry, listed, read_at, changed)

    return to_frame(checked_rows(labelled, row, file=file, problems=problems, notes=notes))


def _month_row(entry: object, read_at: dt.datetime | None, notes: list[str]) -> dict:
    """A month list's entry: listed on ``paper.submittedOnDailyAt``, read at ``read_at``."""
    paper = entry.get("paper") if isinstance(entry, dict) else None
    day = check_date(paper.get("submittedOnDailyAt"), "paper.submittedOnDailyAt") if (
        isinstance(paper, dict)) else None
    if isinstance(paper, dict) and day is None:
        raise InputError("missing listing day", field="paper.submittedOnDailyAt",
                         hint="a month list names each paper's day in submittedOnDailyAt")
    row = _row(entry, day, read_at, notes)
    row["source"] = MONTH_SOURCE
    row["upvotes_at"] = read_at
    return row


def _row(entry: object, listed: dt.date | None, read_at: dt.datetime | None,
         notes: list[str]) -> dict:
    if not isinstance(entry, dict):
        raise InputError(
            f"expected an object with a 'paper' object, got {type(entry).__name__}", field="paper"
        )
    paper = entry.get("paper")
    if not isinstance(paper, dict):
        raise InputError("expected an object with a 'paper' object", field="paper")
    pid = check_id(paper.get("id"), "paper.id")
    if not pid:
        raise InputError("missing arXiv id", field="paper.id")
    title = check_text(paper.get("title") or entry.get("title"), "paper.title", "title", notes)
    if not title:
        raise InputError("missing title", field="paper.title")
    abstract = check_text(
        paper.get("summary") or entry.get("summary"), "paper.summary", "abstract", notes
    )
    org = entry.get("organization") or paper.get("organization")
    org_name = (org.get("fullname") or org.get("name")) if isinstance(org, dict) else org
    if listed is None:
        listed = check_date(paper.get("submittedOnDailyAt"), "paper.submittedOnDailyAt")
    if listed is None:
        listed = check_date(entry.get("publishedAt"), "publishedAt")
    if read_at is None and listed is not None:  # the early-day crawler read on the listing day
        read_at = dt.datetime(listed.year, listed.month, listed.day, tzinfo=dt.UTC)
    return {
        "paper_id": pid,
        "title": title,
        "abstract": abstract,
        "published": check_date(paper.get("publishedAt"), "paper.publishedAt"),
        "listed": listed,
        "upvotes": check_upvotes(paper.get("upvotes"), "paper.upvotes"),
        "upvotes_at": read_at,
        "authors": check_names(paper.get("authors"), "paper.authors", "author"),
        "n_authors": None,
        "organization": check_text(org_name, "organization", "organization", notes),
        "keywords": check_names(paper.get("ai_keywords"), "paper.ai_keywords", "keyword"),
        "source": SOURCE,
    }
