"""The merge rules: many readings of a paper become one row of the paper table.

Merging deduplicates by ``paper_id``. A paper known only by its title (``title:<hash>``, e.g.
from a page dump) merges into the record with an arXiv id and the same normalised title; the
arXiv id wins.

Each row read from a source is one *reading* of a paper. Per paper the merge keeps:

- ``listed``: the earliest listing day of any reading; ``published``: the earliest date;
- ``sources``: every source that saw the paper (sorted);
- every other field (title, abstract, authors, n_authors, organization, keywords, upvotes,
  upvotes_at, source) from one reading, the *winner*: the best source (the Daily Papers API,
  by day or by month, over tables over page dumps), then one with a count, then the latest read
  (``upvotes_at``; a reading without a time is the oldest), then the higher count, then the
  longer abstract, then the text (so even two readings that differ only in their words have a
  fixed order; "newer input" means nothing when batches may come in any order).

A merged row is itself a reading with the winner's fields, so merging in any batches, in any
order, gives the same table as merging everything at once: the same set of entries always gives
a byte-identical ``papers.parquet``.

A day's merge into a large table folds only the rows the day can change (:func:`merge_rows`);
:func:`merge_all` folds every row and is what it must equal.

Public API::

    merge(old, new) -> (frame, MergeStats)
    merge_rows(old, new) -> Merged          the same, with the rows it folded again
    merge_all(old, new) -> (frame, MergeStats)
    fold(readings) -> frame
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from analysis.schema import COLUMNS, SCHEMA, normalise_titles, validate
from analysis.table import changes

#: Lower rank wins when fields disagree (other sources, such as tables, rank 1).
SOURCE_RANK = {"hf-daily-api": 0, "hf-month-api": 0, "hf-page-dump": 2}


@dataclass
class MergeStats:
    """How a merge changed the table (counts of papers)."""

    added: int = 0
    updated: int = 0
    merged: int = 0
    unchanged: int = 0


def merge(old: pl.DataFrame, new: pl.DataFrame) -> tuple[pl.DataFrame, MergeStats]:
    """Merge new readings into the table, deduplicating by paper id (rules: module docstring).

    Only the old rows the new readings can change are folded again: those whose id a new
    reading has (after the title rule), and those whose normalised title both a record known
    only by its title and an arXiv record have (old or new). The other rows are kept as they
    are, so a day's merge into a large table costs a pass over its ids and titles, not a fold
    of every row; the result is the same as folding everything (tests/test_merge_rules.py).

    Returns:
        The merged table (canonical schema, sorted by paper_id) and the counts.
    """
    done = merge_rows(old, new)
    return done.table, done.stats


@dataclass
class Merged:
    """A merge's result, with the old rows it folded again and what they became."""

    table: pl.DataFrame
    stats: MergeStats
    before: pl.DataFrame
    after: pl.DataFrame

    def delta(self) -> pl.DataFrame:
        """The change from the old table to the new one (:func:`analysis.table.changes`)."""
        return changes(self.before, self.after)


def merge_rows(old: pl.DataFrame, new: pl.DataFrame) -> Merged:
    """:func:`merge`, keeping the rows it folded again (their delta is the table's)."""
    old = validate(old.select(COLUMNS) if old.height else pl.DataFrame(schema=SCHEMA))
    new = validate(new.select(COLUMNS) if new.height else pl.DataFrame(schema=SCHEMA))
    touched = _touched(old, new)
    part, rest = old.filter(touched), old.filter(~touched)
    after, stats = merge_all(part, new)
    stats.unchanged += rest.height
    table = after
    if rest.height:
        table = pl.concat([rest, after], how="vertical").sort("paper_id")
    return Merged(table, stats, part, after)


def _touched(old: pl.DataFrame, new: pl.DataFrame) -> pl.Series:
    """Which old rows a merge with ``new`` can change (see :func:`merge`)."""
    if old.height == 0:
        return pl.Series("touched", [], dtype=pl.Boolean)
    keys = pl.concat([old.select("paper_id", "title"), new.select("paper_id", "title")])
    keys = keys.with_columns(_nt=normalise_titles(keys.get_column("title")),
                             _by_title=pl.col("paper_id").str.starts_with("title:"))
    shared = (keys.group_by("_nt")
              .agg(pl.col("_by_title").any().alias("t"), pl.col("_by_title").not_().any()
                   .alias("a"))
              .filter(pl.col("t") & pl.col("a")).get_column("_nt"))
    targets = (keys.filter(~pl.col("_by_title") & pl.col("_nt").is_in(shared.implode()))
               .get_column("paper_id"))
    ids = pl.concat([new.get_column("paper_id"), targets]).unique()
    old_nt = keys.get_column("_nt").head(old.height)
    return (old.get_column("paper_id").is_in(ids.implode()) | old_nt.is_in(shared.implode())
            ).alias("touched")


