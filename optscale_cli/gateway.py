"""The one HTTP client for the gateway, with the one error handler.

Every request follows no redirects (a redirect could carry the key to another origin, or
downgrade to http), and maps failures onto our exit codes: 401/403 -> auth (3), network and
TLS -> 4, everything else the gateway says -> 1 with its own message.

Every request and stream is bounded: ``timeout`` is the budget of the whole operation
(connect, TLS, headers and body, from one monotonic deadline), and the *decoded* body is
capped while it is read (:data:`MODELS_CAP` for the model list, :data:`SMALL_CAP` for
everything else, error bodies included). JSON is parsed from the bytes collected that way.
"""

from __future__ import annotations

import codecs
import contextlib
import json as jsonlib
import math
import re
import socket
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from optscale_cli.errors import (
    AuthError,
    BudgetError,
    GatewayError,
    NetworkError,
    NotFoundError,
    RateLimitError,
    TlsError,
)
from optscale_cli.model_list import Model, models_from_entries
from optscale_cli.redact import clean_text
from optscale_cli.urls import GatewayLocation, Surface

if TYPE_CHECKING:
    import httpx

DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_TIMEOUT = 30.0  # the budget of one whole operation (listings, login)
PROBE_TIMEOUT = 10.0  # the budget of one probe (doctor)
MODELS_CAP = 32 * 1024 * 1024  # decoded bytes of a model list
SMALL_CAP = 1024 * 1024  # decoded bytes of any other answer (probes, error bodies, streams)
USER_AGENT = "optscale-cli"
_STEP = 256 * 1024  # at most this much decompressed output per step

# Gateways (LiteLLM among them) sometimes answer a bad key with 400/500: recognise the body.
_AUTH_BODY_RE = re.compile(
    r"invalid.{0,20}(api[ _-]?key|token)|api[ _-]?key.{0,20}(invalid|not valid|expired)|"
    r"unauthori[sz]ed|authentication|no connected db",
    re.IGNORECASE,
)
# Over budget: LiteLLM-style gateways answer 400 (or 429) with type "budget_exceeded" and
# "Budget has been exceeded! Current cost: …, Max budget: …" (design.md 2c).
_BUDGET_RE = re.compile(r"budget.{0,40}(exceeded|reached|exhausted)|over.{0,10}budget", re.I)
_RATE_RE = re.compile(r"rate.?limit|too many requests", re.IGNORECASE)
BUDGET_HINT = (
    "the key has spent its budget; the OptScale admin can raise it under AI Access policies"
)
RATE_LIMIT_HINT = (
    "too many requests for now: wait a minute and retry; if it persists, ask the OptScale "
    "admin about the key's limits (AI Access policies)"
)


def anthropic_list_ids(body: Any) -> list[str] | None:
    """The ids of an Anthropic model list (``data[].id``, optional ``display_name``), as
    Claude Code's gateway model discovery reads it; None when ``body`` is not that shape."""
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list) or not all(isinstance(e, dict) for e in data):
        return None
    ids = [e.get("id") for e in data]
    if not all(isinstance(i, str) and i for i in ids):
        return None
    if any(not isinstance(e.get("display_name", ""), str) for e in data):
        return None
    return [str(i) for i in ids]


class ResponseTooLarge(NetworkError):
    """The gateway's answer is larger (decoded) than we are prepared to read."""

    kind = "too_large"


