"""CSV that is safe to open in a spreadsheet: cells starting = + - @ tab CR get a leading '."""

from __future__ import annotations

import polars as pl

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(df: pl.DataFrame) -> pl.DataFrame:
    """Prefix text cells that a spreadsheet would read as a formula; lists become '; '-joined."""
    out = []
    for name, dtype in df.schema.items():
        col = pl.col(name)
        if dtype == pl.List(pl.Utf8()):
            col = col.list.join("; ")
        elif dtype != pl.Utf8():
            out.append(col)
            continue
        out.append(
            pl.when(pl.any_horizontal(col.str.starts_with(c) for c in DANGEROUS))
            .then(pl.lit("'") + col)
            .otherwise(col)
            .alias(name)
        )
    return df.select(out)


def safe_csv(df: pl.DataFrame) -> str:
    """The frame as CSV text with formula-looking cells neutralised."""
    return neutralise(df).write_csv()
