"""`optscale doctor`: every link from this machine to a model that can call tools, checked.

Plain functions returning :class:`Check` results. Local checks first (profile, client files,
environment); then the transport chain (DNS -> TCP -> TLS, through the HTTPS proxy when one
is in effect) and the gateway probes, side by side, each in its own daemon thread with its
own timeout, and the whole network phase under one deadline (``2 x timeout + 1`` s), so a
gateway that accepts connections and never answers cannot hold doctor up. When the transport
fails, the probes that depend on it are reported as skipped, not as more failures. Probes
spend almost nothing: tiny prompts, ``max_tokens`` 16, no retries.
"""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from optscale_cli.deadline import call_with_deadline
from optscale_cli.errors import AuthError, OptscaleError

PASS, WARN, FAIL, INFO, SKIP = "pass", "warn", "fail", "info", "skip"
EXPIRY_WARN_DAYS = 14
CLOCK_SKEW_WARN_S = 300
VERSION_TIMEOUT_S = 5.0
HELPER_TIMEOUT_S = 10.0
TOOL_FAIL = (
    "model does not support tool calling; agents in Cursor/OpenCode/Claude Code will not be "
    "able to edit files"
)
TITLES = {
    "profile": "Profile and key",
    "dns": "DNS",
    "tcp": "TCP connection",
    "tls": "TLS",
    "auth": "API key",
    "clock": "Clock",
    "model": "Model access",
    "tools": "Tool calling",
    "stream": "Streaming",
    "anthropic": "Anthropic surface",
    "anthropic:models": "Anthropic model list",
    "responses": "Responses API",
    "cursor": "Cursor surface",
    "proxy": "Proxy",
    "budget": "Budget",
    "rate-limit": "Rate limit",
    "live": "Live run",
    "models": "Models declared",
}


def title_for(check_id: str) -> str:
    head, _, rest = check_id.partition(":")
    if head == "client":
        return f"{rest.removesuffix(':version')} version" if rest.endswith(":version") else rest
    if check_id == "cursor:reachable":
        return "Cursor reachability"
    if check_id in TITLES:
        return TITLES[check_id]
    base = TITLES.get(head, head)
    return f"{base}: {rest}" if rest else base


@dataclass
class Check:
    id: str
    status: str  # pass | warn | fail | info | skip
    message: str
    hint: str | None = None
    title: str = ""
    limit: OptscaleError | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.title:
            self.title = title_for(self.id)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "status": self.status, "message": self.message, "hint": self.hint}


@dataclass
class DoctorOptions:
    model: str | None = None
    client: str | None = None
    offline: bool = False
    timeout: float = 10.0  # each probe, whole; the network phase as a whole gets 2x + 1 s
    live: bool = False  # also run each connected client for real (spends a few tokens)
    live_timeout: float = 60.0  # each client's run


@dataclass
class Context:
    """What the checks share: the profile, the clients in scope, and results so far."""

    options: DoctorOptions
    profile: Any = None
    clients: dict[str, Any] = field(default_factory=dict)  # name -> ConnectionState


class _Jobs:
    """Calls running side by side in daemon threads: one that never returns cannot keep
    doctor, or the process, waiting past its deadline (a thread pool would join it)."""

    def __init__(self) -> None:
        self._threads: dict[str, threading.Thread] = {}
        self._results: dict[str, list[Check]] = {}

    def start(self, name: str, fn: Callable[[], list[Check]]) -> None:
        def run() -> None:
            try:
                self._results[name] = fn()
            except Exception as exc:  # a bug in one check must not hide the others
                self._results[name] = [
                    Check(name, FAIL, f"internal error: {type(exc).__name__}: {exc}")
                ]

        thread = threading.Thread(target=run, daemon=True, name=f"optscale-doctor-{name}")
        self._threads[name] = thread
        thread.start()

    def result(self, name: str, deadline: float, late: Callable[[], list[Check]]) -> list[Check]:
        self._threads[name].join(max(0.0, deadline - time.monotonic()))
        return self._results[name] if name in self._results else late()


def run_doctor(state: Any, options: DoctorOptions) -> list[Check]:
    from optscale_cli.clients import client_names

    jobs = _Jobs()
    names = [options.client] if options.client else client_names()
    versions_due = time.monotonic() + VERSION_TIMEOUT_S + 1.0
    for name in names:  # `opencode --version` can take a second: start it first
        if _version_command(name):
            jobs.start(f"version:{name}", lambda n=name: _version_check(n))  # type: ignore[misc]
    ctx = Context(options)
    checks = [_profile_check(state, ctx)]
    per_client = _client_checks(ctx, names)
    environment = _environment_checks(ctx)
    network: list[Check] = []
    if not options.offline and ctx.profile is not None and ctx.profile.api_key:
        network = _network_checks(ctx, jobs)
    elif options.offline and ctx.profile is not None and ctx.profile.api_key:
        environment += _cached_models_checks(ctx)
    for name in names:
        checks += per_client.get(name, [])
        if _version_command(name):
            checks += jobs.result(f"version:{name}", versions_due, list)
    live = _live_phase(ctx, names, network) if options.live else []
    return checks + environment + network + live


def _cached_models_checks(ctx: Context) -> list[Check]:
    """--offline: the models checks against the model list as last fetched (no network)."""
    from optscale_cli.catalog import cached_models

    ids = [m.id for m in cached_models(ctx.profile.location.base_url, ctx.profile.api_key)]
    return models_checks(ctx, ids) if ids else []


