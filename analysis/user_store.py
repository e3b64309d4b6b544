"""The user store: made on first write as a copy of the bundled snapshot, never ``data/`` itself.

``--store`` / ``$PAPERTRENDS_STORE`` name a store; without them a writing command uses the user
store in the platform's user data folder (:func:`analysis.settings.user_store_dir`), created here
on first use (atomically: a folder renamed into place) with the snapshot's table also kept as
``raw/snapshot/papers.parquet``, the base ``rebuild`` starts from.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

from analysis.schema import InputError
from analysis.settings import BUNDLED_STORE, explicit_store_dir, user_store_dir
from analysis.store import Store

#: A store's ``raw/`` sub-folder for the table a user store started from.
SNAPSHOT_DIR = "snapshot"


def writable_store(root: str | os.PathLike[str] | None = None) -> tuple[Store, bool]:
    """The store a writing command uses, and whether it was created just now.

    ``--store`` / ``$PAPERTRENDS_STORE`` when given; otherwise the user store, created on first
    use as a copy of the bundled snapshot (its table also kept as ``raw/snapshot/``, the base
    ``rebuild`` starts from). The git-tracked ``data/`` is never written without ``--store``.
    """
    explicit = explicit_store_dir(root)
    if explicit is not None:
        return Store(explicit), False
    target = user_store_dir()
    if (target / "papers.parquet").is_file():
        return Store(target), False
    return Store(create_user_store(target)), True


def create_user_store(target: Path, snapshot: Path = BUNDLED_STORE) -> Path:
    """Copy the snapshot into ``target`` (atomically: a folder renamed into place) and hash it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists() and any(target.iterdir()):
        if (target / "papers.parquet").is_file():
            return target
        raise InputError("the user store folder exists but holds no paper table",
                         file=str(target), hint="move it away, or name a store with --store")
    tmp = Path(tempfile.mkdtemp(prefix=".store.", dir=target.parent))
    try:
        for path in sorted(snapshot.rglob("*")):
            rel = path.relative_to(snapshot)
            if path.is_file() and not any(part.startswith(".") for part in rel.parts):
                dest = tmp / rel
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, dest)
        if (tmp / "papers.parquet").is_file():
            base = tmp / "raw" / SNAPSHOT_DIR / "papers.parquet"
            base.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(tmp / "papers.parquet", base)
        Store(tmp).record_all()
        os.chmod(tmp, 0o755)
        with contextlib.suppress(FileNotFoundError, OSError):
            target.rmdir()  # an empty folder left by hand
        try:
            os.replace(tmp, target)
        except OSError:  # another process created it first: use theirs
            if not (target / "papers.parquet").is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target
