"""The store's own machinery: where stores are, the user store, the manifest and its journal."""

from __future__ import annotations

import hashlib
import json
import os

import polars as pl
import pytest

from analysis.store import (
    BUNDLED_STORE,
    Store,
    default_store_dir,
    file_sha256,
    user_store_dir,
)
from analysis.user_store import writable_store
from tests.support.paths import BUNDLED


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A fresh platform user data folder (XDG_DATA_HOME) and no PAPERTRENDS_STORE."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("PAPERTRENDS_STORE", raising=False)
    return tmp_path / "xdg"


def test_reads_use_the_bundled_store_until_a_command_writes(home):
    assert default_store_dir() == BUNDLED_STORE
    assert user_store_dir() == home / "papertrends" / "store"
    store, created = writable_store(None)
    assert created
    assert store.root == user_store_dir()
    assert default_store_dir() == user_store_dir()  # from now on, reads see your store
    again, created = writable_store(None)
    assert again.root == store.root
    assert not created


def test_the_user_store_is_a_hashed_copy_of_the_snapshot(home):
    before = {p: file_sha256(p) for p in BUNDLED.rglob("*") if p.is_file()}
    store, _ = writable_store(None)
    for name in ("papers.parquet", "topics/assignments.parquet", "embeddings/minilm.parquet"):
        assert (store.root / name).read_bytes() == (BUNDLED / name).read_bytes()
    assert (store.root / "raw/snapshot/papers.parquet").read_bytes() == (
        BUNDLED / "papers.parquet").read_bytes()
    files = store.ledger.manifest()
    assert files is not None
    assert files["papers.parquet"]["sha256"] == hashlib.sha256(
        (BUNDLED / "papers.parquet").read_bytes()).hexdigest()
    assert "raw/snapshot/papers.parquet" in files
    assert {p: file_sha256(p) for p in BUNDLED.rglob("*") if p.is_file()} == before


def test_explicit_store_wins(home, tmp_path, monkeypatch):
    store, created = writable_store(tmp_path / "mine")
    assert (store.root, created) == (tmp_path / "mine", False)
    monkeypatch.setenv("PAPERTRENDS_STORE", str(tmp_path / "env"))
    assert writable_store(None)[0].root == tmp_path / "env"
    assert default_store_dir() == tmp_path / "env"
    assert not user_store_dir().exists()


def test_the_bundled_snapshot_never_gets_a_lock_or_manifest():
    store = Store(BUNDLED)
    assert store.is_bundled
    with store.lock():
        pass
    assert not (BUNDLED / "manifest.json").exists()
    assert not (BUNDLED / ".lock").exists()


def test_writes_are_journaled_then_recorded(tmp_path):
    store = Store(tmp_path / "s")
    with store.lock():
        store.write_bytes(store.raw_dir / "2026-01-15.json", b"[]")
        assert (store.root / ".manifest.journal").is_file()
    files = store.ledger.manifest()
    assert files == {"raw/hf-daily/2026-01-15.json": {
        "sha256": hashlib.sha256(b"[]").hexdigest(), "size": 2}}
    assert not (store.root / ".manifest.journal").exists()


def test_a_writer_killed_after_its_journal_line_is_not_blamed(tmp_path):
    """The journal line is written, then the writer dies before (or after) replacing the file."""
    store = Store(tmp_path / "s")
    path = store.raw_dir / "2026-01-15.json"
    with store.lock():
        store.write_bytes(path, b"[]")
    # died before the replace: the journal names a hash the file never got
    store.ledger.note("raw/hf-daily/2026-01-15.json", hashlib.sha256(b"[1]").hexdigest(), 3)
    assert store.expected_hashes("raw/hf-daily/2026-01-15.json") >= {file_sha256(path)}
    # died after the replace of another file
    other = store.raw_dir / "2026-01-16.json"
    store.ledger.note("raw/hf-daily/2026-01-16.json", hashlib.sha256(b"[2]").hexdigest(), 3)
    other.write_bytes(b"[2]")
    with store.lock():  # the next writer settles what the dead one left
        pass
    files = store.ledger.manifest()
    assert files["raw/hf-daily/2026-01-15.json"]["sha256"] == file_sha256(path)
    assert files["raw/hf-daily/2026-01-16.json"]["sha256"] == file_sha256(other)


def test_a_folder_swap_killed_halfway_is_finished_by_the_next_lock(tmp_path):
    store = Store(tmp_path / "s")
    store.root.mkdir()
    ready = store.root / ".topics.ready"
    ready.mkdir()
    (ready / "meta.json").write_text(json.dumps({"new": True}))
    old = store.root / ".topics.old"
    old.mkdir()
    (old / "meta.json").write_text(json.dumps({"new": False}))
    with store.lock():  # killed between the two renames: topics/ is missing
        pass
    assert json.loads((store.topics_dir / "meta.json").read_text()) == {"new": True}
    assert not ready.exists()
    assert not old.exists()


def test_the_lock_is_reentrant_in_one_thread(tmp_path):
    store = Store(tmp_path / "s")
    with store.lock(), store.lock(timeout=0.1):
        store.write_papers(pl.DataFrame({"paper_id": ["x"], "title": ["T"]}))
    assert store.read_papers().height == 1
    assert os.path.exists(store.root / ".lock")


def test_an_inner_lock_left_open_by_an_interrupt_closes_quietly(tmp_path):
    """Ctrl-C right after an inner ``with store.lock()`` entered: the outer lock ends first.

    The inner one is closed later (by garbage collection) and must neither raise nor touch a
    later holder's lock.
    """
    from analysis import files

    store = Store(tmp_path)
    outer = store.lock()
    outer.__enter__()
    inner = store.lock()
    inner.__enter__()  # its __exit__ never runs
    outer.__exit__(KeyboardInterrupt, KeyboardInterrupt(), None)
    key = os.path.abspath(tmp_path / ".lock")
    with store.lock():
        entry = files._held.locks[key]
        inner.gen.close()  # what garbage collection does
        assert files._held.locks.get(key) is entry
        assert entry[1] == 1
    assert key not in files._held.locks
