"""setup: the one command a new employee runs."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from optscale_cli.commands.options import ApiKeyStdin, DryRun, Yes
from optscale_cli.complete import model_ids
from optscale_cli.context import AppState, state


def setup(
    url: Annotated[str | None, typer.Option(help="Base URL, if not logged in yet.")] = None,
    org: Annotated[str | None, typer.Option(help="Organization, with an origin --url.")] = None,
    api_key_stdin: ApiKeyStdin = False,
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            "-m",
            help="Model for the clients (default: a tool-calling model).",
            autocompletion=model_ids,
        ),
    ] = None,
    clients: Annotated[
        str | None, typer.Option(help="Comma-separated clients (default: the installed ones).")
    ] = None,
    dry_run: DryRun = False,
    yes: Yes = False,
) -> None:
    """Log in if needed, connect your installed clients, then check them with doctor.

    \b
    Examples:
      optscale setup
      optscale setup --yes --model openai/gpt-4.1 --clients opencode,claude-code
    """
    from optscale_cli.clients import client_names, get_client
    from optscale_cli.commands.auth import _read_key, _read_url, perform_login
    from optscale_cli.commands.render import confirm, show_plans
    from optscale_cli.errors import AuthError, OptscaleError, UsageError
    from optscale_cli.flows.connect import apply_connections, plan_connection

    st = state()
    out = st.output
    try:
        st.profile().require_key()
    except AuthError:
        out.info("Not logged in yet.")
        perform_login(st, _read_url(url), org, _read_key(api_key_stdin))
    catalog = st.catalog()
    chosen = _choose_clients(st, clients, yes)
    if not chosen:
        out.info(
            "No client to connect. Installed clients are found by their config folders; "
            f"name them with --clients (known: {', '.join(client_names())})"
        )
        return
    main_model = _choose_model(catalog, model)
    planned, skipped = [], {}
    for name in chosen:
        client = get_client(name)
        request = _request_for(st, client, catalog, main_model)
        try:
            planned.append(plan_connection(client, request))
        except OptscaleError as exc:
            skipped[name] = exc.message
            out.warn(f"{client.title}: skipped: {exc.message}")
    if not planned:
        raise UsageError("nothing could be connected", "see the warnings above")
    show_plans(st, planned)
    changed = [p for p in planned if p.changed]
    doc: dict[str, Any] = {
        "model": main_model,
        "clients": [p.client.name for p in planned],
        "skipped": skipped,
        "changed": [p.client.name for p in changed],
        "dry_run": dry_run,
    }
    if dry_run:
        st.output.data(doc, lambda: out.info("--dry-run: nothing was written"))
        return
    if changed:
        confirm(st, f"Connect {', '.join(p.client.title for p in changed)}?", yes)
        apply_connections(changed)
    for item in planned:
        for note in item.plan.notes:
            out.info(f"→ {item.client.title}: {note}")
    doc["doctor"] = _doctor(st, main_model)
    st.output.data(doc, lambda: _render_doctor(st, doc["doctor"]))
    if not doc["doctor"]["ok"]:
        raise typer.Exit(1)


def _choose_clients(st: AppState, names: str | None, yes: bool) -> list[str]:
    from optscale_cli.clients import client_names, get_client

    if names:
        chosen = [n.strip() for n in names.split(",") if n.strip()]
        for name in chosen:
            get_client(name)  # unknown -> usage error
        return chosen
    installed = [n for n in client_names() if get_client(n).installed()]
    if yes or not sys.stdin.isatty():
        return installed
    return [n for n in installed if st.output.confirm(f"Connect {get_client(n).title}?", True)]


def _choose_model(catalog: Any, model: str | None) -> str | None:
    """--model, else a model the gateway says calls tools, else a well-known one, else the
    first: agents need tool calling."""
    from optscale_cli.catalog import resolve_model

    if model:
        return resolve_model(catalog, model)
    models = catalog.models or []
    for candidate in models:
        if candidate.tool_calling:
            return candidate.id
    preferred = [m.id for m in models if m.provider in ("openai", "anthropic")]
    return (preferred or [m.id for m in models] or [None])[0]


def _request_for(st: AppState, client: Any, catalog: Any, model: str | None) -> Any:
    from optscale_cli.clients.base import ConnectRequest

    profile = st.profile()
    request = ConnectRequest(
        profile=profile, model=model, models=[model] if model else [], available=catalog.ids()
    )
    if client.surface == "anthropic" and model and not model.startswith("anthropic/"):
        # Claude clients: the matching anthropic models fill the tiers
        request.model = None
        request.models = []
    return request


def _doctor(st: AppState, model: str | None) -> dict[str, Any]:
    from optscale_cli.doctor import DoctorOptions, run_doctor

    checks = run_doctor(st, DoctorOptions(model=model, timeout=st.timeout or 10.0))
    return {
        "ok": not any(c.status == "fail" for c in checks),
        "checks": [c.to_dict() for c in checks],
    }


def _render_doctor(st: AppState, result: dict[str, Any]) -> None:
    problems = [c for c in result["checks"] if c["status"] == "fail"]
    for check in problems:
        st.output.info(f"✗ {check['id']}: {check['message']}")
    if problems:
        st.output.info(f"{len(problems)} problem(s): run `optscale doctor` for details")
    else:
        st.output.success("Connected, and doctor found no problems")
