"""The independent route for keyword counts: plain Python over the raw fixture JSON.

No project code: the keyword trend tests compare the project's counts with these.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections import Counter

from tests.support.paths import DAILY

SEPARATORS = "-\u2010\u2011\u2012\u2013"


def raw_papers() -> list[dict]:
    """One record per paper id, as the API files give them (first listing wins)."""
    seen: dict[str, dict] = {}
    for path in sorted(DAILY.glob("*.json")):
        for entry in json.loads(path.read_text(encoding="utf-8")):
            paper = entry["paper"]
            if paper["id"] in seen:
                continue
            seen[paper["id"]] = {
                "title": paper.get("title") or entry.get("title") or "",
                "abstract": paper.get("summary") or entry.get("summary") or "",
                "published": dt.date.fromisoformat(paper["publishedAt"][:10]),
                "listed": dt.date.fromisoformat(path.stem),
            }
    return list(seen.values())


def normalise(text: str) -> str:
    """Lower case; every run of whitespace and hyphens becomes one space."""
    out, gap = [], False
    for ch in text.lower():
        if ch.isspace() or ch in SEPARATORS:
            gap = True
            continue
        if gap and out:
            out.append(" ")
        gap = False
        out.append(ch)
    return "".join(out)


def variants(phrase: str) -> list[str]:
    """Every spelling the rules allow: each word with or without a plural -s."""
    words = normalise(phrase).split(" ")
    forms = []
    for w in words:
        base = w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w
        forms.append((base, base + "s"))
    return [" ".join(combo) for combo in itertools.product(*forms)]


def is_word_char(ch: str) -> bool:
    """True for a word character: a letter, a digit or an underscore."""
    return ch.isalnum() or ch == "_"


def contains_phrase(text: str, phrase: str) -> bool:
    """Whole-word occurrence of any variant, found with str.find (no regular expressions)."""
    hay = normalise(text)
    for v in variants(phrase):
        start = hay.find(v)
        while start != -1:
            end = start + len(v)
            before = hay[start - 1] if start else " "
            after = hay[end] if end < len(hay) else " "
            if not is_word_char(before) and not is_word_char(after):
                return True
            start = hay.find(v, start + 1)
    return False


def period_of(day: dt.date, period: str) -> dt.date:
    """The first day of the week (Monday), month, quarter or otherwise year holding day."""
    if period == "week":
        return day - dt.timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    if period == "quarter":
        return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return dt.date(day.year, 1, 1)


def independent_counts(papers, phrase, field, basis, period):
    """Papers holding phrase, and all papers, per period; computed without project code.

    Args:
        papers: records from raw_papers.
        phrase: the phrase to look for (see contains_phrase).
        field: ``"title"``, ``"abstract"`` or ``"both"``.
        basis: the date a paper is counted by, ``"listed"`` or ``"published"``.
        period: ``"week"``, ``"month"``, ``"quarter"`` or ``"year"``.

    Returns:
        Two Counters keyed by the period's first day: matching papers, and all papers.
    """
    counts, totals = Counter(), Counter()
    for p in papers:
        key = period_of(p[basis], period)
        totals[key] += 1
        texts = {"title": [p["title"]], "abstract": [p["abstract"]],
                 "both": [p["title"], p["abstract"]]}[field]
        if any(contains_phrase(t, phrase) for t in texts):
            counts[key] += 1
    return counts, totals