@dataclass
class Answer:
    """A gateway answer whose body was read under a deadline and a size cap."""

    status_code: int
    headers: httpx.Headers
    content: bytes
    url: str = ""

    @property
    def is_success(self) -> bool:
        return 200 <= self.status_code < 300

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body as JSON; ValueError when it is not JSON (or nests too deeply to parse)."""
        try:
            return _usable_json(self.content)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None
        except UnicodeDecodeError as exc:
            raise ValueError(str(exc)) from None


MAX_JSON_DEPTH = 100  # deeper gateway JSON is refused: printing or caching it would recurse
_SURROGATE_RE = re.compile("[\ud800-\udfff]")


# what a body needs to hold for _usable to change anything but nesting and numbers: a
# \\ud800-style escape or the UTF-8 bytes of a surrogate (json.loads uses surrogatepass)
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89abcdefABCDEF]")
_SURROGATE_UTF8 = re.compile(rb"\xed[\xa0-\xbf]")


def _finite(text: str) -> float | None:
    value = float(text)
    return value if math.isfinite(value) else None


def _usable_json(content: bytes) -> Any:
    """``_usable(json.loads(content))``. A UTF-8 body (every gateway's) that cannot hold a
    surrogate is parsed with NaN, ±Infinity and out-of-range numbers read as null directly,
    and then only its nesting is checked: rebuilding a 100,000-model list costs seconds."""
    if (
        jsonlib.detect_encoding(content) != "utf-8"
        or _SURROGATE_ESCAPE.search(content)  # a literal prefix: a fast scan
        or (b"\xed" in content and _SURROGATE_UTF8.search(content))
    ):
        return _usable(jsonlib.loads(content))
    value = jsonlib.loads(content, parse_constant=lambda _: None, parse_float=_finite)
    _check_depth(value)
    return value


def _check_depth(value: Any) -> None:
    """The ValueError _usable raises for ``value`` nested deeper than MAX_JSON_DEPTH (a
    value at depth 101: a non-empty container at depth 100), a level at a time."""
    level = [value] if type(value) is dict or type(value) is list else []
    depth = 0
    while level:
        if depth >= MAX_JSON_DEPTH and any(level):  # a container is true when not empty
            raise ValueError(f"JSON nested more than {MAX_JSON_DEPTH} levels deep")
        level = [
            child
            for item in level
            for child in (item.values() if type(item) is dict else item)
            if type(child) is dict or type(child) is list
        ]
        depth += 1


def _usable(value: Any, depth: int = 0) -> Any:
    """Gateway JSON as the rest of the code can print and save it: lone surrogates (``\\ud800``
    escapes, which no UTF-8 output can encode) become U+FFFD, NaN and ±Infinity (which
    ``--json`` could not emit as JSON) become null, nesting deeper than MAX_JSON_DEPTH is a
    ValueError like any other unusable body."""
    if depth > MAX_JSON_DEPTH:
        raise ValueError(f"JSON nested more than {MAX_JSON_DEPTH} levels deep")
    if isinstance(value, str):
        return _SURROGATE_RE.sub("\ufffd", value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, list):
        return [_usable(item, depth + 1) for item in value]
    if isinstance(value, dict):
        return {_usable(key, depth): _usable(item, depth + 1) for key, item in value.items()}
    return value


def gateway_message(response: Answer) -> str | None:
    """The human message inside an OpenAI- or Anthropic-style error body, cleaned."""
    try:
        body = response.json()
    except ValueError:
        text = response.text.strip()
        return clean_text(text, 300) if text and len(text) < 300 else None
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict):
            for key in ("message", "reason", "detail"):
                if isinstance(err.get(key), str):
                    return clean_text(err[key], 300)
        elif isinstance(err, str):
            return clean_text(err, 300)
        if isinstance(body.get("detail"), str):
            return clean_text(body["detail"], 300)
    return None


def gateway_error_type(response: Answer) -> str:
    """The ``type`` and ``code`` of an OpenAI- or Anthropic-style error body ("" if none)."""
    try:
        body = response.json()
    except ValueError:
        return ""
    err = body.get("error") if isinstance(body, dict) else None
    if not isinstance(err, dict):
        return ""
    return " ".join(str(err[k]) for k in ("type", "code") if isinstance(err.get(k), (str, int)))


def limit_error(response: Answer, what: str, message: str | None) -> Exception | None:
    """A budget or rate limit answer (400/403/429 with a body that says so), else None."""
    status = response.status_code
    if status not in (400, 403, 429):
        return None
    kind = gateway_error_type(response).lower()
    said = f": {message}" if message else ""
    if "budget" in kind or (message and _BUDGET_RE.search(message)):
        return BudgetError(f"{what}: over budget ({status}){said}", BUDGET_HINT, status)
    if status == 429 or "rate_limit" in kind or (message and _RATE_RE.search(message)):
        return RateLimitError(
            f"{what}: rate limit reached ({status}){said}", RATE_LIMIT_HINT, status
        )
    return None


def error_for_response(response: Answer, what: str) -> Exception:
    """The one error handler: an HTTP answer that is not 2xx becomes one of our errors."""
    status = response.status_code
    message = gateway_message(response)
    said = f": {message}" if message else ""
    limited = limit_error(response, what, message)
    if limited is not None:
        return limited
    if 300 <= status < 400:
        location = clean_text(response.headers.get("location", "?"), 200)
        return GatewayError(
            f"{what}: the gateway redirected to {location}; refusing to follow",
            "use the final https:// URL directly",
            status,
        )
    if status == 401 or (status in (400, 500) and message and _AUTH_BODY_RE.search(message)):
        return AuthError(
            f"{what}: the gateway rejected the API key ({status}){said}",
            "check the key in the Chat dialog (AI Access) and run: optscale login",
        )
    if status == 403:
        return AuthError(
            f"{what}: forbidden by the gateway (403){said}",
            "your key's policy does not allow this; ask your OptScale admin",
        )
    if status == 404:
        return NotFoundError(f"{what}: not found (404){said}", None, status)
    return GatewayError(f"{what}: the gateway answered {status}{said}", None, status)


def error_for_transport(exc: Exception, url: str, what: str) -> Exception:
    """Map an httpx transport failure to NetworkError/TlsError with a concrete fix."""
    import httpx

    host = httpx.URL(url).host
    text = f"{exc} {exc.__cause__ or ''} {exc.__context__ or ''}"
    if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text:
        if "expired" in text:
            return TlsError(
                f"{what}: the certificate of {host} has expired",
                "the gateway's admin must renew its certificate",
            )
        if "Hostname mismatch" in text or "IP address mismatch" in text or "doesn't match" in text:
            return TlsError(
                f"{what}: the certificate presented by {host} is not valid for {host}",
                "use the gateway's real host name, or have its certificate fixed",
            )
        return TlsError(
            f"{what}: certificate for {host} is not trusted",
            "pass --ca-bundle PATH (or set OPTSCALE_CA_BUNDLE / SSL_CERT_FILE) "
            "to your company's CA certificate; `optscale doctor` shows the issuer",
        )
    if isinstance(exc, httpx.TimeoutException):
        return NetworkError(
            f"{what}: {host} did not answer in time ({type(exc).__name__})",
            "check the URL and your network or proxy (HTTPS_PROXY); raise --timeout if slow",
        )
    if isinstance(exc, httpx.ProxyError):
        return NetworkError(f"{what}: proxy error: {exc}", "check HTTPS_PROXY / NO_PROXY")
    if "SSL" in text or "TLS" in text:
        return TlsError(f"{what}: TLS handshake with {host} failed: {clean_text(exc, 200)}")
    return NetworkError(
        f"{what}: cannot connect to {host}: {clean_text(exc, 200)}",
        "check the URL, DNS and your network or proxy (HTTPS_PROXY / NO_PROXY)",
    )


class _Budget:
    """One monotonic deadline for one operation, and a watchdog that enforces it: at the
    deadline it shuts the connection's socket, so even a read that keeps receiving a byte at a
    time (and so never hits a read timeout) ends."""

    def __init__(self, seconds: float, what: str, url: str) -> None:
        self.seconds = seconds
        self.what = what
        self.url = url
        self.deadline = time.monotonic() + seconds
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._timer = threading.Timer(max(seconds, 0.0), self._expire)
        self._timer.daemon = True
        self._fired = False
        self._timer.start()

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    @property
    def expired(self) -> bool:
        return self._fired or self.remaining() <= 0

    def timeout(self, connect_cap: float) -> httpx.Timeout:
        import httpx

        left = max(self.remaining(), 0.001)
        return httpx.Timeout(left, connect=min(connect_cap, left))

    def check(self) -> None:
        if self.expired:
            raise self.error()

    def error(self) -> NetworkError:
        import httpx

        host = httpx.URL(self.url).host
        return NetworkError(
            f"{self.what}: {host} did not finish answering within {self.seconds:g} s",
            "raise --timeout if the gateway is just slow; otherwise check the URL and your "
            "network or proxy (HTTPS_PROXY)",
        )

    def watch(self, stream: Any) -> None:
        """Shut this connection down at the deadline (``stream``: an httpcore network stream)."""
        try:
            sock = stream.get_extra_info("socket") if stream is not None else None
        except Exception:
            sock = None
        if not isinstance(sock, socket.socket):
            return
        with self._lock:
            self._sockets.append(sock)
            fired = self._fired
        if fired:
            _shut(sock)

    def trace(self, event: str, info: dict[str, Any]) -> None:
        """httpx's trace hook: learn the socket as soon as it is connected."""
        if event in ("connection.connect_tcp.complete", "connection.start_tls.complete"):
            self.watch(info.get("return_value"))

    def _expire(self) -> None:
        with self._lock:
            self._fired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)

    def close(self) -> None:
        self._timer.cancel()


