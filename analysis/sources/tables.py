"""Tables of papers: CSV, Parquet and JSON Lines (or a JSON list of flat records).

Columns carry the canonical names (``paper_id, title, abstract, published, listed, upvotes,
upvotes_at, authors, n_authors, organization, keywords, source, sources``) or are renamed by a
mapping such as ``{"title": "Title", "abstract": "Summary"}`` (canonical name -> the table's
column). Only ``title`` is required; a row without ``paper_id`` gets an id derived from its
title. Lists (authors, keywords, sources) are lists in Parquet/JSON and ``;``-separated text in
CSV.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterable, Iterator

import polars as pl

from analysis.schema import SCHEMA, InputError, Problems
from analysis.sources.common import (
    check_count,
    check_date,
    check_id,
    check_moment,
    check_names,
    check_text,
    check_upvotes,
    checked_rows,
    decode,
    title_id,
    to_frame,
)

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


def parse_mapping(text: str | None) -> dict[str, str]:
    """``title=Title,abstract=Summary`` -> {"title": "Title", "abstract": "Summary"}."""
    if not text:
        return {}
    mapping: dict[str, str] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        name, sep, column = part.partition("=")
        name, column = name.strip(), column.strip()
        if not sep or not name or not column:
            raise InputError(f"bad --map item {part.strip()!r}", field="--map",
                             hint="write it as canonical=column, e.g. title=Title,abstract=Summary")
        if name not in SCHEMA:
            raise InputError(f"unknown canonical column {name!r} in --map", field="--map",
                             hint="use one of " + ", ".join(SCHEMA))
        mapping[name] = column
    return mapping


def _column_plan(header: list[str], mapping: dict[str, str], *, file: str) -> dict[str, str]:
    """Canonical name -> column of the table; checks duplicates and missing mapped columns."""
    seen: set[str] = set()
    for name in header:
        if name in seen:
            raise InputError("duplicate column name", file=file, entry="header", field=name,
                             hint="rename one of the columns")
        seen.add(name)
    for column in mapping.values():
        if column not in seen:
            raise InputError(f"--map names column {column!r}, which the table lacks",
                             file=file, entry="header", field=column,
                             hint="columns are: " + ", ".join(header[:20]))
    plan = {name: name for name in SCHEMA if name in seen}
    plan.update(mapping)
    if "title" not in plan:
        raise InputError("no 'title' column", file=file, entry="header", field="title",
                         hint="rename the column or pass --map title=YOURCOLUMN")
    return plan


def _row(record: dict, plan: dict[str, str], default_source: str, notes: list[str]) -> dict:
    get = {name: record.get(column) for name, column in plan.items()}
    title = check_text(get.get("title"), "title", "title", notes)
    if not title:
        raise InputError("missing title", field=plan["title"])
    pid = check_id(get.get("paper_id"), plan.get("paper_id", "paper_id")) or title_id(title)
    return {
        "paper_id": pid,
        "title": title,
        "abstract": check_text(get.get("abstract"), plan.get("abstract", "abstract"), "abstract",
                               notes),
        "published": check_date(get.get("published"), plan.get("published", "published")),
        "listed": check_date(get.get("listed"), plan.get("listed", "listed")),
        "upvotes": check_upvotes(get.get("upvotes"), plan.get("upvotes", "upvotes")),
        "upvotes_at": check_moment(get.get("upvotes_at"), plan.get("upvotes_at", "upvotes_at")),
        "authors": check_names(get.get("authors"), plan.get("authors", "authors"), "author"),
        "n_authors": check_count(get.get("n_authors"), plan.get("n_authors", "n_authors")),
        "organization": check_text(get.get("organization"),
                                   plan.get("organization", "organization"), "organization", notes),
        "keywords": check_names(get.get("keywords"), plan.get("keywords", "keywords"), "keyword"),
        "source": check_text(get.get("source"), "source", "organization", notes) or default_source,
        "sources": check_names(get.get("sources"), plan.get("sources", "sources"), "organization"),
    }


def rows_from_records(
    records: Iterable[tuple[str, dict]],
    header: list[str],
    *,
    file: str,
    mapping: dict[str, str],
    source: str,
    problems: Problems,
    notes: list[str] | None,
) -> pl.DataFrame:
    """(entry label, record) pairs -> canonical frame; bad records go to problems."""
    plan = _column_plan(header, mapping, file=file)
    rows = checked_rows(records, lambda record, changed: _row(record, plan, source, changed),
                        file=file, problems=problems, notes=notes)
    return to_frame(rows)


def parse_csv(data: bytes | str, *, file: str, mapping: dict[str, str], problems: Problems,
              notes: list[str] | None = None) -> pl.DataFrame:
    """A CSV (or tab-separated) table with a header row."""
    text = decode(data, file=file)
    if not text.strip():
        raise InputError("file is empty", file=file)
    first = text.lstrip("\r\n").split("\n", 1)[0]
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except csv.Error as exc:
        raise InputError(f"cannot read the header: {exc}", file=file, entry="line 1") from None
    header = [h.strip() for h in header]
    if not any(header):
        raise InputError("the first line is not a header", file=file, entry="line 1")
    records = list(_csv_records(reader, header, file=file, problems=problems))
    if not records and not len(problems):
        raise InputError("no rows below the header", file=file, entry="line 2",
                         hint="a CSV needs one row per paper")
    return rows_from_records(records, header, file=file, mapping=mapping, source="csv",
                             problems=problems, notes=notes)


def _csv_records(reader, header: list[str], *, file: str,
                 problems: Problems) -> Iterator[tuple[str, dict]]:
    start = reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InputError(f"cannot read CSV: {exc}", file=file,
                             entry=f"line {reader.line_num}") from None
        label = f"line {start}"
        start = reader.line_num + 1
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if len(row) != len(header):
            problems.add(InputError(f"has {len(row)} fields, the header has {len(header)}",
                                    file=file, entry=label, field=f"column {len(header) + 1}"
                                    if len(row) > len(header) else header[len(row)],
                                    hint="quote fields that contain commas"))
            continue
        yield label, dict(zip(header, row, strict=True))


def parse_parquet(data: bytes, *, file: str, mapping: dict[str, str], problems: Problems,
                  notes: list[str] | None = None) -> pl.DataFrame:
    """A Parquet table."""
    try:
        frame = pl.read_parquet(io.BytesIO(data))
    except Exception as exc:  # polars/pyarrow raise many types for damaged files
        msg = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise InputError(f"not a readable Parquet file: {msg}", file=file,
                         hint="write the table again") from None
    if frame.height == 0:
        raise InputError("the table has no rows", file=file)
    header = list(frame.columns)
    records = ((f"row {i + 1}", rec) for i, rec in enumerate(frame.iter_rows(named=True)))
    return rows_from_records(records, header, file=file, mapping=mapping, source="parquet",
                             problems=problems, notes=notes)


def parse_jsonl(data: bytes | str, *, file: str, mapping: dict[str, str], problems: Problems,
                notes: list[str] | None = None) -> pl.DataFrame:
    """JSON Lines: one object per line."""
    text = decode(data, file=file)
    records: list[tuple[str, dict]] = []
    header: dict[str, None] = {}
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except (json.JSONDecodeError, RecursionError) as exc:
            msg = getattr(exc, "msg", "nested too deeply")
            problems.add(InputError(f"not valid JSON: {msg}", file=file, entry=f"line {n}"))
            continue
        if not isinstance(obj, dict):
            problems.add(InputError(f"expected an object, got {type(obj).__name__}", file=file,
                                    entry=f"line {n}"))
            continue
        header.update(dict.fromkeys(map(str, obj)))
        records.append((f"line {n}", obj))
    return records_frame(records, list(header), file=file, mapping=mapping, source="jsonl",
                         problems=problems, notes=notes)


def records_frame(records: list[tuple[str, dict]], header: list[str], *, file: str,
                  mapping: dict[str, str], source: str, problems: Problems,
                  notes: list[str] | None) -> pl.DataFrame:
    """Records whose keys vary (JSON): the header is the union of keys."""
    if not records:
        if len(problems):
            return to_frame([])
        raise InputError("file is empty", file=file)
    return rows_from_records(records, header, file=file, mapping=mapping, source=source,
                             problems=problems, notes=notes)
