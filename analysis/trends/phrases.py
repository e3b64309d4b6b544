"""Rising phrases: 1-3-word phrases whose share of papers grew most between two windows.

The recent window is the last ``recent_months`` months up to the filter's end (or the newest
paper); the baseline is the ``baseline_months`` months before it. A phrase counts once per paper.
Phrases never cross punctuation; hyphens join words like a space ("fine-tuning" is the bigram
"fine tuning"). Phrases that begin or end with an English stop word (scikit-learn's list), a
number or a one-letter token are left out, so stop-word-only phrases never appear.
Significance is the log-likelihood ratio G² of the 2x2 table (papers with / without the phrase in
each window), with its chi-squared p-value and a Benjamini-Hochberg q-value over the rising phrases
with enough support.

Phrases are counted as integer codes (token ids in base V+1), and only the survivors are turned
back into text. Each distinct title + abstract is tokenised once per corpus (``phrase_index``, a
small in-process cache keyed by the texts' content); a filter change then only counts, per
phrase, the papers of each window among those texts.
"""

from __future__ import annotations

import bisect
import calendar
import datetime as dt
import hashlib
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from analysis.filters import Filters
from analysis.schema import InputError
from analysis.trends import cube, memo
from analysis.trends.keywords import check_field
from analysis.trends.stats import bh_qvalues, chi2_sf_1, g2_two_by_two
from analysis.trends.text import ENGLISH_STOP_WORDS

RISING_METHOD = "log-likelihood ratio G2 (2x2, 1 df), BH q-value"
_TOKEN = r"[\p{L}\p{N}]+|[.,;:!?()\[\]{}\"]"


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


def _text(field: str) -> pl.Expr:
    title = pl.col("title").fill_null("")
    abstract = pl.col("abstract").fill_null("")
    if field == "title":
        return title
    if field == "abstract":
        return abstract
    return pl.concat_str([title, pl.lit(" . "), abstract])


@dataclass(frozen=True)
class PhraseIndex:
    """Every distinct text's distinct phrases, built once per corpus and reused by every filter.

    Attributes:
        hashes: the distinct texts' row hashes (``title, abstract``), sorted; text ``i`` is the
            one whose hash is ``hashes[i]``.
        pair_text: per (text, phrase) pair, the text's position in ``hashes``.
        pair_phrase: per pair, the phrase's position in ``keys``; pairs are sorted by it.
        keys: the distinct phrase codes (token ids in base ``v1``), the phrases found in the
            most texts first.
        texts_with: per phrase, the number of distinct texts that hold it (descending), so
            the phrases a ``min_support`` can keep, and their pairs, are a prefix.
        v1: the code base (vocabulary size + 1).
        vocab: token of each id (id ``i`` is ``vocab[i - 1]``), sorted.
    """

    hashes: np.ndarray
    pair_text: np.ndarray
    pair_phrase: np.ndarray
    keys: np.ndarray
    texts_with: np.ndarray
    v1: int
    vocab: list[str]


_INDEX_CACHE: OrderedDict[tuple, PhraseIndex] = OrderedDict()
_INDEX_LOCK = threading.Lock()
_INDEX_CACHE_SIZE = 4


def row_hashes(texts: pl.DataFrame) -> np.ndarray:
    """One 64-bit hash per row of a ``title, abstract`` frame (same text, same hash)."""
    return texts.select(cube.TEXT_HASH).to_series().to_numpy()


def phrase_index(texts: pl.DataFrame, field: str, max_words: int) -> PhraseIndex:
    """The phrase index of these texts, from a small in-process cache keyed by their content.

    The key is a digest of the sorted distinct row hashes, so the same corpus in any row order
    (or with papers filtered differently) finds the same index; a changed title or abstract
    makes a new one.
    """
    distinct = np.unique(row_hashes(texts))
    key = (hashlib.blake2b(distinct.tobytes(), digest_size=16).digest(), field, max_words)
    with _INDEX_LOCK:
        if key in _INDEX_CACHE:
            _INDEX_CACHE.move_to_end(key)
            return _INDEX_CACHE[key]
        index = _build_index(texts, distinct, field, max_words)
        _INDEX_CACHE[key] = index
        while len(_INDEX_CACHE) > _INDEX_CACHE_SIZE:
            _INDEX_CACHE.popitem(last=False)
        return index