def _shut(sock: socket.socket) -> None:
    # the plain socket's shutdown, also for an SSLSocket: it wakes a blocked recv
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _Inflater:
    """Content-Encoding decoding with bounded output per step (a gzip bomb never expands
    into memory at once)."""

    def __init__(self, encoding: str | None) -> None:
        names = [e.strip().lower() for e in (encoding or "").split(",") if e.strip()]
        names = [e for e in names if e != "identity"]
        self._raw_fallback = False
        if not names:
            self._z: Any = None
        elif names == ["gzip"] or names == ["x-gzip"]:
            self._z = zlib.decompressobj(zlib.MAX_WBITS | 16)
        elif names == ["deflate"]:
            self._z = zlib.decompressobj()
            self._raw_fallback = True  # some servers send raw deflate, without the zlib header
        else:
            raise ValueError(f"unsupported Content-Encoding: {encoding}")

    def feed(self, data: bytes) -> Iterator[bytes]:
        if self._z is None:
            if data:
                yield data
            return
        if self._raw_fallback:
            self._raw_fallback = False
            try:
                probe = zlib.decompressobj()
                probe.decompress(data[:2])
            except zlib.error:
                self._z = zlib.decompressobj(-zlib.MAX_WBITS)
        while True:
            out = self._z.decompress(data, _STEP)
            if out:
                yield out
            data = self._z.unconsumed_tail
            if not data and len(out) < _STEP:
                return


