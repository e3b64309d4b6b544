"""The paper table on disk: a base file plus delta files, so that a merge writes O(changes).

Layout (paths owned by :class:`analysis.store.Store`)::

    papers.parquet              the base: the whole table as of the last compaction
    papers.d/deltas.json        the listing: {"generation": g, "deltas": ["000007.parquet", ...]}
    papers.d/000007.parquet     a delta: the rows a merge added or changed (canonical columns)
                                and the ids it removed (``deleted`` true, other columns null)

Reading is the base with the listed deltas applied in order (per paper the last delta that names
it wins; a ``deleted`` row removes it), sorted by ``paper_id``: the same frame, byte for byte
through ``parquet_bytes``, as the single file a compaction writes. A store without a listing is
just its base, as every store was before deltas (the bundled ``data/`` stays one file).

Atomicity without a reader lock: a delta file gets a name never used before (its generation) and
is written before the listing that names it; a compaction writes the new base before the listing
that drops the deltas it folded in. So a reader that reads the listing, the base, the listed
deltas, then the listing again, and finds both listings equal, holds either the listing's base or
that base with exactly the listing's deltas already folded in — and applying a delta to a table
that already holds it gives the same table (last write wins per paper). A changed listing or a
missing file (deleted by a compaction) means: read again.
"""

from __future__ import annotations

import io
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from analysis.schema import SCHEMA, upgrade, validate, wrong_type

DELTA_DIR = "papers.d"
LISTING = "deltas.json"
#: The extra column of a delta file: true for an id the merge removed.
DELETED = "deleted"
DELTA_SCHEMA = {**SCHEMA, DELETED: pl.Boolean()}
#: Fold the deltas into the base once they hold this share of the base's bytes (see
#: bench/bench_append.py: reading grows with the deltas' rows, a compaction costs a full write).
COMPACT_SHARE = 0.10
#: ... or once there are this many delta files (each is one more file to open and hash).
COMPACT_FILES = 64
READ_ATTEMPTS = 100


@dataclass
class Listing:
    """The listing of the deltas: a generation (one more for every write) and the delta files."""

    generation: int = 0
    deltas: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        """The listing as written to ``deltas.json``."""
        return {"version": 1, "generation": self.generation, "deltas": list(self.deltas)}

    @staticmethod
    def parse(data: bytes) -> Listing:
        """A listing from the bytes of ``deltas.json``.

        Raises:
            ValueError: not a listing (damaged).
        """
        obj = json.loads(data.decode("utf-8"))
        if not isinstance(obj, dict) or not isinstance(obj.get("generation"), int) or \
                not isinstance(obj.get("deltas"), list) or \
                not all(isinstance(d, str) and _delta_name(d) for d in obj["deltas"]):
            raise ValueError("not a listing of delta files")
        return Listing(obj["generation"], list(obj["deltas"]))


def _delta_name(name: str) -> bool:
    return name.endswith(".parquet") and name[:-8].isdigit() and "/" not in name


def delta_name(generation: int) -> str:
    """The file name of the delta written at ``generation``."""
    return f"{generation:06d}.parquet"


@dataclass
class TableFiles:
    """The bytes of one consistent set of table files (see the module docstring)."""

    base: bytes | None
    listing: Listing | None
    deltas: list[tuple[Path, bytes]]


class DamagedFile(Exception):
    """A file of the paper table cannot be read (which one, and what the reader said)."""

    def __init__(self, path: Path, detail: str) -> None:
        """Keep the file and a one-line detail."""
        self.path, self.detail = path, detail
        super().__init__(f"{path}: {detail}")


def read_files(base: Path, folder: Path) -> TableFiles:
    """Read the base, the listing and its deltas as one consistent set (retrying while they change).

    Raises:
        DamagedFile: the listing is not JSON, or names a delta that stays missing.
    """
    listing_path = folder / LISTING
    missing: Path | None = None
    for _ in range(READ_ATTEMPTS):
        before = _maybe_bytes(listing_path)
        data = _maybe_bytes(base)
        listing = _parse(listing_path, before)
        try:
            deltas = [(folder / n, (folder / n).read_bytes())
                      for n in (listing.deltas if listing else [])]
        except FileNotFoundError as exc:  # a compaction removed it: read the new listing
            missing = Path(str(exc.filename))
            time.sleep(0.01)
            continue
        if _maybe_bytes(listing_path) == before:
            return TableFiles(data, listing, deltas)
    raise DamagedFile(missing or listing_path, "a delta file the listing names is missing")