def _live_phase(ctx: Context, names: list[str], network: list[Check]) -> list[Check]:
    """``doctor --live``: the connected clients, run for real, once the path is known good."""
    from optscale_cli.flows.live import live_checks

    connected = [n for n in names if n in ctx.clients and ctx.clients[n].connected]
    reason = None
    if ctx.profile is None or not ctx.profile.api_key:
        reason = "skipped: no usable profile (see the profile check)"
    else:
        broken = next(
            (c for c in network if c.id in ("dns", "tcp", "tls") and c.status == FAIL), None
        )
        if broken is not None:
            reason = f"skipped: the {broken.id.upper()} check failed"
    if reason is not None:
        targets = connected or ([ctx.options.client] if ctx.options.client else [])
        return [Check(f"live:{n}", SKIP, reason) for n in targets]
    return live_checks(ctx, names, ctx.options.live_timeout)


# --- local ----------------------------------------------------------------------------------


def _profile_check(state: Any, ctx: Context) -> Check:
    from optscale_cli.redact import redact_key
    from optscale_cli.secrets import credentials_path, key_file_path

    try:
        profile = state.profile()
    except OptscaleError as exc:
        return Check("profile", FAIL, exc.message, exc.hint)
    ctx.profile = profile
    if not profile.api_key:
        return Check(
            "profile",
            FAIL,
            f"profile '{profile.name}' has no API key",
            f"run: optscale login --profile {profile.name}",
        )
    if profile.location.scheme != "https":
        return Check(
            "profile",
            FAIL,
            f"{profile.base_url} is plain http: the key travels unencrypted",
            "use the gateway's https:// URL: optscale login --url https://…",
        )
    for path in (credentials_path(), key_file_path(profile.name)):
        if _readable_by_others(path):
            return Check(
                "profile",
                FAIL,
                f"{path} holds API keys but others can read it",
                f"run: chmod 600 {path}",
            )
    return Check(
        "profile",
        PASS,
        f"profile '{profile.name}': {profile.base_url}, key {redact_key(profile.api_key)}",
    )


def _readable_by_others(path: str | Path) -> bool:
    if os.name == "nt":  # ACLs, not mode bits
        return False
    try:
        return bool(os.stat(path).st_mode & 0o077)
    except OSError:
        return False


def _client_checks(ctx: Context, names: list[str]) -> dict[str, list[Check]]:
    from optscale_cli.flows.connect import connection_state

    out: dict[str, list[Check]] = {}
    for name in names:
        state = connection_state(name)
        ctx.clients[name] = state
        checks: list[Check] = []
        if state.connected:
            checks.append(_client_state_check(ctx, name, state))
        elif ctx.options.client:
            checks.append(
                Check(
                    f"client:{name}",
                    WARN,
                    f"{name} is not connected",
                    f"run: optscale connect {name} --model …",
                )
            )
        if (state.connected or ctx.options.client) and ctx.profile:
            from optscale_cli.clients import get_client

            warning = get_client(name).reachability_warning(ctx.profile.location.host)
            if warning:
                checks.append(Check(f"{name}:reachable", WARN, warning[0], warning[1]))
        out[name] = checks
    return out


_HELPER_SETTINGS = {"apiKeyHelper": True, "inferenceCredentialHelper": False}  # name: via shell


def _key_helper_problems(files: list[dict[str, Any]], profile: Any, state: Any) -> list[str]:
    """Run the key helper the client runs, as it runs it, and check (without showing it)
    that it yields the key of the gateway that client is aimed at."""
    import os
    import subprocess

    from optscale_cli.edit.engine import unbox

    # as the client runs it: without our environment overrides (it does not have them)
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPTSCALE_")}
    env.update({k: v for k, v in os.environ.items() if k == "OPTSCALE_CONFIG_DIR"})
    own = set(profile.location.surface_urls().values())
    if state.base_url not in own:
        return [f"aimed at {state.base_url}, not at this profile's gateway"]
    for entry in files:
        for record in entry.get("records", []):
            name = record["path"][-1] if record.get("path") else None
            if name not in _HELPER_SETTINGS:
                continue
            command = unbox(record["after"])
            try:
                done = subprocess.run(
                    command if _HELPER_SETTINGS[name] else [command],
                    shell=_HELPER_SETTINGS[name],
                    stdin=subprocess.DEVNULL,
                    capture_output=True,
                    timeout=HELPER_TIMEOUT_S,
                    check=False,
                    env=env,
                )
            except (OSError, subprocess.TimeoutExpired) as exc:
                return [f"its key helper did not run: {type(exc).__name__}"]
            if done.stdout.decode(errors="replace").strip() != profile.api_key:
                return [f"its key helper does not yield the key of {state.base_url}"]
    return []


