"""Topic names from phrases people use, and the papers that show a topic best.

Candidates are Hugging Face's ``ai_keywords`` phrases (the ``keywords`` column), tokenised like the
c-TF-IDF vectoriser, merged across plural forms, kept when they have 1-3 words, no word of 2
characters or fewer (no "sd", "3d", "of"), no generic word ("model", "benchmark"), do not look
like a benchmark or product name ("LongVideoBench"), are a whole keyword of at least 3 papers, and
are a whole keyword in at least 10 % of the papers whose text contains them (drops words mostly
used inside longer phrases: "multimodal", "understanding"). An acronym and its expansion
("RAG", "retrieval-augmented generation") are one phrase. A paper *has* a phrase when it is among
its keywords or occurs in its title or abstract, so papers without keywords count too.

Score of phrase k for topic t, a product of coverage and precision::

    score = (papers of t with k / papers of t) * (papers of t with k / papers with k)

Heads (the first phrase of a label) are unique: the best (topic, phrase) pairs are taken greedily
over all topics, and a phrase whose words equal, contain or lie within a taken head's is no longer
a head elsewhere, nor a second or third phrase of any label. Second and third phrases are the best
remaining ones sharing no word (or acronym) with the phrases already in the label. A topic without
any candidate (a store without keywords) falls back to its c-TF-IDF terms under the same rules.
Every ordering has an explicit tie-break, so the same fit always gives the same labels.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from analysis.topics.vectorizers import TOKEN
from analysis.topics.vectors import normalise
from analysis.trends.text import TOPIC_STOP_WORDS, singular

SEP = " · "
MIN_KEYWORD_PAPERS = 3  # a candidate is a whole keyword of this many papers
MIN_TOPIC_PAPERS = 3  # and occurs in this many papers of the topic
MIN_KEYWORD_RATIO = 0.1  # and is a whole keyword of this share of the papers that have it
MIN_CHARS = 3  # every word of a label has this many characters
GENERIC = frozenset({
    "model", "llm", "large language model", "language model", "benchmark", "dataset", "data",
    "training", "evaluation", "task", "efficiency", "accuracy", "method", "system", "agent",
    "generalization", "robustness", "scalability", "fine-tuning", "deep learning",
    "neural network", "machine learning", "artificial intelligence", "transformer", "inference",
    "computational cost", "computational efficiency", "metric", "open-source", "state-of-the-art",
    "baseline", "ablation study", "experiment",
})
_TOK = re.compile(TOKEN)
_PAREN = re.compile(r"\s*\([^)]*\)\s*")
_ACRONYM = re.compile(r"^(.*?)\s*\(([^()]+)\)\s*$")
_NAME_LIKE = re.compile(r"[a-z][A-Z][a-z]|[A-Z]{2,}[a-z]{3,}")


def key_of(tokens: list[str]) -> str:
    """The comparable form of a phrase: lower case, each word without its plural -s."""
    return " ".join(singular(t.lower()) for t in tokens)


def _is_acronym(tok: str) -> bool:
    return " " not in tok and sum(ch.isupper() for ch in tok) >= 2


def _shown(forms: Counter) -> str:
    """The most common surface form; a hyphen part keeps its case only if it reads as an acronym."""
    surface = sorted(forms.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
    return " ".join("-".join(p if _is_acronym(p) else p.lower() for p in tok.split("-"))
                    for tok in surface.split())


def _name_like(text: str) -> bool:
    """Benchmark and product names ("LongVideoBench", "MMBench", "VSI-Bench"), not topics."""
    return any(_NAME_LIKE.search(t) or t.lower().endswith("bench") for t in text.split())


def _acronym_pair(keyword: str) -> tuple[list[str], list[str]] | None:
    """("retrieval-augmented generation", "RAG") token lists of a "X (Y)" keyword, if Y is one."""
    m = _ACRONYM.match(keyword.strip())
    if not m or not _is_acronym(m.group(2).strip()):
        return None
    exp, short = _TOK.findall(m.group(1)), _TOK.findall(m.group(2))
    return (exp, short) if exp and len(short) == 1 else None


@dataclass
class PhraseTable:
    """Candidate phrases and which papers have them.

    Attributes:
        keys: comparable phrase keys, the column order of ``has``.
        shown: how each phrase is written in a label.
        has: papers x phrases, 1 where the paper has the phrase.
        aliases: a word -> the words of its acronym or expansion ("moe" ~ "mixture-of-expert").
    """

    keys: list[str]
    shown: list[str]
    has: sparse.csc_matrix
    aliases: dict[str, set[str]] = field(default_factory=dict)


def phrase_table(keywords: list[list[str] | None], docs: list[str]) -> PhraseTable:
    """The candidate phrases of a corpus (see the module docstring), one row per paper.

    Args:
        keywords: each paper's keywords as stored (``ai_keywords``; None or empty when none).
        docs: each paper's text (title and abstract), in the same order.
    """
    from sklearn.feature_extraction.text import CountVectorizer

    pairs: dict[str, Counter] = defaultdict(Counter)  # acronym key -> expansion (key, surface)
    for kws in keywords:
        for kw in kws or []:
            pair = _acronym_pair(kw)
            if pair:
                pairs[key_of(pair[1])][(key_of(pair[0]), " ".join(pair[0]))] += 1
    expand = {}
    for acr, counts in pairs.items():
        (exp_key, surface), n = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0]
        if n >= 2 and exp_key != acr:
            expand[acr] = (exp_key, surface)

    forms: dict[str, Counter] = defaultdict(Counter)  # phrase key -> surface forms
    short: dict[str, Counter] = defaultdict(Counter)  # phrase key -> its acronym's forms
    papers: dict[str, set[int]] = defaultdict(set)  # phrase key -> papers with it as keyword
    surface_key: dict[str, str] = {}  # lower-case surface -> phrase key

    def add(tokens: list[str], row: int) -> None:
        key, surface = key_of(tokens), " ".join(tokens)
        if key in expand:  # a bare acronym: counted under its expansion
            key, exp_surface = expand[key]
            short[key][surface] += 1
            surface_key[exp_surface.lower()] = key
        else:
            forms[key][surface] += 1
        surface_key[surface.lower()] = key
        papers[key].add(row)

    for row, kws in enumerate(keywords):
        for kw in kws or []:
            pair = _acronym_pair(kw)
            if pair:
                add(pair[0], row)
                short[key_of(pair[0])][pair[1][0]] += 1
                surface_key[pair[1][0].lower()] = key_of(pair[0])
            elif toks := _TOK.findall(_PAREN.sub(" ", kw)):
                add(toks, row)

    keys, shown = [], []
    for key in sorted(papers):
        text = _candidate(key, forms.get(key), short.get(key), len(papers[key]))
        if text:
            keys.append(key)
            shown.append(text)
    col = {k: i for i, k in enumerate(keys)}
    surfaces = sorted(s for s, k in surface_key.items() if k in col and len(s) >= MIN_CHARS)
    n = len(docs)
    if not keys or not surfaces:
        return PhraseTable([], [], sparse.csc_matrix((n, 0), dtype=np.float32))
    text = CountVectorizer(token_pattern=TOKEN, ngram_range=(1, 3), vocabulary=surfaces,
                           binary=True).transform(docs)
    to_key = sparse.csr_matrix((np.ones(len(surfaces)), (np.arange(len(surfaces)),
                                [col[surface_key[s]] for s in surfaces])),
                               shape=(len(surfaces), len(keys)))
    rows = [r for k in keys for r in sorted(papers[k])]
    cols = [col[k] for k in keys for _ in papers[k]]
    as_kw = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, len(keys)))
    has = ((text @ to_key + as_kw) > 0).astype(np.float32).tocsc()
    ratio = np.asarray(as_kw.sum(axis=0)).ravel() / np.maximum(has.sum(axis=0).A1, 1)
    keep = np.flatnonzero(ratio >= MIN_KEYWORD_RATIO)
    aliases: dict[str, set[str]] = defaultdict(set)
    for acr, (exp_key, _) in expand.items():
        aliases[acr] |= set(exp_key.split())
        for word in exp_key.split():
            aliases[word].add(acr)
    return PhraseTable([keys[i] for i in keep], [shown[i] for i in keep], has[:, keep],
                       dict(aliases))


def _candidate(key: str, forms: Counter | None, short: Counter | None, papers: int) -> str | None:
    """How a phrase is shown in labels, or None when it may not be a candidate."""
    if papers < MIN_KEYWORD_PAPERS or key in GENERIC:
        return None
    for options in (forms, short):  # the expansion first, else the acronym ("RLVR")
        if options and _fits(text := _shown(options)):
            return text
    return None


def _fits(text: str) -> bool:
    """A phrase of 1-3 words, each of 3+ characters, not only stop words, not a name."""
    words = text.split()
    return (1 <= len(words) <= 3 and min(len(w) for w in words) >= MIN_CHARS
            and key_of(words) not in GENERIC
            and not all(w.lower() in TOPIC_STOP_WORDS for w in words) and not _name_like(text))


def phrase_scores(table: PhraseTable, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(topic ids, score of each phrase for each topic [topics x phrases]); -1 is no topic."""
    ids = np.unique(labels[labels >= 0])
    inside = labels >= 0
    member = sparse.csr_matrix((np.ones(inside.sum()), (np.searchsorted(ids, labels[inside]),
                                                        np.flatnonzero(inside))),
                               shape=(len(ids), len(labels)))
    if table.has.shape[1] == 0:
        return ids, np.zeros((len(ids), 0))
    with_k = (member @ table.has).toarray()
    n_t = np.asarray(member.sum(axis=1)).ravel()[:, None]
    n_k = np.asarray(table.has.sum(axis=0)).ravel()[None, :]
    score = with_k ** 2 / (n_t * np.maximum(n_k, 1))
    score[with_k < MIN_TOPIC_PAPERS] = 0.0
    return ids, score


