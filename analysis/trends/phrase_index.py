r"""A per-store word index, so that a keyword trend costs about the same for 1 or 10 phrases.

Without it every phrase is one regular-expression pass over all titles and abstracts (about a
second per phrase on a million papers). With it a phrase is a few array look-ups.

What is indexed, per paper and field (title, abstract): the word tokens (maximal runs of ``\\w``)
in order, with their position; any other character that is not a separator (whitespace, hyphen,
dash) takes a position too, so words on either side of it are not adjacent. That is exactly the
matching rule of :mod:`analysis.trends.keywords`: a plain phrase matches where its words (each
with an optional plural -s, ASCII case ignored) are adjacent tokens. Stored are the ASCII tokens,
lower-cased, leaving out a few very frequent function words (:data:`UNINDEXED`). A phrase with a
word that is not plain ASCII letters/digits, or a regex, is matched by the regular expression.
A phrase with an unindexed word in the middle ("mixture of experts") takes the index's candidates
and confirms them with the regular expression: counts are always those of the rule itself.

On disk (``store.phrase_index_dir``), one part per build or update::

    part-000000.keys.npy     uint64, sorted by token then key; key = doc << 16 | field << 15 | pos
    part-000000.vocab.parquet    token, start, count (its slice of keys)
    part-000000.docs.parquet     paper_id, doc, h (hash of title + abstract)
    meta.json                    the paper table it was built from (size, mtime), Polars version

A paper's live document is its highest ``doc``; an update indexes only papers that are new or
whose text changed (a new part), and a rebuild folds the parts into one. The index is used only
while its meta matches the paper table (:func:`load`), so a stale index never gives a number.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from analysis.store import Store, atomic_write_bytes, atomic_write_json, atomic_write_parquet
from analysis.trends.text import singular

VERSION = 1
#: Tokens: word runs, and single characters that are neither word nor separator (barriers).
TOKEN = r"\w+|[^\w\s\-\u2010-\u2013]"
_ASCII_WORD = r"^[0-9A-Za-z_]+$"
#: Words too frequent to be worth their postings; phrases holding them are confirmed by regex.
UNINDEXED = frozenset(("a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "in",
                       "is", "it", "of", "on", "or", "our", "that", "the", "this", "to", "we",
                       "which", "with"))
CHUNK = 50_000  # papers tokenised at a time while building
#: Ingest builds an index by itself once a store holds this many papers (below, a regex pass over
#: every paper is fast enough); `papertrends index` builds one for any store.
INDEX_FROM = 50_000
MAX_PARTS = 8  # an update beyond this many parts rebuilds the index as one
DOC_SHIFT = 16
FIELD_BIT = 1 << 15
#: A key (doc << DOC_SHIFT | field | position) fits in this many bits while building: 16M papers.
KEY_BITS = 40


def text_hashes() -> pl.Expr:
    """Expression: a 64-bit hash of each paper's title and abstract (detects changed text)."""
    text = pl.struct(pl.col("title").fill_null(""), pl.col("abstract").fill_null(""))
    return text.hash(7).alias("h")


def papers_stamp(store: Store) -> list:
    """(name, size, mtime_ns) of the files of the paper table: what an index was built from."""
    out = []
    for path in store.paper_files():
        st = path.stat()
        out.append([path.name, st.st_size, st.st_mtime_ns])
    return out


# ---- building -----------------------------------------------------------------------------------
def _postings(chunk: pl.DataFrame, first_doc: int) -> pl.DataFrame:
    """(tok, key) of one chunk of papers (title, abstract), in no particular order."""
    frames = []
    for bit, column in ((0, "title"), (FIELD_BIT, "abstract")):
        flat = (
            chunk.select(pl.col(column).fill_null("").str.extract_all(TOKEN).alias("tok"))
            .with_columns(pl.int_range(first_doc, first_doc + pl.len(), dtype=pl.UInt64)
                          .alias("doc"), pl.col("tok").list.len().cast(pl.UInt64).alias("n"))
            .filter(pl.col("n") > 0)
            .with_columns((pl.col("n").cum_sum() - pl.col("n")).alias("start"))
            .explode("tok")
            .with_columns((pl.int_range(pl.len(), dtype=pl.UInt64) - pl.col("start"))
                          .alias("pos"))
            .filter(pl.col("tok").str.contains(_ASCII_WORD))
            .with_columns(pl.col("tok").str.to_lowercase())
            .filter(~pl.col("tok").is_in(list(UNINDEXED)))
        )
        frames.append(flat.select(
            "tok", (pl.col("doc") * (1 << DOC_SHIFT) + pl.col("pos") + bit).alias("key")))
    return pl.concat(frames)


