"""The canonical paper table: its columns, their types, validation and the one error type.

Every source maps into exactly this table; every view reads exactly this table plus artifacts.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field

import polars as pl

#: Column name -> Polars dtype, in canonical order.
SCHEMA: dict[str, pl.DataType] = {
    "paper_id": pl.Utf8(),
    "title": pl.Utf8(),
    "abstract": pl.Utf8(),
    "published": pl.Date(),
    "listed": pl.Date(),
    "upvotes": pl.Int64(),
    "upvotes_at": pl.Datetime("us", "UTC"),
    "authors": pl.List(pl.Utf8()),
    "n_authors": pl.Int32(),
    "organization": pl.Utf8(),
    "keywords": pl.List(pl.Utf8()),
    "source": pl.Utf8(),
    "sources": pl.List(pl.Utf8()),
}
COLUMNS: list[str] = list(SCHEMA)
#: Columns that came with the second source: a table written before them still reads (see
#: :func:`upgrade`), so a file without them is old, not damaged.
ADDED_LATER: tuple[str, ...] = ("upvotes_at", "sources")
REQUIRED: tuple[str, ...] = ("paper_id", "title")

#: Field length caps (characters); longer values are cut, never rejected.
MAX_LEN = {"title": 1_000, "abstract": 20_000, "organization": 300, "author": 300, "keyword": 200}
MAX_ITEMS = 2_000  # authors or keywords per paper

#: Listing and publication dates before this day are bad values (year 0000, 1970, ...).
MIN_DATE = dt.date(1990, 1, 1)


def latest_date() -> dt.date:
    """The latest plausible listing or publication day: tomorrow (UTC).

    A later date (an entry dated 2030) is a bad value for its entry, so the store's date span
    and fetch planning never move because of it.
    """
    return dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)


def plausible(day: dt.date, field: str) -> dt.date:
    """``day`` when it lies between 1990-01-01 and tomorrow (UTC).

    Raises:
        InputError: the day is outside that window (names ``field``).
    """
    if day < MIN_DATE:
        raise InputError(f"date {day.isoformat()} is before {MIN_DATE.isoformat()}",
                         field=field, hint="not a plausible date for a paper")
    latest = latest_date()
    if day > latest:
        raise InputError(f"date {day.isoformat()} is in the future (after {latest.isoformat()}, "
                         "tomorrow UTC)", field=field, hint="not a plausible date for a paper")
    return day

_WS = re.compile(r"\s+")


class InputError(Exception):
    """Bad input: names the file, the entry or line, and the field, and says what to do next."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        entry: str | int | None = None,
        field: str | None = None,
        hint: str | None = None,
    ) -> None:
        """Keep the message and where the bad value is.

        Args:
            message: what is wrong with the value.
            file: the input file.
            entry: the entry or line in it (``entry 3``, ``line 12``).
            field: the field holding the bad value.
            hint: what to do about it.
        """
        self.message = message
        self.file = file
        self.entry = entry
        self.field = field
        self.hint = hint
        super().__init__(str(self))

    def __str__(self) -> str:
        """``file: entry: field 'f': message (hint)``, the known parts only, on one line."""
        where = []
        if self.file is not None:
            where.append(str(self.file))
        if self.entry is not None:
            where.append(str(self.entry))
        if self.field is not None:
            where.append(f"field '{self.field}'")
        head = ": ".join(where)
        text = f"{head}: {self.message}" if head else self.message
        if self.hint:
            text += f" ({self.hint})"
        return text.replace("\n", " ")


@dataclass
class Problems:
    """Entries that could not be loaded, collected while the good ones load."""

    items: list[InputError] = field(default_factory=list)

    def add(self, err: InputError) -> None:
        """Collect one bad entry."""
        self.items.append(err)

    def __len__(self) -> int:
        """The number of bad entries."""
        return len(self.items)

    def summary(self, limit: int = 10) -> str:
        """A count of the bad entries, then the first ``limit`` of them, one per line."""
        lines = [f"skipped {len(self.items)} bad entr{'y' if len(self.items) == 1 else 'ies'}:"]
        lines += [f"  {e}" for e in self.items[:limit]]
        if len(self.items) > limit:
            lines.append(f"  ... and {len(self.items) - limit} more")
        return "\n".join(lines)


def clean_text(value: object, cap: int) -> str | None:
    """Normalise whitespace, strip NUL and control characters, cap the length."""
    if value is None:
        return None
    text = unicodedata.normalize("NFC", str(value)).replace("\x00", "")
    text = "".join(ch for ch in text if ch in "\t\n\r" or unicodedata.category(ch) != "Cc")
    text = _WS.sub(" ", text).strip()
    if len(text) > cap:
        text = text[: cap - 1].rstrip() + "…"
    return text or None


def normalise_title(title: str) -> str:
    """Lower-case, accent-free, punctuation-free form of a title, used to match records."""
    text = unicodedata.normalize("NFKD", title)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    return " ".join(re.findall(r"[a-z0-9]+", text))