def _overlaps(a: set[str], b: set[str]) -> bool:
    return a <= b or b <= a


#: Labels stay at most this long (the head phrase alone may be longer): legends show them whole.
MAX_LABEL_CHARS = 60


def make_labels(table: PhraseTable, labels: np.ndarray, *, n_phrases: int = 3,
                fallback: dict[int, list[str]] | None = None, top: int = 40,
                max_chars: int = MAX_LABEL_CHARS) -> dict[int, str]:
    """One label per topic (``labels`` >= 0), "head · second · third", heads unique.

    Args:
        table: the candidate phrases (:func:`phrase_table`).
        labels: the topic of each paper (-1: none), rows as in the table.
        n_phrases: phrases per label.
        fallback: terms per topic (c-TF-IDF words) for topics without any candidate phrase.
        top: candidates considered per topic.
        max_chars: the label ends before the first further phrase that would make it longer
            than this (chart legends show labels whole).
    """
    ids, score = phrase_scores(table, labels)
    shown = list(table.shown)
    cand: dict[int, list[int]] = {}
    for r, t in enumerate(ids):
        order = np.lexsort((np.arange(score.shape[1]), -score[r]))[:top]
        cand[int(t)] = [int(c) for c in order if score[r, c] > 0]
    words = [set(k.split()) for k in table.keys]
    # what a phrase reads as: a phrase keyed by its expansion may be shown as its acronym
    reads = [key_of(text.split()) for text in shown]

    def clashes(c: int, others: Iterable[int]) -> bool:
        return any(_overlaps(words[c], words[h]) or reads[c] == reads[h] for h in others)

    pool = sorted((-score[r, c], int(t), c) for r, t in enumerate(ids) for c in cand[int(t)])
    heads: dict[int, int] = {}
    for _, t, c in pool:
        if t not in heads and not clashes(c, heads.values()):
            heads[t] = c
    for t in sorted(cand):  # topics left without a head: their own terms, same rules
        if t in heads or not fallback:
            continue
        for term in fallback.get(t, []):
            toks = _TOK.findall(term)
            if toks and _fits(" ".join(toks)):
                shown.append(" ".join(toks).lower())
                words.append(set(key_of(toks).split()))
                reads.append(key_of(toks))
                cand[t].append(len(shown) - 1)
        for c in cand[t]:
            if not clashes(c, heads.values()):
                heads[t] = c
                break
    wide = [w | set().union(*(table.aliases.get(x, set()) for x in w)) for w in words]
    out = {}
    for t in sorted(cand):
        if t not in heads:
            out[t] = f"topic {t}"
            continue
        chosen, seen = [heads[t]], set(wide[heads[t]])
        for c in cand[t]:
            if len(chosen) >= n_phrases:
                break
            if c in chosen or wide[c] & seen or clashes(c, heads.values()):
                continue
            if len(SEP.join(shown[x] for x in [*chosen, c])) > max_chars:
                break  # not a weaker, shorter phrase instead: the label ends here
            chosen.append(c)
            seen |= wide[c]
        out[t] = SEP.join(shown[c] for c in chosen)
    return out