def _arrays(texts: pl.DataFrame, first: int) -> tuple[np.ndarray, pl.DataFrame]:
    """(keys sorted by token then key, vocab) of papers (title, abstract) numbered from first.

    Memory stays near 12 bytes a posting (a million abstracts: ~150M postings): each chunk's
    tokens become numbers of a vocabulary kept as it grows, and one sort of
    ``token rank << KEY_BITS | key`` puts every token's keys together, ascending. (Holding
    every chunk's token strings and grouping them took 13 GB at a million papers.)
    """
    if first + texts.height >= 1 << (KEY_BITS - DOC_SHIFT):
        raise ValueError(f"the word index holds at most {1 << (KEY_BITS - DOC_SHIFT):,} papers")
    vocab = pl.DataFrame(schema={"tok": pl.Utf8, "id": pl.UInt32})
    ids, keys = [], []
    for s in range(0, texts.height, CHUNK):
        post = _postings(texts.slice(s, CHUNK), first + s)
        new = post.select("tok").unique().join(vocab, on="tok", how="anti").sort("tok")
        vocab = pl.concat([vocab, new.with_columns(
            pl.int_range(vocab.height, vocab.height + new.height, dtype=pl.UInt32).alias("id"))])
        ids.append(post.join(vocab, on="tok", how="left", maintain_order="left")
                   .get_column("id").to_numpy())
        keys.append(post.get_column("key").to_numpy().astype(np.uint64))
        del post
    if vocab.height >= 1 << (64 - KEY_BITS):
        raise ValueError(f"the word index holds at most {1 << (64 - KEY_BITS):,} distinct words")
    ordered = vocab.sort("tok")
    rank = np.empty(vocab.height, dtype=np.uint64)
    rank[ordered.get_column("id").to_numpy()] = np.arange(vocab.height, dtype=np.uint64)
    packed = np.empty(sum(k.size for k in keys), dtype=np.uint64)
    at = 0
    while keys:  # packed, chunk by chunk, each chunk's arrays let go as soon as it is in
        chunk_ids, chunk_keys = ids.pop(0), keys.pop(0)
        packed[at:at + chunk_keys.size] = (rank[chunk_ids] << np.uint64(KEY_BITS)) | chunk_keys
        at += chunk_keys.size
    packed.sort()
    counts = np.bincount((packed >> np.uint64(KEY_BITS)).astype(np.int64),
                         minlength=vocab.height)
    np.bitwise_and(packed, np.uint64((1 << KEY_BITS) - 1), out=packed)
    table = (ordered.select("tok", pl.Series("count", counts, dtype=pl.UInt64))
             .filter(pl.col("count") > 0)
             .with_columns((pl.col("count").cum_sum() - pl.col("count")).alias("start"))
             .select("tok", "start", "count"))
    return packed, table


def _write_part(store: Store, number: int, docs: pl.DataFrame, texts: pl.DataFrame) -> None:
    """Index ``texts`` (title, abstract; docs numbered as in ``docs``) as part ``number``."""
    keys, vocab = _arrays(texts, int(docs.select(pl.col("doc").min()).item() or 0))
    folder = store.phrase_index_dir
    buf = io.BytesIO()
    np.save(buf, keys, allow_pickle=False)
    atomic_write_bytes(folder / f"part-{number:06d}.keys.npy", buf.getvalue())
    atomic_write_parquet(folder / f"part-{number:06d}.vocab.parquet", vocab)
    atomic_write_parquet(folder / f"part-{number:06d}.docs.parquet", docs)


def _parts(store: Store) -> list[int]:
    folder = store.phrase_index_dir
    if not folder.is_dir():
        return []
    return sorted(int(p.name[5:11]) for p in folder.glob("part-*.docs.parquet"))


