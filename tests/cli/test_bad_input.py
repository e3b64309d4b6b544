"""Bad input: a one-line message naming the file, entry/line and field; exit 2; store untouched.

Every case ingests into a copy of the sample store and checks that the store's files are
byte-identical afterwards (and that no temporary file was left behind).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from analysis.cli import main
from analysis.store import Store
from tests.support.paths import DAILY, PAGE_DUMP, REPO

DAY = DAILY / "2025-06-25.json"


def _entries() -> list:
    return json.loads(DAY.read_text(encoding="utf-8"))


def _with(field: str, value, index: int = 0, entries: list | None = None) -> bytes:
    entries = entries if entries is not None else _entries()[:1]
    entries[index]["paper"][field] = value
    return json.dumps(entries).encode()


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


@pytest.fixture
def store(sample_store, tmp_path) -> Path:
    copy = tmp_path / "store"
    shutil.copytree(sample_store, copy)
    return copy


def _ingest(capsys, store: Path, *args: str) -> tuple[int, str, str]:
    code = main(["ingest", *args, "--store", str(store)])
    out = capsys.readouterr()
    return code, out.out, out.err


HUGE = "x" * 5_000_000

# name, file name, content, the pieces the one-line message must contain (in order)
FATAL = [
    ("empty file", "empty.json", b"", ["empty.json: file is empty"]),
    ("header-only CSV", "header.csv", b"paper_id,title,abstract\n",
     ["header.csv: line 2: no rows below the header"]),
    ("invalid UTF-8", "latin1.json",
     '[{"paper": {"id": "2401.1", "title": "Café"}}]'.encode("latin-1"),
     ["latin1.json: line 1: not valid UTF-8 (bad byte 0xe9 at offset"]),
    ("truncated JSON", "2025-06-25.json", DAY.read_bytes()[:5000],
     ["2025-06-25.json: line ", ": not valid JSON (truncated or damaged?)"]),
    ("HTML error page saved as .json", "2025-06-26.json",
     b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head></html>\n",
     ["2025-06-26.json: looks like an HTML or XML page"]),
    ("API error object", "2025-06-27.json", b'{"error": "Invalid date"}',
     ["2025-06-27.json: field 'error': the API returned an error instead of papers: "
      "'Invalid date'"]),
    ("list of strings", "strings.json", b'["2401.00001", "2401.00002"]',
     ["strings.json: entry 0: field 'paper': expected an object", "got str",
      "[no usable entries: 2 bad]"]),
    ("upvotes many", "many.json", _with("upvotes", "many"),
     ["many.json: entry 0: field 'paper.upvotes':", "'many'"]),
    ("NaN upvotes (JSON)", "nan.json",
     _with("upvotes", 1).replace(b'"upvotes": 1', b'"upvotes": NaN'),
     ["nan.json: entry 0: field 'paper.upvotes':", "nan"]),
    ("NaN upvotes (CSV)", "nan.csv", b"title,upvotes\nA paper,NaN\n",
     ["nan.csv: line 2: field 'upvotes':", "'NaN'"]),
    ("year 0000", "y0.json", _with("publishedAt", "0000-01-01T00:00:00.000Z"),
     ["y0.json: entry 0: field 'paper.publishedAt': not a real date"]),
    ("year 9999", "y9.json", _with("publishedAt", "9999-12-31T00:00:00.000Z"),
     ["y9.json: entry 0: field 'paper.publishedAt': date 9999-12-31 is in the future"]),
    ("year 0000 in CSV", "y0.csv", b"title,published\nA paper,0000-01-01\n",
     ["y0.csv: line 2: field 'published': not a real date"]),
    ("ragged CSV rows", "ragged.csv", b"paper_id,title,abstract\n2401.1,A,B,extra\n2401.2,C\n",
     ["ragged.csv: line 2: field 'column 4': has 4 fields, the header has 3",
      "[no usable entries: 2 bad]"]),
    ("duplicate column names", "dup.csv", b"paper_id,title,title\n2401.1,A,B\n",
     ["dup.csv: header: field 'title': duplicate column name"]),
    ("unknown format", "notes.txt", b"just some words\nwithout any structure\n",
     ["notes.txt: unknown format", "CSV, Parquet or JSON Lines"]),
    ("damaged Parquet", "t.parquet", b"PAR1" + b"\x00" * 64,
     ["t.parquet: not a readable Parquet file"]),
    ("JSON Lines without usable records", "l.jsonl", b'{"title": null}\n[1]\n',
     ["l.jsonl: line 2: expected an object, got list [no usable entries: 2 bad]"]),
    ("JSON object split over lines, cut off", "o.json", b'{"error":\n',
     ["o.json: line 2: not valid JSON"]),
]


@pytest.mark.parametrize(("name", "filename", "content", "pieces"), FATAL,
                         ids=[c[0] for c in FATAL])
def test_fatal_bad_input(store, tmp_path, capsys, name, filename, content, pieces):
    path = tmp_path / filename
    path.write_bytes(content)
    before = _snapshot(store)
    code, out, err = _ingest(capsys, store, str(path))
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"papertrends ingest: error: {tmp_path}/")
    pos = 0
    for piece in pieces:
        found = lines[0].find(piece, pos)
        assert found >= 0, f"{piece!r} not in {lines[0]!r}"
        pos = found + len(piece)
    assert "Traceback" not in err
    assert out == ""
    assert _snapshot(store) == before


def test_page_dump_without_reference_date(store, capsys):
    before = _snapshot(store)
    code, _, err = _ingest(capsys, store, str(PAGE_DUMP))
    assert code == 2
    assert (f"{PAGE_DUMP}: line 19: field 'published': date 'Jun 30' has no year "
            "(pass --reference-date YYYY-MM-DD") in err
    assert _snapshot(store) == before


def test_missing_file_and_bad_map(store, tmp_path, capsys):
    before = _snapshot(store)
    code, _, err = _ingest(capsys, store, str(tmp_path / "nope.json"))
    assert code == 2
    assert "nope.json: no such file or folder" in err
    csv = tmp_path / "a.csv"
    csv.write_text("Title\nx\n", encoding="utf-8")
    code, _, err = _ingest(capsys, store, str(csv), "--map", "headline=Title")
    assert code == 2
    assert "field '--map': unknown canonical column 'headline'" in err
    assert _snapshot(store) == before


PARTIAL = [
    ("upvotes many", "d.json", "upvotes", "many", "field 'paper.upvotes'"),
    ("NaN upvotes", "d.json", "upvotes", float("nan"), "field 'paper.upvotes'"),
    ("year 9999", "d.json", "publishedAt", "9999-01-01", "field 'paper.publishedAt'"),
    ("title not text", "d.json", "title", {"x": 1}, "field 'paper.title'"),
]


@pytest.mark.parametrize(("name", "filename", "field", "value", "where"), PARTIAL,
                         ids=[c[0] for c in PARTIAL])
def test_partly_bad_file_loads_the_good_entries(store, tmp_path, capsys, name, filename, field,
                                               value, where):
    entries = _entries()
    for i, entry in enumerate(entries):  # ids the store does not hold yet
        entry["paper"]["id"] = f"2412.{90000 + i}"
    path = tmp_path / filename
    path.write_bytes(_with(field, value, index=1, entries=entries))
    before = _snapshot(store)
    # --strict: fatal, nothing written
    code, _, err = _ingest(capsys, store, str(path), "--strict")
    assert code == 2
    assert f"{path}: entry 1: {where}" in err
    assert "--strict" in err
    assert len(err.strip().splitlines()) == 1
    assert _snapshot(store) == before
    # default: the good ones load; the bad one is counted and listed in a warning
    code, out, err = _ingest(capsys, store, str(path), "--json")
    assert code == 0
    assert "warning: skipped 1 bad entry:" in err
    assert f"{path}: entry 1: {where}" in err
    report = json.loads(out)
    assert report["skipped"] == 1
    assert report["loaded"] == len(entries) - 1
    ids = set(Store(store).read_papers()["paper_id"])
    assert entries[1]["paper"]["id"] not in ids
    assert {e["paper"]["id"] for i, e in enumerate(entries) if i != 1} <= ids


def test_ragged_csv_rows_are_listed(store, tmp_path, capsys):
    path = tmp_path / "r.csv"
    path.write_text('paper_id,title,abstract\n2401.1,A,"B, b"\n2401.2,C\n2401.3,D,E\n',
                    encoding="utf-8")
    before = _snapshot(store)
    code, _, err = _ingest(capsys, store, str(path), "--strict")
    assert code == 2
    assert f"{path}: line 3: field 'abstract': has 2 fields, the header has 3" in err
    assert _snapshot(store) == before
    code, _, err = _ingest(capsys, store, str(path))
    assert code == 0
    assert "skipped 1 bad entry" in err
    assert "line 3" in err
    ids = set(Store(store).read_papers()["paper_id"])
    assert {"2401.1", "2401.3"} <= ids
    assert "2401.2" not in ids


def test_five_megabyte_abstract_is_cut(store, tmp_path, capsys):
    path = tmp_path / "2025-06-25.json"
    entries = _entries()[:2]
    entries[0]["paper"]["summary"] = HUGE
    path.write_text(json.dumps(entries), encoding="utf-8")
    before = _snapshot(store)
    code, _, err = _ingest(capsys, store, str(path), "--strict")
    assert code == 2
    assert f"{path}: entry 0: field 'paper.summary': 5,000,000 characters, cut to 20,000" in err
    assert _snapshot(store) == before
    code, _, err = _ingest(capsys, store, str(path))
    assert code == 0
    assert "note:" in err
    assert "cut to 20,000" in err
    papers = Store(store).read_papers()
    abstract = papers.filter(pl.col("paper_id") == entries[0]["paper"]["id"])["abstract"][0]
    assert len(abstract) == 20_000


def test_nul_bytes_and_whitespace_are_cleaned(store, tmp_path, capsys):
    path = tmp_path / "n.csv"
    path.write_bytes(b"paper_id,title,abstract\n2401.9,\" A\x00 title \n with  gaps\",x\x00y\n")
    code, _, err = _ingest(capsys, store, str(path))
    assert code == 0, err
    row = Store(store).read_papers().filter(pl.col("paper_id") == "2401.9")
    assert row["title"][0] == "A title with gaps"
    assert row["abstract"][0] == "xy"


def test_exit_status_and_no_traceback_from_the_real_command(store, tmp_path):
    bad = tmp_path / "2025-06-25.json"
    bad.write_bytes(DAY.read_bytes()[:777])
    before = _snapshot(store)
    proc = subprocess.run(
        [sys.executable, "-m", "analysis.cli", "ingest", str(bad), "--store", str(store)],
        capture_output=True, text=True, cwd=REPO, timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1
    assert "Traceback" not in proc.stderr
    assert "not valid JSON" in proc.stderr
    assert _snapshot(store) == before


def test_damaged_store_is_reported_not_overwritten(tmp_path, capsys):
    store = tmp_path / "s"
    store.mkdir()
    (store / "papers.parquet").write_bytes(b"not parquet at all")
    before = _snapshot(store)
    code, _, err = _ingest(capsys, store, str(DAY))
    assert code == 2
    assert "papers.parquet: damaged: cannot be read as Parquet" in err
    assert "Traceback" not in err
    assert _snapshot(store) == before


def test_store_that_is_a_file(tmp_path, capsys):
    not_a_dir = tmp_path / "store.txt"
    not_a_dir.write_bytes(b"keep me")
    code, _, err = _ingest(capsys, not_a_dir, str(DAY))
    assert code == 2
    assert f"{not_a_dir}: the store must be a folder" in err
    assert not_a_dir.read_bytes() == b"keep me"