def label_problems(names: dict[int, str]) -> list[str]:
    """What breaks the naming rules in a label set (empty when nothing does).

    The rules: no head phrase in two labels, 1-3 words per phrase, no word of 2 characters or
    fewer (so no bare "sd" or "ar"), labels distinct.
    """
    problems = []
    phrases = {t: [key_of(p.split()) for p in n.split(SEP)] for t, n in names.items()
               if not n.startswith("topic ")}
    for t, keys in phrases.items():
        others = [u for u, ks in phrases.items() if u != t and keys[0] in ks]
        if others:
            problems.append(f"head {keys[0]!r} of topic {t} also in topics {sorted(others)}")
    for t, name in names.items():
        for phrase in name.split(SEP):
            words = phrase.split()
            if not 1 <= len(words) <= 3:
                problems.append(f"topic {t}: {phrase!r} has {len(words)} words")
            if any(len(w) < MIN_CHARS for w in words):
                problems.append(f"topic {t}: {phrase!r} has a word of 2 characters or fewer")
    if len(set(names.values())) != len(names):
        problems.append("two topics have the same label")
    return problems


def representatives(emb: np.ndarray, labels: np.ndarray, core: np.ndarray, k: int = 3
                    ) -> dict[int, list[int]]:
    """Rows of the k papers closest to each topic's centroid, clustered members first.

    Args:
        emb: unit-length paper embeddings.
        labels: each paper's final topic (-1: none).
        core: True where the clusterer itself put the paper in its topic (not reassigned).
        k: papers per topic.
    """
    out = {}
    for t in np.unique(labels[labels >= 0]):
        rows = np.flatnonzero(labels == t)
        cent = normalise(emb[rows].mean(0, keepdims=True))[0]
        members = rows[core[rows]]
        pick = members if len(members) >= k else rows
        sims = emb[pick] @ cent
        out[int(t)] = pick[np.lexsort((pick, -sims))][:k].tolist()
    return out
