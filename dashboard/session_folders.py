"""The sessions' private folders: removed when a session ends, all of them when the server stops.

Streamlit releases a session's resources as soon as its browser disconnects, while a run of that
session may still be writing into its folder (an upload being ingested when the tab closes). The
release removes the folder; the run's later writes would make it again (a store write makes its
parent folders) and nothing would remove it. So every write into a session's folder goes through
:meth:`Folders.writing`, and a folder released meanwhile is removed again when that write ends.
At server stop, :meth:`Folders.close` refuses new writes, waits for those in progress, then removes
every folder.
"""

from __future__ import annotations

import collections
import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: How long the server's stop waits for writes in progress before removing the folders anyway
#: (a stopping server must be gone within seconds).
WAIT_SECONDS = 3.0


class SessionsClosed(RuntimeError):
    """The server is stopping: no session may write into its folder any more."""


class Folders:
    """Which session folders were released, and the writes in progress in each."""

    def __init__(self) -> None:
        """No folder released, no write in progress, open for writes."""
        self._lock = threading.Condition()
        self._released: set[str] = set()
        self._writes: collections.Counter[str] = collections.Counter()
        self._closed = False

    def release(self, folder: str) -> None:
        """The session ended: remove its folder, now and after any write still in progress."""
        with self._lock:
            self._released.add(os.path.realpath(folder))
        shutil.rmtree(folder, ignore_errors=True)

    @contextmanager
    def writing(self, folder: str) -> Iterator[None]:
        """Around a write into a session's folder: removed at the end if released meanwhile.

        Raises:
            SessionsClosed: the server is stopping (nothing is written).
        """
        folder = os.path.realpath(folder)  # one name per folder, however it was reached
        with self._lock:
            if self._closed:
                raise SessionsClosed("the server is stopping")
            self._writes[folder] += 1
        try:
            yield
        finally:
            with self._lock:
                self._writes[folder] -= 1
                if not self._writes[folder]:
                    del self._writes[folder]
                gone = self._closed or folder in self._released
                self._lock.notify_all()
            if gone:
                shutil.rmtree(folder, ignore_errors=True)

    def close(self, root: Path, wait: float = WAIT_SECONDS) -> None:
        """The server stops: no new writes, the ones in progress finish, ``root`` is removed."""
        with self._lock:
            self._closed = True
            self._lock.wait_for(lambda: not self._writes, timeout=wait)
        shutil.rmtree(root, ignore_errors=True)


#: This server process's folders.
FOLDERS = Folders()
