"""`papertrends serve` behaves like a server: loopback by default, stops cleanly, nothing left.

Each test starts `papertrends serve` as a real process (tests/support/server.py) and stops it with
a signal; the helper itself asserts that nothing listens within 5 s and no process is left.
"""

from __future__ import annotations

import argparse
import signal

import pytest

from analysis.schema import InputError
from analysis.store import BUNDLED_STORE, ENV_ALLOW_UPDATES, ENV_STORE
from tests.support.server import alive, descendants, listeners, serve
from tests.support.stores import bundled_copy


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_the_server_and_leaves_nothing_listening(tmp_path, sig):
    with serve(BUNDLED_STORE, stop=sig) as server:
        assert listeners(server.port) == ["0100007F"]  # 127.0.0.1 only, by default
        with open(f"/proc/{server.proc.pid}/cmdline", "rb") as fh:
            argv = fh.read().split(b"\0")
        assert b"streamlit" in argv  # serve became Streamlit: no parent left to orphan it
    assert server.proc.returncode is not None
    assert not listeners(server.port)


def test_the_server_helper_leaves_no_process_behind(tmp_path):
    store = bundled_copy(tmp_path / "store")
    with serve(store.root) as server:
        family = {server.proc.pid} | descendants(server.proc.pid)
    assert not [pid for pid in family if alive(pid)]
    assert not listeners(server.port)


def _args(**kw) -> argparse.Namespace:
    base = {"store": None, "port": None, "address": "127.0.0.1", "allow_updates": False,
            "command": "serve"}
    return argparse.Namespace(**{**base, **kw})


def test_serve_defaults_to_loopback_and_no_updates(monkeypatch, tmp_path):
    from analysis.commands.serve import command, environment

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv(ENV_STORE, raising=False)
    monkeypatch.setenv(ENV_ALLOW_UPDATES, "1")  # inherited from elsewhere: not passed on
    cmd = command(_args())
    assert cmd[cmd.index("--server.address") + 1] == "127.0.0.1"
    env, store = environment(_args())
    assert ENV_ALLOW_UPDATES not in env
    assert ENV_STORE not in env  # the app follows the default store (yours, once written)
    assert store.is_bundled


def test_allow_updates_serves_your_own_store_never_the_bundled_one(monkeypatch, tmp_path):
    from analysis.commands.serve import environment

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv(ENV_STORE, raising=False)
    env, store = environment(_args(allow_updates=True))
    assert env[ENV_ALLOW_UPDATES] == "1"
    assert env[ENV_STORE] == str((tmp_path / "xdg" / "papertrends" / "store").resolve())
    assert store.exists()
    with pytest.raises(InputError, match="read-only snapshot"):
        environment(_args(allow_updates=True, store=BUNDLED_STORE))