def _record_check(name: str, state: Any) -> Check | None:
    """A failure in what the files hold compared with the record, if any."""
    cid = f"client:{name}"
    if state.errors:
        return Check(cid, FAIL, "; ".join(state.errors), "fix the file, then run connect again")
    if state.missing_files:
        return Check(
            cid,
            FAIL,
            f"file removed since connect: {', '.join(state.missing_files)}",
            f"run: optscale connect {name} --model {state.model or '…'}",
        )
    if state.drifted:
        return Check(
            cid,
            FAIL,
            f"changed since connect: {'; '.join(state.drifted)}",
            f"run `optscale connect {name}` to rewrite, or `optscale disconnect {name}`",
        )
    if state.broken:
        return Check(
            cid,
            FAIL,
            "; ".join(state.broken),
            f"log in again as profile '{state.profile}' (it recreates the key file), "
            f"or run: optscale connect {name}",
        )
    return None


def _key_copy_problems(profile: Any, state: Any, files: list[dict[str, Any]]) -> list[str]:
    """Every copy of the key the connection relies on must be the profile's current key:
    the key file, a plaintext config, Continue's .env; a key helper must yield it."""
    from optscale_cli.secrets import key_file_path

    key_mode = state.details.get("key_mode")
    problems: list[str] = []
    if key_mode == "file":
        key_file = key_file_path(profile.name)
        if _read(str(key_file)).strip() != profile.api_key:
            problems.append(f"{key_file} does not hold the profile's key")
        elif _readable_by_others(key_file):
            problems.append(f"{key_file} is readable by others (chmod 600)")
    if key_mode in ("plaintext", "secrets-env") and not any(  # a copy of the key
        profile.api_key in _read(e.get("path")) for e in files
    ):
        problems.append("the key written there is not the profile's current key")
    if key_mode == "helper":
        problems += _key_helper_problems(files, profile, state)
    return problems


def _client_state_check(ctx: Context, name: str, state: Any) -> Check:
    from optscale_cli.connections import load_ledger

    cid = f"client:{name}"
    failed = _record_check(name, state)
    if failed is not None:
        return failed
    profile = ctx.profile
    ledger = load_ledger(name)
    files = list(ledger.files.values()) if ledger else []
    key_mode = state.details.get("key_mode")
    problems: list[str] = []
    for entry in files:
        path = entry.get("path")
        if entry.get("secret") and path and _readable_by_others(path):
            problems.append(f"{path} holds the key but is readable by others (chmod 600)")
    if profile is not None and profile.api_key and state.profile == profile.name:
        problems += _key_copy_problems(profile, state, files)
    warnings: list[str] = []
    from optscale_cli.clients import get_client

    problems += get_client(name).doctor_problems(key_mode, warnings)
    if problems:
        return Check(
            cid,
            FAIL,
            "; ".join(problems),
            f"run: optscale connect {name} again (or optscale login --rotate)"
            if not any("ANTHROPIC_" in p for p in problems)
            else "unset it (and remove it from your shell profile), then restart Claude Code",
        )
    if profile is not None and state.profile != profile.name:
        return Check(
            cid,
            WARN,
            f"connected with profile '{state.profile}', not '{profile.name}'",
            f"run: optscale connect {name} to switch",
        )
    if profile is not None:
        from optscale_cli.clients import get_client

        surface = get_client(name).surface
        if state.base_url != profile.location.surface_url(surface):
            return Check(
                cid,
                WARN,
                f"points at {state.base_url}, not this profile's gateway",
                f"run: optscale connect {name}",
            )
    if warnings:
        return Check(cid, WARN, "; ".join(warnings), "run: claude /logout, if it keeps using it")
    return Check(cid, PASS, f"{name}: files as written ({state.model or 'tiers'})")


def _read(path: str | None) -> str:
    """A client file's text, to look for the key in ("" when it cannot be looked into)."""
    from optscale_cli.edit.stores import read_if_regular

    raw = read_if_regular(Path(path)) if path else None
    return "" if raw is None else raw.decode("utf-8", errors="replace")


def _version_command(name: str) -> tuple[str, ...] | None:
    from optscale_cli.clients import get_client

    return get_client(name).version_command


def _version_check(name: str) -> list[Check]:
    command = _version_command(name)
    if not command or shutil.which(command[0]) is None:
        return []
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=VERSION_TIMEOUT_S,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        text = (done.stdout or done.stderr).strip()
        version = text.splitlines()[0] if text else "?"
    except (OSError, subprocess.TimeoutExpired):
        version = f"did not answer --version in {VERSION_TIMEOUT_S:g} s"
    return [Check(f"client:{name}:version", INFO, f"{command[0]} {version}")]


def _environment_checks(ctx: Context) -> list[Check]:
    from optscale_cli.redact import clean_text

    proxy = proxy_for(ctx.profile.location.host) if ctx.profile is not None else None
    no_proxy = os.environ.get("NO_PROXY") or os.environ.get("no_proxy")
    configured = next(
        (
            os.environ[v]
            for v in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")
            if os.environ.get(v)
        ),
        None,
    )
    if not configured:
        return [Check("proxy", INFO, "no HTTPS proxy in the environment")]
    shown = f"HTTPS_PROXY={_without_credentials(configured)}" + (
        f", NO_PROXY={clean_text(no_proxy, 200)}" if no_proxy else ""
    )
    if ctx.profile is not None and proxy is None:
        return [Check("proxy", INFO, f"{shown}; NO_PROXY exempts {ctx.profile.location.host}")]
    return [
        Check(
            "proxy",
            INFO,
            f"{shown}; the gateway is reached through the proxy",
            "clients started elsewhere (IDE, launcher) may not have this proxy set",
        )
    ]


