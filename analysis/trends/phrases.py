"""Rising phrases: 1-3-word phrases whose share of papers grew most between two windows.

The recent window is the last ``recent_months`` months up to the filter's end (or the newest
paper); the baseline is the ``baseline_months`` months before it. A phrase counts once per paper.
What a phrase is (no punctuation inside, no stop word at either end), and how the papers of a
window holding each are counted, is :mod:`.text_phrases`.
Significance is the log-likelihood ratio G² of the 2x2 table (papers with / without the phrase in
each window), with its chi-squared p-value and a Benjamini-Hochberg q-value over the rising phrases
with enough support.
"""

from __future__ import annotations

import calendar
import datetime as dt

import numpy as np
import polars as pl

from analysis.filters import Filters
from analysis.schema import InputError
from analysis.trends import cube, memo
from analysis.trends.keywords import check_field
from analysis.trends.stats import bh_qvalues, chi2_sf_1, g2_two_by_two
from analysis.trends.text_phrases import decode, of_frame, positions, window_counts

RISING_METHOD = "log-likelihood ratio G2 (2x2, 1 df), BH q-value"


def windows(end: dt.date, recent_months: int, baseline_months: int) -> dict[str, dt.date]:
    """The two windows, both ends inclusive: baseline right before recent, recent up to end."""
    recent_start = months_before(end, recent_months) + dt.timedelta(days=1)
    return {"recent_start": recent_start, "recent_end": end,
            "baseline_start": months_before(recent_start, baseline_months),
            "baseline_end": recent_start - dt.timedelta(days=1)}


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` calendar months earlier, or that month's last day if it is shorter.

    Polars' ``dt.offset_by("-{months}mo")`` (a one-row Series costs 0.25 ms a call).
    """
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def rising_phrases(
    lf: pl.LazyFrame | pl.DataFrame,
    filters: Filters,
    recent_months: int = 3,
    baseline_months: int = 12,
    field: str = "both",
    min_support: int = 5,
    max_words: int = 3,
    limit: int | None = 50,
) -> pl.DataFrame:
    """Phrases whose share of papers grew most from the baseline window to the recent one.

    Args:
        lf: the paper frame.
        filters: the common filters; the recent window ends at ``filters.end`` or the newest
            paper left by the filters, and ``filters.start`` can cut the baseline short.
        recent_months: length of the recent window.
        baseline_months: length of the baseline window right before it.
        field: "title", "abstract" or "both".
        min_support: a phrase needs at least this many recent papers.
        max_words: longest phrase (1 to 3).
        limit: keep the top ``limit`` phrases (None: all rising ones).

    Returns:
        Columns ``phrase, words, recent_count, baseline_count, recent_share, baseline_share,
        lift, g2, p_value, q_value, method, recent_start, recent_end, baseline_start,
        baseline_end``, sorted by G² (largest rise first), then by phrase, so the same input
        always gives the same rows in the same order; only phrases whose share rose.
    """
    check_field(field)
    if recent_months < 1 or baseline_months < 1:
        raise InputError("the windows must be at least one month long", field="months")
    if not 1 <= max_words <= 3:
        raise InputError("max_words must be 1, 2 or 3", field="max_words")
    # the windows' papers over arrays (cube): their text hashes key the phrase index
    arrays = cube.columns(lf, texts=True)
    keep = cube.mask(lf, filters, texts=True)
    day = arrays[filters.basis]
    end = filters.end or (cube.day_of(day[keep].max()) if keep.any() else None)
    if end is None:
        return _empty()
    w = windows(end, recent_months, baseline_months)
    inside = (keep & (day >= cube.ordinal(w["baseline_start"]))
              & (day <= cube.ordinal(w["recent_end"])))
    recent = day[inside] >= cube.ordinal(w["recent_start"])
    n1 = int(recent.sum())
    n2 = len(recent) - n1
    if n1 == 0 or n2 == 0:
        return _empty()
    index = memo.whole(lf, f"phrase-index-{field}-{max_words}",
                       lambda: of_frame(lf, arrays["text_hash"], field, max_words))
    # each paper's text in the index, found once per frame (not per filter change)
    texts = memo.whole(lf, f"phrase-texts-{field}-{max_words}",
                       lambda: positions(index, arrays["text_hash"]))[inside]
    recent_count, baseline_count = window_counts(index, texts[recent], texts[~recent],
                                                 min_support)
    rising = (recent_count >= min_support) & (recent_count * n2 > baseline_count * n1)
    if not rising.any():
        return _empty()
    keys = index.keys[:len(rising)][rising]
    rc, bc = recent_count[rising], baseline_count[rising]
    g2 = g2_two_by_two(rc, n1, bc, n2)
    p = chi2_sf_1(g2)
    q = bh_qvalues(p)
    top = np.arange(len(g2))
    if limit is not None and len(g2) > limit:  # the top rows, ties at the cut included
        top = np.flatnonzero(g2 >= np.partition(g2, len(g2) - limit)[len(g2) - limit])
    phrases = decode(keys[top], index.v1, index.vocab)
    # largest G² first, ties by phrase: the same rows in the same order on every run
    order = np.lexsort((np.array(phrases, dtype=object), -g2[top]))
    if limit is not None:
        order = order[:limit]
    top = top[order]
    shown = [phrases[i] for i in order.tolist()]
    rows = len(top)
    return pl.DataFrame({
        "phrase": pl.Series(shown, dtype=pl.Utf8),
        "words": pl.Series([len(p.split(" ")) for p in shown], dtype=pl.Int64),
        "recent_count": rc[top], "baseline_count": bc[top],
        "recent_share": rc[top] / n1, "baseline_share": bc[top] / n2,
        "lift": (rc[top] + 0.5) / (n1 + 0.5) / ((bc[top] + 0.5) / (n2 + 0.5)),
        "g2": g2[top], "p_value": p[top], "q_value": q[top],
        "method": pl.Series([RISING_METHOD] * rows, dtype=pl.Utf8),
        "recent_papers": pl.Series([n1] * rows, dtype=pl.Int32),
        "baseline_papers": pl.Series([n2] * rows, dtype=pl.Int32),
        **{k: pl.Series([w[k]] * rows, dtype=pl.Date) for k in _COLUMNS[-4:]},
    })  # in the order of _COLUMNS (a select to reorder them cost a query)


_COLUMNS = ["phrase", "words", "recent_count", "baseline_count", "recent_share",
            "baseline_share", "lift", "g2", "p_value", "q_value", "method", "recent_papers",
            "baseline_papers", "recent_start", "recent_end", "baseline_start", "baseline_end"]


def _empty() -> pl.DataFrame:
    schema = {"phrase": pl.Utf8(), "words": pl.Int64(), "recent_count": pl.Int64(),
              "baseline_count": pl.Int64(), "recent_share": pl.Float64(),
              "baseline_share": pl.Float64(), "lift": pl.Float64(), "g2": pl.Float64(),
              "p_value": pl.Float64(), "q_value": pl.Float64(), "method": pl.Utf8(),
              "recent_papers": pl.Int32(), "baseline_papers": pl.Int32(),
              "recent_start": pl.Date(), "recent_end": pl.Date(),
              "baseline_start": pl.Date(), "baseline_end": pl.Date()}
    return pl.DataFrame(schema=schema)
