"""Helpers every source shares: decoding bytes, checking field values, building the frame.

Field checkers raise :class:`~analysis.schema.InputError` naming the field; the source that
calls them adds the file and the entry or line.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

import polars as pl

from analysis.schema import (
    MAX_ITEMS,
    MAX_LEN,
    SCHEMA,
    InputError,
    Problems,
    clean_text,
    normalise_title,
    plausible,
    validate,
)

#: Longest paper id kept (arXiv ids are ~10-20 characters).
MAX_ID_LEN = 200
#: Upvote counts above this are treated as bad values.
MAX_UPVOTES = 10_000_000

_ISO_DAY = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})")
#: One raw entry of a source, as :func:`checked_rows` hands it to the row builder.
Entry = TypeVar("Entry")


def decode(data: bytes | str, *, file: str) -> str:
    """Bytes -> text (UTF-8, a BOM dropped), or an InputError naming the byte offset.

    Text passes through unchanged.
    """
    if isinstance(data, str):
        return data
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(
            f"not valid UTF-8 (bad byte 0x{data[exc.start]:02x} at offset {exc.start})",
            file=file,
            entry=f"line {line}",
            hint="save the file as UTF-8 and try again",
        ) from None
    return text.removeprefix("\ufeff")


def title_id(title: str) -> str:
    """A stable id for a paper known only by its title (e.g. from a page dump)."""
    key = normalise_title(title)
    return "title:" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def check_text(
    value: object, field: str, cap_key: str, notes: list[str] | None = None
) -> str | None:
    """A text field: strings (and plain numbers) pass; lists, objects and the like do not."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InputError(f"expected text, got {type(value).__name__}", field=field)
    if isinstance(value, float) and math.isnan(value):
        return None
    cap = MAX_LEN[cap_key]
    if notes is not None and len(str(value)) > cap:
        notes.append(f"field '{field}': {len(str(value)):,} characters, cut to {cap:,}")
    return clean_text(value, cap)


_ID_PREFIX = re.compile(
    r"^(?:arxiv:|https?://(?:www\.)?(?:arxiv\.org/(?:abs|pdf)/|huggingface\.co/papers/))",
    re.IGNORECASE,
)
_ARXIV_VERSION = re.compile(r"^(\d{4}\.\d{4,5})v\d+$")


def normalise_id(text: str) -> str:
    """``arXiv:2404.07413v2`` or an arXiv / Hugging Face link -> ``2404.07413``."""
    text = _ID_PREFIX.sub("", text.strip())
    text = text.removesuffix(".pdf")
    m = _ARXIV_VERSION.match(text)
    return m.group(1) if m else text


def check_id(value: object, field: str = "paper_id") -> str | None:
    """A paper id: text without spaces, not absurdly long; arXiv forms are normalised."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InputError(f"expected an id, got {type(value).__name__}", field=field)
    text = clean_text(value, 10 * MAX_ID_LEN)
    if text and (len(text) > MAX_ID_LEN or " " in text):
        raise InputError("not a paper id (too long or contains spaces)", field=field)
    return normalise_id(text) or None if text else None


def check_upvotes(value: object, field: str = "upvotes") -> int | None:
    """An upvote count: a whole number >= 0; empty -> None; "many", NaN, -3, 2.5 -> error."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise InputError(f"expected a whole number, got {value!r}", field=field)
    number: float | int
    if isinstance(value, int | float):
        number = value
    elif isinstance(value, str):
        try:
            number = float(value.strip()) if "." in value or "e" in value.lower() else int(value)
        except ValueError:
            raise InputError(f"expected a whole number, got {value[:40]!r}", field=field) from None
    else:
        raise InputError(f"expected a whole number, got {type(value).__name__}", field=field)
    if isinstance(number, float):
        if math.isnan(number) or math.isinf(number) or number != int(number):
            raise InputError(f"expected a whole number, got {value!r}", field=field)
        number = int(number)
    if not 0 <= number <= MAX_UPVOTES:
        raise InputError(f"upvote count {number} is out of range", field=field)
    return number


