"""Input sources, each mapping one format into the canonical paper table.

:func:`detect` tells the format from the content (the file name only breaks ties), and
:func:`parse` dispatches to the module for that format:

- ``hf-api``: Hugging Face Daily Papers API responses (:mod:`analysis.sources.hf_api`), a day's
  list or a month's (told by the file name); ``hf-api-lines``: the same entries saved one JSON
  object per line; ``hf-month-index``: a month archive's ``index.json`` (no papers, only the
  size of each month's list and when it was read)
- ``page-dump``: text copied from a Hugging Face papers page (:mod:`analysis.sources.page_dump`)
- ``csv``, ``parquet``, ``jsonl``, ``json-records``: tables (:mod:`analysis.sources.tables`)
"""

from __future__ import annotations

import datetime as dt
import json

import polars as pl

from analysis.schema import InputError, Problems
from analysis.sources import hf_api, page_dump, tables
from analysis.sources.common import decode, to_frame

FORMATS = ("hf-api", "hf-api-lines", "hf-month-index", "page-dump", "csv", "parquet", "jsonl",
           "json-records")


def detect(data: bytes, *, file: str) -> str:
    """The format of a file's bytes, or an InputError saying it is empty or unknown."""
    return _detect(data, file=file)[0]


def _detect(data: bytes, *, file: str) -> tuple[str, list | dict | None]:
    """The format, and the parsed JSON when detection had to parse it (so it is parsed once)."""
    if not data.strip():
        raise InputError("file is empty", file=file, hint="check the file and try again")
    if data[:4] == b"PAR1":
        return "parquet", None
    text = decode(data, file=file)
    head = text.lstrip()
    if head.startswith("<"):
        raise InputError(
            "looks like an HTML or XML page, not paper data (an error page saved as a file?)",
            file=file,
            hint="download the data again",
        )
    if head.startswith("["):
        return _json_list_kind(text)
    if head.startswith("{"):
        first = head.split("\n", 1)[0].strip()
        try:
            obj = json.loads(first)
        except (json.JSONDecodeError, RecursionError):
            return _json_object_kind(text)  # a multi-line object
        if isinstance(obj, dict) and ("error" in obj or "data" in obj or "paper" in obj) and (
            "\n" not in head.strip()
        ):
            return "hf-api", None
        if isinstance(obj, dict) and isinstance(obj.get("paper"), dict):
            return "hf-api-lines", None  # API entries saved one per line
        return "jsonl", None
    if page_dump.looks_like_page_dump(text):
        return "page-dump", None
    first = head.split("\n", 1)[0]
    if ("," in first or "\t" in first) and len(first) < 10_000:
        return "csv", None
    if first.strip() in ("title", "paper_id"):  # a one-column table
        return "csv", None
    raise InputError(
        "unknown format",
        file=file,
        hint="expected Daily Papers API JSON, a papers page text dump, CSV, Parquet or JSON Lines",
    )


def _json_object_kind(text: str) -> tuple[str, dict | None]:
    """A multi-line JSON object: an archive index, or for the API parser to say what is wrong."""
    try:
        obj = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return "hf-api", None
    if hf_api.is_index(obj):
        return "hf-month-index", obj
    return "hf-api", None


def _json_list_kind(text: str) -> tuple[str, list | None]:
    """A JSON list: API entries ({paper: ...}) or flat records ({title: ...}), and the list."""
    try:
        obj = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return "hf-api", None  # the API parser reports where the JSON breaks
    if not isinstance(obj, list):
        return "hf-api", None
    first = next((e for e in obj if isinstance(e, dict)), None)
    if first is not None and "paper" not in first and "title" in first:
        return "json-records", obj
    return "hf-api", obj


def parse(
    data: bytes,
    *,
    file: str,
    fmt: str | None = None,
    reference_date: dt.date | None = None,
    mapping: dict[str, str] | None = None,
    listed: dt.date | None = None,
    problems: Problems,
    notes: list[str] | None = None,
    listings: list[hf_api.MonthListing] | None = None,
    read_at: dt.datetime | None = None,
) -> tuple[str, pl.DataFrame]:
    """Bytes of one file -> (format, canonical frame). Bad entries go to ``problems``.

    A month's list (or an archive index) also adds the size of each month's list to
    ``listings``, when given. ``read_at`` is when an API response was read (default: see
    :mod:`analysis.sources.hf_api`).

    Raises:
        InputError: the file as a whole cannot be used.
    """
    parsed: list | dict | None = None  # the JSON detection already parsed, if any
    if fmt is None:
        fmt, parsed = _detect(data, file=file)
    mapping = mapping or {}
    if mapping and fmt not in ("csv", "parquet", "jsonl", "json-records"):
        raise InputError(f"--map applies to tables, but this file is {fmt}", file=file,
                         field="--map", hint="leave out --map for this file")
    month = hf_api.month_from_name(file) if listed is None else None
    if read_at is None and month:
        read_at = hf_api.sibling_index_read_at(file)
    if fmt == "hf-api":
        if listed is None and month is None:
            listed = hf_api.listing_date_from_name(file)
        entries = parsed if isinstance(parsed, list) else hf_api.entries_of(
            hf_api.load_json(decode(data, file=file), file=file), file=file)
        frame = hf_api.parse_entries(entries, file=file, listed=listed, problems=problems,
                                     notes=notes, month=month, read_at=read_at)
        if month is not None and listings is not None:
            listings.append(hf_api.month_listing(entries, month=month, read_at=read_at,
                                                 origin=file))
    elif fmt == "hf-api-lines":
        if listed is None and month is None:
            listed = hf_api.listing_date_from_name(file)
        frame = hf_api.parse_entry_lines(data, file=file, listed=listed, problems=problems,
                                         notes=notes, month=month, read_at=read_at)
    elif fmt == "hf-month-index":
        index = parsed if parsed is not None else hf_api.load_json(decode(data, file=file),
                                                                    file=file)
        _read_at, found = hf_api.read_index(index, file=file)
        if listings is not None:
            listings.extend(found)
        frame = to_frame([])
    elif fmt == "page-dump":
        frame = page_dump.parse_page_dump(data, file=file, reference_date=reference_date,
                                          problems=problems, notes=notes)
    elif fmt == "csv":
        frame = tables.parse_csv(data, file=file, mapping=mapping, problems=problems, notes=notes)
    elif fmt == "parquet":
        frame = tables.parse_parquet(data, file=file, mapping=mapping, problems=problems,
                                     notes=notes)
    elif fmt == "jsonl":
        frame = tables.parse_jsonl(data, file=file, mapping=mapping, problems=problems,
                                   notes=notes)
    elif fmt == "json-records":
        records = parsed if parsed is not None else json.loads(decode(data, file=file))
        pairs, header = [], {}
        for i, rec in enumerate(records):
            if isinstance(rec, dict):
                header.update(dict.fromkeys(map(str, rec)))
                pairs.append((f"entry {i}", rec))
            else:
                problems.add(InputError(f"expected an object, got {type(rec).__name__}",
                                        file=file, entry=f"entry {i}"))
        frame = tables.records_frame(pairs, list(header), file=file, mapping=mapping,
                                     source="json", problems=problems, notes=notes)
    else:
        raise InputError(f"unknown format {fmt!r}", file=file,
                         hint="use one of " + ", ".join(FORMATS))
    return fmt, frame
