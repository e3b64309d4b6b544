"""Every distinct text's distinct 1-3-word phrases, and how many papers of a window hold each.

Rising phrases (:mod:`.phrases`) count, per phrase, the papers of two windows. Each distinct
title + abstract is tokenised once per corpus (:func:`of_texts`, a small in-process cache keyed
by the texts' content); a filter change then only counts (:func:`window_counts`). Phrases never
cross punctuation; hyphens join words like a space ("fine-tuning" is the bigram "fine tuning").
Phrases that begin or end with an English stop word (scikit-learn's list), a number or a
one-letter token are left out. Phrases are integer codes (token ids in base V+1); only the ones
shown are turned back into text (:func:`decode`).
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import polars as pl

from analysis.schema import InputError
from analysis.trends import cube, memo
from analysis.trends.text import ENGLISH_STOP_WORDS

_TOKEN = r"[\p{L}\p{N}]+|[.,;:!?()\[\]{}\"]"


def _text(field: str) -> pl.Expr:
    title = pl.col("title").fill_null("")
    abstract = pl.col("abstract").fill_null("")
    if field == "title":
        return title
    if field == "abstract":
        return abstract
    return pl.concat_str([title, pl.lit(" . "), abstract])


@dataclass(frozen=True)
class TextPhrases:
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


_INDEX_CACHE: OrderedDict[tuple, TextPhrases] = OrderedDict()
_INDEX_LOCK = threading.Lock()
_INDEX_CACHE_SIZE = 4


def row_hashes(texts: pl.DataFrame) -> np.ndarray:
    """One 64-bit hash per row of a ``title, abstract`` frame (same text, same hash)."""
    return texts.select(cube.TEXT_HASH).to_series().to_numpy()


def of_texts(texts: pl.DataFrame, field: str, max_words: int) -> TextPhrases:
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
                 max_words: int) -> TextPhrases:
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
    return TextPhrases(hashes=distinct, pair_text=owner[by_phrase].astype(np.int32),
                       pair_phrase=phrase[by_phrase].astype(np.int32), keys=codes[order],
                       texts_with=texts_with[order], v1=v1, vocab=vocab["tok"].to_list())


def window_counts(index: TextPhrases, recent_texts: np.ndarray, baseline_texts: np.ndarray,
                  min_support: int) -> tuple[np.ndarray, np.ndarray]:
    """Papers with each phrase in the recent and in the baseline window.

    A window is given as its papers' texts: positions in ``index.hashes`` (a paper's text
    hash sorted into them, :func:`positions`).

    A paper counts once per phrase; two papers with the same text both count. A phrase found in
    ``t`` texts is in at most ``t * m`` papers of a window whose texts have at most ``m`` papers
    each, so only the phrases found in at least ``ceil(min_support / m)`` texts can reach that
    support, and only they are counted. The counts are for the first ``len(result)``
    phrases of ``index.keys``. Only the phrases of the window's texts are read (the pairs by
    text, :func:`_by_text`), not every pair of the corpus, in one compiled pass per window
    (:func:`_add_pairs`; NumPy's repeat, gather and bincount over the same pairs took 3x as
    long, and this runs on every filter change).
    """
    n = len(index.hashes)
    papers = [np.bincount(texts, minlength=n) for texts in (recent_texts, baseline_texts)]
    most = max(1, *(int(x.max(initial=0)) for x in papers))  # papers of one text, at most
    p = _supported(index.texts_with, -(-min_support // most))
    starts, phrase = _by_text(index)
    counted = _first_phrases(index, p)
    add = _compiled()
    out = []
    for per_text in papers:
        counts = np.zeros(p, dtype=np.int64)
        texts = np.flatnonzero(per_text)
        add(starts, phrase, texts, counted[texts], per_text, counts)
        out.append(counts)
    return out[0], out[1]


def _add_pairs(starts: np.ndarray, phrase: np.ndarray, texts: np.ndarray, lengths: np.ndarray,
               papers: np.ndarray, counts: np.ndarray) -> None:
    """Add each text's papers to the count of each of its first phrases (compiled by Numba).

    ``counts[q] += papers[t]`` for each text ``t`` of ``texts`` and each of its first
    ``lengths`` phrases ``q`` (see :func:`_compiled`).
    """
    for i in range(len(texts)):
        first = starts[texts[i]]
        weight = papers[texts[i]]
        for j in range(first, first + lengths[i]):
            counts[phrase[j]] += weight


@functools.cache
def _compiled() -> Callable[..., None]:
    """:func:`_add_pairs` compiled, on first use.

    Numba's import and compilation take about half a second; the machine code is kept in its
    on-disk cache for later processes. umap-learn depends on Numba too; it is imported here, off
    every path that counts no phrase.
    """
    import numba

    try:
        return numba.njit(cache=True, nogil=True)(_add_pairs)
    except RuntimeError:  # no writable place for the cache (a read-only install): compile each time
        return numba.njit(nogil=True)(_add_pairs)


def positions(index: TextPhrases, hashes: np.ndarray) -> np.ndarray:
    """Each text hash's position in ``index.hashes`` (the index holds every one of them)."""
    return np.searchsorted(index.hashes, hashes)


def _supported(texts_with: np.ndarray, min_support: int) -> int:
    """How many phrases are in at least ``min_support`` texts (``texts_with`` is descending)."""
    return bisect.bisect_right(texts_with, -min_support, key=lambda n: -n)


def _by_text(index: TextPhrases) -> tuple[np.ndarray, np.ndarray]:
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

    return memo.whole(index, "by-text", make)


def _first_phrases(index: TextPhrases, p: int) -> np.ndarray:
    """How many of each text's phrases are among the first ``p``; made once per index and ``p``.

    A few ``p`` occur (one per support and most papers of one text); each costs one count over
    the pairs, not a sort of them.
    """
    def make() -> np.ndarray:
        pairs = int(index.texts_with[:p].sum())  # the pairs of the first p phrases come first
        counts = np.bincount(index.pair_text[:pairs], minlength=len(index.hashes))
        return counts.astype(_by_text(index)[0].dtype)

    return memo.whole(index, f"first-{p}", make)


def decode(keys: np.ndarray, v1: int, vocab: list[str]) -> list[str]:
    """The phrases of these codes (token ids in base ``v1``), words joined by a space."""
    out = []
    for key in keys.tolist():
        ids = []
        while key:
            key, rem = divmod(key, v1)
            ids.append(rem)
        out.append(" ".join(vocab[i - 1] for i in reversed(ids)))
    return out


def of_frame(lf: pl.LazyFrame | pl.DataFrame, hashes: np.ndarray, field: str,
                 max_words: int) -> TextPhrases:
    """An index holding every text of the frame: a cached one, or one made of the whole corpus.

    Looked up once per frame (:func:`memo.whole`), not once per window.
    """
    index = _cached_index(hashes, field, max_words)
    if index is None:  # texts not seen before: index the whole corpus once
        corpus = lf.lazy().select("title", "abstract").collect()
        index = of_texts(corpus, field, max_words)
    return index


def _cached_index(hashes: np.ndarray, field: str, max_words: int) -> TextPhrases | None:
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


