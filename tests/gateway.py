"""A real HTTPS stand-in for the OptScale AI Gateway, on 127.0.0.1, with a throwaway CA.

Serves the routes design.md §1 names under ``/llm_proxy/<ORG>/``: ``v1/models``,
``v1/chat/completions`` (tools, streaming), ``v1/responses``, ``cursor/…``, and the Anthropic
Messages API under ``anthropic/v1/…`` (streaming too), with keys, policies and models that
exercise every path: ids with ``/``, ``:`` and ``.``, a model the key is denied (403), a bad
key (401), and a model that never calls tools. Every request is recorded.
Agents keep calling tools while a server keeps answering with tool calls, so tool calls are
only returned when ``tool_choice`` forces one (as ``optscale doctor`` does).

Checked with the real clients (opencode-ai 1.18.33, @anthropic-ai/claude-code 2.1.330), each
in a fresh ``HOME`` with ``env -i PATH=… HOME=<tmp> NODE_EXTRA_CA_CERTS=<ca_pem_path>
CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 TERM=dumb``, stdin from /dev/null:
- ``opencode run "say hi"`` with ``~/.config/opencode/opencode.json`` holding the design.md
  provider block (``options.apiKey`` = GOOD_KEY, ``"model": "optscale/openai/gpt-4.1"``),
  ~3 s, no network needed (``OPENCODE_DISABLE_MODELS_FETCH=1`` and
  ``OPENCODE_DISABLE_AUTOUPDATE=1`` exist but were not needed). It sent two
  ``POST …/v1/chat/completions`` (``stream: true``, ``stream_options.include_usage``,
  ``max_tokens``; the second with 10 ``tools`` and ``tool_choice: "auto"``), Bearer auth, and
  no ``GET /models``.
- ``claude -p "say hi"`` with ``~/.claude/settings.json`` ``env``: ``ANTHROPIC_BASE_URL`` =
  ``<origin>/llm_proxy/<ORG>/anthropic``, ``ANTHROPIC_AUTH_TOKEN`` (Bearer; ``ANTHROPIC_API_KEY``
  sends ``x-api-key`` instead), the three ``ANTHROPIC_DEFAULT_*_MODEL`` and ``ANTHROPIC_MODEL``;
  ~1 s. One ``POST …/anthropic/v1/messages?beta=true``, ``stream: true``, with ``tools``,
  ``thinking``, ``context_management``, ``metadata`` and ``anthropic-version``/``anthropic-beta``
  headers; it warns on stderr that "Claude Sonnet 4 was retired" (the name has claude-sonnet-4).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import socket
import ssl
import struct
import tempfile
import threading
import time
import uuid
import zlib
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import trustme

ANSWER = "Hello from the OptScale stand-in."

MODELS: dict[str, dict[str, Any]] = {
    "openai/gpt-4.1": {"owned_by": "openai", "capabilities": {"tool_calling": True}},
    "openai/gpt-4.1-mini": {"owned_by": "openai"},
    "anthropic/claude-sonnet-4-0": {"owned_by": "anthropic"},
    "anthropic/claude-opus-4-1": {"owned_by": "anthropic"},
    "anthropic/claude-3-5-haiku-latest": {"owned_by": "anthropic"},
    "ollama/qwen3:32b": {"owned_by": "ollama", "context_window": 32768},
    "ollama/deepseek-r1:70b": {"owned_by": "ollama", "capabilities": {"tool_calling": False}},
    "mistral/mistral-large-2.1": {"owned_by": "mistral"},
}
NO_TOOLS = {"ollama/deepseek-r1:70b"}
# what a hostile gateway could serve to HOSTILE_KEY: template syntax clients expand, terminal
# escapes, bidi overrides, newlines (issue: trust)
HOSTILE_MODELS: dict[str, dict[str, Any]] = {
    "anthropic/{file:~/.ssh/id_rsa}": {"owned_by": "anthropic"},
    "openai/${{ secrets.AWS_SECRET }}": {"owned_by": "openai"},
    "openai/{env:HOME}": {"owned_by": "openai"},
    "openai/gpt\x1b[2J-evil": {"owned_by": "openai"},
    "openai/gpt-\u202etxt.exe": {"owned_by": "openai"},
    "openai/two\nlines": {"owned_by": "openai"},
    "openai/gpt-4.1-safe": {
        "owned_by": "\x1b]0;pwned\x07\x1b[2Jevil\u202eowner",
        "capabilities": {"tool_calling": True},
        "note": "\x1b[31mred\x1b[0m",
    },
}
POST_ROUTES = {
    "v1/chat/completions",
    "cursor/chat/completions",
    "v1/responses",
    "anthropic/v1/messages",
    "anthropic/v1/messages/count_tokens",
}


# Misbehaving gateways, for the bounded-network tests (``GatewayStandIn(ca, mode=…)``):
MODES = {
    "trickle": "/models: headers, then the body one byte every 0.5 s",
    "stall": "/models: headers (with a Content-Length), then silence",
    "trickle_headers": "/models: the status line, then a header one byte every 0.3 s",
    "sse_keepalive": "chat completions with stream=true: `: ping` comments forever, no [DONE]",
    "gzip_bomb": "/models: Content-Encoding gzip, ~1 MB that inflates to 1 GiB",
    "not_json": "/models: an HTML page with status 200",
    "json_list": "/models: a JSON list instead of an object",
    "deep_json": "/models: 50,000 nested '['",
    "bad_redirect": "every route: 302 to a Location holding a control character",
}
BAD_LOCATION = "https://evil\x01.example/"

# Limits (``GatewayStandIn(ca, mode=…)``): every model call (POST) is refused, the model
# list still answers; with ``_all`` the model list too (what login and doctor's key check see).
LIMIT_MODES = {
    "budget": "POST: 400 budget_exceeded, as LiteLLM-style gateways answer (design.md 2c)",
    "budget_all": "every route: 400 budget_exceeded",
    "rate_limit": "POST: 429 rate_limit_exceeded",
    "rate_limit_all": "every route: 429 rate_limit_exceeded",
}
BUDGET_MESSAGE = "Budget has been exceeded! Current cost: 50.02, Max budget: 50.0"
RATE_MESSAGE = "Rate limit reached: 10 requests per minute"


@functools.lru_cache(maxsize=1)
def gzip_bomb(gib: int = 1) -> bytes:
    """A valid gzip stream of ``gib`` GiB of zero bytes, ~1 MB long. Built from one
    full-flushed deflate segment per MiB (the segments are identical, so it takes a second,
    not the seven that compressing a GiB would)."""
    mib = bytes(1 << 20)
    count = gib * 1024
    deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    segment = deflate.compress(mib) + deflate.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(count):
        crc = zlib.crc32(mib, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    trailer = struct.pack("<II", crc, (count << 20) & 0xFFFFFFFF)
    return header + segment * count + deflate.flush() + trailer


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


class GatewayStandIn:
    ORG = "org-1234"
    GOOD_KEY = "sk-test-good-0123456789abcd"
    LIMITED_KEY = "sk-test-limited-55556666"
    HOSTILE_KEY = "sk-test-hostile-77778888"
    DENIED_MODEL = "openai/o3-pro"

    def __init__(
        self,
        ca: trustme.CA,
        *,
        cert_hosts: tuple[str, ...] = ("127.0.0.1", "localhost"),
        cert_not_after: dt.datetime | None = None,
        models_route: bool = True,
        hang: bool = False,
        tls: bool = True,
        litellm_auth_errors: bool = False,
        mode: str | None = None,
    ) -> None:
        assert mode is None or mode in MODES or mode in LIMIT_MODES, mode
        self.mode = mode
        self.stopping = threading.Event()  # ends the endless answers of the modes
        self.ca = ca
        self.cert_hosts = cert_hosts
        self.cert_not_after = cert_not_after
        self.models_route = models_route
        self.hang = hang
        self.tls = tls
        # LiteLLM's proxy answers a wrong key with 400 "No connected db." (design.md 2b)
        self.litellm_auth_errors = litellm_auth_errors
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._socket: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._held: list[socket.socket] = []
        self.port = 0
        with tempfile.NamedTemporaryFile("wb", suffix="-test-ca.pem", delete=False) as pem:
            pem.write(ca.cert_pem.bytes())
        self.ca_pem_path = pem.name

    # --- addresses ------------------------------------------------------------------
    @property
    def origin(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.origin}/llm_proxy/{self.ORG}/v1"

    def allowed(self, key: str | None) -> set[str] | None:
        if key == self.GOOD_KEY:
            return set(MODELS)
        if key == self.LIMITED_KEY:
            return {m for m in MODELS if m.startswith("openai/")}
        if key == self.HOSTILE_KEY:
            return set(HOSTILE_MODELS)
        return None

    def record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    # --- lifecycle ------------------------------------------------------------------
    def start(self) -> GatewayStandIn:
        if self.hang:
            self._start_hanging()
            return self
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        server.daemon_threads = True
        server.handle_error = lambda request, address: None  # type: ignore[method-assign]
        if self.tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.minimum_version = ssl.TLSVersion.TLSv1_2
            cert = self.ca.issue_cert(*self.cert_hosts, not_after=self.cert_not_after)
            cert.configure_cert(context)
            server.socket = context.wrap_socket(
                server.socket, server_side=True, do_handshake_on_connect=False
            )
        self._server = server
        self.port = server.server_address[1]
        # a short poll interval: stop() waits for serve_forever to notice the shutdown
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def _start_hanging(self) -> None:
        """Accept TCP connections and never say a word (no TLS handshake either)."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        sock.settimeout(0.2)
        self._socket = sock
        self.port = sock.getsockname()[1]
        stop = threading.Event()
        self._stop_hanging = stop

        def accept_forever() -> None:
            while not stop.is_set():
                try:
                    conn, _ = sock.accept()
                    self._held.append(conn)
                except (TimeoutError, OSError):
                    continue

        self._thread = threading.Thread(target=accept_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._socket is not None:
            self._stop_hanging.set()
            self._socket.close()
            for conn in self._held:
                conn.close()

    def __enter__(self) -> GatewayStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _chunk(model: str, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-standin",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def _handler_for(gw: GatewayStandIn) -> type[BaseHTTPRequestHandler]:
    prefix = f"/llm_proxy/{gw.ORG}/"

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def setup(self) -> None:
            # the TLS handshake happens here, in this connection's own thread, so one slow
            # or silent client cannot hold up the others in accept()
            self.request.settimeout(10)
            # answer headers and body without Nagle's 40 ms wait for a delayed ACK
            self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if isinstance(self.request, ssl.SSLSocket):
                self.request.do_handshake()
            super().setup()

        def handle(self) -> None:
            with contextlib.suppress(ssl.SSLError, OSError):
                super().handle()

        # --- plumbing ---------------------------------------------------------------
        def _body(self) -> Any:
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                return json.loads(raw) if raw else None
            except ValueError:
                return None

        def _send(self, status: int, payload: Any) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _stream(self, events: list[tuple[str | None, Any]]) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Connection", "close")
            self.end_headers()
            for event, data in events:
                text = data if isinstance(data, str) else json.dumps(data)
                line = (f"event: {event}\n" if event else "") + f"data: {text}\n\n"
                self.wfile.write(line.encode())
                self.wfile.flush()
            self.close_connection = True

        def _raw(self, data: bytes, content_type: str, encoding: str | None = None) -> None:
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            if encoding:
                self.send_header("Content-Encoding", encoding)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()

        def _misbehave(self, payload: Any) -> None:
            """The /models answer of ``gw.mode``."""
            if gw.mode == "trickle":
                data = json.dumps(payload).encode()
                self._raw(data, "application/json")
                for i in range(len(data)):
                    if gw.stopping.wait(0.5):
                        return
                    self.wfile.write(data[i : i + 1])
                    self.wfile.flush()
            elif gw.mode == "trickle_headers":
                self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
                while not gw.stopping.wait(0.3):
                    self.wfile.write(b"a")
                    self.wfile.flush()
            elif gw.mode == "stall":
                self._raw(json.dumps(payload).encode(), "application/json")
                self.wfile.flush()
                gw.stopping.wait(60)
            elif gw.mode == "gzip_bomb":
                bomb = gzip_bomb()
                self._raw(bomb, "application/json", "gzip")
                view = memoryview(bomb)
                for start in range(0, len(bomb), 65536):
                    self.wfile.write(view[start : start + 65536])
            elif gw.mode == "not_json":
                body = b"<html><body>Sign in to continue</body></html>"
                self._raw(body, "text/html")
                self.wfile.write(body)
            elif gw.mode == "json_list":
                body = json.dumps(payload["data"]).encode()
                self._raw(body, "application/json")
                self.wfile.write(body)
            elif gw.mode == "deep_json":
                body = b"[" * 50_000 + b"]" * 50_000
                self._raw(body, "application/json")
                self.wfile.write(body)
            self.close_connection = True

        def _keepalive_stream(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Connection", "close")
            self.end_headers()
            while not gw.stopping.wait(0.2):
                self.wfile.write(b": ping\n\n")
                self.wfile.flush()
            self.close_connection = True

        def _error(self, status: int, message: str, kind: str, code: str, anthropic: bool) -> None:
            if anthropic:
                self._send(status, {"type": "error", "error": {"type": kind, "message": message}})
            else:
                self._send(status, {"error": {"message": message, "type": kind, "code": code}})

        def _limited(self, anthropic: bool) -> None:
            if str(gw.mode).startswith("budget"):
                self._error(400, BUDGET_MESSAGE, "budget_exceeded", "400", anthropic)
            else:
                kind = "rate_limit_error"
                self._error(429, RATE_MESSAGE, kind, "rate_limit_exceeded", anthropic)

        def _key(self, anthropic: bool) -> str | None:
            auth = self.headers.get("authorization", "")
            if auth.lower().startswith("bearer "):
                return auth[7:].strip()
            # x-api-key is the Anthropic API's own header: accepted on those routes only
            return self.headers.get("x-api-key") if anthropic else None

        def _route(self, method: str) -> None:
            body = self._body()  # always drain it, or keep-alive reads it as the next request
            gw.record(
                RecordedRequest(
                    method, self.path, {k.lower(): v for k, v in self.headers.items()}, body
                )
            )
            path = urlsplit(self.path).path
            if gw.mode == "bad_redirect":
                self.send_response(302)
                self.send_header("Location", BAD_LOCATION)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if not path.startswith(prefix):
                self._error(404, "Unknown organization or route", "not_found", "not_found", False)
                return
            route = path[len(prefix) :].rstrip("/")
            anthropic = route.startswith("anthropic/")
            allowed = gw.allowed(self._key(anthropic))
            if allowed is None:
                if gw.litellm_auth_errors:
                    self._send(
                        400,
                        {
                            "error": {
                                "message": "No connected db.",
                                "type": "None",
                                "param": "None",
                                "code": "400",
                            }
                        },
                    )
                    return
                self._error(
                    401, "Invalid API key", "authentication_error", "invalid_api_key", anthropic
                )
                return
            if gw.mode in LIMIT_MODES and (method == "POST" or gw.mode.endswith("_all")):
                self._limited(anthropic)
                return
            if method == "GET" and route in ("v1/models", "cursor/models"):
                if not gw.models_route:
                    self._error(404, "Not Found", "not_found", "not_found", False)
                    return
                if gw.mode in MODES and gw.mode not in ("sse_keepalive", "bad_redirect"):
                    self._misbehave(
                        {"object": "list", "data": [_model_entry(m) for m in sorted(allowed)]}
                    )
                    return
                self._send(
                    200, {"object": "list", "data": [_model_entry(m) for m in sorted(allowed)]}
                )
                return
            if method == "GET" and route == "anthropic/v1/models":
                data = [
                    {
                        "type": "model",
                        "id": m,
                        "display_name": m,
                        "created_at": "2025-01-01T00:00:00Z",
                    }
                    for m in sorted(allowed)
                ]
                self._send(
                    200,
                    {
                        "data": data,
                        "has_more": False,
                        "first_id": data[0]["id"],
                        "last_id": data[-1]["id"],
                    },
                )
                return
            if method != "POST" or route not in POST_ROUTES:
                self._error(404, f"No route {method} {route}", "not_found", "not_found", anthropic)
                return
            if not isinstance(body, dict):
                kind = "invalid_request_error"
                self._error(400, "Body must be a JSON object", kind, kind, anthropic)
                return
            if route == "anthropic/v1/messages/count_tokens":
                self._send(200, {"input_tokens": 10})
                return
            model = str(body.get("model", ""))
            if model == gw.DENIED_MODEL or (model in MODELS and model not in allowed):
                self._error(
                    403,
                    f"Model {model} is not allowed by policy 'Engineering'",
                    "permission_error",
                    "model_not_allowed",
                    anthropic,
                )
                return
            if model not in MODELS and model not in HOSTILE_MODELS:
                self._error(
                    404, f"Model {model} not found", "not_found_error", "model_not_found", anthropic
                )
                return
            if route == "v1/responses":
                self._responses(model, body)
            elif route == "anthropic/v1/messages":
                self._messages(model, body)
            else:
                self._chat(model, body)

        def do_GET(self) -> None:
            self._route("GET")

        def do_POST(self) -> None:
            self._route("POST")

        def do_PUT(self) -> None:
            self._route("PUT")

        def do_DELETE(self) -> None:
            self._route("DELETE")

        # --- APIs -------------------------------------------------------------------
        def _chat(self, model: str, body: dict[str, Any]) -> None:
            tools = body.get("tools") or []
            choice = body.get("tool_choice")
            forced = choice == "required" or isinstance(choice, dict)
            messages = body.get("messages") or []
            after_tool = (
                bool(messages)
                and isinstance(messages[-1], dict)
                and (messages[-1].get("role") == "tool")
            )
            call = None
            if tools and forced and model not in NO_TOOLS and not after_tool:
                name = tools[0].get("function", {}).get("name", "tool")
                if isinstance(choice, dict):
                    name = choice.get("function", {}).get("name", name)
                call = {
                    "id": "call_" + uuid.uuid4().hex[:8],
                    "type": "function",
                    "function": {"name": name, "arguments": "{}"},
                }
            usage = {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8}
            if body.get("stream") and gw.mode == "sse_keepalive":
                self._keepalive_stream()
                return
            if body.get("stream"):
                events: list[tuple[str | None, Any]] = [
                    (None, _chunk(model, {"role": "assistant", "content": ""}))
                ]
                if call:
                    events.append((None, _chunk(model, {"tool_calls": [{"index": 0, **call}]})))
                else:
                    events += [
                        (None, _chunk(model, {"content": part}))
                        for part in ("Hello from ", "the OptScale stand-in.")
                    ]
                events.append((None, _chunk(model, {}, "tool_calls" if call else "stop")))
                if (body.get("stream_options") or {}).get("include_usage"):
                    events.append((None, {**_chunk(model, {}), "choices": [], "usage": usage}))
                events.append((None, "[DONE]"))
                self._stream(events)
                return
            message: dict[str, Any] = {"role": "assistant", "content": None if call else ANSWER}
            if call:
                message["tool_calls"] = [call]
            self._send(
                200,
                {
                    "id": "chatcmpl-standin",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": model,
                    "choices": [
                        {
                            "index": 0,
                            "message": message,
                            "finish_reason": "tool_calls" if call else "stop",
                        }
                    ],
                    "usage": usage,
                },
            )

        def _responses(self, model: str, body: dict[str, Any]) -> None:
            item = {
                "id": "msg_standin",
                "type": "message",
                "role": "assistant",
                "status": "completed",
                "content": [{"type": "output_text", "text": ANSWER, "annotations": []}],
            }
            response = {
                "id": "resp_standin",
                "object": "response",
                "created_at": int(time.time()),
                "model": model,
                "status": "completed",
                "output": [item],
                "usage": {"input_tokens": 5, "output_tokens": 3, "total_tokens": 8},
            }
            if not body.get("stream"):
                self._send(200, response)
                return
            started = {**response, "status": "in_progress", "output": []}
            empty_item = {**item, "status": "in_progress", "content": []}
            part = {"type": "output_text", "text": "", "annotations": []}
            events: list[tuple[str | None, Any]] = [
                ("response.created", {"type": "response.created", "response": started}),
                (
                    "response.output_item.added",
                    {"type": "response.output_item.added", "output_index": 0, "item": empty_item},
                ),
                (
                    "response.content_part.added",
                    {
                        "type": "response.content_part.added",
                        "item_id": item["id"],
                        "output_index": 0,
                        "content_index": 0,
                        "part": part,
                    },
                ),
                (
                    "response.output_text.delta",
                    {
                        "type": "response.output_text.delta",
                        "item_id": item["id"],
                        "output_index": 0,
                        "content_index": 0,
                        "delta": ANSWER,
                    },
                ),
                (
                    "response.output_text.done",
                    {
                        "type": "response.output_text.done",
                        "item_id": item["id"],
                        "output_index": 0,
                        "content_index": 0,
                        "text": ANSWER,
                    },
                ),
                (
                    "response.content_part.done",
                    {
                        "type": "response.content_part.done",
                        "item_id": item["id"],
                        "output_index": 0,
                        "content_index": 0,
                        "part": {**part, "text": ANSWER},
                    },
                ),
                (
                    "response.output_item.done",
                    {"type": "response.output_item.done", "output_index": 0, "item": item},
                ),
                ("response.completed", {"type": "response.completed", "response": response}),
            ]
            self._stream(events)

        def _messages(self, model: str, body: dict[str, Any]) -> None:
            message = {
                "id": "msg_standin",
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": [{"type": "text", "text": ANSWER}],
                "stop_reason": "end_turn",
                "stop_sequence": None,
                "usage": {"input_tokens": 5, "output_tokens": 3},
            }
            if not body.get("stream"):
                self._send(200, message)
                return
            start = {
                **message,
                "content": [],
                "stop_reason": None,
                "usage": {"input_tokens": 5, "output_tokens": 1},
            }
            self._stream(
                [
                    ("message_start", {"type": "message_start", "message": start}),
                    (
                        "content_block_start",
                        {
                            "type": "content_block_start",
                            "index": 0,
                            "content_block": {"type": "text", "text": ""},
                        },
                    ),
                    (
                        "content_block_delta",
                        {
                            "type": "content_block_delta",
                            "index": 0,
                            "delta": {"type": "text_delta", "text": ANSWER},
                        },
                    ),
                    ("content_block_stop", {"type": "content_block_stop", "index": 0}),
                    (
                        "message_delta",
                        {
                            "type": "message_delta",
                            "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                            "usage": {"output_tokens": 3},
                        },
                    ),
                    ("message_stop", {"type": "message_stop"}),
                ]
            )

    return Handler


def _model_entry(model_id: str) -> dict[str, Any]:
    info = MODELS.get(model_id) or HOSTILE_MODELS[model_id]
    return {"id": model_id, "object": "model", "created": 1735689600, **info}