def build(store: Store) -> dict:
    """Index every paper of the store from scratch (one part); returns the meta."""
    papers = store.read_papers().select("paper_id", "title", "abstract")
    old = _parts(store)
    number = (old[-1] + 1) if old else 0
    docs = papers.select("paper_id", pl.int_range(pl.len(), dtype=pl.UInt32).alias("doc"),
                         text_hashes())
    _write_part(store, number, docs, papers.select("title", "abstract"))
    meta = _meta(store, [number], papers.height)
    for n in old:
        for path in _part_files(store, n):
            path.unlink(missing_ok=True)
    return meta


def _part_files(store: Store, number: int) -> list[Path]:
    folder = store.phrase_index_dir
    return [folder / f"part-{number:06d}.{s}" for s in ("keys.npy", "vocab.parquet",
                                                        "docs.parquet")]


def _meta(store: Store, parts: list[int], n_papers: int) -> dict:
    meta = {"version": VERSION, "polars": pl.__version__, "parts": parts, "papers": n_papers,
            "papers_stamp": papers_stamp(store)}
    atomic_write_json(store.phrase_index_dir / "meta.json", meta)
    return meta


def live_docs(store: Store, parts: list[int]) -> pl.DataFrame:
    """paper_id, doc (the highest), h of every indexed paper."""
    frames = [pl.read_parquet(_part_files(store, n)[2]) for n in parts]
    if not frames:
        return pl.DataFrame(schema={"paper_id": pl.Utf8, "doc": pl.UInt32, "h": pl.UInt64})
    return pl.concat(frames).sort("doc").unique("paper_id", keep="last")


def update(store: Store, papers: pl.DataFrame | None = None) -> dict | None:
    """Index the papers added or changed since the index was made (a new part).

    Does nothing for a store without an index (None). Rebuilds when there are more than
    :data:`MAX_PARTS` parts, or when the index was made by another version. ``papers`` is the
    store's table when the caller holds it already (it has just written it).
    """
    meta = read_meta(store)
    if meta is None:
        return None
    if meta.get("version") != VERSION or meta.get("polars") != pl.__version__ or \
            len(meta.get("parts", [])) >= MAX_PARTS:
        return build(store)
    parts = list(meta["parts"])
    papers = (store.read_papers() if papers is None else papers).select("paper_id", "title",
                                                                          "abstract")
    current = papers.select("paper_id", text_hashes())
    known = live_docs(store, parts)
    todo = current.join(known, on=["paper_id", "h"], how="anti")
    if todo.height:
        next_doc = int(known.select(pl.col("doc").max()).item() or 0) + 1 if known.height else 0
        docs = todo.select("paper_id", pl.int_range(next_doc, next_doc + pl.len(),
                                                    dtype=pl.UInt32).alias("doc"), "h")
        texts = todo.select("paper_id").join(papers, on="paper_id", how="left",
                                             maintain_order="left")
        number = parts[-1] + 1 if parts else 0
        _write_part(store, number, docs, texts.select("title", "abstract"))
        parts.append(number)
    return _meta(store, parts, papers.height)


def read_meta(store: Store) -> dict | None:
    """The index's meta, or None when the store has no index."""
    meta = store.read_json(store.phrase_index_dir / "meta.json")
    return meta if isinstance(meta, dict) else None


# ---- querying -----------------------------------------------------------------------------------
@dataclass
class _Part:
    keys: np.ndarray
    vocab: pl.DataFrame