def normalise_titles(titles: pl.Series) -> pl.Series:
    """:func:`normalise_title` of every title (nulls stay null), in Polars where it can be.

    A pure-ASCII title needs neither decomposition nor accent removal, so its form is plain
    Polars string work; only the others (about 0.4 % of real titles) go through Python.
    """
    titles = titles.cast(pl.Utf8)
    fast = (titles.str.to_lowercase().str.replace_all(r"[^a-z0-9]+", " ")
            .str.strip_chars(" "))
    other = (titles.str.len_bytes() != titles.str.len_chars()).fill_null(False)
    if not other.any():
        return fast.alias(titles.name)
    slow = titles.filter(other).map_elements(normalise_title, return_dtype=pl.Utf8)
    return fast.scatter(other.arg_true(), slow).alias(titles.name)


def wrong_type(found: Mapping[str, pl.DataType], types: Mapping[str, pl.DataType], kind: str, *,
               loose: bool = False) -> str | None:
    """The first column of ``types`` that ``found`` (a file's schema) holds with another type.

    Args:
        found: column -> dtype, as the file holds them (a missing column is not looked at).
        types: column -> the dtype the ``kind`` of file keeps.
        kind: what the file is, for the message ("paper table").
        loose: any number type passes for a number (older writers used other widths).

    Returns:
        ``column upvotes is String where the paper table keeps Int64``, or None.
    """
    for col, want in types.items():
        have = found.get(col)
        if have is None or have == want or (loose and have.is_numeric() and want.is_numeric()):
            continue
        return f"column {col} is {have} where the {kind} keeps {want}"
    return None


def empty_table() -> pl.DataFrame:
    """A table with the canonical columns and no rows."""
    return pl.DataFrame(schema=SCHEMA)


def validate(df: pl.DataFrame) -> pl.DataFrame:
    """Check and order a frame into the canonical schema, or raise InputError.

    Missing optional columns are added as nulls; n_authors is derived from authors (where the
    authors list is empty, a given n_authors is kept and a missing one stays null: unknown);
    ``sources`` always holds ``source`` and is sorted without repeats.
    """
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise InputError(f"missing required column(s) {', '.join(missing)}", field=missing[0])
    for name, dtype in SCHEMA.items():
        if name not in df.columns:
            df = df.with_columns(pl.lit(None, dtype=dtype).alias(name))
    try:
        df = df.select([pl.col(n).cast(t, strict=True) for n, t in SCHEMA.items()])
    except pl.exceptions.PolarsError as exc:  # pragma: no cover - sources cast before this
        raise InputError(f"column has the wrong type: {exc}") from None
    df = df.with_columns(
        pl.col("authors").fill_null(pl.lit([], dtype=pl.List(pl.Utf8()))),
        pl.col("keywords").fill_null(pl.lit([], dtype=pl.List(pl.Utf8()))),
        sources_of(pl.col("sources"), pl.col("source")),
    ).with_columns(
        # without author names, keep the count a source shows ("• 7 authors"), or null: unknown
        pl.when(pl.col("authors").list.len() == 0)
        .then(pl.col("n_authors"))
        .otherwise(pl.col("authors").list.len().cast(pl.Int32()))
        .alias("n_authors")
    )
    nulls = df.filter(pl.col("paper_id").is_null() | pl.col("title").is_null())
    if nulls.height:
        raise InputError("paper_id and title may not be empty", field="paper_id")
    return df


def sources_of(sources: pl.Expr, source: pl.Expr) -> pl.Expr:
    """The ``sources`` list: the given names and ``source``, sorted, without repeats or nulls."""
    given = sources.fill_null(pl.lit([], dtype=pl.List(pl.Utf8())))
    one = pl.concat_list(source).list.drop_nulls()
    return pl.concat_list(given, one).list.unique().list.sort().alias("sources")


def upgrade(lf: pl.LazyFrame) -> pl.LazyFrame:
    """A paper table written before a column existed, with that column added (lazily).

    ``upvotes_at`` (unknown: null) and ``sources`` (the one ``source``) came with the second
    source; a table that has every column passes through unchanged.
    """
    names = lf.collect_schema().names()
    if all(c in names for c in COLUMNS):
        return lf
    extra = [pl.lit(None, dtype=t).alias(c) for c, t in SCHEMA.items()
             if c not in names and c != "sources"]
    lf = lf.with_columns(extra)
    if "sources" not in names:
        lf = lf.with_columns(sources_of(pl.lit(None, dtype=pl.List(pl.Utf8())), pl.col("source")))
    return lf.select(COLUMNS)


def arxiv_url(paper_id: str) -> str | None:
    """Link to the paper on arXiv, where the id is an arXiv id."""
    return f"https://arxiv.org/abs/{paper_id}" if is_arxiv_id(paper_id) else None


def hf_url(paper_id: str) -> str | None:
    """Link to the paper on Hugging Face, where the id is an arXiv id."""
    return f"https://huggingface.co/papers/{paper_id}" if is_arxiv_id(paper_id) else None


_ARXIV = re.compile(r"^(\d{4}\.\d{4,5}|[a-z\-]+(\.[A-Z]{2})?/\d{7})(v\d+)?$")


def is_arxiv_id(paper_id: str) -> bool:
    """True for new-style (2406.01234) and old-style (hep-th/9901001) arXiv ids."""
    return bool(_ARXIV.match(paper_id or ""))
