"""The sidebar's Data panel: add files (upload) and, when allowed, fetch new days (Update data).

Uploads go into a *session store*: a private copy of the open store in this server's sessions
folder, so one visitor's files never change what other visitors (or the bundled data/) see. It is
a session-scoped ``st.cache_resource`` whose release removes the folder: it goes when the session
ends (and all of them when the server stops). Every write into it goes through
:mod:`dashboard.session_folders`, so a run still writing when its session ends leaves nothing.
The uploads of all sessions together are capped
(``analysis.store.upload_limit_bytes``). `papertrends ingest FILE` is the way to add files for
good. "Update data" runs ``analysis.fetch.fetch`` on the open store, like `papertrends fetch`;
it is shown only when the server was started with `papertrends serve --allow-updates`.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import streamlit as st

from analysis.fetch import fetch
from analysis.ingest import ingest
from analysis.schema import InputError
from analysis.sources.page_dump import MissingYear
from analysis.store import (
    Store,
    atomic_write_parquet,
    sessions_dir,
    updates_allowed,
    upload_limit_bytes,
)
from dashboard import loader
from dashboard.loader import Loaded
from dashboard.session_folders import FOLDERS, SessionsClosed
from dashboard.text import md_escape

UPLOAD_TYPES = ["json", "jsonl", "ndjson", "csv", "tsv", "parquet", "txt", "md"]
DONE_KEY = "_uploads_done"
NOTE_KEY = "_data_note"
CAPTURE_KEY = "upload_capture_date"
CAPTURE_LABEL = "Capture date of page dumps"
#: How long "Update data" waits for another writer (a CLI fetch or fit) before saying so.
LOCK_WAIT_SECONDS = 5.0

atexit.register(FOLDERS.close, sessions_dir())  # the server stops: every session's copy


def panel(store: Store, loaded: Loaded) -> None:
    """Draw the upload box and the Update data button."""
    note = st.session_state.pop(NOTE_KEY, None)
    if note:
        st.success(note)
    if st.session_state.pop(loader.LOST, False):  # a reconnect: add the uploads again
        st.session_state.pop(DONE_KEY, None)
    files = st.file_uploader("Add papers from files", type=UPLOAD_TYPES, accept_multiple_files=True,
                             key="upload",
                             help="Daily Papers API JSON, HF papers page dumps, CSV/Parquet/JSON "
                                  "Lines tables. Added to a private copy of the data for this "
                                  "session.")
    captured = st.date_input(
        CAPTURE_LABEL, value=None, key=CAPTURE_KEY, format="YYYY-MM-DD",
        help="The day a Hugging Face papers page was saved. Page dumps show dates like "
             "'Jun 30' without a year; each gets the year that puts it on or before this day. "
             "Not needed for API JSON or tables.")
    if files:
        _ingest_uploads(store, files, captured)
    private = bool(st.session_state.get(loader.SESSION_STORE))
    if private:
        st.caption("Showing this session's copy with your uploaded files; it is removed when "
                   "the session ends.")
    untopiced = loaded.unassigned
    if untopiced and (private or updates_allowed()) and st.button(
            f"Give the {untopiced:,} new papers topics", key="assign_topics",
            icon=":material/hub:"):
        _assign(store)
    if private and st.button("Back to the shared data", key="drop_session_store"):
        st.session_state.pop(loader.SESSION_STORE, None)
        st.rerun()
    if not updates_allowed():
        return
    if st.button("Update data", key="update_data", icon=":material/cloud_download:",
                 help="Fetch the days since the newest one in the store from the Hugging Face "
                      "Daily Papers API (like `papertrends fetch`), for every visitor."):
        _fetch(store)


def _safe_name(name: str) -> str:
    base = Path(name).name or "upload"
    return re.sub(r"[^A-Za-z0-9._-]+", "_", base)[:120] or "upload"


@st.cache_resource(scope="session", on_release=FOLDERS.release, show_spinner=False)
def _session_folder() -> str:
    """A folder for this session only, removed when the session ends."""
    sessions_dir().mkdir(parents=True, exist_ok=True)
    return tempfile.mkdtemp(prefix="session-", dir=sessions_dir())


def _folder_of(store: Store) -> str | None:
    """The session folder ``store`` is the copy in, or None (the store the app was given)."""
    folder = store.root.resolve().parent
    return str(folder) if folder.parent == sessions_dir().resolve() else None


@contextlib.contextmanager
def _writing(folder: str | None) -> Iterator[None]:
    """Around a write into a session's folder (``FOLDERS.writing``); None: no session folder.

    While the server stops no write starts: the run stops instead.
    """
    with contextlib.ExitStack() as stack:
        if folder is not None:
            try:
                stack.enter_context(FOLDERS.writing(folder))
            except SessionsClosed:
                st.stop()
        yield


def _size(path: Path) -> int:
    if not path.exists():
        return 0
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def _copy_size(store: Store) -> int:
    return sum(_size(p) for p in (*store.paper_files(), store.topics_dir, store.embeddings_dir))


def _room(store: Store, incoming: int) -> str | None:
    """Why these uploads do not fit under the server's cap (None: they fit)."""
    private = st.session_state.get(loader.SESSION_STORE)
    needed = incoming + (0 if private else _copy_size(store))
    used, limit = _size(sessions_dir()), upload_limit_bytes()
    if used + needed <= limit:
        return None
    mb = 1024 * 1024
    return (f"No room for these files: uploads on this server hold {used / mb:,.0f} MB of "
            f"{limit / mb:,.0f} MB and these need {needed / mb:,.1f} MB. Try again later, or add "
            "them for good with `papertrends ingest FILE`.")


