"""Keyword trends: how many papers per period mention a phrase, with a Wilson interval.

Matching rules (one place, used by the trend and by the drill-down list alike):

* case-insensitive, on whole words;
* a hyphen and a space are the same ("fine-tuning" matches "fine tuning" and "fine-tuning");
* a plural -s is the same phrase: every word matches with or without a trailing "s"
  ("large language models" matches "large language model"; "LLMs" matches "LLM"); a word of
  four or more characters ending in a single "s" after a letter is read as a plural;
* ``regex=True`` takes the phrase as a regular expression (Rust regex syntax, case-insensitive).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import polars as pl

from analysis.filters import Filters
from analysis.names import TEXT_FIELDS
from analysis.schema import InputError
from analysis.trends import cube, phrase_index
from analysis.trends.frame import filtered, period_axis
from analysis.trends.phrase_index import PhraseIndex
from analysis.trends.stats import wilson_arrays
from analysis.trends.text import singular

FIELDS = TEXT_FIELDS
#: Periods with fewer papers than this are flagged ``small``.
SMALL_PERIOD = 20
#: Characters treated as a word separator inside a phrase: whitespace and hyphens/dashes.
_SEP_CHARS = r"\s\-\u2010\u2011\u2012\u2013"
_SEP = f"[{_SEP_CHARS}]+"
_SPLIT = re.compile(f"[{_SEP_CHARS}]+")
MAX_PHRASE_LEN = 500
#: At most this many phrases in one query (without a word index, each is one more pass
#: over the text).
MAX_PHRASES = 10
#: A regular expression may be at most this long, and repeat a piece at most this many times
#: (``x{n}``): the regex engine runs in linear time, but counted repeats multiply the size of
#: its automaton - on the bundled abstracts ``\w{100}`` takes 1.5 s against 5 ms for a word.
MAX_REGEX_LEN = 200
MAX_REPEAT = 20
_REPEAT = re.compile(r"(?<!\\)\{\s*(\d+)\s*(?:,\s*(\d*)\s*)?\}")


def _word_pattern(word: str) -> str:
    """One word, escaped, case-insensitive, with an optional plural -s.

    ASCII words fold case the ASCII way (``(?i-u:...)``), which lets the regex engine use fast
    literal prefilters; words with other letters fold case the Unicode way.
    """
    word = singular(word)
    flags = "i-u" if word.isascii() else "i"
    return f"(?{flags}:{re.escape(word)}s?)"


def phrase_pattern(phrase: str, regex: bool = False) -> str:
    """The (Rust) regular expression a phrase matches with; it ignores case.

    Args:
        phrase: words such as "fine-tuning" or "reinforcement learning", or a regex.
        regex: take ``phrase`` as a regular expression as it is.

    Raises:
        InputError: empty phrase, or a regex that does not compile.
    """
    text = (phrase or "").strip()
    if not text:
        raise InputError("empty phrase", field="phrase", hint="give at least one word")
    if len(text) > MAX_PHRASE_LEN:
        raise InputError(f"phrase longer than {MAX_PHRASE_LEN} characters", field="phrase")
    if regex:
        check_regex(text)
        pattern = f"(?i){text}"
        try:
            pl.select(pl.lit("x").str.contains(pattern))
        except pl.exceptions.PolarsError as exc:
            lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
            found = [ln[6:].strip() for ln in lines if ln.startswith("error:")]
            detail = found[0] if found else (lines[0].removeprefix("regex error:").strip()
                                             if lines else "does not compile")
            raise InputError(
                f"bad regular expression {phrase!r}: {detail}", field="phrase",
                hint="fix the pattern, or drop --regex to match it as plain words",
            ) from None
        return pattern
    words = [w for w in _SPLIT.split(text) if w]
    if not words:
        raise InputError(f"phrase {phrase!r} has no words", field="phrase")
    body = _SEP.join(_word_pattern(w) for w in words)
    # \b only where the phrase starts/ends with a word character ("C++" has none at its end)
    left = r"\b" if re.match(r"\w", words[0]) else ""
    right = r"\b" if re.search(r"\w$", words[-1]) else ""
    return f"{left}{body}{right}"


def check_regex(text: str) -> None:
    """Check that a regular expression is short and cheap enough to run over every paper.

    Raises:
        InputError: longer than ``MAX_REGEX_LEN``, or a counted repeat above ``MAX_REPEAT``.
    """
    if len(text) > MAX_REGEX_LEN:
        raise InputError(f"regular expression longer than {MAX_REGEX_LEN} characters "
                         f"({len(text):,}): {text[:40]!r}...", field="phrase",
                         hint="shorten it, or split it into several phrases")
    for m in _REPEAT.finditer(text):
        counts = [int(g) for g in m.groups() if g]
        if any(c > MAX_REPEAT for c in counts):
            raise InputError(f"regular expression {text!r} repeats a piece {max(counts):,} "
                             f"times ({m.group(0)}); at most {MAX_REPEAT} are allowed",
                             field="phrase", hint="use + or * instead of a large count")


def check_phrases(phrases: Sequence[str]) -> None:
    """Check the number of phrases in one query.

    Raises:
        InputError: more than ``MAX_PHRASES`` phrases.
    """
    if len(phrases) > MAX_PHRASES:
        raise InputError(f"at most {MAX_PHRASES} phrases per query, not {len(phrases):,}",
                         field="phrase", hint="drop some, or look at them in several queries")


def match_expr(phrase: str, field: str = "both", regex: bool = False) -> pl.Expr:
    """A boolean expression: does the paper's title/abstract match the phrase."""
    check_field(field)
    return _field_match(phrase_pattern(phrase, regex), field)


