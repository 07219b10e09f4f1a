"""`optscale doctor`: every link from this machine to a model that can call tools, checked.

Plain functions returning :class:`Check` results. Local checks first (profile, client files,
environment); then the transport chain (DNS -> TCP -> TLS), and, once TLS holds, the gateway
probes concurrently, each with its own timeout. Probes spend almost nothing: tiny prompts,
``max_tokens`` 16, no retries.
"""

from __future__ import annotations

import concurrent.futures
import ipaddress
import os
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from optscale_cli.deadline import call_with_deadline
from optscale_cli.errors import AuthError, OptscaleError

PASS, WARN, FAIL, INFO, SKIP = "pass", "warn", "fail", "info", "skip"
EXPIRY_WARN_DAYS = 14
CLOCK_SKEW_WARN_S = 300
TOOL_FAIL = (
    "model does not support tool calling; agents in Cursor/OpenCode/Claude Code will not be "
    "able to edit files"
)
VERSION_COMMANDS = {"opencode": ["opencode", "--version"], "claude-code": ["claude", "--version"]}


@dataclass
class Check:
    id: str
    status: str
    message: str
    hint: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class DoctorOptions:
    model: str | None = None
    client: str | None = None
    offline: bool = False
    timeout: float = 10.0


@dataclass
class Context:
    """What the checks share: the profile, the clients in scope, and results so far."""

    options: DoctorOptions
    profile: Any = None
    clients: dict[str, Any] = field(default_factory=dict)  # name -> ConnectionState
    models: list[str] = field(default_factory=list)


def run_doctor(state: Any, options: DoctorOptions) -> list[Check]:
    checks: list[Check] = []
    ctx = Context(options)
    checks.append(_profile_check(state, ctx))
    checks += _client_checks(ctx)
    checks += _environment_checks(ctx)
    if options.offline or ctx.profile is None or not ctx.profile.api_key:
        return checks
    # The transport chain (DNS -> TCP -> TLS) and the gateway probes run side by side, so a
    # healthy run takes about as long as the slowest of them; if the transport fails, the
    # probes' results (failures for the same reason, each bounded by its timeout) are dropped.
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        transport_future = pool.submit(_transport_checks, ctx)
        gateway_future = pool.submit(_gateway_checks, state, ctx)
        transport = transport_future.result()
        gateway = gateway_future.result()
    checks += transport
    if any(c.status == FAIL for c in transport):
        checks.append(Check("gateway", SKIP, "gateway checks skipped: the connection failed"))
        return checks
    return checks + gateway


# --- local ----------------------------------------------------------------------------------


def _profile_check(state: Any, ctx: Context) -> Check:
    from optscale_cli.redact import redact_key

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
    return Check(
        "profile",
        PASS,
        f"profile '{profile.name}': {profile.base_url}, key {redact_key(profile.api_key)}",
    )


def _client_checks(ctx: Context) -> list[Check]:
    from optscale_cli.clients import client_names
    from optscale_cli.connect_flow import connection_state

    names = [ctx.options.client] if ctx.options.client else client_names()
    checks: list[Check] = []
    for name in names:
        state = connection_state(name)
        if not state.connected:
            if ctx.options.client:
                checks.append(
                    Check(
                        f"client:{name}",
                        WARN,
                        f"{name} is not connected",
                        f"run: optscale connect {name} --model …",
                    )
                )
            ctx.clients[name] = state
            checks += _version_check(name)
            continue
        ctx.clients[name] = state
        checks.append(_client_state_check(ctx, name, state))
        checks += _version_check(name)
    return checks


