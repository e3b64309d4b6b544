"""Settings: where stores are, and what the environment says (``papertrends serve`` sets some).

:mod:`analysis.store` re-exports all of these; import them from there.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import platformdirs

ROOT = Path(__file__).resolve().parents[1]
BUNDLED_STORE = ROOT / "data"
APP_NAME = "papertrends"
#: Settings read from the environment (``papertrends serve`` sets the first two for the app).
ENV_STORE = "PAPERTRENDS_STORE"
ENV_ALLOW_UPDATES = "PAPERTRENDS_ALLOW_UPDATES"
ENV_UPLOAD_LIMIT = "PAPERTRENDS_UPLOAD_LIMIT_MB"
#: When set, the dashboard appends the seconds of every run to this file (bench/bench_load.py).
ENV_TIMING_LOG = "PAPERTRENDS_TIMING_LOG"
#: All uploads of one dashboard server together (each session keeps its own, until it ends).
UPLOAD_LIMIT_MB = 500
#: The most papers the topic map draws; a larger store draws a fixed sample of this many.
ENV_MAP_POINTS = "PAPERTRENDS_MAP_POINTS"
MAP_POINTS = 50_000
# ---- settings ------------------------------------------------------------------------------------
def user_store_dir() -> Path:
    """The user's own store: ``<platform user data folder>/papertrends/store``."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "store"


def default_store_dir() -> Path:
    """The store commands read without --store.

    ``$PAPERTRENDS_STORE``; else the user store once something was written to it; else the
    bundled snapshot ``data/``.
    """
    env = os.environ.get(ENV_STORE)
    if env:
        return Path(env)
    user = user_store_dir()
    return user if (user / "papers.parquet").is_file() else BUNDLED_STORE


def explicit_store_dir(root: str | os.PathLike[str] | None) -> Path | None:
    """The store named by ``--store`` or ``$PAPERTRENDS_STORE`` (None: neither is given)."""
    if root is not None:
        return Path(root)
    env = os.environ.get(ENV_STORE)
    return Path(env) if env else None


def updates_allowed() -> bool:
    """Whether the dashboard may write its shared store (``papertrends serve --allow-updates``)."""
    return os.environ.get(ENV_ALLOW_UPDATES, "") == "1"


def upload_limit_bytes() -> int:
    """The most bytes the uploads of all sessions of one server may hold at once."""
    try:
        mb = float(os.environ.get(ENV_UPLOAD_LIMIT) or UPLOAD_LIMIT_MB)
    except ValueError:
        mb = UPLOAD_LIMIT_MB
    return int(mb * 1024 * 1024)


def map_points() -> int:
    """The most papers the topic map draws (``$PAPERTRENDS_MAP_POINTS``, default 50,000)."""
    try:
        return max(1, int(os.environ.get(ENV_MAP_POINTS) or MAP_POINTS))
    except ValueError:
        return MAP_POINTS


def sessions_dir() -> Path:
    """Where this server process keeps the private stores of its dashboard sessions."""
    return Path(tempfile.gettempdir()) / f"papertrends-sessions-{os.getpid()}"