def check_field(field: str) -> None:
    """Check where a phrase is looked for.

    Raises:
        InputError: the field is not ``both``, ``title`` or ``abstract``.
    """
    if field not in FIELDS:
        raise InputError(f"field must be one of {', '.join(FIELDS)}, not {field!r}", field="field")


def _field_match(pattern: str, field: str) -> pl.Expr:
    title = pl.col("title").fill_null("").str.contains(pattern)
    abstract = pl.col("abstract").fill_null("").str.contains(pattern)
    if field == "title":
        return title
    if field == "abstract":
        return abstract
    return title | abstract


def _any_pattern(patterns: list[str]) -> str | None:
    """One alternation of all patterns (a superset test), or None if it would not compile."""
    if len(patterns) < 2:
        return None
    combined = "|".join(f"(?:{p})" for p in patterns)
    try:
        pl.select(pl.lit("x").str.contains(combined))
    except pl.exceptions.PolarsError:
        return None
    return combined


def match_papers(
    lf: pl.LazyFrame | pl.DataFrame, phrase: str, field: str = "both", regex: bool = False
) -> pl.LazyFrame:
    """The papers that match a phrase (for drill-down); apply filters before or after.

    Args:
        lf: the paper frame, filtered or not.
        phrase: words or a regex (see the module docstring for the rules).
        field: "title", "abstract" or "both".
        regex: take the phrase as a regular expression.
    """
    return lf.lazy().filter(match_expr(phrase, field, regex))


def phrase_list(phrases: Sequence[str] | str) -> list[str]:
    """The phrases stripped, blanks and repeats dropped, in order; each checked.

    Raises:
        InputError: no phrase left, too many, or a bad one.
    """
    if isinstance(phrases, str):
        phrases = [phrases]
    out: list[str] = []
    for p in phrases:
        p = (p or "").strip()
        if p and p not in out:
            out.append(p)
    if not out:
        raise InputError("no phrase given", field="phrase", hint='e.g. trend "diffusion"')
    check_phrases(out)
    return out