def _client_state_check(ctx: Context, name: str, state: Any) -> Check:
    from optscale_cli.connections import load_ledger
    from optscale_cli.secrets import key_file_path

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
    profile = ctx.profile
    ledger = load_ledger(name) or {}
    problems: list[str] = []
    for entry in (ledger.get("files") or {}).values():
        if entry.get("secret") and entry.get("store") == "file":
            path = entry["path"]
            if os.path.exists(path) and os.stat(path).st_mode & 0o077:
                problems.append(f"{path} holds the key but is readable by others (chmod 600)")
    key_mode = (ledger.get("details") or {}).get("key_mode")
    if profile is not None and profile.api_key and state.profile == profile.name:
        if key_mode == "file":
            key_file = key_file_path(profile.name)
            if not key_file.exists() or key_file.read_text().strip() != profile.api_key:
                problems.append(f"{key_file} does not hold the profile's key")
            elif os.stat(key_file).st_mode & 0o077:
                problems.append(f"{key_file} is readable by others (chmod 600)")
        if key_mode == "plaintext":
            texts = [_read(e.get("path")) for e in (ledger.get("files") or {}).values()]
            if not any(profile.api_key in t for t in texts):
                problems.append("the key written there is not the profile's current key")
    if problems:
        return Check(
            cid,
            FAIL,
            "; ".join(problems),
            f"run: optscale connect {name} again (or optscale login --rotate)",
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
    return Check(cid, PASS, f"{name}: files as written ({state.model or 'tiers'})")


def _read(path: str | None) -> str:
    try:
        return Path(path).read_text(encoding="utf-8") if path else ""
    except OSError:
        return ""


def _version_check(name: str) -> list[Check]:
    command = VERSION_COMMANDS.get(name)
    if not command or shutil.which(command[0]) is None:
        return []
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=2,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        version = (
            (done.stdout or done.stderr).strip().splitlines()[0]
            if done.stdout or done.stderr
            else "?"
        )
    except (OSError, subprocess.TimeoutExpired):
        version = "did not answer --version in 2 s"
    return [Check(f"client:{name}:version", INFO, f"{command[0]} {version}")]


def _environment_checks(ctx: Context) -> list[Check]:
    proxy = os.environ.get("HTTPS_PROXY") or os.environ.get("https_proxy")
    no_proxy = os.environ.get("NO_PROXY") or os.environ.get("no_proxy")
    if not proxy:
        return [Check("proxy", INFO, "no HTTPS proxy in the environment")]
    from optscale_cli.redact import clean_text

    message = f"HTTPS_PROXY={clean_text(proxy, 100)}" + (
        f", NO_PROXY={no_proxy}" if no_proxy else ""
    )
    return [Check("proxy", INFO, message, "clients started elsewhere may not use this proxy")]


# --- transport ------------------------------------------------------------------------------


def _transport_checks(ctx: Context) -> list[Check]:
    from urllib.parse import urlsplit

    parts = urlsplit(ctx.profile.location.origin)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    timeout = ctx.options.timeout
    checks: list[Check] = []
    try:
        infos = call_with_deadline(
            lambda: socket.getaddrinfo(host, port, type=socket.SOCK_STREAM), timeout
        )
        addresses = sorted({info[4][0] for info in infos})
        checks.append(Check("dns", PASS, f"{host} resolves to {', '.join(addresses[:3])}"))
    except Exception as exc:
        checks.append(
            Check(
                "dns",
                FAIL,
                f"{host} does not resolve: {exc}",
                "check the host name and your DNS / VPN",
            )
        )
        return checks
    start = time.monotonic()
    try:
        socket.create_connection((host, port), timeout=timeout).close()
        checks.append(
            Check(
                "tcp",
                PASS,
                f"connected to {host}:{port} in {(time.monotonic() - start) * 1000:.0f} ms",
            )
        )
    except OSError as exc:
        checks.append(
            Check(
                "tcp",
                FAIL,
                f"cannot connect to {host}:{port}: {exc}",
                "check the URL, firewall, VPN and HTTPS_PROXY",
            )
        )
        return checks
    if parts.scheme == "https":
        checks.append(tls_check(host, port, ctx.profile.ca_bundle, timeout))
    return checks


def _handshake(host: str, port: int, context: ssl.SSLContext, timeout: float) -> ssl.SSLSocket:
    raw = socket.create_connection((host, port), timeout=timeout)
    try:
        return context.wrap_socket(raw, server_hostname=host)
    except BaseException:
        raw.close()
        raise


def tls_check(host: str, port: int, ca_bundle: str | None, timeout: float) -> Check:
    from optscale_cli.tls import ssl_context

    try:
        with _handshake(host, port, ssl_context(ca_bundle), timeout) as tls:
            version = tls.version() or "?"
            cert = tls.getpeercert() or {}
    except ssl.SSLCertVerificationError as exc:
        return _untrusted(host, port, ca_bundle, timeout, exc)
    except TimeoutError:
        return Check(
            "tls",
            FAIL,
            f"TLS handshake with {host}:{port} timed out after {timeout:g} s",
            "the server accepts connections but does not speak TLS; check the URL and port",
        )
    except (ssl.SSLError, OSError) as exc:
        return Check(
            "tls",
            FAIL,
            f"TLS handshake with {host}:{port} failed: {exc}",
            "check the URL (https:// to a TLS port)",
        )
    expires = ssl.cert_time_to_seconds(cert["notAfter"]) if cert.get("notAfter") else None
    if version in ("TLSv1", "TLSv1.1", "SSLv3"):
        return Check("tls", FAIL, f"{host} negotiated {version}", "the gateway needs TLS >= 1.2")
    if expires is not None:
        days = (expires - time.time()) / 86400
        date = time.strftime("%Y-%m-%d", time.gmtime(expires))
        if days < EXPIRY_WARN_DAYS:
            return Check(
                "tls",
                WARN,
                f"certificate of {host} expires in {days:.0f} days ({date})",
                "ask the gateway's admin to renew it",
            )
        return Check("tls", PASS, f"{version}, certificate trusted, valid until {date}")
    return Check("tls", PASS, f"{version}, certificate trusted")


def _untrusted(
    host: str, port: int, ca_bundle: str | None, timeout: float, exc: ssl.SSLCertVerificationError
) -> Check:
    reason = exc.verify_message or str(exc)
    issuer = _peer_issuer(host, port, timeout)
    if "expired" in reason:
        return Check(
            "tls",
            FAIL,
            f"the certificate of {host} has expired ({issuer})",
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
            _handshake(host, port, factory(), timeout).close()
            verdicts.append(f"{label}: trusted")
        except (ssl.SSLError, OSError):
            verdicts.append(f"{label}: not trusted")
    bundle = ca_bundle or "/path/to/company-ca.pem"
    return Check(
        "tls",
        FAIL,
        f"certificate for {host} is not trusted ({reason}); issuer: {issuer}; "
        + ", ".join(verdicts),
        f"get the issuer's CA certificate as PEM, then: optscale --ca-bundle {bundle} …; "
        f"Node clients (OpenCode, Claude Code): NODE_EXTRA_CA_CERTS={bundle}; "
        f"Python tools: SSL_CERT_FILE={bundle}; Codex: CODEX_CA_CERTIFICATE={bundle}",
    )


def _certifi_context() -> ssl.SSLContext:
    import certifi

    return ssl.create_default_context(cafile=certifi.where())


def _peer_issuer(host: str, port: int, timeout: float) -> str:
    """The issuer of the certificate the server presents, read without trusting it."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with _handshake(host, port, context, timeout) as tls:
            der = tls.getpeercert(binary_form=True)
        from cryptography import x509

        return x509.load_der_x509_certificate(der).issuer.rfc4514_string() if der else "?"
    except Exception:
        return "unknown issuer"


# --- gateway --------------------------------------------------------------------------------


def _gateway_checks(state: Any, ctx: Context) -> list[Check]:
    from optscale_cli.gateway import GatewayClient

    profile = ctx.profile
    timeout = ctx.options.timeout
    client = GatewayClient(
        profile.location,
        profile.api_key,
        ca_bundle=profile.ca_bundle,
        connect_timeout=min(5.0, timeout),
        read_timeout=timeout,
    )
    models = _models_to_check(ctx)
    wanted = {n for n, s in ctx.clients.items() if s.connected} | (
        {ctx.options.client} if ctx.options.client else set()
    )
    jobs: dict[str, Callable[[], list[Check]]] = {"auth": lambda: _auth_checks(client, models)}
    for model in models:
        jobs[f"tools:{model}"] = lambda m=model: [_tools_check(client, m)]
        jobs[f"stream:{model}"] = lambda m=model: [_stream_check(client, m)]
    if wanted & {"claude-code", "claude-desktop"}:
        jobs["anthropic"] = lambda: [_anthropic_check(client, ctx)]
    if "cursor" in wanted:
        jobs["cursor"] = lambda: _cursor_checks(client, profile)
    if "codex" in wanted:
        codex = ctx.clients.get("codex")
        model = ctx.options.model or (codex.model if codex is not None else None)
        jobs["responses"] = lambda: [_responses_check(client, model)]
    results: dict[str, list[Check]] = {}
    with client, concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        futures = {pool.submit(job): name for name, job in jobs.items()}
        for future in concurrent.futures.as_completed(futures):
            results[futures[future]] = future.result()
    checks = [c for name in jobs for c in results[name]]
    if not models:
        checks.append(
            Check(
                "model",
                SKIP,
                "no model to check: no connected client names one",
                "pass --model MODEL",
            )
        )
    return checks


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


def _auth_checks(client: Any, models: list[str]) -> list[Check]:
    from optscale_cli.errors import NotFoundError

    try:
        response = client.request("GET", client.url("openai", "models"), what="GET /models")
    except AuthError as exc:
        status = "key rejected" if "(401)" in exc.message or "rejected" in exc.message else ""
        return [Check("auth", FAIL, f"{status + ': ' if status else ''}{exc.message}", exc.hint)]
    except NotFoundError:
        return [
            Check(
                "auth",
                WARN,
                "the gateway publishes no model list (GET /models: 404); "
                "the probes below prove the key instead",
            )
        ] + [Check(f"model:{m}", SKIP, "no model list to check against") for m in models]
    except OptscaleError as exc:
        return [Check("auth", FAIL, exc.message, exc.hint)]
    ids = [e.get("id") for e in (response.json().get("data") or []) if isinstance(e, dict)]
    checks = [Check("auth", PASS, f"key accepted; {len(ids)} models allowed")]
    checks.append(_clock_check(response.headers.get("date")))
    for model in models:
        if model in ids:
            checks.append(Check(f"model:{model}", PASS, f"{model} is allowed for this key"))
        else:
            from optscale_cli.catalog import near_matches

            near = near_matches(model, [i for i in ids if isinstance(i, str)])
            checks.append(
                Check(
                    f"model:{model}",
                    FAIL,
                    f"{model} is not allowed for this key",
                    f"did you mean: {', '.join(near)}" if near else "see: optscale models list",
                )
            )
    return checks


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
    return Check(check_id, FAIL, exc.message, exc.hint)


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
        if "tool" in exc.message.lower() and "(400)" in exc.message:
            return Check(cid, FAIL, TOOL_FAIL, exc.message)
        return _probe_error(cid, exc)
    try:
        message = response.json()["choices"][0]["message"]
    except (ValueError, KeyError, IndexError, TypeError):
        return Check(cid, FAIL, "the gateway's answer is not a chat completion")
    if message.get("tool_calls"):
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
    except ValueError:
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
    for name in ("claude-code", "claude-desktop"):
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
        return Check(
            "responses",
            FAIL,
            exc.message,
            'Codex needs /v1/responses (wire_api = "responses"); ask your admin',
        )
    return Check("responses", PASS, f"/v1/responses answers ({model}), as Codex needs")


def _cursor_checks(client: Any, profile: Any) -> list[Check]:
    checks = []
    try:
        client.request("GET", client.url("cursor", "models"), what="GET /cursor/models")
        checks.append(Check("cursor", PASS, "Cursor surface answers"))
    except OptscaleError as exc:
        checks.append(_probe_error("cursor", exc))
    if is_private_host(profile.location.host):
        checks.append(
            Check(
                "cursor:reachable",
                WARN,
                f"{profile.location.host} is a loopback "
                "or private address: Cursor's servers call the base URL and cannot "
                "reach it",
                "Cursor needs a gateway reachable from the internet",
            )
        )
    return checks


def is_private_host(host: str) -> bool:
    if host in ("localhost",) or host.endswith(".localhost") or host.endswith(".local"):
        return True
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return address.is_private or address.is_loopback or address.is_link_local
