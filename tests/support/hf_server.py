"""A real local HTTP server that plays the Hugging Face Daily Papers API, for fetch tests.

It listens on 127.0.0.1 (port 0: any free port) in a background thread and answers
``GET /api/daily_papers?date=YYYY-MM-DD[&limit=N][&p=P]`` from recorded real responses
(``tests/fixtures/fetch-days/<date>.json``), and ``?month=YYYY-MM`` from recorded month answers
(``tests/fixtures/hf-monthly-papers/daily_papers_<month>.json``). A day (month) without a file
answers ``[]``, as the real API does on weekends. A whole list that fits in one page is served
byte for byte as recorded; a page of a longer one is that slice of the entries, re-serialised.

Faults are scripted per day (or month): ``server.script(day, Fault(...), ...)`` queues faults
that the next requests for it get, one each, before it answers normally again.
``server.fail_from`` makes every day (month) from a given one on hang (to interrupt a fetch
"after two days"). ``server.date`` fixes the ``Date`` header (the moment fetch records as the
papers' ``upvotes_at``), so two runs can write the same bytes.

Run it by hand: ``python -m tests.support.hf_server [DIR]`` prints its URL.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from analysis.fetch import fetch
from analysis.fetch.client import RetryPolicy
from analysis.store import Store
from tests.support.paths import FETCH_DAYS, MONTHS

DEFAULT_LIMIT = 50  # what the real API gives without `limit`

#: The recorded days: Thu 2026-01-15 .. Wed 2026-01-21, five with papers (71), a weekend without.
FIRST, LAST = dt.date(2026, 1, 15), dt.date(2026, 1, 21)
PAPER_DAYS = ["2026-01-15", "2026-01-16", "2026-01-19", "2026-01-20", "2026-01-21"]
WEEKEND = ["2026-01-17", "2026-01-18"]


def ids_of(day: str) -> set[str]:
    """The paper ids in the recorded response of one day (read independently of the code)."""
    return {e["paper"]["id"] for e in json.loads((FETCH_DAYS / f"{day}.json").read_bytes())}


ALL_IDS = set().union(*(ids_of(d) for d in PAPER_DAYS))


def no_real_endpoint(monkeypatch) -> None:
    """Point HF_ENDPOINT at a closed loopback port and drop HF_TOKEN.

    A test that forgets the endpoint then fails against this machine, never reaching
    huggingface.co.
    """
    from huggingface_hub import constants

    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    # fetch speaks through huggingface_hub, which the test run puts offline (HF_HUB_OFFLINE=1,
    # so no model is ever downloaded): requests to this loopback server must still go out
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    # and a token saved on this machine (`hf auth login`) is never sent by a test
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", "/nonexistent/papertrends-test-token")


HTML_PAGE = (b"<!DOCTYPE html>\n<html><head><title>Hugging Face - Sign in</title></head>"
             b"<body><h1>Sign in</h1><p>Please log in to continue.</p></body></html>\n")


@dataclass
class Fault:
    """One scripted answer.

    kind: "status" (code, headers, body), "hang" (seconds, then answer normally), "html",
    "truncate" (promise the full length, send half, close), "drop" (close without answering),
    "body" (status 200 with the given body), "ok" (answer normally: to let requests pass before
    a later fault).
    """

    kind: str
    code: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    seconds: float = 0.0


@dataclass
class Request:
    """What the server saw: the day, the query, the Authorization header, when."""

    path: str
    query: dict[str, str]
    authorization: str | None
    at: float


class HFServer:
    """Start with ``with HFServer() as server:``; ``server.endpoint`` is the base URL."""

    def __init__(self, days_dir: Path = FETCH_DAYS, months_dir: Path = MONTHS) -> None:
        """Bind a loopback port (not serving yet) answering from the day and month files."""
        self.days_dir = Path(days_dir)
        self.months_dir = Path(months_dir)
        self.date: str | None = None  # a fixed Date header (RFC 1123), e.g. in resume tests
        self.faults: dict[str, list[Fault]] = {}
        self.requests: list[Request] = []
        self.fail_from: str | None = None
        self.upvote_bump = 0  # added to every paper's upvotes (a later snapshot of the list)
        self.ignore_paging = False  # answer every request with the whole day, like an old API
        self.inflight = 0
        self.max_inflight = 0  # most requests handled at the same time
        self.release = threading.Event()  # set at shutdown: hanging handlers return
        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        self.httpd.handle_error = lambda request, address: None  # clients that gave up
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        """The base URL, ``http://127.0.0.1:<port>``."""
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> HFServer:
        """Start serving in a background thread."""
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        """Release hanging handlers, stop serving and close the socket."""
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def script(self, day: str, *faults: Fault) -> None:
        """Queue faults for day: its next requests get them in order, then normal answers."""
        with self.lock:
            self.faults.setdefault(day, []).extend(faults)

    def requests_for(self, day: str) -> list[Request]:
        """The requests seen so far for a day (``date``) or month (``month``), in order."""
        return [r for r in self.requests if day in (r.query.get("date"), r.query.get("month"))]

    # ---- answers -----------------------------------------------------------------------------
    def entries_body(self, day: str, limit: int, page: int) -> bytes:
        """The JSON answer for one page of a day's entries.

        Args:
            day: the ``date`` asked for; a day without a file has no entries.
            limit: entries per page.
            page: the page number, from 0.

        Returns:
            The recorded file verbatim when one page holds the whole day (and no upvote bump is
            set), else that page's slice of the entries re-encoded.
        """
        path = (self.days_dir / f"{day}.json" if len(day) == 10
                else self.months_dir / f"daily_papers_{day}.json")
        raw = path.read_bytes() if path.is_file() else b"[]"
        entries = json.loads(raw)
        if self.upvote_bump:
            for e in entries:
                e["paper"]["upvotes"] = int(e["paper"].get("upvotes") or 0) + self.upvote_bump
            raw = json.dumps(entries).encode()
        if page == 0 and len(entries) <= limit:
            return raw  # verbatim, as recorded
        return json.dumps(entries[page * limit:(page + 1) * limit]).encode()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output clean
                pass

            def date_time_string(self, timestamp: float | None = None) -> str:
                return server.date or super().date_time_string(timestamp)

            def do_GET(self) -> None:  # noqa: N802 - http.server API
                with server.lock:
                    server.inflight += 1
                    server.max_inflight = max(server.max_inflight, server.inflight)
                self.counted = True
                try:
                    self._get()
                finally:
                    self._leave()

            def _leave(self) -> None:
                """Mark this request no longer in flight; called before the answer goes out.

                The client may start its next request as soon as it has the last byte.
                """
                if self.counted:
                    self.counted = False
                    with server.lock:
                        server.inflight -= 1

            def _get(self) -> None:
                url = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(url.query))
                with server.lock:
                    server.requests.append(Request(url.path, query,
                                                   self.headers.get("Authorization"),
                                                   time.monotonic()))
                    day = query.get("date") or query.get("month") or ""
                    queue = server.faults.get(day) or []
                    fault = queue.pop(0) if queue else None
                if url.path != "/api/daily_papers":
                    return self._send(404, b'{"error":"Not Found"}')
                if server.fail_from and day >= server.fail_from:
                    server.release.wait(120)
                    return None
                if fault is not None:
                    done = self._fault(fault)
                    if done:
                        return None
                try:
                    limit = int(query.get("limit", DEFAULT_LIMIT))
                    page = int(query.get("p", 0))
                except ValueError:
                    return self._send(400, b'{"error":"bad limit or p"}')
                if server.ignore_paging:
                    limit, page = 10**6, 0
                self._send(200, server.entries_body(day, limit, page))
                return None

            def _fault(self, fault: Fault) -> bool:
                body = server.entries_body(self._day(), DEFAULT_LIMIT * 100, 0)
                if fault.kind == "status":
                    self._send(fault.code, fault.body or b'{"error":"scripted"}', fault.headers)
                elif fault.kind == "hang":
                    server.release.wait(fault.seconds)
                    return False  # then answer normally (if the client still listens)
                elif fault.kind == "html":
                    self._send(200, HTML_PAGE, content_type="text/html; charset=utf-8")
                elif fault.kind == "truncate":
                    self._leave()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                elif fault.kind == "drop":
                    self.close_connection = True
                elif fault.kind == "body":
                    self._send(200, fault.body)
                elif fault.kind == "ok":
                    return False
                else:  # pragma: no cover - a typo in a test
                    raise ValueError(fault.kind)
                return True

            def _day(self) -> str:
                query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
                return query.get("date") or query.get("month") or ""

            def _send(self, code: int, body: bytes, headers: dict[str, str] | None = None,
                      content_type: str = "application/json; charset=utf-8") -> None:
                self._leave()
                self.send_response(code)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

        return Handler


# -- helpers for the fetch tests (tests/fetch/) ----------------------------------------------

#: Short timeouts and back-off, so fault tests take seconds.
FAST = RetryPolicy(timeout=1.0, retries=2, backoff=0.02, max_delay=3.0)


def run_fetch(store: Store, server: HFServer, start: dt.date = FIRST, end: dt.date = LAST,
              **kw):
    """fetch() of ``start``..``end`` from ``server``.

    The FAST policy and no topic assignment are used unless ``kw`` gives others.
    """
    kw.setdefault("policy", FAST)
    kw.setdefault("assign", False)
    return fetch(store, start, end, endpoint=server.endpoint, **kw)


def state_of(store: Store) -> dict:
    """The per-day records of the store's fetch state file, as written."""
    return json.loads(store.fetch_state_path.read_text())["days"]


if __name__ == "__main__":  # pragma: no cover - manual use
    import sys

    with HFServer(Path(sys.argv[1]) if len(sys.argv) > 1 else FETCH_DAYS) as srv:
        print(f"serving {srv.days_dir} at {srv.endpoint}/api/daily_papers?date=YYYY-MM-DD")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
