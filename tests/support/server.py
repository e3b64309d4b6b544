"""`papertrends serve` as a real process on a free loopback port, and proof that it is gone after.

``serve(store)`` yields a :class:`Server`; on the way out it sends SIGTERM (as a service manager
does) and asserts that within 5 s nothing listens on the port and neither the server nor any
process it started is left. Every test that starts a server goes through here.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.paths import OUTPUT, REPO

STOP_SECONDS = 5.0


def free_port() -> int:
    """A TCP port nothing listens on now (127.0.0.1)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listeners(port: int) -> list[str]:
    """Local addresses (hex, as in /proc/net/tcp*) listening on ``port``."""
    out = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                out.append(local.rsplit(":", 1)[0])
    return out


def descendants(pid: int) -> set[int]:
    """Every living process started (directly or not) by ``pid``."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z":
            parents[int(stat.parent.name)] = int(fields[1])
    found, todo = set(), [pid]
    while todo:
        parent = todo.pop()
        for child, ppid in parents.items():
            if ppid == parent and child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pid: int) -> bool:
    """Whether a process exists and is not a zombie."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return fields[0] != "Z"


@dataclass
class Server:
    """A running `papertrends serve`."""

    proc: subprocess.Popen
    port: int
    url: str
    log: Path


@contextmanager
def serve(store: Path | None, *args: str, env: dict[str, str] | None = None,
          stop: int = signal.SIGTERM) -> Iterator[Server]:
    """Run `papertrends serve [--store STORE] --port P ARGS` until the block ends, then stop it.

    Asserts on the way out that nothing listens on the port within 5 s of ``stop`` and that no
    process of the server is left.
    """
    port = free_port()
    environ = dict(env if env is not None else os.environ, PAPERTRENDS_NO_FIT="1",
                   HF_HUB_OFFLINE="1")
    OUTPUT.mkdir(exist_ok=True)
    log_path = OUTPUT / f"serve-{port}.log"
    cmd = [sys.executable, "-m", "analysis.cli", "serve", "--port", str(port), *args]
    if store is not None:
        cmd += ["--store", str(store)]
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, cwd=REPO, env=environ, stdout=log, stderr=subprocess.STDOUT)
    server = Server(proc, port, f"http://127.0.0.1:{port}", log_path)
    family: set[int] = set()
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            assert proc.poll() is None, f"the server exited; see {log_path}"
            assert time.monotonic() < deadline, "the server did not come up in 60 s"
            time.sleep(0.2)
        family = {proc.pid} | descendants(proc.pid)
        yield server
        family |= descendants(proc.pid)
    finally:
        _stop(server, stop, family)


def _stop(server: Server, sig: int, family: set[int]) -> None:
    if server.proc.poll() is None:
        server.proc.send_signal(sig)
    t0 = time.monotonic()
    while listeners(server.port) and time.monotonic() - t0 < STOP_SECONDS:
        time.sleep(0.05)
    still = listeners(server.port)
    try:
        server.proc.wait(STOP_SECONDS)
    except subprocess.TimeoutExpired:
        server.proc.kill()  # never leave it running, then fail
        server.proc.wait(10)
        raise AssertionError(f"serve still running {STOP_SECONDS} s after signal {sig}") from None
    left = sorted(p for p in family if alive(p))
    for pid in left:  # never leave an orphan behind, then fail
        os.kill(pid, signal.SIGKILL)
    assert not still, f"port {server.port} still listening {STOP_SECONDS} s after signal {sig}"
    assert not left, f"processes left behind: {left}"
