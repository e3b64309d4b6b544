"""CSV, Parquet and JSON Lines tables, with canonical column names or a --map."""

from __future__ import annotations

import datetime as dt
import io
import json

import polars as pl
import pytest

from analysis.ingest import load_sources
from analysis.schema import InputError, Problems
from analysis.sources import detect, parse
from analysis.sources.common import title_id
from analysis.sources.tables import parse_mapping


@pytest.fixture(scope="module")
def papers(sample_store) -> pl.DataFrame:
    return pl.read_parquet(sample_store / "papers.parquet")


def test_parquet_round_trip_of_the_store(papers, tmp_path):
    path = tmp_path / "copy.parquet"
    papers.write_parquet(path)
    result = load_sources([path])
    assert result.files == {str(path): "parquet"}
    got = result.frame.sort("paper_id")
    assert got.equals(papers.sort("paper_id"))


def test_csv_with_canonical_names(tmp_path):
    path = tmp_path / "papers.csv"
    path.write_text(
        "paper_id,title,abstract,published,upvotes,authors\n"
        '2401.00001,"A title, with a comma",Some abstract,2024-01-02,7,Ann Lee; Bo Chen\n'
        ",Untitled id paper,,2024-02-03,,\n",
        encoding="utf-8",
    )
    frame = load_sources([path]).frame
    first, second = frame.rows(named=True)
    assert first["title"] == "A title, with a comma"
    assert first["authors"] == ["Ann Lee", "Bo Chen"]
    assert first["n_authors"] == 2
    assert first["upvotes"] == 7
    assert first["published"] == dt.date(2024, 1, 2)
    assert first["source"] == "csv"
    assert second["paper_id"] == title_id("Untitled id paper")
    assert second["upvotes"] is None
    assert second["abstract"] is None


def test_csv_with_a_mapping_and_tabs(tmp_path):
    path = tmp_path / "export.tsv"
    path.write_text("ID\tTitle\tSummary\tDate\tLikes\n2402.1\tT one\tAbs\t2024-02-01\t3\n",
                    encoding="utf-8")
    mapping = parse_mapping("paper_id=ID,title=Title,abstract=Summary,published=Date,"
                            "upvotes=Likes")
    row = load_sources([path], mapping=mapping).frame.row(0, named=True)
    assert (row["paper_id"], row["title"], row["abstract"], row["upvotes"]) == (
        "2402.1", "T one", "Abs", 3)


def test_jsonl_and_json_records(tmp_path):
    recs = [{"paper_id": "2403.1", "title": "One", "keywords": ["a", "b"], "upvotes": 2},
            {"paper_id": "2403.2", "title": "Two", "listed": "2024-03-05"}]
    jl = tmp_path / "p.jsonl"
    jl.write_text("\n".join(json.dumps(r) for r in recs) + "\n", encoding="utf-8")
    js = tmp_path / "p.json"
    js.write_text(json.dumps(recs), encoding="utf-8")
    a = load_sources([jl]).frame
    b = load_sources([js]).frame
    assert a.drop("source", "sources").equals(b.drop("source", "sources"))
    assert (a["sources"].to_list(), b["sources"].to_list()) == ([["jsonl"]] * 2, [["json"]] * 2)
    assert a["keywords"].to_list() == [["a", "b"], []]
    assert a["listed"].to_list() == [None, dt.date(2024, 3, 5)]


def test_format_is_detected_from_content_not_the_extension(tmp_path):
    csv_bytes = b"title,abstract\nA paper,An abstract\n"
    assert detect(csv_bytes, file="looks.json") == "csv"
    buf = io.BytesIO()
    pl.DataFrame({"title": ["x"]}).write_parquet(buf)
    assert detect(buf.getvalue(), file="table.csv") == "parquet"
    assert detect(b'{"title": "x"}\n{"title": "y"}\n', file="a.txt") == "jsonl"
    fmt, frame = parse(csv_bytes, file="looks.json", problems=Problems())
    assert fmt == "csv"
    assert frame["title"].to_list() == ["A paper"]


@pytest.mark.parametrize(("text", "field"), [
    ("title", "--map"), ("nosuch=Title", "--map"), ("title=", "--map")])
def test_bad_mappings(text, field):
    with pytest.raises(InputError) as info:
        parse_mapping(text)
    assert info.value.field == field


def test_mapping_to_a_missing_column(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("Heading,Body\nx,y\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_sources([path], mapping={"title": "Title"})
    assert str(info.value).startswith(f"{path}: header: field 'Title':")


def test_one_column_csv(tmp_path):
    path = tmp_path / "titles"
    path.write_text("title\nOnly a title\n", encoding="utf-8")
    row = load_sources([path]).frame.row(0, named=True)
    assert row["title"] == "Only a title"
    assert row["paper_id"] == title_id("Only a title")


def test_arxiv_ids_are_normalised_so_they_deduplicate(tmp_path):
    path = tmp_path / "ids.csv"
    path.write_text(
        "paper_id,title,upvotes\n"
        "2404.07413,JetMoE,1\n"
        "arXiv:2404.07413v2,JetMoE,5\n"
        "https://arxiv.org/abs/2404.07413v1,JetMoE,2\n"
        "https://huggingface.co/papers/2404.07413,JetMoE,3\n",
        encoding="utf-8",
    )
    frame = load_sources([path]).frame
    assert set(frame["paper_id"]) == {"2404.07413"}
    from analysis.merge import merge

    merged, stats = merge(frame.head(0), frame)
    assert merged.height == 1
    assert merged["upvotes"][0] == 5
    assert stats.merged == 3