def check_date(value: object, field: str) -> dt.date | None:
    """A day from 'YYYY-MM-DD...' text or a date; empty -> None.

    Raises:
        InputError: not a date, or not plausible (before 1990 or after tomorrow, UTC).
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime):
        day = value.date()
    elif isinstance(value, dt.date):
        day = value
    elif isinstance(value, str):
        m = _ISO_DAY.match(value)
        if not m:
            raise InputError(f"expected a date YYYY-MM-DD, got {value[:40]!r}", field=field)
        try:
            day = dt.date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            raise InputError(f"not a real date: {value[:40]!r}", field=field) from None
    else:
        raise InputError(f"expected a date, got {type(value).__name__}", field=field)
    return plausible(day, field)


def check_moment(value: object, field: str) -> dt.datetime | None:
    """A UTC moment from ISO text (``2026-06-26T11:52:01Z``) or a datetime; empty -> None.

    A moment without a zone is taken as UTC; a plain day as its midnight (UTC).

    Raises:
        InputError: not a moment, or its day is not plausible (see :func:`check_date`).
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise InputError(f"expected a moment such as 2026-06-26T11:52:01Z, got "
                             f"{value[:40]!r}", field=field) from None
    else:
        raise InputError(f"expected a moment, got {type(value).__name__}", field=field)
    moment = moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)
    plausible(moment.date(), field)
    return moment.replace(microsecond=0)


def check_names(value: object, field: str, cap_key: str) -> list[str]:
    """A list of names: a JSON list of strings, or text separated by ';'."""
    if value is None:
        return []
    if isinstance(value, str):
        items: Sequence[object] = value.split(";")
    elif isinstance(value, list | tuple):
        items = list(value)
    elif isinstance(value, pl.Series):
        items = value.to_list()
    else:
        raise InputError(f"expected a list of names, got {type(value).__name__}", field=field)
    out = []
    for item in items[:MAX_ITEMS]:
        if item is None:
            continue
        if isinstance(item, dict):  # API author objects {name: ...}
            item = item.get("name")
        if not isinstance(item, str):
            raise InputError(f"expected names as text, got {type(item).__name__}", field=field)
        name = clean_text(item, MAX_LEN[cap_key])
        if name:
            out.append(name)
    return out


def check_count(value: object, field: str) -> int | None:
    """A small non-negative whole number (n_authors)."""
    number = check_upvotes(value, field)
    if number is not None and number > 100_000:
        raise InputError(f"count {number} is out of range", field=field)
    return number


def to_frame(rows: list[dict]) -> pl.DataFrame:
    """Canonical rows (dicts with the canonical keys) -> a validated canonical frame."""
    if not rows:
        return validate(pl.DataFrame(schema=SCHEMA))
    frame = pl.DataFrame(rows, schema=SCHEMA, strict=False)
    return validate(frame)


def checked_rows(
    labelled: Iterable[tuple[str, Entry]],
    make_row: Callable[[Entry, list[str]], dict],
    *,
    file: str,
    problems: Problems,
    notes: list[str] | None,
) -> list[dict]:
    """(entry label, raw entry) pairs -> canonical rows, the bad entries left out.

    Args:
        labelled: each raw entry with its label for messages (``entry 3``, ``line 12``).
        make_row: builds one canonical row from an entry; it may append notes about values it
            changed to the list it is given, and raises InputError for a bad entry.
        file: name used in messages.
        problems: an InputError of an entry goes here, with ``file`` and the label set.
        notes: when given, each entry's notes are added as ``file: label: note``.
    """
    rows = []
    for label, entry in labelled:
        entry_notes: list[str] = []
        try:
            rows.append(make_row(entry, entry_notes))
        except InputError as err:
            err.file, err.entry = file, label
            problems.add(err)
            continue
        if notes is not None:
            notes.extend(f"{file}: {label}: {n}" for n in entry_notes)
    return rows