# --- transport ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Proxy:
    scheme: str
    host: str
    port: int
    credentials: str | None  # "user:password", sent as Proxy-Authorization
    shown: str  # the URL without credentials

    @property
    def tunnels(self) -> bool:
        """Whether doctor can open a CONNECT tunnel itself (plain http:// proxies)."""
        return self.scheme == "http"


def _without_credentials(url: str) -> str:
    from urllib.parse import urlsplit

    from optscale_cli.redact import clean_text

    try:
        parts = urlsplit(url if "://" in url else f"http://{url}")
        netloc = parts.hostname or ""
        if parts.port:
            netloc = f"{netloc}:{parts.port}"
        return clean_text(f"{parts.scheme}://{netloc}", 200)
    except ValueError:
        return "(unreadable proxy URL)"


def proxy_for(host: str) -> Proxy | None:
    """The HTTPS proxy the environment puts between us and ``host`` (as httpx would)."""
    import urllib.request
    from urllib.parse import unquote, urlsplit

    proxies = urllib.request.getproxies_environment()
    url = proxies.get("https") or proxies.get("all")
    if not url or urllib.request.proxy_bypass_environment(host, proxies):
        return None
    try:
        parts = urlsplit(url if "://" in url else f"http://{url}")
        proxy_port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return None
    credentials = None
    if parts.username is not None:
        credentials = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
    return Proxy(
        scheme=parts.scheme,
        host=parts.hostname or "",
        port=proxy_port,
        credentials=credentials,
        shown=_without_credentials(url),
    )


class ProxyRefused(OSError):
    """The proxy answered CONNECT with something other than 200."""


@dataclass(frozen=True)
class Endpoint:
    """Where the gateway is, and how to open a raw TCP stream to it."""

    host: str
    port: int
    timeout: float
    proxy: Proxy | None = None

    def open(self) -> socket.socket:
        if self.proxy is None:
            return socket.create_connection((self.host, self.port), timeout=self.timeout)
        return _tunnel(self.proxy, self.host, self.port, self.timeout)


def _tunnel(proxy: Proxy, host: str, port: int, timeout: float) -> socket.socket:
    import base64

    sock = socket.create_connection((proxy.host, proxy.port), timeout=timeout)
    try:
        target = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        request = f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n"
        if proxy.credentials:
            token = base64.b64encode(proxy.credentials.encode()).decode()
            request += f"Proxy-Authorization: Basic {token}\r\n"
        sock.sendall(f"{request}\r\n".encode())
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = sock.recv(4096)
            if not chunk or len(answer) > 65536:
                raise ProxyRefused("the proxy closed the connection")
            answer += chunk
        status = answer.split(b"\r\n", 1)[0].decode("latin-1").strip()
        if status.split(" ")[1:2] != ["200"]:
            raise ProxyRefused(status)
        return sock
    except BaseException:
        sock.close()
        raise


def _host_port(location: Any) -> tuple[str, int]:
    from urllib.parse import urlsplit

    parts = urlsplit(location.origin)
    return parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)


def _transport_checks(ctx: Context, out: list[Check]) -> list[Check]:
    """DNS -> TCP -> TLS, appending to ``out`` as each finishes (so a deadline that cuts
    the chain short still knows which step hung)."""
    host, port = _host_port(ctx.profile.location)
    timeout = ctx.options.timeout
    proxy = proxy_for(host)
    if proxy is not None and not proxy.tunnels:
        note = (
            f"through the {proxy.scheme} proxy {proxy.shown}: not checked directly; "
            "the gateway checks below go through it"
        )
        out += [Check(cid, SKIP, note) for cid in ("dns", "tcp", "tls")]
        return out
    try:
        infos = call_with_deadline(
            lambda: socket.getaddrinfo(host, port, type=socket.SOCK_STREAM), timeout
        )
        addresses = sorted({str(info[4][0]) for info in infos})
        out.append(Check("dns", PASS, f"{host} resolves to {', '.join(addresses[:3])}"))
    except Exception as exc:
        if proxy is not None:
            out.append(
                Check("dns", INFO, f"{host} does not resolve here; the proxy {proxy.shown} must")
            )
        else:
            out.append(
                Check(
                    "dns",
                    FAIL,
                    f"{host} does not resolve: {exc}",
                    "check the host name and your DNS / VPN",
                )
            )
            return out
    endpoint = Endpoint(host, port, timeout, proxy)
    out.append(_tcp_check(endpoint))
    if out[-1].status == FAIL:
        return out
    if ctx.profile.location.scheme == "https":
        out.append(tls_check(endpoint, ctx.profile.ca_bundle))
    return out


def _tcp_check(endpoint: Endpoint) -> Check:
    host, port, proxy = endpoint.host, endpoint.port, endpoint.proxy
    start = time.monotonic()
    try:
        endpoint.open().close()
    except ProxyRefused as exc:
        said = str(exc)
        hint = "ask for the gateway's host to be allowed through the proxy, or add it to NO_PROXY"
        if " 407" in said:
            hint = "the proxy wants credentials: HTTPS_PROXY=http://USER:PASSWORD@host:port"
        return Check(
            "tcp",
            FAIL,
            f"the proxy {proxy.shown if proxy else ''} refused {host}:{port}: {said}",
            hint,
        )
    except OSError as exc:
        if proxy is not None:
            return Check(
                "tcp",
                FAIL,
                f"cannot connect to the proxy {proxy.shown}: {exc}",
                "check HTTPS_PROXY (or add the gateway's host to NO_PROXY)",
            )
        return Check(
            "tcp",
            FAIL,
            f"cannot connect to {host}:{port}: {exc}",
            "check the URL, firewall, VPN and HTTPS_PROXY",
        )
    took = f"{(time.monotonic() - start) * 1000:.0f} ms"
    via = f" through the proxy {proxy.shown}" if proxy else ""
    return Check("tcp", PASS, f"connected to {host}:{port}{via} in {took}")


