"""Command: serve - start the dashboard (``streamlit run dashboard/server.py``).

The process replaces itself with Streamlit (``os.execve``): SIGTERM or Ctrl-C reach the server
itself, so when it stops nothing is left listening. It listens on 127.0.0.1 unless ``--address``
says otherwise, and the dashboard writes its shared store only with ``--allow-updates``.
"""

from __future__ import annotations

import os
import sys

from analysis.commands.common import add_store_arg, say
from analysis.schema import InputError
from analysis.store import (
    ENV_ALLOW_UPDATES,
    ENV_STORE,
    ROOT,
    Store,
    default_store_dir,
    explicit_store_dir,
)
from analysis.user_store import writable_store

APP = ROOT / "dashboard" / "server.py"  # Streamlit's own server (st.App), see there
DEFAULT_ADDRESS = "127.0.0.1"


def register(sub) -> None:
    """Add this module's commands to the parser."""
    p = sub.add_parser("serve", help="start the dashboard in the browser",
                       description="Start the Streamlit dashboard on a store. It listens on "
                                   "127.0.0.1 (this machine only) unless --address says "
                                   "otherwise. Visitors' uploads stay in their own session; "
                                   "the 'Update data' button, which writes the store for "
                                   "everyone, shows only with --allow-updates.")
    add_store_arg(p)
    p.add_argument("--port", type=int, default=None, help="port to listen on (default 8501)")
    p.add_argument("--address", default=DEFAULT_ADDRESS,
                   help="address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)")
    p.add_argument("--allow-updates", action="store_true",
                   help="let visitors fetch new days into the store ('Update data'); without "
                        "--store this is your own store, never the bundled data/")
    p.set_defaults(func=run)


def command(args) -> list[str]:
    """The streamlit command line for these arguments."""
    cmd = [sys.executable, "-m", "streamlit", "run", str(APP)]
    if args.port is not None:
        cmd += ["--server.port", str(args.port)]
    cmd += ["--server.address", args.address or DEFAULT_ADDRESS]
    return cmd


def environment(args) -> tuple[dict[str, str], Store]:
    """The app's environment (which store, whether it may write it) and the store it opens.

    Raises:
        InputError: the store has no paper table, or updates are asked for on the bundled data.
    """
    env = {k: v for k, v in os.environ.items() if k != ENV_ALLOW_UPDATES}
    if args.allow_updates:
        store, _created = writable_store(args.store)
        if store.is_bundled:
            raise InputError("the bundled data/ is a read-only snapshot", field="--allow-updates",
                             hint="leave out --store to update your own store, or name another")
        env[ENV_ALLOW_UPDATES] = "1"
        env[ENV_STORE] = str(store.root.resolve())
    else:
        explicit = explicit_store_dir(args.store)
        store = Store(explicit if explicit is not None else default_store_dir())
        if explicit is not None:  # else the app follows the default (your store once written)
            env[ENV_STORE] = str(store.root.resolve())
    if not store.exists():
        raise InputError(f"no paper table in {store.root}",
                         hint="run `papertrends ingest SOURCE --store DIR` first, or leave out "
                              "--store to open the bundled data")
    # No HF_HUB_OFFLINE here: "Update data" fetches through huggingface_hub, which that would
    # stop; the embedding model loads from its local package folder without the network.
    return env, store


def run(args) -> int:
    """`papertrends serve`: become the Streamlit server on the store (never returns on success).

    Raises:
        InputError: the store has no paper table, or the port is out of range.
    """
    if args.port is not None and not 1 <= args.port <= 65535:
        raise InputError(f"port {args.port} is not between 1 and 65535", field="port")
    env, store = environment(args)
    say(args, "note", f"serving {store.root} on {args.address or DEFAULT_ADDRESS}"
        + ("; visitors may update it" if args.allow_updates else ""))
    sys.stdout.flush()
    sys.stderr.flush()
    os.chdir(ROOT)  # Streamlit finds .streamlit/config.toml (theme, upload limit) here
    os.execve(sys.executable, command(args), env)
    return 0  # pragma: no cover - execve does not return
