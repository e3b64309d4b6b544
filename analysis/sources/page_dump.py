"""Text dumps of Hugging Face papers pages (a search or list page copied from a browser).

Each paper appears as::

    Title
    Abstract
      • 7 authors          (or an organization line such as "Gensyn Gensyn", or nothing)
    ·
    Jun 30               (or "Mar 22 2", "Nov 24, 2023", "Oct 11, 2024 2": the trailing number
                          is the upvote count; no number -> no count shown)

Entries may lack the author and date lines altogether (kept, undated). Page chrome such as
"Subscribe" or the page's own date header is ignored. Dates without a year are in the year of
the capture (``reference_date``); a month-day later than the capture day is in the year before.
Page-dump papers have no arXiv id: their id is derived from the normalised title
(:func:`analysis.sources.common.title_id`) so that an API record of the same paper merges with it.
"""

from __future__ import annotations

import datetime as dt
import re

import polars as pl

from analysis.schema import InputError, Problems, plausible
from analysis.sources.common import check_text, checked_rows, decode, title_id, to_frame

SOURCE = "hf-page-dump"

MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}
DATE_LINE = re.compile(
    r"^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?\s+(\d{1,2})"
    r"(?:,\s*(\d{4}))?(?:\s+(\d{1,7}))?$",
    re.IGNORECASE,
)
AUTHORS_LINE = re.compile(r"^[•·*\-]?\s*(\d{1,6})\s+authors?$", re.IGNORECASE)
DOT_LINES = {"·", "•", "⋅"}
TITLE_MAX = 300  # longer lines are abstract text, never a title
ORG_MAX = 200  # a short line in place of "• N authors" is an organization
CHROME = {
    "new",
    "get trending papers in your email inbox!",
    "subscribe",
    "daily papers",
    "byak and the research community",
    "submit",
    "search",
    "trending papers",
    "load more",
    "previous",
    "next",
}


class MissingYear(InputError):
    """A year-less date line and no reference date: fatal for the whole file."""


def looks_like_page_dump(text: str) -> bool:
    """True when the text has the page's author-count or separator lines."""
    count = 0
    for line in text.splitlines()[:5000]:
        s = line.strip()
        if s in DOT_LINES or AUTHORS_LINE.match(s):
            count += 1
            if count >= 2:
                return True
    return False


def _classify(line: str) -> str:
    s = line.strip()
    if not s:
        return "blank"
    if s in DOT_LINES:
        return "dot"
    if AUTHORS_LINE.match(s):
        return "authors"
    if DATE_LINE.match(s):
        return "date"
    if s.lower() in CHROME:
        return "chrome"
    return "text"


def resolve_date(
    line: str, reference_date: dt.date | None, *, file: str, lineno: int
) -> tuple[dt.date, int | None]:
    """A date line -> (day, upvotes or None)."""
    m = DATE_LINE.match(line.strip())
    assert m is not None  # classified as a date line
    month, day = MONTHS[m[1][:3].lower()], int(m[2])
    votes = int(m[4]) if m[4] else None
    if m[3]:
        year = int(m[3])
        try:
            when = dt.date(year, month, day)
        except ValueError:
            raise InputError(f"not a real date: {line.strip()!r}", file=file,
                             entry=f"line {lineno}", field="published") from None
    else:
        if reference_date is None:
            raise MissingYear(
                f"date {line.strip()!r} has no year",
                file=file,
                entry=f"line {lineno}",
                field="published",
                hint="pass --reference-date YYYY-MM-DD, the day the page was captured",
            )
        try:
            when = dt.date(reference_date.year, month, day)
            if when > reference_date:
                when = dt.date(reference_date.year - 1, month, day)
        except ValueError:
            raise InputError(f"not a real date: {line.strip()!r}", file=file,
                             entry=f"line {lineno}", field="published") from None
    try:
        plausible(when, "published")
    except InputError as err:
        err.file, err.entry = file, f"line {lineno}"
        raise
    return when, votes