def _handshake(endpoint: Endpoint, context: ssl.SSLContext) -> ssl.SSLSocket:
    raw = endpoint.open()
    try:
        return context.wrap_socket(raw, server_hostname=endpoint.host)
    except BaseException:
        raw.close()
        raise


def tls_check(endpoint: Endpoint, ca_bundle: str | None) -> Check:
    from optscale_cli.tls import ssl_context

    host, port, timeout = endpoint.host, endpoint.port, endpoint.timeout
    try:
        with _handshake(endpoint, ssl_context(ca_bundle)) as tls:
            version = tls.version() or "?"
            cert = tls.getpeercert() or {}
    except ssl.SSLCertVerificationError as exc:
        return _untrusted(endpoint, ca_bundle, exc)
    except TimeoutError:
        return Check(
            "tls",
            FAIL,
            f"TLS handshake with {host}:{port} timed out after {timeout:g} s",
            "the server accepts connections but does not answer TLS; check the URL and port",
        )
    except ssl.SSLError as exc:
        reason = exc.reason or ""
        if reason in ("WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "HTTP_REQUEST"):
            return Check(
                "tls",
                FAIL,
                f"{host}:{port} does not speak TLS (plain HTTP on that port?)",
                "use the gateway's https:// URL and port",
            )
        if "PROTOCOL" in reason or "VERSION" in reason:
            return Check(
                "tls",
                FAIL,
                f"{host}:{port} offers no TLS version >= 1.2 ({reason})",
                "the gateway's admin must enable TLS 1.2 or 1.3",
            )
        return Check(
            "tls", FAIL, f"TLS handshake with {host}:{port} failed: {exc}", "check the URL"
        )
    except OSError as exc:
        return Check("tls", FAIL, f"TLS handshake with {host}:{port} failed: {exc}")
    if version in ("TLSv1", "TLSv1.1", "SSLv3"):
        return Check("tls", FAIL, f"{host} negotiated {version}", "the gateway needs TLS >= 1.2")
    if not cert.get("notAfter"):
        return Check("tls", PASS, f"{version}, certificate trusted")
    expires = ssl.cert_time_to_seconds(cert["notAfter"])
    days = (expires - time.time()) / 86400
    date = time.strftime("%Y-%m-%d", time.gmtime(expires))
    if days < EXPIRY_WARN_DAYS:
        return Check(
            "tls",
            WARN,
            f"certificate of {host} expires in {max(days, 0):.0f} days ({date})",
            "ask the gateway's admin to renew it",
        )
    return Check("tls", PASS, f"{version}, certificate trusted, valid until {date}")


def _untrusted(
    endpoint: Endpoint, ca_bundle: str | None, exc: ssl.SSLCertVerificationError
) -> Check:
    host = endpoint.host
    reason = exc.verify_message or str(exc)
    issuer = _peer_issuer(endpoint)
    if "expired" in reason:
        return Check(
            "tls",
            FAIL,
            f"the certificate of {host} has expired (issuer: {issuer})",
            "the gateway's admin must renew its certificate",
        )
    if "mismatch" in reason or "doesn't match" in reason:
        return Check(
            "tls",
            FAIL,
            f"the certificate presented by {host} is not valid for {host} ({reason})",
            "use the host name the certificate was issued for",
        )
    verdicts = []
    for label, factory in (
        ("system store", ssl.create_default_context),
        ("certifi", _certifi_context),
    ):
        try:
            _handshake(endpoint, factory()).close()
            verdicts.append(f"{label}: trusted")
        except (ssl.SSLError, OSError):
            verdicts.append(f"{label}: not trusted")
    bundle = ca_bundle or "/path/to/company-ca.pem"
    return Check(
        "tls",
        FAIL,
        f"certificate for {host} is not trusted ({reason}); issuer: {issuer}; "
        + ", ".join(verdicts),
        f"get the issuer's CA certificate as PEM, then: optscale --ca-bundle {bundle} … "
        f"(or OPTSCALE_CA_BUNDLE={bundle}); "
        f"Node clients (OpenCode, Claude Code): NODE_EXTRA_CA_CERTS={bundle}; "
        f"Python tools: SSL_CERT_FILE={bundle}; Codex: CODEX_CA_CERTIFICATE={bundle}",
    )


def _certifi_context() -> ssl.SSLContext:
    import certifi

    return ssl.create_default_context(cafile=certifi.where())


def _peer_issuer(endpoint: Endpoint) -> str:
    """The issuer of the certificate the server presents, read without trusting it."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with _handshake(endpoint, context) as tls:
            der = tls.getpeercert(binary_form=True)
        if not der:
            return "unknown issuer"
        from cryptography import x509

        pem = ssl.DER_cert_to_PEM_cert(der)
        return x509.load_pem_x509_certificate(pem.encode()).issuer.rfc4514_string()
    except Exception:
        return "unknown issuer"


# --- network phase --------------------------------------------------------------------------


@dataclass
class _Probe:
    ids: list[str]  # the checks it reports, in order (for skips and timeouts)
    run: Callable[[], list[Check]]


def _network_checks(ctx: Context, jobs: _Jobs) -> list[Check]:
    from optscale_cli.gateway import open_client

    profile = ctx.profile
    timeout = ctx.options.timeout
    budget = 2 * timeout + 1
    deadline = time.monotonic() + budget
    client = open_client(  # the budget of each probe, connect to last byte
        profile.location, profile.api_key, ca_bundle=profile.ca_bundle, timeout=timeout, probe=True
    )
    probes = _gateway_probes(ctx, client)
    progress: list[Check] = []
    jobs.start("transport", lambda: _transport_checks(ctx, progress))
    for name, probe in probes.items():
        jobs.start(name, probe.run)

    def transport_late() -> list[Check]:
        done = list(progress)
        hung = next((c for c in ("dns", "tcp", "tls") if c not in {d.id for d in done}), None)
        if hung is None:  # finished just as the deadline passed
            return done
        return [*done, Check(hung, FAIL, f"no answer within {budget:g} s", _SLOW_HINT)]

    try:
        transport = jobs.result("transport", deadline, transport_late)
        broken = next((c for c in transport if c.status == FAIL), None)
        checks = list(transport)
        for name, probe in probes.items():
            if broken is not None:  # the probes would fail for the same reason: say so once
                reason = f"skipped: the {broken.id.upper()} check failed"
                checks += [Check(cid, SKIP, reason) for cid in probe.ids]
                continue
            checks += jobs.result(
                name,
                deadline,
                lambda p=probe: [  # type: ignore[misc]
                    Check(p.ids[0], FAIL, f"no answer within {budget:g} s", _SLOW_HINT),
                    *(Check(cid, SKIP, "skipped: no answer") for cid in p.ids[1:]),
                ],
            )
    finally:
        client.close()
    checks += _limit_checks(checks)
    if not _models_to_check(ctx):
        checks.append(
            Check(
                "model",
                SKIP,
                "no model to check: no connected client names one",
                "pass --model MODEL",
            )
        )
    return checks


_SLOW_HINT = "the gateway accepts connections but does not answer; check the URL, or --timeout"


def _gateway_probes(ctx: Context, client: Any) -> dict[str, _Probe]:
    models = _models_to_check(ctx)
    wanted = {n for n, s in ctx.clients.items() if s.connected} | (
        {ctx.options.client} if ctx.options.client else set()
    )
    allowed: list[str] = []  # filled by the auth probe's GET /models: no second fetch

    def auth() -> list[Check]:
        checks = _auth_checks(client, models, allowed)
        return checks + (models_checks(ctx, allowed) if allowed else [])

    probes = {"auth": _Probe(["auth", "clock", *(f"model:{m}" for m in models)], auth)}
    for model in models:
        probes[f"tools:{model}"] = _Probe(
            [f"tools:{model}"],
            lambda m=model: [_tools_check(client, m)],  # type: ignore[misc]
        )
        probes[f"stream:{model}"] = _Probe(
            [f"stream:{model}"],
            lambda m=model: [_stream_check(client, m)],  # type: ignore[misc]
        )
    needed = _probes_needed(wanted)
    if "anthropic" in needed:
        probes["anthropic"] = _Probe(["anthropic"], lambda: [_anthropic_check(client, ctx)])
    if "anthropic:models" in needed:
        probes["anthropic:models"] = _Probe(
            ["anthropic:models"], lambda: [_anthropic_models_check(client)]
        )
    if "cursor" in needed:
        probes["cursor"] = _Probe(["cursor"], lambda: [_cursor_check(client)])
    if "responses" in needed:
        model = ctx.options.model or next(
            (ctx.clients[n].model for n in needed["responses"] if n in ctx.clients), None
        )
        probes["responses"] = _Probe(["responses"], lambda: [_responses_check(client, model)])
    return probes


def _probes_needed(wanted: set[str]) -> dict[str, list[str]]:
    """Each gateway probe the wanted clients declare, with the clients that need it."""
    from optscale_cli.clients import get_client

    needed: dict[str, list[str]] = {}
    for name in sorted(wanted):
        for probe in get_client(name).probes:
            needed.setdefault(probe, []).append(name)
    return needed


def _models_to_check(ctx: Context) -> list[str]:
    if ctx.options.model:
        return [ctx.options.model]
    found: list[str] = []
    for state in ctx.clients.values():
        if not state.connected:
            continue
        for model in [state.model, *(state.details.get("tiers") or {}).values()]:
            if model and model not in found:
                found.append(model)
    return found


# --- gateway probes -------------------------------------------------------------------------


def _auth_checks(client: Any, models: list[str], seen: list[str] | None = None) -> list[Check]:
    from optscale_cli.errors import NotFoundError

    try:
        response = client.request("GET", client.url("openai", "models"), what="GET /models")
    except AuthError as exc:
        rejected = "(401)" in exc.message or "rejected" in exc.message
        message = f"key rejected: {exc.message}" if rejected else exc.message
        return [Check("auth", FAIL, message, exc.hint)]
    except NotFoundError:
        return [
            Check(
                "auth",
                WARN,
                "no model list: the gateway answers GET /models with 404; "
                "the probes below prove the key instead",
            ),
            *_unlisted(models),
        ]
    except OptscaleError as exc:
        limited = _limited("auth", exc)
        if limited is not None:  # the key was recognised: only its limit stopped us
            return [limited, *_unlisted(models)]
        return [Check("auth", FAIL, exc.message, exc.hint)]
    try:
        body = response.json()
    except ValueError:
        return [
            Check(
                "auth",
                FAIL,
                "the gateway answered GET /models with something that is not JSON",
                "check the URL: it should end in /v1 of the gateway, not a web page",
            ),
            *_unlisted(models),
        ]
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list):
        return [
            Check(
                "auth",
                FAIL,
                "the gateway's answer to GET /models is not a model list (no 'data' list)",
                "check the URL: it should end in /v1 of the gateway",
            ),
            *_unlisted(models),
        ]
    ids = [e.get("id") for e in data if isinstance(e, dict) and isinstance(e.get("id"), str)]
    if seen is not None:
        seen.extend(ids)
    checks = [Check("auth", PASS, f"key accepted; {len(ids)} models allowed")]
    checks.append(_clock_check(response.headers.get("date")))
    return checks + [_model_check(model, ids) for model in models]


def models_checks(ctx: Context, ids: list[str]) -> list[Check]:
    """``models:<client>``: a connected client uses a model the key may no longer use, or
    (--all-models) does not declare one it may use now; ``optscale sync`` fixes both."""
    from optscale_cli.connections import load_ledger
    from optscale_cli.flows.sync import model_drift

    checks = []
    for name, state in ctx.clients.items():
        if not state.connected or ctx.profile is None or state.profile != ctx.profile.name:
            continue
        try:
            ledger = load_ledger(name)
        except OptscaleError:
            continue  # the client's own check reports a damaged record
        if ledger is None:
            continue
        withdrawn, undeclared = model_drift(ledger, ids)
        said = [f"no longer allowed: {', '.join(withdrawn)}"] if withdrawn else []
        said += [f"newly allowed, not declared: {', '.join(undeclared)}"] if undeclared else []
        if said:
            checks.append(Check(f"models:{name}", WARN, "; ".join(said), "run: optscale sync"))
        else:
            checks.append(Check(f"models:{name}", PASS, "its models are current"))
    return checks


def _model_check(model: str, ids: list[str]) -> Check:
    if model in ids:
        return Check(f"model:{model}", PASS, f"{model} is allowed for this key")
    from optscale_cli.catalog import near_matches

    near = near_matches(model, ids)
    return Check(
        f"model:{model}",
        FAIL,
        f"{model} is not allowed for this key",
        f"did you mean: {', '.join(near)}" if near else "see: optscale models list",
    )


def _unlisted(models: list[str]) -> list[Check]:
    return [Check(f"model:{m}", SKIP, "no model list to check against") for m in models]


def _clock_check(date_header: str | None) -> Check:
    if not date_header:
        return Check("clock", SKIP, "the gateway sent no Date header")
    try:
        skew = time.time() - parsedate_to_datetime(date_header).timestamp()
    except (TypeError, ValueError):
        return Check("clock", SKIP, "unreadable Date header")
    if abs(skew) > CLOCK_SKEW_WARN_S:
        return Check(
            "clock",
            WARN,
            f"this machine's clock is {skew:+.0f} s off the gateway's",
            "enable time sync (NTP); TLS and tokens depend on it",
        )
    return Check("clock", PASS, f"clock within {abs(skew):.0f} s of the gateway's")


def _probe_error(check_id: str, exc: OptscaleError) -> Check:
    return _limited(check_id, exc) or Check(check_id, FAIL, exc.message, exc.hint)


def _limited(check_id: str, exc: OptscaleError) -> Check | None:
    """A probe stopped by the key's budget or rate limit proves nothing about what it
    checks: it is skipped, and the limit is reported once, as its own result."""
    from optscale_cli.errors import BudgetError, RateLimitError

    if not isinstance(exc, (BudgetError, RateLimitError)):
        return None
    what = "over budget" if isinstance(exc, BudgetError) else "rate limited"
    return Check(check_id, SKIP, f"not checked: the key is {what}", limit=exc)


def _limit_checks(checks: list[Check]) -> list[Check]:
    """One ``budget`` / ``rate-limit`` result for the probes a limit stopped."""
    from optscale_cli.errors import BudgetError

    found: dict[str, Check] = {}
    for check in checks:
        exc = check.limit
        if exc is None:
            continue
        cid = "budget" if isinstance(exc, BudgetError) else "rate-limit"
        if cid not in found:
            found[cid] = Check(cid, FAIL, exc.message, exc.hint)
    return list(found.values())


def _tools_check(client: Any, model: str) -> Check:
    body = {
        "model": model,
        "messages": [{"role": "user", "content": "Health check: call the ping tool."}],
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "ping",
                    "description": "Answer a health check.",
                    "parameters": {"type": "object", "properties": {}},
                },
            }
        ],
        "tool_choice": {"type": "function", "function": {"name": "ping"}},
        "max_tokens": 16,
    }
    cid = f"tools:{model}"
    try:
        response = client.request(
            "POST",
            client.url("openai", "chat/completions"),
            json=body,
            what=f"tool-calling probe ({model})",
        )
    except OptscaleError as exc:
        if _limited(cid, exc):
            return _probe_error(cid, exc)
        if "tool" in exc.message.lower() and "(400)" in exc.message:
            return Check(cid, FAIL, TOOL_FAIL, exc.message)
        return _probe_error(cid, exc)
    try:
        message = response.json()["choices"][0]["message"]
    except (ValueError, KeyError, IndexError, TypeError):
        return Check(cid, FAIL, "the gateway's answer is not a chat completion")
    if isinstance(message, dict) and message.get("tool_calls"):
        return Check(cid, PASS, f"{model} calls tools")
    return Check(cid, FAIL, TOOL_FAIL, "pick a tool-calling model: optscale models list")


def _stream_check(client: Any, model: str) -> Check:
    import json

    body = {
        "model": model,
        "stream": True,
        "max_tokens": 16,
        "messages": [{"role": "user", "content": "Say ok."}],
    }
    cid = f"stream:{model}"
    chunks, done = 0, False
    try:
        with client.stream(
            "POST",
            client.url("openai", "chat/completions"),
            json=body,
            what=f"streaming probe ({model})",
        ) as response:
            for line in response.iter_lines():
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    done = True
                    break
                json.loads(data)
                chunks += 1
    except OptscaleError as exc:
        return _probe_error(cid, exc)
    except (ValueError, RecursionError):
        return Check(cid, FAIL, "the stream is not valid server-sent events with JSON chunks")
    if chunks and done:
        return Check(cid, PASS, f"streaming works ({chunks} chunks)")
    return Check(
        cid,
        FAIL,
        f"incomplete stream ({chunks} chunks, [DONE] {'seen' if done else 'missing'})",
        "a proxy may buffer or cut server-sent events",
    )


def _anthropic_check(client: Any, ctx: Context) -> Check:
    tiers: dict[str, str] = {}
    for name in _probes_needed(set(ctx.clients)).get("anthropic", []):
        state = ctx.clients.get(name)
        if state is not None and state.connected:
            tiers.update(state.details.get("tiers") or {})
    model = (
        ctx.options.model
        or tiers.get("haiku")
        or tiers.get("sonnet")
        or next((m for m in _models_to_check(ctx) if "anthropic" in m), None)
    )
    if model is None:
        return Check("anthropic", SKIP, "no Claude model to probe", "pass --model")
    body = {"model": model, "max_tokens": 16, "messages": [{"role": "user", "content": "Say ok."}]}
    try:
        client.request(
            "POST",
            client.url("anthropic", "v1/messages"),
            json=body,
            headers={"anthropic-version": "2023-06-01"},
            what=f"Anthropic Messages probe ({model})",
        )
    except OptscaleError as exc:
        return _probe_error("anthropic", exc)
    return Check("anthropic", PASS, f"Anthropic surface answers ({model})")


def _anthropic_models_check(client: Any) -> Check:
    """The Anthropic model list Claude Code's gateway model discovery reads, and which of
    its models Claude Code will list (ids starting with claude or anthropic)."""
    from optscale_cli.clients.claude_code import CLAUDE_CODE_PREFIXES, DISCOVERY_VAR
    from optscale_cli.redact import clean_text

    cid = "anthropic:models"
    try:
        ids = client.list_anthropic_models()
    except OptscaleError as exc:
        limited = _limited(cid, exc)
        if limited is not None:
            return limited
        return Check(
            cid,
            WARN,
            f"no Anthropic model list: {exc.message}",
            "Claude Code's /model picker will show only the tier models connect set",
        )
    listed = [i for i in ids if i.startswith(CLAUDE_CODE_PREFIXES)]
    if not listed:
        return Check(
            cid,
            WARN,
            f"Anthropic model list answers ({len(ids)} models), but no id starts with "
            "'claude' or 'anthropic': Claude Code will list none of them",
        )
    shown = ", ".join(clean_text(i, 100) for i in listed[:8])
    more = f" and {len(listed) - 8} more" if len(listed) > 8 else ""
    return Check(
        cid,
        PASS,
        f"Claude Code will list {len(listed)} gateway model(s) ({DISCOVERY_VAR}): {shown}{more}",
    )


def _responses_check(client: Any, model: str | None) -> Check:
    """Codex speaks only the Responses API: the gateway must serve /v1/responses."""
    if not model:
        return Check("responses", SKIP, "no model to probe /v1/responses with", "pass --model")
    body = {"model": model, "input": "Say ok.", "max_output_tokens": 16}
    try:
        client.request(
            "POST",
            client.url("openai", "responses"),
            json=body,
            what=f"Responses API probe ({model})",
        )
    except OptscaleError as exc:
        if _limited("responses", exc):
            return _probe_error("responses", exc)
        return Check(
            "responses",
            FAIL,
            exc.message,
            'Codex needs /v1/responses (wire_api = "responses"); ask your admin',
        )
    return Check("responses", PASS, f"/v1/responses answers ({model}), as Codex needs")


def _cursor_check(client: Any) -> Check:
    try:
        client.request("GET", client.url("cursor", "models"), what="GET /cursor/models")
    except OptscaleError as exc:
        return _probe_error("cursor", exc)
    return Check("cursor", PASS, "Cursor surface answers")
