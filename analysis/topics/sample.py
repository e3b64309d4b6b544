"""Fitting topics on a time-stratified sample of a large store (light: NumPy and Polars only).

UMAP and HDBSCAN stop scaling on a CPU long before a store does, so above
:data:`SAMPLE_FROM` papers ``fit`` clusters a sample of :data:`DEFAULT_SAMPLE` papers and places
every other paper through the path of papers added later (``match.place``: the nearest-centroid
rule and the map position from the nearest placed papers). The sample keeps every listing month's
share of the store (largest remainder), and within a month takes the papers whose seeded hash of
the paper id is smallest: the same store and seed give the same sample whatever the row order,
and papers added later do not reshuffle the months they do not touch.

Measured with ``bench/bench_sample_fit.py`` on a 100k synthetic store (fast embedder, with the
outlier threshold of 0.6 it then had, 2 shared cores, HDBSCAN sizes grown with the corpus: 133 /
200), in one run: the full fit took 757 s and
found 68 topics (ai_keywords lift 21.1x); a second full fit with another seed agreed with it at
ARI 0.546 only (its lift 20.4x). A sample of 25,000 took 260 s (2.9x faster), 56 topics, lift
18.5x, ARI 0.369 to the full fit; a sample of 10,000 took 145 s (5.2x faster), 65 topics, lift
20.8x, ARI 0.350. The placed papers agree with the full fit as well as the clustered ones do (ARI
0.371 / 0.365 at 25k): what differs is the clustering of the sample, and a full fit differs from
itself almost as much. So the default is 10,000 (closer in lift, 0.985 of the full fit's against
0.876, and 1.8x faster than 25,000). The synthetic store holds ~8 near-copies of each real paper,
so its neighbour graphs are unlike a real corpus's; on the real 12,570 papers (``--store data``)
two full fits agree at ARI 0.792 and samples of 3,000 / 6,000 reach 0.324 / 0.408 (71 / 51
topics against 41; lift 1.09 / 1.06 of the full fit's). With the fast model's own threshold
(0.82) since: 100k, full fit 812 s, 68 topics, 1.6 % outliers, lift 21.3x; sample of 10,000 152 s
(5.35x faster), 65 topics, 1.7 % outliers, lift 21.05x (0.990), ARI 0.354; real papers, samples of
3,000 / 6,000 ARI 0.329 / 0.411 (two full fits: 0.792), lift 1.07 / 1.06 of the full fit's.

Why no sample fit reaches ARI 0.7 (``bench/bench_sample_sizes.py``, the real 12,570 papers with
MiniLM, the clustering alone): a sample's agreement grows with its share of the corpus and with
the topic size, and stays below a full fit's agreement with itself. At fit's sizes (74 topics;
two full fits: ARI 0.763) samples of 10 / 24 / 48 % reach 0.371 / 0.434 / 0.517; at three times
the sizes (29 topics; full fits 0.878) 0.494 / 0.589 / 0.669. Scaling the sample's sizes by 0.7,
1.5 or 2 instead of its share never gains more than 0.013 and mostly loses; putting the other
papers into the sample's UMAP space and clustering all of them loses too (0.509 at 48 %).
"""

from __future__ import annotations

import hashlib

import numpy as np
import polars as pl

from analysis.schema import InputError
from analysis.topics.match import place

#: Stores up to this many papers are fitted whole by default (today's behaviour).
SAMPLE_FROM = 25_000
#: Above SAMPLE_FROM, the default sample size.
DEFAULT_SAMPLE = 10_000
#: The words ``--sample`` takes for "no sampling".
ALL = ("all", "0")
UNDATED = "undated"


def parse_sample(text: str | int | None) -> int | None:
    """The sample size of ``--sample``: None (the default rule), 0 (all papers) or N >= 1.

    Raises:
        InputError: not a whole number or ``all``, or a negative number.
    """
    if text is None:
        return None
    if isinstance(text, str) and text.strip().lower() in ALL:
        return 0
    try:
        value = int(text)
    except (TypeError, ValueError):
        raise InputError(f"--sample takes a number of papers or 'all', not {text!r}",
                         field="sample", hint="e.g. --sample 25000, or --sample all") from None
    if value < 0:
        raise InputError(f"--sample must be 0 (all papers) or more, not {value}",
                         field="sample", hint="e.g. --sample 25000, or --sample all")
    return value


