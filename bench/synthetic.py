"""Large paper tables made from the real papers, for the scale benchmarks (and tests at ~100k).

``synthetic_papers(source, n)`` resamples the rows of a real table (the bundled 12,570 papers by
default) to ``n`` papers:

* every row is a real paper's title, abstract, authors, keywords and upvotes, with the text
  lightly varied (a few words appended, chosen by the row number) so that no two rows share a
  text hash — each needs its own embedding, as a real corpus would;
* the listing dates are spread over ``years`` years ending at ``end``, in the order of the source
  papers' own dates (jittered by up to a month, so the copies of one paper spread out), so a
  trend over the long span has the shape of the real one, stretched; ``published`` keeps the
  source paper's distance to its listing;
* ids are ``syn-<yymm>-<6 digits>``: sorted by month, never an arXiv id, so papers fetched later
  (real arXiv ids) are added beside them, never merged into them.

Same arguments, same frame (byte for byte through ``parquet_bytes``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl

from analysis.schema import SCHEMA, upgrade

ROOT = Path(__file__).resolve().parents[1]
BUNDLED_PAPERS = ROOT / "data" / "papers.parquet"
#: Copies of one paper land within this many days of its date, before the span is stretched.
JITTER_DAYS = 30
#: Words appended to a copy's abstract and title (two or three of them, by row number).
VARIANTS = ("revisited", "extended", "study", "analysis", "approach", "evidence", "setting",
            "results", "framework", "benchmark", "method", "survey", "baseline", "notes",
            "evaluation", "variant")


def read_source(path: Path = BUNDLED_PAPERS) -> pl.DataFrame:
    """The real paper table the synthetic rows are drawn from (canonical schema)."""
    return upgrade(pl.scan_parquet(path)).collect().select(list(SCHEMA))


def synthetic_papers(source: pl.DataFrame, n: int, *, seed: int = 0, years: int = 10,
                     end: dt.date = dt.date(2026, 5, 29)) -> pl.DataFrame:
    """``n`` papers resampled from ``source`` (see the module docstring), sorted by paper_id.

    Args:
        source: a canonical paper table with at least one row.
        n: how many papers to make.
        seed: the seed of the resampling and of the order of ties.
        years: the span of the listing dates, ending at ``end``.
        end: the last listing date.

    Returns:
        A canonical paper table of ``n`` rows, each with its own text hash.
    """
    if source.height == 0 or n <= 0:
        raise ValueError("need a non-empty source and n > 0")
    rng = np.random.default_rng(seed)
    picks = np.concatenate([np.arange(min(n, source.height)),
                            rng.integers(0, source.height, max(0, n - source.height))])
    src = source.with_columns(pl.col("listed").fill_null(pl.col("published")))
    rows = src[picks.tolist()].with_columns(
        _row=pl.Series(np.arange(n, dtype=np.int64)),
        _tie=pl.Series(rng.integers(-JITTER_DAYS, JITTER_DAYS + 1, n)),
    )
    # dates: the rows in the order of their source dates (jittered, so copies of one paper
    # spread over a few months), spread evenly over the span
    rows = rows.sort(pl.col("listed") + pl.duration(days=pl.col("_tie")), "_row", nulls_last=True)
    span = int(years * 365.25)
    start = end - dt.timedelta(days=span - 1)
    offsets = (np.arange(n, dtype=np.int64) * span) // n
    rows = rows.with_columns(
        _new=pl.lit(start) + pl.duration(days=pl.Series(offsets)),
    )
    words = pl.Series(VARIANTS)
    k = len(VARIANTS)
    row = pl.col("_row")
    ids = rows.get_column("_row").to_numpy()
    w1, w2, w3 = (words.gather((ids // k**i) % k) for i in range(3))
    rows = rows.with_columns(w1=w1, w2=w2, w3=w3)
    varied = pl.format("{} {} {} {}", pl.col("w1"), pl.col("w2"), pl.col("w3"), row)
    shift = pl.col("_new") - pl.col("listed")
    out = rows.with_columns(
        title=pl.format("{} ({})", pl.col("title"), varied),
        abstract=pl.format("{} {}", pl.col("abstract").fill_null(""), varied),
        published=(pl.col("published") + shift).fill_null(pl.col("_new")),
        listed=pl.col("_new"),
        source=pl.lit("synthetic"),
        sources=pl.lit(["synthetic"], dtype=pl.List(pl.Utf8)),
    )
    out = out.with_columns(
        paper_id=pl.format("syn-{}-{}", pl.col("listed").dt.strftime("%y%m"),
                           pl.int_range(pl.len()).over(pl.col("listed").dt.strftime("%y%m"))
                           .cast(pl.Utf8).str.zfill(6)),
    )
    return out.select(list(source.columns)).sort("paper_id")
