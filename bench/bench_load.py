"""Concurrent readers: 20 dashboard sessions at once against one `papertrends serve` (loopback).

Starts `papertrends serve` on a free 127.0.0.1 port (bundled store unless --store) and talks to it
the way the browser does, over Streamlit's websocket (``/_stcore/stream``, protobuf BackMsg /
ForwardMsg). Each session opens the app and then changes its filters ``--changes`` times: every
rerun carries a new filter state in the URL (date range, period, basis, minimum upvotes; the
state a shared link or the back button brings), alternating the Overview and Topics pages, so no
view comes from the cache. The app times every rerun on the server side (it appends the seconds
to ``$PAPERTRENDS_TIMING_LOG``).

It prints: errors (exceptions or error messages drawn, failed reruns, lost connections; must be
0), the server's resident memory before and after the load, and the server-side rerun p50/p95
under load against a baseline measured in the same run (one session alone, same kind of
changes). It stops by itself: a fixed amount of work, an overall deadline (--timeout), and the
server is stopped with SIGTERM at the end (and killed if it does not go).

    .venv/bin/python bench/bench_load.py [--sessions 20] [--changes 5] [--store DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

REPO = Path(__file__).resolve().parents[1]
PAGES = ("", "topics")  # "" is the default page (Overview)


def pct(values: list[float], q: float) -> float:
    """The q-quantile of values, interpolating linearly between the two nearest ranks."""
    values = sorted(values)
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def query(session: int, step: int) -> str:
    """A filter state no other (session, step) has: a new date range, period, basis, upvotes."""
    start = dt.date(2024, 6, 1) + dt.timedelta(days=7 * session + 3 * step)
    end = start + dt.timedelta(days=200 + 11 * step)
    period = ("week", "month", "quarter", "year")[(session + step) % 4]
    basis = ("listed", "published")[step % 2]
    return (f"from={start}&to={end}&period={period}&basis={basis}"
            f"&min_upvotes={(session * 3 + step) % 7}")


def rss_kib(pid: int) -> int:
    """Resident memory of a process, in KiB (from /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class Session:
    """One browser-like session on the websocket."""

    def __init__(self, port: int) -> None:
        """Remember where the server is; nothing is opened yet."""
        self.url = f"ws://127.0.0.1:{port}/_stcore/stream"
        self.ws = None
        self.errors: list[str] = []
        self.latencies: list[float] = []

    async def __aenter__(self) -> Session:
        """Open the websocket."""
        self.ws = await websockets.connect(self.url, subprotocols=["streamlit"], max_size=None)
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Close the websocket (the server ends the session)."""
        if self.ws is not None:
            await self.ws.close()

    async def rerun(self, qs: str, page: str = "") -> None:
        """One rerun with this URL state; records its latency and any error it drew."""
        assert self.ws is not None
        msg = BackMsg()
        msg.rerun_script.query_string = qs
        msg.rerun_script.page_name = page
        t0 = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        while True:
            fm = ForwardMsg()
            fm.ParseFromString(await self.ws.recv())
            kind = fm.WhichOneof("type")
            if kind == "delta" and fm.delta.WhichOneof("type") == "new_element":
                element = fm.delta.new_element
                if element.WhichOneof("type") == "exception":
                    self.errors.append(f"exception: {element.exception.message[:200]}")
                elif element.WhichOneof("type") == "alert" and element.alert.format == 1:
                    self.errors.append(f"error shown: {element.alert.body[:200]}")  # 1: ERROR
            elif kind == "script_finished":
                if fm.script_finished != ForwardMsg.FINISHED_SUCCESSFULLY:
                    self.errors.append(f"rerun ended with status {fm.script_finished}")
                self.latencies.append(time.perf_counter() - t0)
                return


async def one_user(port: int, session: int, changes: int) -> Session:
    """Open the app, then change the filters ``changes`` times (alternating two pages)."""
    s = Session(port)
    try:
        async with s:
            await s.rerun("")
            for step in range(changes):
                await s.rerun(query(session, step), PAGES[step % len(PAGES)])
    except (OSError, websockets.WebSocketException) as exc:
        s.errors.append(f"connection: {exc}")
    return s


async def crowd(port: int, sessions: int, changes: int, first: int) -> list[Session]:
    """``sessions`` users at once (numbered from ``first``, so their filters are all new)."""
    return await asyncio.gather(*(one_user(port, first + i, changes) for i in range(sessions)))


def read_times(path: Path, skip: int) -> list[float]:
    """The rerun seconds the app logged, after the first ``skip`` lines."""
    lines = path.read_text().split() if path.exists() else []
    return [float(x) for x in lines[skip:]]


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, store: str | None, timing: Path) -> subprocess.Popen:
    """`papertrends serve` on 127.0.0.1:port, waited for until healthy."""
    env = dict(os.environ, PAPERTRENDS_NO_FIT="1", HF_HUB_OFFLINE="1",
               PAPERTRENDS_TIMING_LOG=str(timing))
    cmd = [sys.executable, "-m", "analysis.cli", "serve", "--port", str(port), "--address",
           "127.0.0.1"] + (["--store", store] if store else [])
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2):
                return proc
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                stop_server(proc)
                raise SystemExit("the server did not come up") from None
            time.sleep(0.2)


def stop_server(proc: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL if it has not gone within 10 s."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def main() -> None:
    """Parse the command line, run the load and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--changes", type=int, default=5, help="filter changes per session")
    parser.add_argument("--baseline", type=int, default=20,
                        help="filter changes of the lone session measured first")
    parser.add_argument("--store", default=None, help="store to serve (default: bundled)")
    parser.add_argument("--timeout", type=float, default=600, help="give up after this long")
    args = parser.parse_args()
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        timing = Path(tmp) / "reruns.log"
        proc = start_server(port, args.store, timing)
        try:
            run(proc, port, timing, args)
        finally:
            stop_server(proc)
    print(f"server stopped (exit status {proc.returncode})")


def run(proc: subprocess.Popen, port: int, timing: Path, args: argparse.Namespace) -> None:
    """Warm up, measure the lone-session baseline, then the crowd; print the figures."""
    async def bounded(coro):
        return await asyncio.wait_for(coro, args.timeout)

    asyncio.run(bounded(crowd(port, 1, 2, first=10_000)))  # warm: imports, first load
    rss_before = rss_kib(proc.pid)
    skip = len(read_times(timing, 0))
    alone = asyncio.run(bounded(crowd(port, 1, args.baseline, first=20_000)))
    base = read_times(timing, skip)
    skip += len(base)
    t0 = time.perf_counter()
    users = asyncio.run(bounded(crowd(port, args.sessions, args.changes, first=0)))
    wall = time.perf_counter() - t0
    loaded = read_times(timing, skip)
    rss_after = rss_kib(proc.pid)
    errors = [e for s in [*alone, *users] for e in s.errors]
    client = [x for s in users for x in s.latencies]
    print(f"server pid {proc.pid} on 127.0.0.1:{port}; {args.sessions} sessions x "
          f"{args.changes} filter changes (+ opening) in {wall:.1f} s")
    print(f"errors: {len(errors)}" + "".join(f"\n  {e}" for e in errors[:10]))
    print(f"server RSS: {rss_before / 1024:.0f} MiB before, {rss_after / 1024:.0f} MiB after "
          f"({(rss_after - rss_before) / 1024:+.0f} MiB)")
    b50, b95 = pct(base, 0.5), pct(base, 0.95)
    l50, l95 = pct(loaded, 0.5), pct(loaded, 0.95)
    print(f"server-side rerun, one session alone ({len(base)} reruns): p50 {b50 * 1000:.0f} ms, "
          f"p95 {b95 * 1000:.0f} ms")
    print(f"server-side rerun, {args.sessions} sessions at once ({len(loaded)} reruns): "
          f"p50 {l50 * 1000:.0f} ms, p95 {l95 * 1000:.0f} ms "
          f"(x{l50 / b50:.1f} / x{l95 / b95:.1f} the lone session)")
    print(f"client-side rerun under load (send to script finished): p50 "
          f"{pct(client, 0.5) * 1000:.0f} ms, p95 {pct(client, 0.95) * 1000:.0f} ms, "
          f"max {max(client) * 1000:.0f} ms; mean server rerun "
          f"{statistics.mean(loaded) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
