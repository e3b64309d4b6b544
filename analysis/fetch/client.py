"""The HTTP client of `fetch`: the Hugging Face Hub's own session, retries and clear errors.

Requests go through ``huggingface_hub``: its shared ``httpx`` session (``get_session``, with the
Hub's request hooks: ``HF_HUB_OFFLINE`` is honoured), its ``http_backoff`` (exponential back-off
on timeouts, dropped or cut-short connections and on 429/5xx, ``Retry-After`` honoured as the
server sends it); the token is the Hub's own (``get_token``: ``HF_TOKEN`` or the one saved by
``hf auth login``, resolved by the caller). Every failure becomes a :class:`FetchError` whose
message is one line that names the URL and says what to do next; a token never appears in any
message.

What stays here is what the Hub client does not do for this API: reading the answer as JSON
(an HTML login or proxy page is a clear failure), the per-request timeout (the Hub's session
has none by default), telling the failures apart (refused, DNS, auth, not found, ...), the
moment a response was read (its ``Date`` header), which becomes the ``upvotes_at`` of its papers,
and the two request headers. The Hub's ``build_hf_headers`` is not used: measured against the
loopback test server, it made 3 extra requests to ``{endpoint}/api/agent-harnesses`` in one
7-day fetch (its user agent's agent detection, which also writes a file into ``HF_HOME``).
Measured before the urllib client was replaced, both in one run against the loopback test server
(a recorded day of 154 kB, 5 interleaved runs of 300 GETs, a shared 2-core machine under load):
the urllib client 487 GET/s on one thread and 613 on three, this client 277 and 422 (0.57x and
0.69x: httpx costs about 1.5 ms more per request). A day takes one request and a month about
twenty, so that is not a reason to keep the urllib client; every fault test passes with this one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import json
import logging
import platform
import socket
import ssl
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import huggingface_hub
from huggingface_hub import constants
from huggingface_hub.errors import OfflineModeIsEnabled
from huggingface_hub.utils import http_backoff

USER_AGENT = (f"papertrends/0.1; hf_hub/{huggingface_hub.__version__}; "
              f"python/{platform.python_version()}")
#: Failures worth another try: the connection timed out, dropped or was cut short.
RETRY_ON = (httpx.TimeoutException, httpx.ReadError, httpx.WriteError, httpx.CloseError,
            httpx.RemoteProtocolError)
RETRY_STATUS = (429, 500, 502, 503, 504)


@dataclass(frozen=True)
class RetryPolicy:
    """How long to wait and how often to try again.

    The waiting itself is ``http_backoff``'s: ``backoff``, then twice that each retry, at most
    ``max_delay``; after a ``Retry-After`` (seconds), that many seconds plus one.

    Attributes:
        timeout: seconds allowed for connecting, and between bytes of the answer.
        retries: extra attempts after the first for 429, 5xx, timeouts, dropped connections.
        backoff: the first back-off wait in seconds, doubled each retry.
        max_delay: cap on a back-off wait (a server's ``Retry-After`` is honoured as sent).
    """

    timeout: float = 30.0
    retries: int = 4
    backoff: float = 1.0
    max_delay: float = 60.0


class FetchError(Exception):
    """A request that failed for good. ``kind`` names the failure, ``fatal`` stops the whole run.

    Kinds: dns, network, timeout, auth, not-found, rate-limited, server, http, html, bad-json,
    shape, offline.
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
    """The caller asked the client to stop (before the next request)."""


@dataclass(frozen=True)
class Reading:
    """One answer: the parsed JSON, the body exactly as received, and when it was read (UTC)."""

    data: object
    body: bytes
    read_at: dt.datetime


# The Hub logs every retry as a warning; a fetch reports its failures itself, once.
_quiet = threading.local()


class _DropOwnRetries(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not getattr(_quiet, "on", False)


logging.getLogger("huggingface_hub.utils._http").addFilter(_DropOwnRetries())


@contextlib.contextmanager
def _quiet_retries() -> Iterator[None]:
    _quiet.on = True
    try:
        yield
    finally:
        _quiet.on = False


@dataclass
class HttpClient:
    """GETs JSON through the Hub's session with retries. Thread-safe (one pooled session).

    Args:
        token: sent as ``Authorization: Bearer <token>`` (not to other hosts on redirects);
            None sends none.
        policy: timeouts and retry settings.
        cancel: when set, requests not yet started raise :class:`FetchCancelled`.
    """

    token: str | None = None
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    cancel: threading.Event = field(default_factory=threading.Event)

    def get_json(self, url: str) -> Reading:
        """GET ``url``: the parsed JSON, the raw body bytes exactly as received, the read time.

        Raises:
            FetchError: after the retries are used up, or at once for errors retrying cannot fix.
            FetchCancelled: when ``cancel`` was set before the request started.
        """
        if self.cancel.is_set():
            raise FetchCancelled(url)
        tries = f" (gave up after {self.policy.retries + 1} attempts)" if (
            self.policy.retries) else ""
        try:
            with _quiet_retries():
                resp = http_backoff(
                    "GET", url, max_retries=self.policy.retries,
                    base_wait_time=self.policy.backoff, max_wait_time=self.policy.max_delay,
                    retry_on_exceptions=RETRY_ON, retry_on_status_codes=RETRY_STATUS,
                    headers=self._headers(), timeout=httpx.Timeout(self.policy.timeout))
        except OfflineModeIsEnabled:
            raise FetchError(f"huggingface_hub is in offline mode (HF_HUB_OFFLINE), so {url} "
                             "was not asked; unset HF_HUB_OFFLINE to fetch", url=url,
                             kind="offline", fatal=True) from None
        except httpx.TimeoutException:
            raise FetchError(f"no answer from {url} within {self.policy.timeout:g} s (timeout); "
                             f"the server may be slow, try again later{tries}", url=url,
                             kind="timeout") from None
        except httpx.ConnectError as exc:
            raise _network_error(_reason(exc), url) from None
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError,
                httpx.CloseError) as exc:
            what = ("the response was cut short" if "incomplete" in str(exc).lower()
                    or "closed connection without sending complete" in str(exc).lower()
                    else f"the connection dropped ({type(exc).__name__})")
            raise FetchError(f"{what} for {url}; try again later{tries}", url=url,
                             kind="network") from None
        except httpx.HTTPError as exc:  # the Hub's error for a status still failing at the end
            response = getattr(exc, "response", None)
            if response is None:
                raise FetchError(f"request to {url} failed ({type(exc).__name__}); check "
                                 "--endpoint / HF_ENDPOINT", url=url, kind="network") from None
            raise _status_error(response, url, tries) from None
        if resp.status_code >= 400:
            raise _status_error(resp, url, "")
        body = resp.content
        return Reading(_parse_json(body, resp.headers.get("content-type", ""), url), body,
                       _read_at(resp.headers.get("date")))

    def _headers(self) -> dict[str, str]:
        headers = {"user-agent": USER_AGENT, "accept": "application/json"}
        if self.token:
            headers["authorization"] = f"Bearer {self.token}"
        return headers


def default_endpoint() -> str:
    """The Hub's endpoint as huggingface_hub resolves it (``HF_ENDPOINT``, else huggingface.co)."""
    return constants.ENDPOINT


def _read_at(date_header: str | None) -> dt.datetime:
    """The moment of a response: its ``Date`` header, else this machine's clock (UTC, seconds)."""
    if date_header:
        with contextlib.suppress(TypeError, ValueError):
            when = email.utils.parsedate_to_datetime(date_header)
            if when.tzinfo is not None:
                return when.astimezone(dt.UTC).replace(microsecond=0)
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _reason(exc: BaseException) -> BaseException:
    """The operating-system error under an httpx connection error (refused, DNS, TLS)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and not isinstance(seen, httpx.HTTPError):
            return seen
        seen = seen.__cause__ or seen.__context__
    text = str(exc).lower()
    if "name or service not known" in text or "nodename nor servname" in text or (
            "temporary failure in name resolution" in text):
        return socket.gaierror(str(exc))
    if "refused" in text:
        return ConnectionRefusedError(str(exc))
    return exc


def _network_error(reason: object, url: str) -> FetchError:
    host = urllib.parse.urlparse(url).netloc
    if isinstance(reason, socket.gaierror):
        return FetchError(f"cannot resolve host {host!r} for {url} (no network or DNS failure); "
                          "check your connection, or --endpoint / HF_ENDPOINT",
                          url=url, kind="dns", fatal=True)
    if isinstance(reason, ConnectionRefusedError):
        return FetchError(f"connection refused by {host} for {url}; is the endpoint right? "
                          "(--endpoint / HF_ENDPOINT)", url=url, kind="network", fatal=True)
    if isinstance(reason, ssl.SSLError):
        return FetchError(f"TLS error talking to {host} for {url}: {reason}; check the endpoint "
                          "and your certificates", url=url, kind="network", fatal=True)
    return FetchError(f"network error for {url}: {reason}; check your connection",
                      url=url, kind="network", fatal=True)


def _error_detail(response: httpx.Response) -> str:
    """A short, single-line hint from an error body such as {"error": "..."}."""
    try:
        data = json.loads(response.content[:2048])
    except Exception:
        return ""
    if isinstance(data, dict) and isinstance(data.get("error"), str):
        return f" ({' '.join(data['error'].split())[:200]})"
    return ""


def _status_error(response: httpx.Response, url: str, tries: str) -> FetchError:
    code = response.status_code
    detail = _error_detail(response)
    if code in (401, 403):
        return FetchError(f"HTTP {code} from {url}{detail}: access denied; set HF_TOKEN (or run "
                          "`hf auth login`) with a valid token "
                          "(https://huggingface.co/settings/tokens), or unset a wrong one",
                          url=url, kind="auth", fatal=True, status=code)
    if code == 404:
        return FetchError(f"HTTP 404 from {url}{detail}: not found; check --endpoint / HF_ENDPOINT",
                          url=url, kind="not-found", status=code)
    if code == 429:
        return FetchError(f"HTTP 429 from {url}: rate limited; wait a few minutes and run fetch "
                          f"again (failed days are retried){tries}", url=url,
                          kind="rate-limited", status=code)
    if code >= 500:
        return FetchError(f"HTTP {code} from {url}{detail}: server error; try again later "
                          f"(failed days are retried){tries}", url=url, kind="server",
                          status=code)
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
        raise FetchError(
            f"response from {url} is not valid JSON ({exc.__class__.__name__} at byte "
            f"{getattr(exc, 'pos', getattr(exc, 'start', '?'))} of {len(body)}; truncated?); "
            "try again later", url=url, kind="bad-json") from None