def merge_all(old: pl.DataFrame, new: pl.DataFrame) -> tuple[pl.DataFrame, MergeStats]:
    """:func:`merge` by folding every row of both tables (what :func:`merge` must equal)."""
    old = validate(old.select(COLUMNS) if old.height else pl.DataFrame(schema=SCHEMA))
    new = validate(new.select(COLUMNS) if new.height else pl.DataFrame(schema=SCHEMA))
    both = pl.concat([old.with_columns(_new=pl.lit(0)), new.with_columns(_new=pl.lit(1))])
    both = both.with_columns(_nt=normalise_titles(both.get_column("title")))
    # papers known only by title take the arXiv id of a record with the same normalised title
    targets = (
        both.filter(~pl.col("paper_id").str.starts_with("title:"))
        .group_by("_nt")
        .agg(pl.col("paper_id").min().alias("_target"))
    )
    both = both.with_columns(_orig=pl.col("paper_id"))
    both = both.join(targets, on="_nt", how="left").with_columns(
        paper_id=pl.when(
            pl.col("paper_id").str.starts_with("title:") & pl.col("_target").is_not_null()
        )
        .then(pl.col("_target"))
        .otherwise(pl.col("paper_id"))
    )
    out = fold(both)
    stats = _stats(old, new, out, both)
    return out, stats


#: The order that picks a paper's winning reading (first wins): see the module docstring.
_WINNER_ORDER = (
    ("_rank", False), ("_counted", True), ("upvotes_at", True), ("upvotes", True),
    ("_abstract_len", True), ("title", False), ("abstract", False), ("_authors", False),
    ("n_authors", True), ("organization", False), ("_keywords", False), ("source", False),
)
#: Fields taken from the winning reading.
WINNER_FIELDS = ("title", "abstract", "upvotes", "upvotes_at", "authors", "n_authors",
                 "organization", "keywords", "source")


def fold(readings: pl.DataFrame) -> pl.DataFrame:
    """One row per ``paper_id`` from any number of readings (canonical columns), by the rules.

    The result depends only on the set of readings, never on their order.
    """
    ranked = readings.with_columns(
        _rank=pl.col("source").replace_strict(SOURCE_RANK, default=1, return_dtype=pl.Int32),
        _counted=pl.col("upvotes").is_not_null(),
        _abstract_len=pl.col("abstract").str.len_chars().fill_null(0),
        _authors=pl.col("authors").list.join("\x1f"),
        _keywords=pl.col("keywords").list.join("\x1f"),
    ).sort(
        ["paper_id", *(c for c, _ in _WINNER_ORDER)],
        descending=[False, *(d for _, d in _WINNER_ORDER)],
        nulls_last=True,
    )
    out = ranked.group_by("paper_id", maintain_order=True).agg(
        *(pl.col(c).first() for c in WINNER_FIELDS),
        pl.col("listed").min(),
        pl.col("published").min(),
        pl.col("sources").list.explode(keep_nulls=False, empty_as_null=False).unique().sort()
        .alias("sources"),
    )
    return validate(out).sort("paper_id")


def _stats(
    old: pl.DataFrame, new: pl.DataFrame, out: pl.DataFrame, both: pl.DataFrame
) -> MergeStats:
    old_ids = set(old["paper_id"].to_list())
    incoming = both.filter(pl.col("_new") == 1)
    new_ids = set(incoming["paper_id"].to_list())
    # records folded into another paper: duplicates within the input, title-only records that
    # joined an arXiv record, and old title-only rows absorbed by a new arXiv record
    own = set(incoming.filter(pl.col("_orig") == pl.col("paper_id"))["paper_id"].to_list())
    merged = incoming.height - len(own)
    merged += len(old_ids - set(out["paper_id"].to_list()))
    common = (
        out.filter(pl.col("paper_id").is_in(list(old_ids)))
        .join(old, on="paper_id", how="inner", suffix="_old")
    )
    same = pl.all_horizontal(
        [pl.col(c).eq_missing(pl.col(f"{c}_old")) for c in COLUMNS if c != "paper_id"]
    )
    unchanged = int(common.select(same.sum()).item() or 0) if common.height else 0
    return MergeStats(
        added=len(new_ids - old_ids),
        updated=common.height - unchanged,
        merged=merged,
        unchanged=unchanged,
    )