def _build_index(texts: pl.DataFrame, distinct: np.ndarray, field: str,
                 max_words: int) -> PhraseIndex:
    """Tokenise every distinct text once and list its distinct phrase codes.

    Tokens get dense ids in sorted order; n-grams are built with NumPy shifts over the token
    stream (never across texts or punctuation, which has no phrase role) and coded as ids in
    base V+1.
    """
    one = (texts.select("title", "abstract").with_columns(pl.Series("h", row_hashes(texts)))
           .unique("h", keep="first"))
    one = one.with_columns(
        pl.Series("doc", np.searchsorted(distinct, one["h"].to_numpy()), dtype=pl.Int64))
    toks = (
        one.lazy()
        .select(
            "doc",
            _text(field).str.to_lowercase().str.replace_all(r"['’]s\b", "")
            .str.extract_all(_TOKEN).alias("tok"),
        )
        .explode("tok")
        .filter(pl.col("tok").is_not_null())
        .collect()
    )
    vocab = (toks.select(pl.col("tok").unique().sort()).with_row_index("id", offset=1)
             .with_columns(pl.col("id").cast(pl.Int64)))
    v1 = vocab.height + 1
    if v1 ** max_words >= 2**63:
        raise InputError(f"too many distinct words ({vocab.height:,}) to count phrases",
                         field="max_words", hint="use shorter phrases or fewer papers")
    toks = toks.join(vocab, on="tok", how="left", maintain_order="left")
    flags = vocab.select(
        pl.col("tok").str.contains(r"^[\p{L}\p{N}]").alias("word"),
        (pl.col("tok").str.contains(r"^[\p{L}\p{N}]")
         & ~pl.col("tok").is_in(list(ENGLISH_STOP_WORDS))
         & (pl.col("tok").str.len_chars() > 1)
         & ~pl.col("tok").str.contains(r"^\p{N}+$")).alias("edge"),
    )
    # index 0 is unused (ids start at 1)
    word_of = np.concatenate([[False], flags["word"].to_numpy()])
    edge_of = np.concatenate([[False], flags["edge"].to_numpy()])
    ids = toks["id"].to_numpy()
    doc = toks["doc"].to_numpy()
    word, edge = word_of[ids], edge_of[ids]
    keys, owners = [ids[edge]], [doc[edge]]
    if max_words >= 2:
        ok = edge[:-1] & edge[1:] & (doc[:-1] == doc[1:])
        keys.append(ids[:-1][ok] * v1 + ids[1:][ok])
        owners.append(doc[:-1][ok])
    if max_words >= 3:
        ok = (edge[:-2] & word[1:-1] & edge[2:] & (doc[:-2] == doc[1:-1])
              & (doc[1:-1] == doc[2:]))
        keys.append((ids[:-2][ok] * v1 + ids[1:-1][ok]) * v1 + ids[2:][ok])
        owners.append(doc[:-2][ok])
    owner = np.concatenate(owners).astype(np.int64)
    key = np.concatenate(keys).astype(np.int64)
    base = v1 ** max_words  # every key is below this
    if len(distinct) * base < 2**62:  # one int64 per (text, phrase): the fastest unique
        pair = pl.Series(owner * base + key).unique().to_numpy()
        owner, key = pair // base, pair % base
    else:
        pairs = pl.DataFrame({"doc": owner, "key": key}).unique()
        owner, key = pairs["doc"].to_numpy(), pairs["key"].to_numpy()
    codes, phrase = np.unique(key, return_inverse=True)
    texts_with = np.bincount(phrase, minlength=len(codes))
    order = np.argsort(-texts_with, kind="stable")  # most widespread phrases first
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    phrase = rank[phrase]
    by_phrase = np.argsort(phrase, kind="stable")
    return PhraseIndex(hashes=distinct, pair_text=owner[by_phrase].astype(np.int32),
                       pair_phrase=phrase[by_phrase].astype(np.int32), keys=codes[order],
                       texts_with=texts_with[order], v1=v1, vocab=vocab["tok"].to_list())


