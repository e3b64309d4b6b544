"""A session's folder is gone after its session ends or the server stops, even mid-write."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from dashboard.session_folders import Folders, SessionsClosed


def made(root: Path, name: str) -> Path:
    folder = root / name
    (folder / "store").mkdir(parents=True)
    (folder / "store" / "papers.parquet").write_bytes(b"x")
    return folder


def test_release_removes_the_folder(tmp_path):
    folders = Folders()
    folder = made(tmp_path, "session-a")
    folders.release(str(folder))
    assert not folder.exists()


def test_a_write_still_going_when_the_session_ends_leaves_nothing(tmp_path):
    folders = Folders()
    folder = made(tmp_path, "session-a")
    other = made(tmp_path, "session-b")
    with folders.writing(str(folder)):
        folders.release(str(folder))  # the tab closes while an upload is being ingested
        assert not folder.exists()
        (folder / "store" / "raw").mkdir(parents=True)  # the ingest goes on writing
        (folder / "store" / "raw" / "day.json").write_text("[]")
    assert not folder.exists()
    with folders.writing(str(other)):  # a session still open keeps what it wrote
        (other / "store" / "more").write_text("kept")
    assert (other / "store" / "more").read_text() == "kept"


def test_a_released_folder_reached_by_another_name_is_removed(tmp_path):
    folders = Folders()
    folder = made(tmp_path, "session-a")
    (tmp_path / "link").symlink_to(tmp_path)
    with folders.writing(str(tmp_path / "link" / "session-a")):
        folders.release(str(folder))
        (folder / "store").mkdir(parents=True)
    assert not folder.exists()


def test_stopping_waits_for_a_write_then_removes_everything(tmp_path):
    folders = Folders()
    root = tmp_path / "sessions"
    folder = made(root, "session-a")
    writing, wrote = threading.Event(), []

    def ingest() -> None:
        with folders.writing(str(folder)):
            writing.set()
            time.sleep(0.5)
            (folder / "store" / "late.parquet").write_bytes(b"y")
            wrote.append(True)

    thread = threading.Thread(target=ingest)
    thread.start()
    writing.wait(5)
    folders.close(root, wait=5)
    assert wrote == [True]  # the write in progress finished first
    assert not root.exists()
    with pytest.raises(SessionsClosed), folders.writing(str(made(root, "session-b"))):
        pass
    thread.join(5)


def test_stopping_does_not_wait_forever(tmp_path):
    folders = Folders()
    root = tmp_path / "sessions"
    folder = made(root, "session-a")
    entered, release = threading.Event(), threading.Event()

    def stuck() -> None:
        with folders.writing(str(folder)):
            entered.set()
            release.wait(10)

    thread = threading.Thread(target=stuck)
    thread.start()
    entered.wait(5)
    started = time.monotonic()
    folders.close(root, wait=0.3)
    assert time.monotonic() - started < 3
    assert not root.exists()
    release.set()
    thread.join(5)
    assert not folder.exists()  # the stuck write's end removed what it held
