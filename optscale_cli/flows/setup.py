"""setup: from nothing to logged in, connected and checked, as plain functions.

The command reads the flags and owns every question (``Ask``); this module decides and
returns a typed :class:`SetupResult`, and never prints. ``non_interactive`` never asks:
any input it would need is a usage error (exit 2) naming the flag or variable to set.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from optscale_cli.context import AppState
from optscale_cli.errors import AuthError, OptscaleError, UsageError
from optscale_cli.flows.connect import PlannedConnection, apply_connections, plan_connection


@dataclass
class SetupOptions:
    url: str | None = None
    org: str | None = None
    api_key: str | None = None  # read by the command (file, stdin, env, prompt)
    model: str | None = None
    clients: list[str] | None = None  # None: the installed ones
    dry_run: bool = False
    yes: bool = False
    non_interactive: bool = False


@dataclass
class Ask:
    """The questions setup may ask; the command answers them (None: cannot ask)."""

    key: Callable[[], str] | None = None  # the API key, hidden
    url: Callable[[], str] | None = None
    client: Callable[[str], bool] | None = None  # connect this one?
    model: Callable[[list[Any], str], str] | None = None  # (tool-calling models, default)


Login = Callable[[AppState, str, "str | None", str], dict[str, Any]]


@dataclass
class SetupResult:
    login: dict[str, Any] | None = None  # what login saved, when setup logged in
    model: str | None = None
    model_source: str = ""  # flag, profile, gateway, asked
    planned: list[PlannedConnection] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    dry_run: bool = False
    written: bool = False
    backups: list[Path] = field(default_factory=list)
    doctor: dict[str, Any] | None = None

    @property
    def changed(self) -> list[PlannedConnection]:
        return [p for p in self.planned if p.changed]

    @property
    def ok(self) -> bool:
        return self.doctor is None or bool(self.doctor["ok"])

    def to_dict(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "model": self.model,
            "model_source": self.model_source,
            "clients": [p.client.name for p in self.planned],
            "skipped": self.skipped,
            "changed": [p.client.name for p in self.changed],
            "dry_run": self.dry_run,
            "logged_in": self.login is not None,
        }
        if self.login is not None:
            doc["login"] = self.login
        if self.doctor is not None:
            doc["doctor"] = self.doctor
        return doc


def _missing(what: str, hint: str) -> UsageError:
    """Input setup needs and may not ask for: a usage error (exit 2) naming where it goes."""
    return UsageError(f"{what} given (and setup does not ask here)", hint)


def ensure_login(st: AppState, opts: SetupOptions, ask: Ask, login: Login) -> dict | None:
    """Log in when there is no usable saved profile, or the URL or key given differs from
    the saved one; otherwise change nothing (a second run is a no-op)."""
    import os

    url = opts.url or os.environ.get("OPTSCALE_URL") or None
    key = opts.api_key
    saved = _saved_profile(st)
    if saved is not None and _same(saved, url, opts.org, key):
        st.profile_name = saved.name
        return None
    if url is None:
        if ask.url is None:
            raise _missing(
                "no gateway URL", "pass --url https://HOST/llm_proxy/ORG/v1 or set OPTSCALE_URL"
            )
        url = ask.url()
    if key is None:
        if ask.key is None:
            raise _missing(
                "no API key",
                "pass --api-key-file PATH (the key alone, 0600) or set OPTSCALE_API_KEY",
            )
        key = ask.key()
    report = login(st, url, opts.org, key)
    st.profile_name = str(report["profile"])  # the saved profile, not OPTSCALE_URL's
    st.forget_profile()
    return report


def _saved_profile(st: AppState) -> Any:
    """The saved profile setup would use, or None (not logged in, or no key for it)."""
    import os

    from optscale_cli.profiles import DEFAULT_PROFILE, active_profile_name, resolve_profile

    name = st.profile_name or os.environ.get("OPTSCALE_PROFILE") or None
    try:
        profile = resolve_profile(
            name or active_profile_name() or DEFAULT_PROFILE,
            ca_bundle=st.ca_bundle,
            allow_insecure_http=st.allow_insecure_http,
        )
    except (AuthError, UsageError):
        return None
    return profile if profile.api_key else None


def _same(profile: Any, url: str | None, org: str | None, key: str | None) -> bool:
    from optscale_cli.urls import parse_gateway_url

    if key is not None:
        from optscale_cli.secrets import load_key

        if key != load_key(profile.name, profile.base_url, profile.key_storage or "file"):
            return False  # compared with the saved key, not an OPTSCALE_API_KEY override
    if url is None:
        return True
    try:
        return parse_gateway_url(url, org).base_url == profile.base_url
    except OptscaleError:
        return False


def choose_clients(opts: SetupOptions, ask: Ask) -> list[str]:
    from optscale_cli.clients import client_names, get_client

    if opts.clients is not None:
        for name in opts.clients:
            get_client(name)  # unknown -> usage error
        return opts.clients
    installed = [n for n in client_names() if get_client(n).installed()]
    if ask.client is None:
        return installed
    return [n for n in installed if ask.client(n)]


def tool_models(catalog: Any) -> list[Any]:
    """The models an agent can use: the gateway says they call tools, or says nothing;
    the ones it vouches for first, each group in the gateway's order."""
    models = [m for m in catalog.models or [] if m.tool_calling is not False]
    return [m for m in models if m.tool_calling] + [m for m in models if not m.tool_calling]