def session_store(store: Store, folder: str) -> Store:
    """This session's private copy of ``store``, removed with the session.

    Made on first use in ``folder``, the session's folder, inside ``FOLDERS.writing(folder)``.
    """
    root = st.session_state.get(loader.SESSION_STORE)
    if root and Store(root).exists():
        return Store(root)
    target = Path(folder) / "store"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    if store.delta_paths():  # the table as one file (copying base and deltas could mix writes)
        atomic_write_parquet(target / store.papers_path.name, store.read_papers())
    elif store.exists():
        shutil.copy2(store.papers_path, target / store.papers_path.name)
    for extra in (store.listings_path, *store.root.glob("LICENSE*")):
        if extra.is_file():  # month list sizes (coverage) and the data's licenses
            shutil.copy2(extra, target / extra.name)
    for sub in (store.topics_dir, store.embeddings_dir):
        if sub.is_dir():
            shutil.copytree(sub, target / sub.name)
    if store.models_dir.is_dir():
        (target / store.models_dir.name).symlink_to(store.models_dir.resolve())
    st.session_state[loader.SESSION_STORE] = str(target)
    return Store(target)


def _ingest_uploads(store: Store, files, captured: dt.date | None = None) -> None:
    """Ingest newly uploaded files into the session store; errors as one clear line.

    ``captured`` is the capture day of page dumps (their dates have no year). A page dump
    uploaded without it is kept waiting, with a message asking for the date, and is ingested
    as soon as the date is set.
    """
    done = st.session_state.setdefault(DONE_KEY, set())
    new = [f for f in files if f.file_id not in done]
    if not new:
        return
    full = _room(store, sum(len(f.getvalue()) for f in new))
    if full:
        done.update(f.file_id for f in new)
        st.error(full)
        return
    with tempfile.TemporaryDirectory(prefix="papertrends-upload-") as tmp:
        paths = []
        for f in new:
            path = Path(tmp) / _safe_name(f.name)
            path.write_bytes(f.getvalue())
            paths.append(str(path))
        folder = _session_folder()
        try:
            with _writing(folder):
                target = session_store(store, folder)
                report = ingest(target, paths, reference_date=captured)
        except MissingYear as err:  # not marked done: retried once the date is set
            st.warning(f"{err.file or 'A file'} is a papers page dump whose dates have no "
                       f"year: set “{CAPTURE_LABEL}” above to the day the page was saved, "
                       "and it is added.".replace(tmp + "/", ""), icon=":material/event:")
            return
        except InputError as err:
            done.update(f.file_id for f in new)
            st.error(str(err).replace(tmp + "/", ""))
            return
    done.update(f.file_id for f in new)
    s = report.stats
    msg = f"Added {s.added} new and updated {s.updated} papers from {len(new)} file(s)."
    if len(report.problems):
        msg += f" Skipped {len(report.problems)} bad entries."
    if s.added and loader.has_topics(target):
        msg += " New papers have no topic yet: they count as “Not yet assigned”."
    st.session_state[NOTE_KEY] = msg
    st.rerun()


def _assign(store: Store) -> None:
    """Topics for papers that have none, from the saved model (no refit), with progress."""
    with st.status("Giving the new papers topics…", expanded=True) as status:
        from analysis.topics import fit as topics  # heavy: loads the embedder

        try:
            with _writing(_folder_of(store)), store.lock(timeout=LOCK_WAIT_SECONDS):
                counts = topics.assign_new(store, progress=lambda d, t, m: status.write(m))
        except InputError as err:
            status.update(label="Could not assign topics", state="error")
            st.error(str(err))
            return
        status.update(label="Topics assigned", state="complete")
    placed = counts.get("assigned", 0) - counts.get("outliers", 0)
    outliers = (f", {counts['outliers']} stay outliers (no topic close enough)"
                if counts.get("outliers") else "")
    st.session_state[NOTE_KEY] = f"{placed} papers got a topic{outliers}."
    st.rerun()


def _fetch(store: Store) -> None:
    """Run the fetch with a progress bar; the summary shows after the rerun."""
    with st.status("Fetching new days from Hugging Face…", expanded=True) as status:
        bar = st.progress(0.0, text="starting")

        def progress(done: int, total: int, message: str) -> None:
            bar.progress(min(done / total, 1.0) if total else 1.0,
                         text=f"{done}/{total} days · {md_escape(message)}")

        try:
            with _writing(_folder_of(store)):
                summary = fetch(store, progress=progress, lock_timeout=LOCK_WAIT_SECONDS)
        except InputError as err:
            status.update(label="Update failed", state="error")
            st.error(str(err))
            return
        lines = summary.lines()
        if not summary.ok:
            status.update(label="Nothing could be fetched", state="error")
            for line in lines:
                st.write(md_escape(line))
            return
        status.update(label="Data updated", state="complete")
    st.session_state[NOTE_KEY] = " · ".join(lines[:3])
    st.rerun()