def sample_size(requested: int | None, n_papers: int) -> int | None:
    """How many papers to cluster, or None to cluster every paper.

    Args:
        requested: None for the default (a sample of ``DEFAULT_SAMPLE`` above ``SAMPLE_FROM``
            papers), 0 for all papers, else the sample size (at least the corpus: all).
        n_papers: papers in the store.

    Raises:
        InputError: a negative size.
    """
    if requested is None:
        return DEFAULT_SAMPLE if n_papers > SAMPLE_FROM else None
    if requested < 0:
        raise InputError(f"the sample size must be 0 (all papers) or more, not {requested}",
                         field="sample")
    if requested == 0 or requested >= n_papers:
        return None
    return max(10, requested)


def month_of(papers: pl.DataFrame) -> list[str]:
    """Each paper's listing month (``YYYY-MM``; the arXiv month if never listed, else undated)."""
    return (papers.select(pl.coalesce("listed", "published").dt.strftime("%Y-%m")
                          .fill_null(UNDATED)).to_series().to_list())


def quotas(counts: dict[str, int], n: int) -> dict[str, int]:
    """Each stratum's share of n by largest remainder (ties: the earlier stratum first)."""
    total = sum(counts.values())
    exact = {k: n * c / total for k, c in counts.items()}
    out = {k: int(v) for k, v in exact.items()}
    left = n - sum(out.values())
    for k in sorted(counts, key=lambda k: (-(exact[k] - out[k]), k))[:left]:
        out[k] += 1
    return out


def stratified_rows(papers: pl.DataFrame, n: int, seed: int) -> np.ndarray:
    """Row numbers (ascending) of a sample of n papers in which every month keeps its share.

    Args:
        papers: the paper table (``paper_id``, ``listed``, ``published``).
        n: the sample size (below the number of papers).
        seed: picks the papers within each month.
    """
    months = month_of(papers)
    pids = papers.get_column("paper_id").to_list()
    rank = [hashlib.sha256(f"{seed}\0{p}".encode()).digest()[:8] for p in pids]
    by_month: dict[str, list[int]] = {}
    for row, month in enumerate(months):
        by_month.setdefault(month, []).append(row)
    want = quotas({m: len(r) for m, r in by_month.items()}, n)
    keep: list[int] = []
    for month, rows in by_month.items():
        keep.extend(sorted(rows, key=lambda r: (rank[r], pids[r]))[:want[month]])
    return np.array(sorted(keep), dtype=np.int64)


def describe(n: int, of: int, seed: int) -> dict:
    """The meta's record of a sample fit."""
    return {"n": n, "of": of, "seed": seed, "strata": "listing month",
            "rest": "placed by the nearest-centroid rule of `assign`"}


def extend(rows: np.ndarray, emb: np.ndarray, fitted: dict[str, np.ndarray], ids: list[int],
           cents: np.ndarray, threshold: float) -> dict[str, np.ndarray]:
    """Every paper's columns: the sample's as fitted, the rest placed by ``match.place``.

    Args:
        rows: the sample's row numbers (ascending).
        emb: every paper's embedding.
        fitted: the sample's ``topic``, ``status``, ``sim``, ``prob`` and ``xy``, row for row.
        ids: the topic id of each centroid (the ids ``fitted["topic"]`` uses).
        cents: the topic centroids.
        threshold: the cosine a paper needs to join its nearest topic.

    Returns:
        The same keys, one row per paper of ``emb``.
    """
    n = len(emb)
    rest = np.setdiff1d(np.arange(n), rows)
    got = place(emb[rest], np.asarray(ids), cents, threshold, emb[rows], fitted["xy"])
    out = {}
    for key, part in fitted.items():
        whole = np.empty((n, *part.shape[1:]), dtype=np.result_type(part, got[key]))
        whole[rows], whole[rest] = part, got[key]
        out[key] = whole
    return out


def method_note(n: int, of: int) -> str:
    """What the meta's ``method`` adds for a sample fit."""
    return (f"; clustered on a time-stratified sample of {n:,} of {of:,} papers, the rest "
            "placed by the nearest-centroid rule")


def sample_line(sample: dict) -> str:
    """The line `fit` and `topics` print for a sample fit."""
    return (f"clustered a time-stratified sample of {sample['n']:,} of {sample['of']:,} papers "
            "(every listing month its share); the rest placed by the nearest-centroid rule")
