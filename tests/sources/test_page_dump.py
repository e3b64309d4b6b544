"""The papers page text dump source, on the real page copied on 2025-12-31."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from analysis.schema import InputError, Problems, normalise_title
from analysis.sources import detect
from analysis.sources.common import title_id
from analysis.sources.page_dump import parse_page_dump
from tests.support.paths import PAGE_DUMP

CAPTURED = dt.date(2025, 12, 31)


@pytest.fixture(scope="module")
def dump() -> pl.DataFrame:
    problems = Problems()
    frame = parse_page_dump(PAGE_DUMP.read_bytes(), file=PAGE_DUMP.name,
                            reference_date=CAPTURED, problems=problems)
    assert not len(problems), problems.summary()
    return frame


def _paper(frame: pl.DataFrame, prefix: str) -> dict:
    rows = frame.filter(pl.col("title").str.starts_with(prefix))
    assert rows.height == 1, prefix
    return rows.row(0, named=True)


def test_all_58_papers_and_no_chrome(dump):
    assert dump.height == 58
    assert dump["paper_id"].n_unique() == 58
    titles = " ".join(dump["title"])
    for chrome in ("Subscribe", "Get trending papers", "Daily Papers", "byAK"):
        assert chrome not in titles
    assert dump["source"].unique().to_list() == ["hf-page-dump"]
    assert dump["abstract"].null_count() == 0


def test_jetmoe_dated_with_year_and_upvotes(dump):
    jet = _paper(dump, "JetMoE")
    assert jet["published"] == dt.date(2024, 4, 10)
    assert jet["upvotes"] == 4
    assert jet["n_authors"] == 4
    assert jet["listed"] is None


def test_noloco_has_an_organization_instead_of_authors(dump):
    nolo = _paper(dump, "NoLoCo")
    assert nolo["published"] == dt.date(2025, 6, 12)
    assert nolo["upvotes"] == 2
    assert nolo["organization"] == "Gensyn Gensyn"
    assert nolo["n_authors"] is None  # the page does not show a count
    assert nolo["abstract"].startswith("Training large language models")


def test_customvideox_is_kept_undated(dump):
    cv = _paper(dump, "CustomVideoX")
    assert cv["published"] is None
    assert cv["upvotes"] is None
    assert cv["abstract"].startswith("Customized generation")
    # the paper after it keeps its own metadata
    nxt = _paper(dump, "A priori compression")
    assert nxt["published"] == dt.date(2023, 4, 11)
    assert nxt["n_authors"] == 4


def test_date_forms(dump):
    assert _paper(dump, "Less Data, More Security")["published"] == dt.date(2025, 6, 30)
    assert _paper(dump, "Less Data, More Security")["upvotes"] is None
    rdtf = _paper(dump, "RDTF")  # "Mar 22 2"
    assert (rdtf["published"], rdtf["upvotes"]) == (dt.date(2025, 3, 22), 2)
    gpt = _paper(dump, "GPT4Video")  # "Nov 24, 2023"
    assert (gpt["published"], gpt["upvotes"]) == (dt.date(2023, 11, 24), None)
    cca = _paper(dump, "Toward Guidance-Free")  # "Oct 11, 2024 2"
    assert (cca["published"], cca["upvotes"]) == (dt.date(2024, 10, 11), 2)


def test_year_less_dates_never_after_the_capture_day():
    text = PAGE_DUMP.read_text(encoding="utf-8")
    problems = Problems()
    frame = parse_page_dump(text, file="p.txt", reference_date=dt.date(2025, 7, 1),
                            problems=problems)
    less = _paper(frame, "Less Data, More Security")  # "Jun 30" -> 2025-06-30
    assert less["published"] == dt.date(2025, 6, 30)
    memory = _paper(frame, "Learning Plug-and-play Memory")  # "Nov 24" -> the year before
    assert memory["published"] == dt.date(2024, 11, 24)


def test_missing_reference_date_is_a_clear_error():
    with pytest.raises(InputError) as info:
        parse_page_dump(PAGE_DUMP.read_bytes(), file="dump.txt", reference_date=None,
                        problems=Problems())
    msg = str(info.value)
    assert msg.startswith("dump.txt: line 19: field 'published': date 'Jun 30' has no year")
    assert "--reference-date" in msg


def test_ids_are_stable_and_derived_from_the_normalised_title(dump):
    jet = _paper(dump, "JetMoE")
    assert jet["paper_id"] == title_id(jet["title"])
    assert title_id("JetMoE:  Reaching LLAMA2 performance with 0.1M dollars!") == jet["paper_id"]
    assert normalise_title(jet["title"]) == "jetmoe reaching llama2 performance with 0 1m dollars"


def test_detected_from_content():
    assert detect(PAGE_DUMP.read_bytes(), file="dump.json") == "page-dump"


def _blocks() -> list[list[str]]:
    """The real dump as lists of non-empty lines per paper (after the page header)."""
    lines = [ln for ln in PAGE_DUMP.read_text(encoding="utf-8").splitlines() if ln.strip()]
    start = lines.index("Dec 31") + 1
    blocks, cur = [], []
    for ln in lines[start:]:
        cur.append(ln)
        if parse_date_line(ln):
            blocks.append(cur)
            cur = []
    return blocks


def parse_date_line(line: str) -> bool:
    from analysis.sources.page_dump import DATE_LINE

    return bool(DATE_LINE.match(line.strip()))


def test_multi_paragraph_abstract_and_crlf():
    first, second = _blocks()[:2]
    title, abstract = first[0], first[1]
    half = len(abstract) // 2
    cut = abstract.index(". ", half) + 1
    split = [title, abstract[:cut], abstract[cut:].strip(), *first[2:]]
    text = "\r\n\r\n".join(split + second) + "\r\n"
    frame = parse_page_dump(text, file="p.txt", reference_date=CAPTURED, problems=Problems())
    assert frame.height == 2
    assert frame["abstract"][0] == abstract.strip()
    assert frame["published"].to_list() == [dt.date(2025, 6, 30), dt.date(2023, 6, 29)]


def test_a_bad_date_skips_only_its_paper():
    blocks = _blocks()[:3]
    blocks[1][-1] = "Feb 30, 2024 3"
    problems = Problems()
    frame = parse_page_dump("\n\n".join(sum(blocks, [])), file="p.txt",
                            reference_date=CAPTURED, problems=problems)
    assert frame.height == 2
    assert len(problems) == 1
    assert str(problems.items[0]).startswith("p.txt: line 19: field 'published': not a real date")


def test_a_title_without_abstract_is_reported():
    first = _blocks()[0]
    text = "\n\n".join(["Lonely title", "  • 3 authors", "·", "Jun 30", *first])
    problems = Problems()
    frame = parse_page_dump(text, file="p.txt", reference_date=CAPTURED, problems=problems)
    assert frame.height == 1
    assert frame["title"][0] == first[0]
    assert str(problems.items[0]).startswith("p.txt: line 1: field 'title': text that is neither")
