"""A small, polite HTTP client for JSON APIs: timeouts, retries with backoff, clear errors.

Standard library only (urllib). Used by :mod:`analysis.fetch`. Every failure becomes a
:class:`FetchError` whose message is one line that names the URL and says what to do next.
A token is sent as ``Authorization: Bearer`` and never appears in any message.
"""

from __future__ import annotations

import email.utils
import http.client
import json
import random
import socket
import ssl
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

USER_AGENT = "papertrends-fetch/0.1 (+https://github.com/; polite, retries with backoff)"
MAX_BODY = 64 * 1024 * 1024  # a daily list is ~0.1-0.5 MB; refuse anything absurd


@dataclass(frozen=True)
class RetryPolicy:
    """How long to wait and how often to try again.

    Attributes:
        timeout: seconds allowed for one request, connect to last byte.
        retries: extra attempts after the first for 429, 5xx, timeouts, dropped connections.
        backoff: base delay in seconds; attempt n waits backoff * 2**n (plus jitter).
        max_delay: cap on any single wait, including a server's Retry-After.
        jitter: +/- fraction of random spread added to each backoff delay.
    """

    timeout: float = 30.0
    retries: int = 4
    backoff: float = 1.0
    max_delay: float = 60.0
    jitter: float = 0.25

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number ``attempt`` (0-based)."""
        base = self.backoff * (2**attempt)
        base *= 1 + random.uniform(-self.jitter, self.jitter)
        if retry_after is not None:
            base = max(base, retry_after)
        return max(0.0, min(base, self.max_delay))


class FetchError(Exception):
    """A request that failed for good. ``kind`` names the failure, ``fatal`` stops the whole run.

    Kinds: dns, network, timeout, auth, not-found, rate-limited, server, http, html, bad-json,
    shape, too-large.
    """

    def __init__(
        self, message: str, *, url: str, kind: str, fatal: bool = False, status: int | None = None
    ) -> None:
        """Keep the failure's details; newlines in ``message`` become spaces.

        Args:
            message: what went wrong and what to do, one line.
            url: the request that failed.
            kind: one of the kinds above.
            fatal: stop the whole run, not just this day.
            status: the HTTP status, when there was a response.
        """
        self.message = message.replace("\n", " ")
        self.url = url
        self.kind = kind
        self.fatal = fatal
        self.status = status
        super().__init__(self.message)


class FetchCancelled(Exception):
    """The caller asked the client to stop (between attempts)."""


@dataclass
class _Retryable(Exception):
    error: FetchError
    retry_after: float | None = None


@dataclass
class HttpClient:
    """GETs JSON with retries. Thread-safe: each call opens its own connection.

    Args:
        token: sent as ``Authorization: Bearer <token>`` (not forwarded on redirects).
        policy: timeouts and retry settings.
        cancel: when set, pending retries stop with :class:`FetchCancelled`.
    """

    token: str | None = None
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    cancel: threading.Event = field(default_factory=threading.Event)

    def get_json(self, url: str) -> tuple[object, bytes]:
        """GET ``url`` and return (parsed JSON, the raw body bytes exactly as received).

        Raises:
            FetchError: after the retries are used up, or at once for errors retrying cannot fix.
            FetchCancelled: when ``cancel`` was set while waiting to retry.
        """
        attempt = 0
        while True:
            if self.cancel.is_set():
                raise FetchCancelled(url)
            try:
                body, content_type = self._get_once(url)
                return _parse_json(body, content_type, url), body
            except _Retryable as r:
                if attempt >= self.policy.retries:
                    err = r.error
                    if attempt:
                        err.message += f" (gave up after {attempt + 1} attempts)"
                    raise err from None
                wait = self.policy.delay(attempt, r.retry_after)
                attempt += 1
                if self.cancel.wait(wait):
                    raise FetchCancelled(url) from None

    # ---- one attempt ------------------------------------------------------------------------
    def _request(self, url: str) -> urllib.request.Request:
        req = urllib.request.Request(url, method="GET")
        req.add_header("User-Agent", USER_AGENT)
        req.add_header("Accept", "application/json")
        if self.token:
            req.add_unredirected_header("Authorization", f"Bearer {self.token}")
        return req

    def _get_once(self, url: str) -> tuple[bytes, str]:
        deadline = time.monotonic() + self.policy.timeout
        try:
            with urllib.request.urlopen(self._request(url), timeout=self.policy.timeout) as resp:
                body = _read_all(resp, deadline, url)
                return body, resp.headers.get("Content-Type", "")
        except urllib.error.HTTPError as exc:
            raise _status_error(exc, url) from None
        except urllib.error.URLError as exc:
            raise _network_error(exc.reason, url) from None
        except TimeoutError:
            raise _Retryable(_timeout(url, self.policy.timeout)) from None
        except (http.client.IncompleteRead, ConnectionError, http.client.HTTPException) as exc:
            raise _Retryable(_dropped(url, exc)) from None


def _read_all(resp: http.client.HTTPResponse, deadline: float, url: str) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        if time.monotonic() > deadline:
            raise TimeoutError
        chunk = resp.read(65536)
        if not chunk:
            break
        size += len(chunk)
        if size > MAX_BODY:
            raise FetchError(f"response from {url} is larger than {MAX_BODY // 2**20} MB; "
                             "check --endpoint / HF_ENDPOINT", url=url, kind="too-large")
        chunks.append(chunk)
    body = b"".join(chunks)
    expected = resp.headers.get("Content-Length")
    if expected and expected.strip().isdigit() and int(expected) > len(body):
        # read(amt) returns b"" at a premature EOF instead of raising: check the length here
        raise http.client.IncompleteRead(body, int(expected) - len(body))
    return body


def _timeout(url: str, seconds: float) -> FetchError:
    return FetchError(f"no complete answer from {url} within {seconds:g} s (timeout); "
                      "the server may be slow, try again later", url=url, kind="timeout")


def _dropped(url: str, exc: BaseException) -> FetchError:
    what = "the response was cut short" if isinstance(exc, http.client.IncompleteRead) else (
        f"the connection dropped ({type(exc).__name__})")
    return FetchError(f"{what} for {url}; try again later", url=url, kind="network")


def _network_error(reason: object, url: str) -> FetchError | _Retryable:
    host = urllib.parse.urlparse(url).netloc
    if isinstance(reason, socket.gaierror):
        return FetchError(f"cannot resolve host {host!r} for {url} (no network or DNS failure); "
                          "check your connection, or --endpoint / HF_ENDPOINT",
                          url=url, kind="dns", fatal=True)
    if isinstance(reason, TimeoutError):
        return _Retryable(FetchError(f"connecting to {host} timed out for {url}; check your "
                                     "connection and try again", url=url, kind="timeout"))
    if isinstance(reason, ConnectionRefusedError):
        return FetchError(f"connection refused by {host} for {url}; is the endpoint right? "
                          "(--endpoint / HF_ENDPOINT)", url=url, kind="network", fatal=True)
    if isinstance(reason, ssl.SSLError):
        return FetchError(f"TLS error talking to {host} for {url}: {reason}; check the endpoint "
                          "and your certificates", url=url, kind="network", fatal=True)
    return _Retryable(FetchError(f"network error for {url}: {reason}; check your connection",
                                 url=url, kind="network", fatal=True))


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _error_detail(exc: urllib.error.HTTPError) -> str:
    """A short, single-line hint from an error body such as {"error": "..."}."""
    try:
        raw = exc.read(2048)
        data = json.loads(raw)
    except Exception:
        return ""
    if isinstance(data, dict) and isinstance(data.get("error"), str):
        return f" ({' '.join(data['error'].split())[:200]})"
    return ""


def _status_error(exc: urllib.error.HTTPError, url: str) -> FetchError | _Retryable:
    code = exc.code
    detail = _error_detail(exc)
    if code in (401, 403):
        return FetchError(f"HTTP {code} from {url}{detail}: access denied; set HF_TOKEN to a valid "
                          "token (https://huggingface.co/settings/tokens) or unset a wrong one",
                          url=url, kind="auth", fatal=True, status=code)
    if code == 404:
        return FetchError(f"HTTP 404 from {url}{detail}: not found; check --endpoint / HF_ENDPOINT",
                          url=url, kind="not-found", status=code)
    if code == 429:
        return _Retryable(FetchError(
            f"HTTP 429 from {url}: rate limited; wait a few minutes and run fetch again "
            "(failed days are retried)", url=url, kind="rate-limited", status=code),
            _retry_after(exc.headers.get("Retry-After")))
    if code >= 500:
        return _Retryable(FetchError(
            f"HTTP {code} from {url}{detail}: server error; try again later "
            "(failed days are retried)", url=url, kind="server", status=code),
            _retry_after(exc.headers.get("Retry-After")))
    return FetchError(f"HTTP {code} from {url}{detail}; check the request and the endpoint",
                      url=url, kind="http", status=code)


def _parse_json(body: bytes, content_type: str, url: str) -> object:
    head = body.lstrip()[:64].lower()
    if "html" in content_type.lower() or head.startswith((b"<!doctype", b"<html", b"<")):
        raise FetchError(f"got an HTML page instead of JSON from {url} (a login, proxy or error "
                         "page?); check --endpoint / HF_ENDPOINT", url=url, kind="html")
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        # A body cut short in transit is worth another try; a persistently bad one is reported.
        raise _Retryable(FetchError(
            f"response from {url} is not valid JSON ({exc.__class__.__name__} at byte "
            f"{getattr(exc, 'pos', getattr(exc, 'start', '?'))} of {len(body)}; truncated?); "
            "try again later", url=url, kind="bad-json")) from None
