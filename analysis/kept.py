"""Copies of ingested files, kept in the store so that `papertrends rebuild` can use them.

``raw/ingested/<sha256[:16]>.<file name>`` holds the bytes as read; the options a file needs to
be read the same way again (``reference_date`` of page dumps, a table's column ``mapping``) sit
next to it as ``.<copy name>.options.json`` (hidden, so ``ingest``/``rebuild`` skip it as a source).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Sequence
from pathlib import Path

from analysis.store import Store

#: The ``raw/`` sub-folder holding copies of ingested files.
INGESTED = "ingested"


def keep_sources(store: Store, files: Sequence[str], *, reference_date: dt.date | None = None,
                 mapping: dict[str, str] | None = None) -> list[Path]:
    """Copy ingested files into ``raw/ingested/`` (once per content), with their read options.

    A copy is named ``<sha256[:16]>.<file name>``; the options it needs (``reference_date``,
    ``mapping``) go next to it as ``.<copy name>.options.json``. Files already under ``raw/``
    and standard input are not copied.

    Returns:
        The copies written.
    """
    folder = store.raw_root / INGESTED
    kept = []
    for name in files:
        path = Path(name)
        rel = store.rel(path.resolve()) or ""
        if name in ("-", "<stdin>") or not path.is_file() or rel.startswith("raw/"):
            continue
        data = path.read_bytes()
        safe = re.sub(r"[^A-Za-z0-9._-]+", "_", path.name)[:120] or "file"
        target = folder / f"{hashlib.sha256(data).hexdigest()[:16]}.{safe}"
        if target.is_file():
            continue
        options = {"reference_date": reference_date.isoformat() if reference_date else None,
                   "mapping": mapping or None}
        if any(options.values()):
            store.write_bytes(folder / f".{target.name}.options.json",
                              json.dumps(options, sort_keys=True).encode("utf-8"))
        store.write_bytes(target, data)
        kept.append(target)
    return kept


def source_options(path: Path) -> dict:
    """The read options kept next to an ingested copy (:func:`keep_sources`), as arguments."""
    side = path.parent / f".{path.name}.options.json"
    if not side.is_file():
        return {}
    try:
        raw = json.loads(side.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    out: dict = {}
    if raw.get("reference_date"):
        out["reference_date"] = dt.date.fromisoformat(raw["reference_date"])
    if raw.get("mapping"):
        out["mapping"] = dict(raw["mapping"])
    return out