def choose_model(st: AppState, catalog: Any, opts: SetupOptions, ask: Ask) -> tuple[Any, str]:
    """--model; else ask, offering the tool-calling models with the profile's model (or
    the gateway's first) as default; without a question, that default, said so."""
    from optscale_cli.catalog import resolve_model

    if opts.model:
        return resolve_model(catalog, opts.model), "flag"
    offered = tool_models(catalog)
    named = _profile_model(st)
    ids = [m.id for m in offered]
    default = named if named in ids else (ids[0] if ids else None)
    if default is None:
        if opts.non_interactive:
            raise UsageError("no tool-calling model on the gateway's list", "pass --model MODEL")
        return None, ""
    if ask.model is None:
        return default, "profile" if default == named else "gateway"
    return resolve_model(catalog, ask.model(offered, default)), "asked"


def _profile_model(st: AppState) -> str | None:
    from optscale_cli.profiles import saved_profiles

    try:
        entry = saved_profiles().get(st.profile().name) or {}
    except OptscaleError:
        return None
    model = entry.get("model")
    return str(model) if model else None


def plan_setup(st: AppState, opts: SetupOptions, ask: Ask, login: Login) -> SetupResult:
    """Log in if needed, choose clients and model, plan every connection (nothing written)."""
    result = SetupResult(dry_run=opts.dry_run)
    result.login = ensure_login(st, opts, ask, login)
    catalog = st.catalog()
    chosen = choose_clients(opts, ask)
    if not chosen:
        return result
    result.model, result.model_source = choose_model(st, catalog, opts, ask)
    for name in chosen:
        from optscale_cli.clients import get_client

        client = get_client(name)
        try:
            request = _request_for(st, client, catalog, result.model)
            result.planned.append(plan_connection(client, request))
        except OptscaleError as exc:
            result.skipped[name] = exc.message
    return result


def _request_for(st: AppState, client: Any, catalog: Any, model: str | None) -> Any:
    from optscale_cli.clients.base import ConnectRequest

    request = ConnectRequest(
        profile=st.profile(),
        model=model,
        models=[model] if model else [],
        available=catalog.ids(),
    )
    if client.surface == "anthropic" and model and not model.startswith("anthropic/"):
        request.model = None  # Claude clients: the matching anthropic models fill the tiers
        request.models = []
    return request


def apply_setup(st: AppState, result: SetupResult, *, check: bool = True) -> SetupResult:
    """Write every changed connection in one transaction, then run doctor."""
    if result.changed:
        result.backups = apply_connections(result.changed)
        result.written = True
    if check:
        result.doctor = run_checks(st, result.model)
    return result


def run_checks(st: AppState, model: str | None) -> dict[str, Any]:
    from optscale_cli.flows.doctor import DoctorOptions, run_doctor

    checks = run_doctor(st, DoctorOptions(model=model, timeout=st.timeout or 10.0))
    return {
        "ok": not any(c.status == "fail" for c in checks),
        "checks": [c.to_dict() for c in checks],
    }