def parse_page_dump(
    data: bytes | str,
    *,
    file: str,
    reference_date: dt.date | None,
    problems: Problems,
    notes: list[str] | None = None,
) -> pl.DataFrame:
    """A page dump -> canonical rows (listed is unknown: null; published from the date line).

    Raises:
        InputError: the text holds no papers, or a year-less date needs ``reference_date``.
    """
    text = decode(data, file=file)
    lines = [(i + 1, ln) for i, ln in enumerate(text.splitlines())]
    tokens = [(n, _classify(ln), ln.strip()) for n, ln in lines]
    tokens = [t for t in tokens if t[1] not in ("blank", "chrome")]
    rows: list[dict] = []
    run: list[tuple[int, str]] = []  # consecutive text lines not yet given to a paper
    i = 0
    while i < len(tokens):
        n, kind, s = tokens[i]
        if kind == "text":
            run.append((n, s))
            i += 1
            continue
        if kind == "date" and not run:
            i += 1  # the page's own date header (e.g. "Dec 31") or a stray date: chrome
            continue
        # metadata: [• N authors] [·] [date] closes the text run before it
        n_authors = org = published = votes = date_line = None
        if tokens[i][1] == "authors":
            m = AUTHORS_LINE.match(tokens[i][2])
            n_authors = int(m[1]) if m else None
            i += 1
        if i < len(tokens) and tokens[i][1] == "dot":
            i += 1
        if i < len(tokens) and tokens[i][1] == "date":
            date_line = tokens[i]
            i += 1
        if n_authors is None and len(run) >= 3 and len(run[-1][1]) <= ORG_MAX:
            org = run.pop()[1]  # an organization line in place of "• N authors"
        try:
            if date_line is not None:
                published, votes = resolve_date(date_line[2], reference_date, file=file,
                                                lineno=date_line[0])
        except MissingYear:
            raise
        except InputError as err:
            problems.add(err)  # the paper the date belongs to is skipped; those before it stay
            _flush(run, rows, file, problems, notes, last=None, drop_last=True)
            run = []
            continue
        _flush(run, rows, file, problems, notes, last={
            "published": published, "upvotes": votes, "n_authors": n_authors,
            "organization": org, "upvotes_at": _read_at(votes, reference_date)})
        run = []
    _flush(run, rows, file, problems, notes, last=None)
    if not rows and not len(problems):
        raise InputError("no papers found in this page dump", file=file,
                         hint="expected title, abstract, '• N authors', '·', date lines")
    return to_frame(rows)


def _read_at(votes: int | None, reference_date: dt.date | None) -> dt.datetime | None:
    """When a shown upvote count was read: the capture day (midnight UTC), when known."""
    if votes is None or reference_date is None:
        return None
    return dt.datetime(reference_date.year, reference_date.month, reference_date.day,
                       tzinfo=dt.UTC)


def _group(run: list[tuple[int, str]], file: str, problems: Problems) -> list[tuple[int, str, str]]:
    """Text lines -> (line, title, abstract), the stray lines added to ``problems``.

    A title is followed by its abstract; lines too long to be a title continue that abstract
    (multi-paragraph abstracts).
    """
    papers: list[tuple[int, str, str]] = []
    i = 0
    while i < len(run):
        n, title = run[i]
        if i + 1 >= len(run) or len(title) > TITLE_MAX:
            problems.add(InputError(
                "text that is neither a title with an abstract nor page metadata",
                file=file, entry=f"line {n}", field="title",
                hint="each paper needs a title line followed by its abstract"))
            i += 1
            continue
        parts = [run[i + 1][1]]
        i += 2
        while i < len(run) and (len(run[i][1]) > TITLE_MAX or i + 1 == len(run)):
            parts.append(run[i][1])
            i += 1
        papers.append((n, title, " ".join(parts)))
    return papers


def _flush(run, rows, file, problems, notes, last, drop_last=False) -> None:
    """Turn a run of text lines into papers; the metadata ``last`` belongs to the last one."""
    pairs = _group(run, file, problems)
    if drop_last:
        pairs = pairs[:-1]
        last = None
    labelled = [
        (f"line {n}", (title, abstract, last if last is not None and j == len(pairs) - 1 else {}))
        for j, (n, title, abstract) in enumerate(pairs)
    ]
    rows.extend(checked_rows(labelled, _paper_row, file=file, problems=problems, notes=notes))


def _paper_row(paper: tuple[str, str, dict], notes: list[str]) -> dict:
    """(title, abstract, metadata) of one paper -> a canonical row."""
    title, abstract, meta = paper
    clean_title = check_text(title, "title", "title", notes)
    if not clean_title:
        raise InputError("empty title", field="title")
    return {
        "paper_id": title_id(clean_title),
        "title": clean_title,
        "abstract": check_text(abstract, "abstract", "abstract", notes),
        "published": meta.get("published"),
        "listed": None,
        "upvotes": meta.get("upvotes"),
        "upvotes_at": meta.get("upvotes_at"),
        "authors": [],
        "n_authors": meta.get("n_authors"),
        "organization": check_text(meta.get("organization"), "organization", "organization",
                                   notes),
        "keywords": [],
        "source": SOURCE,
    }
