"""The mechanics under :mod:`analysis.store`: atomic files, hashes, the lock and the manifest.

Nothing here knows the layout of a store; :class:`analysis.store.Store` says which files exist
and which the manifest covers, and is what the rest of papertrends uses.

The manifest (``manifest.json``) holds the sha256 and size of every covered file. A writer holds
the store lock, and notes each file's new hash in a journal (``.manifest.journal``, one fsynced
line) *before* replacing the file; when the outermost lock is released (or, after a killed writer,
when the next one takes it) the journal is folded in: an entry counts only if the file on disk now
has that hash. So an interrupted write never makes the manifest blame a good file.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import polars as pl

from analysis.schema import InputError

MANIFEST = "manifest.json"
JOURNAL = ".manifest.journal"
LOCK = ".lock"

#: What reading a damaged file can raise: any error, and the panics of Polars' Rust code.
READ_ERRORS: tuple[type[BaseException], ...] = (Exception, pl.exceptions.PanicException)

_held = threading.local()  # lock path -> [open lock file, depth] for the locks this thread holds


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write bytes to path via a temporary file in the same folder and os.replace."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """Write UTF-8 text to path atomically (see :func:`atomic_write_bytes`)."""
    atomic_write_bytes(path, text.encode("utf-8"))


@contextlib.contextmanager
def atomic_dir(target: Path) -> Iterator[Path]:
    """A fresh folder beside ``target`` to fill; on success it replaces ``target`` whole.

    On an error (or a kill) ``target`` stays as it was and the half-filled folder is removed.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        yield tmp
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def json_bytes(obj: object) -> bytes:
    """An object as indented JSON (sorted keys, other values as text), as written to stores."""
    return (json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n").encode("utf-8")


def atomic_write_json(path: Path, obj: object) -> None:
    """Write an object as indented JSON (sorted keys, other values as text), atomically."""
    atomic_write_bytes(path, json_bytes(obj))


def parquet_bytes(df: pl.DataFrame) -> bytes:
    """A frame as Parquet bytes; the same frame always gives the same bytes.

    The frame is made one chunk first: Polars cuts pages and row groups along chunks, so the
    same rows in other chunks (a table read from a base and its deltas) would give other bytes.
    """
    buf = io.BytesIO()
    df.rechunk().write_parquet(buf, compression="zstd", statistics=False)
    return buf.getvalue()


def atomic_write_parquet(path: Path, df: pl.DataFrame) -> None:
    """Write a frame as Parquet atomically; the same frame always gives the same bytes."""
    atomic_write_bytes(path, parquet_bytes(df))


def read_parquet(path: Path, columns: list[str] | None = None) -> pl.DataFrame:
    """A Parquet file of a store, read through one open file: the old or the new, never both.

    Polars given a path may open it more than once (footer, then pages); if a writer replaces
    the file in between, it reads one file's pages with the other's footer (or panics). The
    bytes are taken in one read instead.
    """
    return pl.read_parquet(io.BytesIO(path.read_bytes()), columns=columns)


def text_hash(*parts: str | None) -> str:
    """Stable short hash of some text parts (for caching per-paper embeddings)."""
    h = hashlib.sha256()
    for p in parts:
        h.update((p or "").encode("utf-8"))
        h.update(b"\x1f")
    return h.hexdigest()[:32]


def corpus_hash(papers: pl.DataFrame) -> str:
    """Hash of the ids and texts of a paper table, independent of row order."""
    rows = papers.select("paper_id", "title", "abstract").sort("paper_id")
    h = hashlib.sha256()
    for pid, title, abstract in rows.iter_rows():
        h.update(text_hash(pid, title, abstract).encode())
    return h.hexdigest()[:16]


def file_sha256(path: Path) -> str | None:
    """The sha256 of a file's bytes (None when there is no such file)."""
    try:
        with open(path, "rb") as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None


def entry(path: Path) -> dict:
    """A manifest entry for a file as it is now: sha256 and size."""
    return {"sha256": file_sha256(path), "size": path.stat().st_size}


class Ledger:
    """The lock, journal and manifest of one store folder.

    Args:
        root: the store folder.
        covered: lists the files on disk that the manifest covers (relative path -> path).
        tracked: whether the manifest covers a relative path.
        frozen: never write a manifest (the bundled snapshot: git verifies it).
    """

    def __init__(self, root: Path, covered: Callable[[], dict[str, Path]],
                 tracked: Callable[[str], bool], frozen: bool) -> None:
        """Keep the folder and the rules; nothing is read yet."""
        self.root, self.covered, self.tracked, self.frozen = root, covered, tracked, frozen

    # ---- the lock ---------------------------------------------------------------------------
    @contextlib.contextmanager
    def lock(self, timeout: float | None, on_wait: Callable[[str], None] | None) -> Iterator[None]:
        """Hold the write lock (re-entrant in one thread; see :meth:`analysis.store.Store.lock`)."""
        if self.frozen:  # the bundled snapshot: never written by a command, so no lock file
            yield
            return
        key = os.path.abspath(self.root / LOCK)
        held = _held.__dict__.setdefault("locks", {})
        if key in held:
            entry = held[key]
            entry[1] += 1
            try:
                yield
            finally:  # this entry's count: a Ctrl-C between entering and the block may leave
                entry[1] -= 1  # this generator to be closed after the outer lock is gone
            return
        import fcntl

        if self.root.exists() and not self.root.is_dir():
            raise InputError("the store must be a folder", file=str(self.root),
                             hint="pass a folder to --store")
        self.root.mkdir(parents=True, exist_ok=True)
        fh = open(self.root / LOCK, "a+")  # noqa: SIM115 - closed in finally
        try:
            self._acquire(fh, fcntl, timeout, on_wait)
            entry = held[key] = [fh, 1]
            try:
                self.settle()
                yield
            finally:
                if held.get(key) is entry:  # never a later holder's entry
                    del held[key]
                with contextlib.suppress(OSError):
                    self.settle()
                fcntl.flock(fh, fcntl.LOCK_UN)
        finally:
            fh.close()

    def _acquire(self, fh, fcntl, timeout: float | None,
                 on_wait: Callable[[str], None] | None) -> None:
        deadline = None if timeout is None else time.monotonic() + timeout
        told = False
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError:
                holder = self.holder()
                if on_wait is not None and not told:
                    on_wait(holder)
                    told = True
                if deadline is not None and time.monotonic() >= deadline:
                    raise InputError(f"the store is busy ({holder})", file=str(self.root),
                                     hint="try again when that has finished") from None
                time.sleep(0.05)
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()}: {' '.join(Path(a).name for a in sys.argv[:2])}, since "
                 f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}\n")
        fh.flush()

    def holder(self) -> str:
        """Who holds the lock, as its holder wrote it (``held by pid 123: ... since ...``)."""
        try:
            text = (self.root / LOCK).read_text(encoding="utf-8").strip()
        except OSError:
            text = ""
        return f"held by {text}" if text else "held by another writer"

    def holds(self) -> bool:
        """Whether this thread holds the lock now."""
        return os.path.abspath(self.root / LOCK) in _held.__dict__.get("locks", {})

    # ---- the journal ------------------------------------------------------------------------
    def note(self, rel: str | None, sha: str | None, size: int) -> None:
        """Journal a covered file's coming content (``sha`` None: it is removed)."""
        if rel is None or self.frozen or not self.tracked(rel):
            return
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / JOURNAL, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"path": rel, "sha256": sha, "size": size}) + "\n")
            fh.flush()
            os.fsync(fh.fileno())

    def journal(self) -> list[dict]:
        """The journal's entries (a line cut by a killed writer is left out)."""
        try:
            lines = (self.root / JOURNAL).read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        out = []
        for line in lines:
            with contextlib.suppress(ValueError):
                item = json.loads(line)
                if isinstance(item, dict) and isinstance(item.get("path"), str):
                    out.append(item)
        return out

    # ---- the manifest -----------------------------------------------------------------------
    def manifest(self) -> dict[str, dict] | None:
        """The manifest's files (relative path -> sha256, size); None when missing or bad."""
        try:
            data = json.loads((self.root / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        files = data.get("files") if isinstance(data, dict) else None
        return dict(files) if isinstance(files, dict) else None

    def expected(self, rel: str) -> set[str | None] | None:
        """Hashes the file may have (the manifest's, and any a pending write noted); None: none."""
        files = self.manifest()
        known = files.get(rel) if files else None
        pending = {e.get("sha256") for e in self.journal() if e["path"] == rel}
        if known is None and not pending:
            return None
        return pending | ({known.get("sha256")} if isinstance(known, dict) else set())

    def settle(self) -> None:
        """Fold the journal into the manifest (a store's first manifest hashes every file)."""
        if self.frozen:
            return
        self.recover_dirs()
        journal = self.journal()
        if not journal:  # nothing written since the manifest (or none yet: the first write)
            return
        files = self.manifest()
        if files is None:
            files = {rel: entry(p) for rel, p in self.covered().items()}
        for item in journal:
            rel = item["path"]
            now = file_sha256(self.root / rel)
            if now == item.get("sha256"):  # the write went through: that hash is the file's
                if now is None:
                    files.pop(rel, None)
                else:
                    files[rel] = {"sha256": now, "size": item.get("size")}
        self._write(files)

    def record_all(self) -> None:
        """A fresh manifest from the files as they are now."""
        if not self.frozen:
            self._write({rel: entry(p) for rel, p in self.covered().items()})

    def _write(self, files: dict[str, dict]) -> None:
        manifest = {"version": 1, "files": dict(sorted(files.items()))}
        atomic_write_json(self.root / MANIFEST, manifest)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.root / JOURNAL)

    # ---- folders ----------------------------------------------------------------------------
    def replace_dir(self, ready: Path, target: Path, rel_of: Callable[[Path], str | None]) -> None:
        """Put the fully written folder ``ready`` in place of ``target``; readers see old or new.

        ``ready`` is renamed to ``.<name>.ready`` first: a writer killed between the renames
        leaves folders that :meth:`recover_dirs` completes under the next lock.
        """
        new = {p.relative_to(ready) for p in ready.rglob("*") if p.is_file()}
        for part in sorted(new):
            size = (ready / part).stat().st_size
            self.note(rel_of(target / part), file_sha256(ready / part), size)
        if target.is_dir():
            for path in sorted(p for p in target.rglob("*") if p.is_file()):
                if path.relative_to(target) not in new:
                    self.note(rel_of(path), None, 0)
        staged = target.parent / f".{target.name}.ready"
        old = target.parent / f".{target.name}.old"
        for leftover in (staged, old):
            shutil.rmtree(leftover, ignore_errors=True)
        os.replace(ready, staged)
        if target.exists():
            os.replace(target, old)
        os.replace(staged, target)
        shutil.rmtree(old, ignore_errors=True)

    def recover_dirs(self) -> None:
        """Finish a folder swap that a killed writer left half done."""
        if not self.root.is_dir():
            return
        for suffix in (".ready", ".old"):
            for path in sorted(self.root.glob(f".*{suffix}")):
                target = self.root / path.name[1:-len(suffix)]
                if target.exists():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    os.replace(path, target)