def _maybe_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def _parse(path: Path, data: bytes | None) -> Listing | None:
    if data is None:
        return None
    try:
        return Listing.parse(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise DamagedFile(path, f"not a listing of delta files ({exc})") from None


def _frame(path: Path, data: bytes) -> pl.DataFrame:
    try:
        df = pl.read_parquet(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - any unreadable file is a damaged file
        raise DamagedFile(path, " ".join(str(exc).split())[:160]) from None
    except pl.exceptions.PanicException as exc:
        raise DamagedFile(path, " ".join(str(exc).split())[:160]) from None
    wrong = wrong_type(df.schema, SCHEMA, "paper table")
    if wrong:
        raise DamagedFile(path, wrong)
    return df


def table_of(files: TableFiles, base_path: Path) -> pl.LazyFrame | None:
    """The table the files hold, in canonical schema and sorted (None: no base file).

    Raises:
        DamagedFile: a file cannot be read as Parquet or lacks a column.
    """
    if files.base is None:
        return None
    base = upgrade(_frame(base_path, files.base).lazy()).select(list(SCHEMA))
    if not files.deltas:
        return base
    changes = []
    for seq, (path, data) in enumerate(files.deltas):
        df = _frame(path, data)
        if DELETED not in df.columns:
            raise DamagedFile(path, f"not a delta of the paper table: no column {DELETED}")
        deleted = df.get_column(DELETED)
        changes.append(upgrade(df.drop(DELETED).lazy()).collect()
                       .with_columns(deleted.alias(DELETED), pl.lit(seq).alias("_seq")))
    last = (pl.concat(changes, how="vertical").sort("paper_id", "_seq")
            .unique("paper_id", keep="last", maintain_order=True))
    touched = last.get_column("paper_id")
    kept = base.filter(~pl.col("paper_id").is_in(touched.implode()))
    upserts = last.filter(~pl.col(DELETED)).select(list(SCHEMA)).lazy()
    return pl.concat([kept, upserts], how="vertical").sort("paper_id")


def changes(old: pl.DataFrame, new: pl.DataFrame) -> pl.DataFrame:
    """A delta from ``old`` to ``new`` (both canonical): rows added or changed, ids removed.

    Rows are compared column by column (nulls equal); the delta is sorted by ``paper_id``.
    """
    old = old.select(list(SCHEMA))
    new = validate(new).select(list(SCHEMA))
    cols = [c for c in SCHEMA if c != "paper_id"]
    joined = new.join(old.with_columns(pl.lit(True).alias("_was")), on="paper_id", how="left",
                      suffix="_old", maintain_order="left")
    same = pl.all_horizontal([pl.col(c).eq_missing(pl.col(f"{c}_old")) for c in cols])
    upserts = joined.filter(~(pl.col("_was").fill_null(False) & same)).select(list(SCHEMA))
    removed = (old.join(new.select("paper_id"), on="paper_id", how="anti")
               .select("paper_id")
               .with_columns([pl.lit(None, dtype=t).alias(c) for c, t in SCHEMA.items()
                              if c != "paper_id"])
               .select(list(SCHEMA)))
    return (pl.concat([upserts.with_columns(pl.lit(False).alias(DELETED)),
                       removed.with_columns(pl.lit(True).alias(DELETED))], how="vertical")
            .sort("paper_id"))


def due(base_bytes: int, delta_bytes: list[int]) -> bool:
    """Whether deltas of these sizes should be folded into a base of ``base_bytes``."""
    return len(delta_bytes) > COMPACT_FILES or sum(delta_bytes) > COMPACT_SHARE * max(base_bytes, 1)


def read_table(base: Path, folder: Path) -> pl.LazyFrame | None:
    """The table of a base file and its deltas folder (see :func:`table_of`)."""
    return table_of(read_files(base, folder), base)