class BoundedStream:
    """A streaming answer whose iteration ends with NetworkError when the operation's budget
    is spent or the decoded size passes the cap."""

    def __init__(self, response: httpx.Response, budget: _Budget, cap: int) -> None:
        self.response = response
        self.status_code = response.status_code
        self.headers = response.headers
        self._budget = budget
        self._cap = cap

    def iter_bytes(self) -> Iterator[bytes]:
        yield from _bounded_chunks(self.response, self._budget, self._cap)

    def iter_lines(self) -> Iterator[str]:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        pending = ""
        for chunk in self.iter_bytes():
            pending += decoder.decode(chunk)
            *lines, pending = pending.split("\n")
            for line in lines:
                yield line.rstrip("\r")
        pending += decoder.decode(b"", final=True)
        if pending:
            yield pending.rstrip("\r")


def _bounded_chunks(response: httpx.Response, budget: _Budget, cap: int) -> Iterator[bytes]:
    """The decoded body, piece by piece, checking the deadline and the cap between pieces."""
    try:
        inflater = _Inflater(response.headers.get("content-encoding"))
    except ValueError as exc:
        raise NetworkError(f"{budget.what}: {exc}", None) from None
    budget.watch(response.extensions.get("network_stream"))
    size = 0
    budget.check()
    try:
        for raw in response.iter_raw():
            for piece in inflater.feed(raw):
                size += len(piece)
                if size > cap:
                    raise ResponseTooLarge(
                        f"{budget.what}: the answer from {clean_text(budget.url, 200)} is "
                        f"larger than {_size(cap)}; stopped reading",
                        "the gateway (or a proxy) sends far more than expected; "
                        "check the URL, or ask its admin",
                    )
                yield piece
                budget.check()
            budget.check()
        # a body that ends with the connection ends early when the watchdog shuts it
        budget.check()
    except zlib.error:
        raise NetworkError(
            f"{budget.what}: the gateway's compressed answer is corrupt", None
        ) from None


def _size(n: int) -> str:
    return f"{n // (1024 * 1024)} MiB" if n >= 1024 * 1024 else f"{n // 1024} KiB"


def _read_body(response: httpx.Response, budget: _Budget, cap: int) -> bytes:
    buf = bytearray()
    for piece in _bounded_chunks(response, budget, cap):
        buf += piece
    return bytes(buf)


class _Redirected(Exception):
    def __init__(self, status: int, location: str) -> None:
        super().__init__(location)
        self.status = status
        self.location = location


def _refuse_redirects(response: httpx.Response) -> None:
    """Before httpx parses Location (a malformed one would become a transport error), turn
    any redirect into our own refusal."""
    if 300 <= response.status_code < 400 and "location" in response.headers:
        raise _Redirected(response.status_code, response.headers.get("location", "?"))