def _phrase_counts(index: PhraseIndex, recent_hashes: np.ndarray, baseline_hashes: np.ndarray,
                   min_support: int) -> tuple[np.ndarray, np.ndarray]:
    """Papers with each phrase in the recent and in the baseline window.

    A paper counts once per phrase; two papers with the same text both count. A phrase found in
    ``t`` texts is in at most ``t * m`` papers of a window whose texts have at most ``m`` papers
    each, so only the phrases found in at least ``ceil(min_support / m)`` texts can reach that
    support, and only they are counted. The counts are for the first ``len(result)``
    phrases of ``index.keys``. Only the phrases of the window's texts are read (the pairs by
    text, :func:`_by_text`), not every pair of the corpus.
    """
    n = len(index.hashes)
    papers = [np.bincount(np.searchsorted(index.hashes, h), minlength=n)
              for h in (recent_hashes, baseline_hashes)]
    most = max(1, *(int(x.max(initial=0)) for x in papers))  # papers of one text, at most
    shared = most > 1
    p = _supported(index.texts_with, -(-min_support // most))
    starts, phrase = _by_text(index)
    counted = _first_phrases(index, p)
    out = []
    for per_text in papers:
        texts = np.flatnonzero(per_text)
        first, lengths = starts[texts], counted[texts]
        # positions of the counted pairs of these texts: each text's run first..first+length
        # (32-bit, built in place: these are the largest arrays of a filter change)
        at = np.repeat(first - (np.cumsum(lengths) - lengths), lengths)
        at += np.arange(len(at), dtype=at.dtype)
        weights = np.repeat(per_text[texts], lengths) if shared else None
        out.append(np.bincount(phrase[at], weights=weights, minlength=p).astype(np.int64))
    return out[0], out[1]


def _supported(texts_with: np.ndarray, min_support: int) -> int:
    """How many phrases are in at least ``min_support`` texts (``texts_with`` is descending)."""
    return bisect.bisect_right(texts_with, -min_support, key=lambda n: -n)


#: (id of an index, None or p) -> (weak reference to the index, what _by_text or
#: _first_phrases made of it).
_BY_TEXT: dict[tuple[int, int | None], tuple[weakref.ref, Any]] = {}


def _kept(index: PhraseIndex, p: int | None, make: Callable[[], Any]) -> Any:
    """``make()`` for an index (and ``p``), made once while the index lives."""
    key = (id(index), p)
    with _INDEX_LOCK:
        hit = _BY_TEXT.get(key)
        if hit is not None and hit[0]() is index:
            return hit[1]
    value = make()
    with _INDEX_LOCK:
        for k in [k for k, (ref, _) in _BY_TEXT.items() if ref() is None]:
            del _BY_TEXT[k]
        _BY_TEXT[key] = (weakref.ref(index), value)
    return value


def _by_text(index: PhraseIndex) -> tuple[np.ndarray, np.ndarray]:
    """Every pair ordered by text, and within a text by phrase; made once per index.

    Returns:
        (starts, phrase): text ``i``'s phrases are ``phrase[starts[i]:starts[i + 1]]``, the
        most widespread first, so the first ``p`` phrases of a text are a prefix of its run
        (:func:`_first_phrases`).
    """
    def make() -> tuple[np.ndarray, np.ndarray]:
        order = np.argsort(index.pair_text, kind="stable")  # the pairs are in phrase order
        starts = np.zeros(len(index.hashes) + 1, dtype=np.int64)
        np.cumsum(np.bincount(index.pair_text, minlength=len(index.hashes)), out=starts[1:])
        small = np.int32 if starts[-1] < 2**31 else np.int64  # positions as 32-bit when they fit
        return starts.astype(small), index.pair_phrase[order]

    return _kept(index, None, make)


def _first_phrases(index: PhraseIndex, p: int) -> np.ndarray:
    """How many of each text's phrases are among the first ``p``; made once per index and ``p``.

    A few ``p`` occur (one per support and most papers of one text); each costs one count over
    the pairs, not a sort of them.
    """
    def make() -> np.ndarray:
        pairs = int(index.texts_with[:p].sum())  # the pairs of the first p phrases come first
        counts = np.bincount(index.pair_text[:pairs], minlength=len(index.hashes))
        return counts.astype(_by_text(index)[0].dtype)

    return _kept(index, p, make)


def _decode(keys: np.ndarray, v1: int, vocab: list[str]) -> list[str]:
    out = []
    for key in keys.tolist():
        ids = []
        while key:
            key, rem = divmod(key, v1)
            ids.append(rem)
        out.append(" ".join(vocab[i - 1] for i in reversed(ids)))
    return out


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
    hashes = arrays["text_hash"][inside]
    recent = day[inside] >= cube.ordinal(w["recent_start"])
    n1 = int(recent.sum())
    n2 = len(hashes) - n1
    if n1 == 0 or n2 == 0:
        return _empty()
    index = memo.whole(lf, f"phrase-index-{field}-{max_words}",
                       lambda: _frame_index(lf, arrays["text_hash"], field, max_words))
    recent_count, baseline_count = _phrase_counts(index, hashes[recent], hashes[~recent],
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
    phrases = _decode(keys[top], index.v1, index.vocab)
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


def _frame_index(lf: pl.LazyFrame | pl.DataFrame, hashes: np.ndarray, field: str,
                 max_words: int) -> PhraseIndex:
    """An index holding every text of the frame: a cached one, or one made of the whole corpus.

    Looked up once per frame (:func:`memo.whole`), not once per window.
    """
    index = _cached_index(hashes, field, max_words)
    if index is None:  # texts not seen before: index the whole corpus once
        corpus = lf.lazy().select("title", "abstract").collect()
        index = phrase_index(corpus, field, max_words)
    return index


def _cached_index(hashes: np.ndarray, field: str, max_words: int) -> PhraseIndex | None:
    """A cached index that holds every one of these texts, or None."""
    with _INDEX_LOCK:
        for key in reversed(_INDEX_CACHE):
            index = _INDEX_CACHE[key]
            if key[1:] != (field, max_words):
                continue
            at = np.minimum(np.searchsorted(index.hashes, hashes), len(index.hashes) - 1)
            if (index.hashes[at] == hashes).all():
                _INDEX_CACHE.move_to_end(key)
                return index
    return None


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
