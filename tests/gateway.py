"""A real HTTPS stand-in for the OptScale AI Gateway, on 127.0.0.1, with a throwaway CA.

Serves the routes design.md §1 names under ``/llm_proxy/<ORG>/``: ``v1/models``,
``v1/chat/completions`` (tools, streaming), ``v1/responses``, ``cursor/…``, and the Anthropic
Messages API under ``anthropic/v1/…`` (streaming too), with keys, policies and models that
exercise every path: ids with ``/``, ``:`` and ``.``, a model the key is denied (403), a bad
key (401), and a model that never calls tools. Every request is recorded.
Tool calls, on all three APIs, streaming or not: when ``tool_choice`` forces one (as
``optscale doctor`` does), the named (or first) tool with ``{}``; otherwise, when the client
offers its shell tool (``SHELL_TOOLS``) and the conversation holds no tool result yet, a call
of that tool running ``SHELL_COMMAND`` (it creates ``MARKER`` in the client's working
directory), its arguments shaped by the tool's own JSON schema. Once a tool result comes
back (chat: a ``role: tool`` message; responses: a ``*_call_output`` input item; anthropic: a
``tool_result`` block) the answer is text, so agents stop after one round trip. Tools that are
not a shell get text.

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

Tools offered (recorded 2026-11-26; the shell tool's required argument in brackets):
- OpenCode 1.18.33 (chat, ``tool_choice: "auto"``): bash [command], edit, glob, grep, read,
  skill, task, todowrite, webfetch, write; the first request (the title) has no tools.
- Claude Code 2.1.332 (messages, no tool_choice): Agent, Bash [command; optional timeout,
  description, run_in_background, dangerouslyDisableSandbox; additionalProperties false],
  Edit, ListAgents, Read, ReportFindings, ScheduleWakeup, Skill, ToolSearch, Workflow,
  DeferredToolPlaceholder, Write.
- Codex 0.171.0 (responses, ``tool_choice: "auto"``, ``parallel_tool_calls: true``):
  exec_command [cmd; strict false, additionalProperties false], write_stdin,
  request_user_input, view_image, multi_agent_v1 (type ``namespace``), get_goal, create_goal,
  update_goal and the built-in ``web_search``.
- Continue cn 1.5.47 (chat, no tool_choice): Read, List, Bash [command; optional timeout],
  Fetch, Checklist, CheckBackgroundJob, AskQuestion, Exit, Skills; with ``--auto`` also Write
  and MultiEdit.
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
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:  # only TLS needs trustme: plain http (tls=False, ca=None) is stdlib only
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
# The marker file a client's own shell tool creates in its working directory (e2e proof).
MARKER = "optscale-e2e-marker"
SHELL_COMMAND = f"touch {MARKER}"
# Shell tools by name, as the clients offer them (recorded requests, see tests/test_e2e.py):
# OpenCode `bash`, Claude Code and Continue `Bash`, Codex `exec_command` (older Codex: `shell`,
# a function tool with an argv array; the Responses built-in `local_shell` is not served).
# Matched case-insensitively.
SHELL_TOOLS = ("bash", "exec_command", "shell")
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
# Many models (long-list tests and benchmarks/models.py): the key ``many_key(n)`` may use
# ``generated_ids(n)``, ``vendor{i % 7}/model-{i:06d}`` for i < n, served by /v1/models.
MANY_PREFIX = "sk-test-many-"


def many_key(count: int) -> str:
    return f"{MANY_PREFIX}{count:08d}"


@functools.lru_cache(maxsize=4)
def generated_ids(count: int) -> tuple[str, ...]:
    return tuple(sorted(f"vendor{i % 7}/model-{i:06d}" for i in range(count)))


@functools.lru_cache(maxsize=4)
def generated_allowed(count: int) -> frozenset[str]:
    return frozenset(generated_ids(count))


@functools.lru_cache(maxsize=4)
def generated_models_body(count: int) -> bytes:
    """The /v1/models answer for ``many_key(count)``, built once per count."""
    data = [_model_entry(m) for m in generated_ids(count)]
    return json.dumps({"object": "list", "data": data}).encode()


def _many_count(key: str | None) -> int | None:
    if key and key.startswith(MANY_PREFIX) and key[len(MANY_PREFIX) :].isdigit():
        return int(key[len(MANY_PREFIX) :])
    return None


POST_ROUTES = {
    "v1/chat/completions",
    "cursor/chat/completions",
    "v1/responses",
    "anthropic/v1/messages",
    "anthropic/v1/messages/count_tokens",
}


# Misbehaving gateways, for the bounded-network tests (``GatewayStandIn(ca, mode=…)``):
MODES = {
    "trickle": "/models: headers, then the body one byte every 0.2 s",
    "stall": "/models: headers (with a Content-Length), then silence",
    "trickle_headers": "/models: the status line, then a header one byte every 0.1 s",
    "sse_keepalive": "chat completions with stream=true: `: ping` comments forever, no [DONE]",
    "gzip_bomb": "/models: Content-Encoding gzip, ~1 MB that inflates to 1 GiB",
    "not_json": "/models: an HTML page with status 200",
    "json_list": "/models: a JSON list instead of an object",
    "deep_json": "/models: 50,000 nested '['",
    "bad_redirect": "every route: 302 to a Location holding a control character",
    "programmable": "GET /models and every POST route: the Programmed answer set by program()",
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


@dataclass(frozen=True)
class Programmed:
    """One canned answer of the ``programmable`` mode, served whatever the key."""

    status: int = 200
    body: bytes = b""
    content_type: str | None = "application/json"
    location: str | None = None  # sent as Location (for 3xx answers, or odd ones)


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
    # a key whose allowed models a test changes (``gw.shifting = {...}``): the policy
    # moving under a connected client (sync, doctor's models check)
    SHIFTING_KEY = "sk-test-shifting-99990000"
    DENIED_MODEL = "openai/o3-pro"

    def __init__(
        self,
        ca: trustme.CA | None,
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
        self.shifting: set[str] = set(MODELS)  # what SHIFTING_KEY may use now
        self._lock = threading.Lock()
        # mode "programmable": the answers for GET …/models and for POST routes (None: normal)
        self._programmed: dict[str, Programmed | None] = {"models": None, "post": None}
        self._server: ThreadingHTTPServer | None = None
        self._socket: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._held: list[socket.socket] = []
        self.port = 0
        self.ca_pem_path = ""
        if ca is not None:
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
        if key == self.SHIFTING_KEY:
            return set(self.shifting)
        count = _many_count(key)
        if count is not None:
            return generated_allowed(count)  # type: ignore[return-value]
        return None

    def program(self, models: Programmed | None, post: Programmed | None = None) -> None:
        """Set what mode "programmable" answers next (thread-safe; None: the normal answer)."""
        with self._lock:
            self._programmed = {"models": models, "post": post}

    def programmed(self, which: str) -> Programmed | None:
        with self._lock:
            return self._programmed[which] if self.mode == "programmable" else None

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
            assert self.ca is not None, "TLS needs a CA"
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


def _tool_specs(tools: list[Any]) -> list[tuple[str, dict[str, Any]]]:
    """(name, JSON schema of the arguments) of each offered tool, in any of the three APIs'
    shapes: chat ``{"type": "function", "function": {"name", "parameters"}}``, responses
    ``{"type": "function", "name", "parameters"}``, anthropic ``{"name", "input_schema"}``."""
    specs = []
    for tool in tools:
        if not isinstance(tool, dict):
            continue
        spec = tool.get("function") if isinstance(tool.get("function"), dict) else tool
        name = spec.get("name") or tool.get("type")
        schema = spec.get("parameters") or spec.get("input_schema") or {}
        if isinstance(name, str):
            specs.append((name, schema if isinstance(schema, dict) else {}))
    return specs


def shell_call(tools: list[Any]) -> tuple[str, dict[str, Any]] | None:
    """The client's shell tool and arguments that run SHELL_COMMAND, or None if none offered.

    The command goes in the schema's ``command`` or ``cmd`` property (a list of argv if the
    schema says ``array``, as Codex's old ``shell`` tool did); other required properties get
    a plain value of their type."""
    specs = {name.lower(): (name, schema) for name, schema in _tool_specs(tools)}
    for wanted in SHELL_TOOLS:
        if wanted not in specs:
            continue
        name, schema = specs[wanted]
        properties = schema.get("properties") or {}
        key = next((k for k in ("command", "cmd") if k in properties), "command")
        kind = (properties.get(key) or {}).get("type")
        args: dict[str, Any] = {
            key: ["bash", "-lc", SHELL_COMMAND] if kind == "array" else SHELL_COMMAND
        }
        for required in schema.get("required") or []:
            if required not in args:
                args[required] = _placeholder((properties.get(required) or {}).get("type"))
        return name, args
    return None


def _placeholder(kind: Any) -> Any:
    return {"string": "e2e", "integer": 1, "number": 1, "boolean": False, "array": []}.get(
        kind if isinstance(kind, str) else "", {}
    )


def _has_tool_result(items: Any, api: str) -> bool:
    if not isinstance(items, list):
        return False
    for item in items:
        if not isinstance(item, dict):
            continue
        if api == "chat" and item.get("role") == "tool":
            return True
        if api == "responses" and str(item.get("type", "")).endswith("_call_output"):
            return True
        if (
            api == "anthropic"
            and isinstance(item.get("content"), list)
            and any(
                isinstance(block, dict) and block.get("type") == "tool_result"
                for block in item["content"]
            )
        ):
            return True
    return False


def _split_arguments(arguments: str) -> list[dict[str, str]]:
    """The arguments JSON in two pieces, as the APIs stream it (never whole tokens)."""
    middle = len(arguments) // 2
    return [{"arguments": arguments[:middle]}, {"arguments": arguments[middle:]}]


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

        def _send_bytes(self, status: int, data: bytes) -> None:
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
                    if gw.stopping.wait(0.2):
                        return
                    self.wfile.write(data[i : i + 1])
                    self.wfile.flush()
            elif gw.mode == "trickle_headers":
                self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
                while not gw.stopping.wait(0.1):
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

        def _canned(self, answer: Programmed) -> None:
            """Mode "programmable": exactly the answer the test set."""
            self.send_response(answer.status)
            if answer.content_type is not None:
                self.send_header("Content-Type", answer.content_type)
            if answer.location is not None:
                self.send_header("Location", answer.location)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

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
            if method == "GET" and route in ("v1/models", "cursor/models"):
                canned = gw.programmed("models")
            else:
                canned = gw.programmed("post") if method == "POST" else None
            if canned is not None:
                self._canned(canned)
                return
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
                if gw.mode in MODES and gw.mode not in (
                    "sse_keepalive",
                    "bad_redirect",
                    "programmable",
                ):
                    self._misbehave(
                        {"object": "list", "data": [_model_entry(m) for m in sorted(allowed)]}
                    )
                    return
                count = _many_count(self._key(anthropic))
                if count is not None:
                    self._send_bytes(200, generated_models_body(count))
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
            if model not in MODELS and model not in HOSTILE_MODELS and model not in allowed:
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
            answered = _has_tool_result(body.get("messages"), "chat")
            call = None
            shell = shell_call(tools)
            if tools and model not in NO_TOOLS and not answered and (forced or shell):
                name, arguments = (shell[0], json.dumps(shell[1])) if shell else ("", "{}")
                if forced:
                    name, arguments = tools[0].get("function", {}).get("name", "tool"), "{}"
                    if isinstance(choice, dict):
                        name = choice.get("function", {}).get("name", name)
                call = {
                    "id": "call_" + uuid.uuid4().hex[:8],
                    "type": "function",
                    "function": {"name": name, "arguments": arguments},
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
                    # as OpenAI streams a call: id and name first, then the arguments in parts
                    function = call["function"]
                    head = {**call, "index": 0, "function": {**function, "arguments": ""}}
                    events.append((None, _chunk(model, {"tool_calls": [head]})))
                    events += [
                        (None, _chunk(model, {"tool_calls": [{"index": 0, "function": part}]}))
                        for part in _split_arguments(function["arguments"])
                    ]
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
            shell = None
            if model not in NO_TOOLS and not _has_tool_result(body.get("input"), "responses"):
                shell = shell_call(body.get("tools") or [])
            item: dict[str, Any]
            if shell:
                item = {
                    "id": "fc_standin",
                    "type": "function_call",
                    "status": "completed",
                    "call_id": "call_" + uuid.uuid4().hex[:8],
                    "name": shell[0],
                    "arguments": json.dumps(shell[1]),
                }
            else:
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
            where = {"item_id": item["id"], "output_index": 0}
            events: list[tuple[str, dict[str, Any]]] = [
                ("response.created", {"response": started}),
            ]
            if shell:
                events += [
                    (
                        "response.output_item.added",
                        {
                            "output_index": 0,
                            "item": {**item, "status": "in_progress", "arguments": ""},
                        },
                    ),
                    *(
                        ("response.function_call_arguments.delta", {**where, "delta": part})
                        for part in (p["arguments"] for p in _split_arguments(item["arguments"]))
                    ),
                    (
                        "response.function_call_arguments.done",
                        {**where, "name": item["name"], "arguments": item["arguments"]},
                    ),
                ]
            else:
                part = {"type": "output_text", "text": "", "annotations": []}
                text_at = {**where, "content_index": 0}
                events += [
                    (
                        "response.output_item.added",
                        {
                            "output_index": 0,
                            "item": {**item, "status": "in_progress", "content": []},
                        },
                    ),
                    ("response.content_part.added", {**text_at, "part": part}),
                    ("response.output_text.delta", {**text_at, "delta": ANSWER}),
                    ("response.output_text.done", {**text_at, "text": ANSWER}),
                    ("response.content_part.done", {**text_at, "part": {**part, "text": ANSWER}}),
                ]
            events += [
                ("response.output_item.done", {"output_index": 0, "item": item}),
                ("response.completed", {"response": response}),
            ]
            self._stream(
                [
                    (name, {"type": name, "sequence_number": number, **data})
                    for number, (name, data) in enumerate(events)
                ]
            )

        def _messages(self, model: str, body: dict[str, Any]) -> None:
            shell = None
            if model not in NO_TOOLS and not _has_tool_result(body.get("messages"), "anthropic"):
                shell = shell_call(body.get("tools") or [])
            block: dict[str, Any] = {"type": "text", "text": ANSWER}
            if shell:
                block = {
                    "type": "tool_use",
                    "id": "toolu_" + uuid.uuid4().hex[:12],
                    "name": shell[0],
                    "input": shell[1],
                }
            stop_reason = "tool_use" if shell else "end_turn"
            message = {
                "id": "msg_standin",
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": [block],
                "stop_reason": stop_reason,
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
            if shell:
                opened = {**block, "input": {}}
                deltas = [
                    {"type": "input_json_delta", "partial_json": p["arguments"]}
                    for p in _split_arguments(json.dumps(shell[1]))
                ]
            else:
                opened = {"type": "text", "text": ""}
                deltas = [{"type": "text_delta", "text": ANSWER}]
            self._stream(
                [
                    ("message_start", {"type": "message_start", "message": start}),
                    (
                        "content_block_start",
                        {"type": "content_block_start", "index": 0, "content_block": opened},
                    ),
                    *(
                        (
                            "content_block_delta",
                            {"type": "content_block_delta", "index": 0, "delta": delta},
                        )
                        for delta in deltas
                    ),
                    ("content_block_stop", {"type": "content_block_stop", "index": 0}),
                    (
                        "message_delta",
                        {
                            "type": "message_delta",
                            "delta": {"stop_reason": stop_reason, "stop_sequence": None},
                            "usage": {"output_tokens": 3},
                        },
                    ),
                    ("message_stop", {"type": "message_stop"}),
                ]
            )

    return Handler


def _model_entry(model_id: str) -> dict[str, Any]:
    info = MODELS.get(model_id) or HOSTILE_MODELS.get(model_id)
    if info is None:  # a generated one (many_key)
        info = {"owned_by": model_id.split("/", 1)[0]}
    return {"id": model_id, "object": "model", "created": 1735689600, **info}
