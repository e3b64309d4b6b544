"""Command: serve - start the dashboard (``streamlit run dashboard/streamlit_app.py``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from analysis.schema import InputError
from analysis.store import ENV_STORE, ROOT, Store

APP = ROOT / "dashboard" / "server.py"


def register(sub) -> None:
    """Add this module's commands to the parser."""
    p = sub.add_parser("serve", help="start the dashboard in the browser",
                       description="Start the Streamlit dashboard on a store (default: "
                                   "$PAPERTRENDS_STORE or the bundled data/).")
    p.add_argument("--store", type=Path, default=None,
                   help="store directory (default: $PAPERTRENDS_STORE or the bundled data/)")
    p.add_argument("--port", type=int, default=None, help="port to listen on (default 8501)")
    p.add_argument("--address", default=None,
                   help="address to listen on (default: Streamlit's; 127.0.0.1 for local only)")
    p.set_defaults(func=run)


def command(args) -> list[str]:
    """The streamlit command line for these arguments."""
    cmd = [sys.executable, "-m", "streamlit", "run", str(APP)]
    if args.port is not None:
        cmd += ["--server.port", str(args.port)]
    if args.address:
        cmd += ["--server.address", args.address]
    return cmd


def run(args) -> int:
    """`papertrends serve`: run the Streamlit dashboard on the store until it stops.

    Returns:
        Streamlit's exit status, or 0 when stopped with Ctrl-C.

    Raises:
        InputError: the store has no paper table, or the port is out of range.
    """
    store = Store(args.store)
    if not store.exists():
        raise InputError(f"no paper table in {store.root}",
                         hint="run `papertrends ingest SOURCE --store DIR` first, or leave out "
                              "--store to open the bundled data")
    if args.port is not None and not 1 <= args.port <= 65535:
        raise InputError(f"port {args.port} is not between 1 and 65535", field="port")
    env = dict(os.environ, **{ENV_STORE: str(store.root.resolve())})
    env.setdefault("HF_HUB_OFFLINE", "1")
    # Run from the repository so Streamlit finds .streamlit/config.toml (theme, upload limit).
    try:
        return subprocess.call(command(args), env=env, cwd=ROOT)
    except KeyboardInterrupt:
        return 0