class PhraseIndex:
    """A loaded index: which indexed documents hold a phrase (see :func:`load`)."""

    def __init__(self, parts: list[_Part], docs: pl.DataFrame) -> None:
        """Keep the parts (keys memory-mapped) and the live documents, sorted by paper id."""
        self.parts = parts
        self.docs = docs.sort("paper_id")
        self.n_docs = int(docs.select(pl.col("doc").max()).item() or 0) + 1 if docs.height else 0
        extra = [int(p.keys[-1] >> DOC_SHIFT) + 1 for p in parts if len(p.keys)]
        self.n_docs = max([self.n_docs, *extra])

    def doc_of(self, paper_ids: pl.Series) -> np.ndarray:
        """The live document of each paper id; -1 for papers the index does not hold."""
        ids = self.docs.get_column("paper_id")
        if ids.len() == 0:
            return np.full(paper_ids.len(), -1, dtype=np.int64)
        at = ids.search_sorted(paper_ids).clip(0, ids.len() - 1)
        found = (ids.gather(at) == paper_ids).fill_null(False).to_numpy()
        docs = self.docs.get_column("doc").gather(at).to_numpy().astype(np.int64)
        return np.where(found, docs, -1)

    def _slices(self, token: str) -> Iterator[np.ndarray]:
        for part in self.parts:
            hit = part.vocab.filter(pl.col("tok") == token)
            if hit.height:
                start, count = int(hit["start"][0]), int(hit["count"][0])
                yield np.asarray(part.keys[start:start + count])

    def _word(self, word: str) -> list[np.ndarray]:
        """Sorted key arrays of the tokens a phrase word matches (with and without -s)."""
        low = word.lower()
        return [a for tok in dict.fromkeys((low, low + "s")) for a in self._slices(tok)]

    def documents(self, words: list[str | None], field: str) -> np.ndarray:
        """Boolean mask over documents: the words occur adjacent (``None`` words: any token).

        Args:
            words: the phrase's singular words, lower or upper case; None for an unindexed word.
            field: ``title``, ``abstract`` or ``both``.
        """
        mask = np.zeros(self.n_docs, dtype=bool)
        arrays = [None if w is None else self._word(w) for w in words]
        # the rarest indexed word anchors the search; the others are looked up beside it
        anchor = min((i for i, a in enumerate(arrays) if a is not None),
                     key=lambda i: sum(len(x) for x in arrays[i] or []))
        for base in arrays[anchor] or []:
            base = base[(base & (FIELD_BIT - 1)) >= anchor]  # room for the words before it
            keys = base.astype(np.int64) - anchor  # the key of the phrase's first word
            if field != "both":
                in_abstract = (keys & FIELD_BIT) != 0
                keys = keys[in_abstract] if field == "abstract" else keys[~in_abstract]
            for i, others in enumerate(arrays):
                if others is None or i == anchor or len(keys) == 0:
                    continue
                found = np.zeros(len(keys), dtype=bool)
                for arr in others:
                    at = np.searchsorted(arr, (keys + i).astype(np.uint64))
                    ok = at < len(arr)
                    found[ok] |= arr[at[ok]] == (keys[ok] + i).astype(np.uint64)
                keys = keys[found]
            mask[(keys >> DOC_SHIFT).astype(np.int64)] = True
        return mask


def index_words(words: list[str]) -> list[str | None] | None:
    """The words as the index looks them up (singular, lower case; None where unindexed).

    None when the phrase cannot use the index (a word that is not plain ASCII letters, digits
    and underscores, or only unindexed words).
    """
    out: list[str | None] = []
    for word in words:
        if not word.isascii() or not word.replace("_", "a").isalnum():
            return None
        low = singular(word).lower()
        out.append(None if low in UNINDEXED else low)
    if all(w is None for w in out):
        return None
    return out


def load(store: Store) -> PhraseIndex | None:
    """The store's index when it matches the current paper table, else None."""
    meta = read_meta(store)
    if meta is None or meta.get("version") != VERSION or meta.get("polars") != pl.__version__:
        return None
    if meta.get("papers_stamp") != papers_stamp(store):
        return None
    parts = []
    for n in meta["parts"]:
        keys_path, vocab_path, _ = _part_files(store, n)
        parts.append(_Part(np.load(keys_path, mmap_mode="r", allow_pickle=False),
                           pl.read_parquet(vocab_path)))
    return PhraseIndex(parts, live_docs(store, meta["parts"]).select("paper_id", "doc"))


def from_papers(papers: pl.DataFrame) -> PhraseIndex:
    """An index of some papers (paper_id, title, abstract) held in memory only."""
    keys, vocab = _arrays(papers.select("title", "abstract"), 0)
    docs = papers.select("paper_id", pl.int_range(pl.len(), dtype=pl.UInt32).alias("doc"))
    return PhraseIndex([_Part(keys, vocab)], docs)


def describe(store: Store) -> str:
    """One line about the store's index (for `papertrends index`)."""
    meta = read_meta(store)
    if meta is None:
        return "no phrase index"
    fresh = load(store) is not None
    size = sum(p.stat().st_size for p in store.phrase_index_dir.glob("part-*"))
    return (f"phrase index of {meta['papers']} papers in {len(meta['parts'])} part(s), "
            f"{size / 1e6:.0f} MB, {'current' if fresh else 'out of date'}")

