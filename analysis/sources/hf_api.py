"""Hugging Face Daily Papers API responses (`/api/daily_papers?date=YYYY-MM-DD`)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import polars as pl

from analysis.schema import MAX_ITEMS, MAX_LEN, InputError, Problems, clean_text

SOURCE = "hf-daily-api"
_FILE_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})")


def _date(value: object) -> dt.date | None:
    if not value:
        return None
    return dt.date.fromisoformat(str(value)[:10])


def listing_date_from_name(name: str) -> dt.date | None:
    """The listing day encoded in a daily file name such as 2025-06-13.json."""
    m = _FILE_DATE.search(Path(name).name)
    if not m:
        return None
    try:
        return dt.date.fromisoformat(m.group(1))
    except ValueError:
        return None


def parse_entries(entries: list, *, file: str, listed: dt.date | None, problems: Problems) -> list[dict]:
    """Map API entries to canonical rows; bad entries go to problems."""
    rows = []
    for i, entry in enumerate(entries):
        try:
            rows.append(_row(entry, listed))
        except InputError as err:
            err.file, err.entry = file, f"entry {i}"
            problems.add(err)
    return rows


def _row(entry: object, listed: dt.date | None) -> dict:
    if not isinstance(entry, dict) or not isinstance(entry.get("paper"), dict):
        raise InputError("expected an object with a 'paper' object", field="paper")
    paper = entry["paper"]
    pid = clean_text(paper.get("id"), 64)
    if not pid:
        raise InputError("missing arXiv id", field="paper.id")
    title = clean_text(paper.get("title") or entry.get("title"), MAX_LEN["title"])
    if not title:
        raise InputError("missing title", field="paper.title")
    org = entry.get("organization") or paper.get("organization") or {}
    org_name = org.get("fullname") or org.get("name") if isinstance(org, dict) else None
    authors = [
        clean_text(a.get("name"), MAX_LEN["author"])
        for a in paper.get("authors") or []
        if isinstance(a, dict) and a.get("name")
    ][:MAX_ITEMS]
    keywords = [clean_text(k, MAX_LEN["keyword"]) for k in paper.get("ai_keywords") or []]
    if listed is None:
        listed = _date(paper.get("submittedOnDailyAt") or entry.get("publishedAt"))
    return {
        "paper_id": pid,
        "title": title,
        "abstract": clean_text(paper.get("summary") or entry.get("summary"), MAX_LEN["abstract"]),
        "published": _date(paper.get("publishedAt")),
        "listed": listed,
        "upvotes": paper.get("upvotes"),
        "authors": [a for a in authors if a],
        "organization": clean_text(org_name, MAX_LEN["organization"]),
        "keywords": [k for k in keywords if k][:MAX_ITEMS],
        "source": SOURCE,
    }


def to_frame(rows: list[dict]) -> pl.DataFrame:
    from analysis.schema import SCHEMA, validate

    return validate(pl.DataFrame(rows, schema={k: v for k, v in SCHEMA.items() if k != "n_authors"}))
