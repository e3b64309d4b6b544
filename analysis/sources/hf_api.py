"""Hugging Face Daily Papers API responses (`/api/daily_papers?date=YYYY-MM-DD`).

A response is a JSON list of entries ``{paper: {id, title, summary, authors, publishedAt,
upvotes, ai_keywords?, submittedOnDailyAt?, organization?}, publishedAt, title, summary,
organization?, ...}``. Some crawlers wrap it as ``{status, date, count, data: [...]}``; that
wrapper is accepted too.

The listing day of an entry is, in order: the day in the file name (``2025-06-13.json``),
``paper.submittedOnDailyAt``, the top-level ``publishedAt``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import polars as pl

from analysis.schema import InputError, Problems
from analysis.sources.common import (
    check_date,
    check_id,
    check_names,
    check_text,
    check_upvotes,
    checked_rows,
    decode,
    to_frame,
)

SOURCE = "hf-daily-api"
_FILE_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})")


def listing_date_from_name(name: str) -> dt.date | None:
    """The listing day encoded in a daily file name such as 2025-06-13.json (else None)."""
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
) -> pl.DataFrame:
    """One API response body -> canonical rows.

    Args:
        data: the response body (bytes are decoded as UTF-8).
        file: name used in messages (a path, a URL or ``<stdin>``).
        listed: the listing day of every entry, when known (e.g. the requested date).
        problems: bad entries are added here; the good ones are returned.
        notes: messages about values that were changed (e.g. cut to the length cap).

    Raises:
        InputError: the whole body is unusable (empty, not JSON, an HTML page, an error object).
    """
    text = decode(data, file=file)
    entries = entries_of(load_json(text, file=file), file=file)
    return parse_entries(entries, file=file, listed=listed, problems=problems, notes=notes)


def parse_entry_lines(
    data: bytes | str,
    *,
    file: str,
    listed: dt.date | None,
    problems: Problems,
    notes: list[str] | None = None,
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
    return _frame(labelled, file=file, listed=listed, problems=problems, notes=notes)


def parse_entries(
    entries: list,
    *,
    file: str,
    listed: dt.date | None,
    problems: Problems,
    notes: list[str] | None = None,
) -> pl.DataFrame:
    """Map API entries to canonical rows; bad entries go to problems."""
    labelled = [(f"entry {i}", entry) for i, entry in enumerate(entries)]
    return _frame(labelled, file=file, listed=listed, problems=problems, notes=notes)


def _frame(labelled: list[tuple[str, object]], *, file: str, listed: dt.date | None,
           problems: Problems, notes: list[str] | None) -> pl.DataFrame:
    rows = checked_rows(labelled, lambda entry, changed: _row(entry, listed, changed),
                        file=file, problems=problems, notes=notes)
    return to_frame(rows)


def _row(entry: object, listed: dt.date | None, notes: list[str]) -> dict:
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
    return {
        "paper_id": pid,
        "title": title,
        "abstract": abstract,
        "published": check_date(paper.get("publishedAt"), "paper.publishedAt"),
        "listed": listed,
        "upvotes": check_upvotes(paper.get("upvotes"), "paper.upvotes"),
        "authors": check_names(paper.get("authors"), "paper.authors", "author"),
        "n_authors": None,
        "organization": check_text(org_name, "organization", "organization", notes),
        "keywords": check_names(paper.get("ai_keywords"), "paper.ai_keywords", "keyword"),
        "source": SOURCE,
    }