def open_client(
    location: GatewayLocation,
    api_key: str,
    *,
    ca_bundle: str | None = None,
    timeout: float | None = None,
    probe: bool = False,
) -> GatewayClient:
    """The one factory for the gateway's HTTP client, with the one timeout policy: the
    budget of each whole operation is ``--timeout``, else 10 s for a probe and 30 s for a
    listing or login."""
    budget = timeout or (PROBE_TIMEOUT if probe else DEFAULT_TIMEOUT)
    return GatewayClient(location, api_key, ca_bundle=ca_bundle, timeout=budget)


class GatewayClient:
    """Talks to one organization's proxy with one key."""

    def __init__(
        self,
        location: GatewayLocation,
        api_key: str,
        *,
        ca_bundle: str | None = None,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        import httpx

        from optscale_cli.tls import ssl_context  # ssl only once a request is to be made

        self.location = location
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        verify: Any = ssl_context(ca_bundle) if location.scheme == "https" else False
        self._http = httpx.Client(
            headers={
                "Authorization": f"Bearer {api_key}",
                "User-Agent": USER_AGENT,
                "Accept-Encoding": "gzip, deflate",  # what _Inflater decodes, step by step
            },
            timeout=httpx.Timeout(timeout, connect=min(connect_timeout, timeout)),
            verify=verify,
            follow_redirects=False,
            trust_env=True,
            event_hooks={"response": [_refuse_redirects]},
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> GatewayClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def url(self, surface: Surface, path: str) -> str:
        return f"{self.location.surface_url(surface)}/{path.lstrip('/')}"

    @contextmanager
    def _open(
        self, method: str, url: str, what: str, json: Any, headers: Any
    ) -> Iterator[tuple[httpx.Response, _Budget]]:
        """One bounded operation: the response (2xx only; others raised as our errors)."""
        import httpx

        budget = _Budget(self.timeout, what, url)
        try:
            with self._http.stream(
                method,
                url,
                json=json,
                headers=headers,
                timeout=budget.timeout(self.connect_timeout),
                extensions={"trace": budget.trace},
            ) as response:
                if not response.is_success:
                    body = _read_body(response, budget, SMALL_CAP)
                    answer = Answer(response.status_code, response.headers, body, url)
                    error = error_for_response(answer, what)
                    error.answer = answer  # type: ignore[attr-defined]  # for diagnosis
                    raise error
                yield response, budget
        except _Redirected as exc:
            location = clean_text(exc.location, 200) or "?"
            raise GatewayError(
                f"{what}: the gateway redirected to {location}; refusing to follow",
                "use the final https:// URL directly",
                exc.status,
            ) from None
        except httpx.HTTPError as exc:
            if budget.expired:
                raise budget.error() from None
            raise error_for_transport(exc, url, what) from None
        finally:
            budget.close()

    def request(
        self,
        method: str,
        url: str,
        *,
        what: str,
        json: Any = None,
        headers: Any = None,
        max_bytes: int = SMALL_CAP,
    ) -> Answer:
        with self._open(method, url, what, json, headers) as (response, budget):
            body = _read_body(response, budget, max_bytes)
            return Answer(response.status_code, response.headers, body, url)

    @contextmanager
    def stream(
        self,
        method: str,
        url: str,
        *,
        what: str,
        json: Any = None,
        headers: Any = None,
        max_bytes: int = SMALL_CAP,
    ) -> Iterator[BoundedStream]:
        with self._open(method, url, what, json, headers) as (response, budget):
            yield BoundedStream(response, budget, max_bytes)

    def list_models(self, surface: Surface = "openai") -> list[Model]:
        response = self.request(
            "GET", self.url(surface, "models"), what="listing models", max_bytes=MODELS_CAP
        )
        try:
            body = response.json()
        except ValueError:
            raise GatewayError("listing models: the gateway did not answer with JSON") from None
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list):
            raise GatewayError("listing models: unexpected answer (no 'data' list)")
        models = models_from_entries(data)
        models.sort(key=attrgetter("id"))
        return models

    def list_anthropic_models(self) -> list[str]:
        """``GET {anthropic base}/v1/models?limit=1000`` as Claude Code asks it; the ids, or
        GatewayError when the answer is not an Anthropic model list."""
        response = self.request(
            "GET",
            self.url("anthropic", "v1/models?limit=1000"),
            headers={"anthropic-version": "2023-06-01"},
            what="listing Anthropic models",
            max_bytes=MODELS_CAP,
        )
        try:
            ids = anthropic_list_ids(response.json())
        except ValueError:
            ids = None
        if ids is None:
            raise GatewayError(
                "listing Anthropic models: not an Anthropic model list (data[].id)", None
            )
        return ids