def keyword_trend(
    lf: pl.LazyFrame | pl.DataFrame,
    phrases: Sequence[str] | str,
    filters: Filters,
    field: str = "both",
    regex: bool = False,
    index: PhraseIndex | None = None,
    hits: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Per phrase and period: papers that match, all papers, share and its 95% Wilson interval.

    Args:
        lf: the paper frame (``paper_frame(store)``).
        phrases: one or several phrases.
        filters: the common filters (the total of a period is the papers left by the filters).
        field: "title", "abstract" or "both".
        regex: take the phrases as regular expressions.
        index: the store's word index (``phrase_index.load(store)``): plain phrases are then
            looked up instead of scanned for, with the same counts.
        hits: ``phrase_hits(lf, phrases, field, regex, index)`` when the caller keeps it (the
            dashboard does, per frame): whether a paper matches does not depend on the filters,
            so a filter change then only counts (joined by paper id). Without it the filtered
            papers are matched.

    Returns:
        Columns ``phrase, period, count, total, share, ci_low, ci_high, small``; every period
        of the range appears for every phrase (zero where nothing matched or no papers).

    Raises:
        InputError: an empty phrase or a bad regular expression (named in the message).
    """
    names = phrase_list(phrases)
    check_field(field)
    for p in names:
        phrase_pattern(p, regex)  # validates every phrase first
    cols = [f"m{i}" for i in range(len(names))]
    if hits is None:
        data = filtered(lf, filters).select("period", "paper_id", "title", "abstract").collect()
        found = data.select("period").hstack(
            phrase_hits(data, names, field, regex, index).drop("paper_id"))
    else:
        if hits.width != len(names) + 1:
            raise ValueError("the hits given are not those of these phrases")
        found = (filtered(lf, filters).select("period", "paper_id")
                 .join(hits.lazy(), on="paper_id", how="left").drop("paper_id").collect())
    if found.height == 0 and not (filters.start and filters.end):
        return _empty_trend()
    _, first, last = cube.scope(lf, filters)
    axis = period_axis(first, last, filters)
    if axis.height == 0:
        return _empty_trend()
    at = cube.positions(axis, found.get_column("period").to_physical().to_numpy())
    n = axis.height
    total = np.bincount(at, minlength=n).astype(np.int64)
    counts = [np.bincount(at, weights=found.get_column(c).fill_null(False).to_numpy(),
                          minlength=n).astype(np.int64) for c in cols]
    count = np.concatenate(counts) if counts else np.zeros(0, dtype=np.int64)
    return pl.DataFrame([
        pl.Series("phrase", names, dtype=pl.Utf8).gather(np.repeat(np.arange(len(names)), n)),
        pl.Series("period", np.tile(axis.get_column("period").to_physical().to_numpy(),
                                    len(names)), dtype=pl.Int32).cast(pl.Date),
        pl.Series("count", count, dtype=pl.Int64),
        pl.Series("total", np.tile(total, len(names)), dtype=pl.Int64),
        *share_columns(count, np.tile(total, len(names))),
    ])


def phrase_hits(lf: pl.LazyFrame | pl.DataFrame, phrases: Sequence[str], field: str = "both",
                regex: bool = False, index: PhraseIndex | None = None) -> pl.DataFrame:
    """Whether each paper matches each phrase: ``paper_id`` and Boolean columns ``m0, m1, ...``.

    Plain phrases are looked up in ``index`` when given; the others are scanned for, all at
    once: one pass with their alternation finds the candidate papers, and each phrase is then
    tested on those only (the text is read about once, not once a phrase).
    """
    names = list(phrases)
    patterns = [phrase_pattern(p, regex) for p in names]
    rows = lf.lazy().select("paper_id", "title", "abstract").collect()
    looked_up = {} if regex or index is None else _index_words(names)
    scanned = [i for i in range(len(names)) if i not in looked_up]
    cols: dict[str, np.ndarray] = {}
    if scanned:
        combined = _any_pattern([patterns[i] for i in scanned])
        numbered = rows.with_row_index("_row")
        candidates = numbered.filter(_field_match(combined, field)) if combined else numbered
        found = candidates.select("_row", *(_field_match(patterns[i], field).alias(f"m{i}")
                                            for i in scanned))
        at = found.get_column("_row").to_numpy()
        for i in scanned:
            col = np.zeros(rows.height, dtype=bool)
            col[at] = found.get_column(f"m{i}").to_numpy()
            cols[f"m{i}"] = col
    if looked_up:
        assert index is not None  # looked_up is empty without an index
        cols.update(_looked_up(rows, index, looked_up, patterns, field))
    return rows.select("paper_id").hstack(
        pl.DataFrame({f"m{i}": cols[f"m{i}"] for i in range(len(names))},
                     schema={f"m{i}": pl.Boolean for i in range(len(names))}))


def _index_words(names: list[str]) -> dict[int, list[str | None]]:
    """Phrase number -> its words as the index looks them up, for the phrases it can answer."""
    out = {}
    for i, name in enumerate(names):
        words = phrase_index.index_words([w for w in _SPLIT.split(name.strip()) if w])
        if words is not None:
            out[i] = words
    return out


def _looked_up(rows: pl.DataFrame, index: PhraseIndex, phrases: dict[int, list[str | None]],
               patterns: list[str], field: str) -> dict[str, np.ndarray]:
    """Whether each paper of ``rows`` matches each phrase (m<i>), through the word index.

    Papers the index does not hold, and the candidates of phrases with an unindexed word, are
    tested with the phrase's regular expression, so the answers are exactly the rule's.
    """
    ids = rows.get_column("paper_id")
    doc = index.doc_of(ids)
    known = doc >= 0
    doc = np.where(known, doc, 0)
    cols = {}
    for i, words in phrases.items():
        hit = index.documents(words, field)[doc] & known
        confirm = ~known if None not in words else hit | ~known
        if confirm.any():
            sub = rows.filter(pl.Series(confirm))
            matched = sub.select(_field_match(patterns[i], field)).to_series().to_numpy()
            hit = hit.copy()
            hit[np.flatnonzero(confirm)] = matched
        cols[f"m{i}"] = hit
    return cols


def finish_share(df: pl.DataFrame) -> pl.DataFrame:
    """Add ``share``, ``ci_low``, ``ci_high`` and ``small`` to a frame with count and total.

    The share is 0 and the interval null where the total is 0. Worked out over arrays: one
    Polars expression per column cost ~0.7 ms a call, on every filter change.
    """
    return df.hstack(share_columns(df.get_column("count").to_numpy(),
                                   df.get_column("total").to_numpy()))


def share_columns(count: np.ndarray, total: np.ndarray) -> list[pl.Series]:
    """:func:`finish_share`'s columns, from the counts and totals as arrays."""
    total = np.asarray(total, dtype=float)
    count = np.asarray(count, dtype=float)
    low, high = wilson_arrays(count, total)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(total > 0, count / total, 0.0)
    return [pl.Series("share", share), pl.Series("ci_low", low, nan_to_null=True),
            pl.Series("ci_high", high, nan_to_null=True),
            pl.Series("small", total < SMALL_PERIOD)]


def _empty_trend() -> pl.DataFrame:
    return pl.DataFrame(schema={
        "phrase": pl.Utf8(), "period": pl.Date(), "count": pl.Int64(), "total": pl.Int64(),
        "share": pl.Float64(), "ci_low": pl.Float64(), "ci_high": pl.Float64(),
        "small": pl.Boolean(),
    })
