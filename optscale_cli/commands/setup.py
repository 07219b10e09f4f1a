"""setup: the one command a new employee runs (and first-login scripts, --non-interactive)."""

from __future__ import annotations

import os
import sys
from typing import Annotated, Any

import typer

from optscale_cli.commands.options import ApiKeyStdin, DryRun, Yes
from optscale_cli.complete import model_ids
from optscale_cli.context import AppState, state

Url = Annotated[
    str | None, typer.Option(help="Base URL, if not logged in yet (env: OPTSCALE_URL).")
]
Org = Annotated[
    str | None, typer.Option(help="Organization, with an origin --url (env: OPTSCALE_ORG).")
]
ApiKeyFile = Annotated[
    str | None,
    typer.Option("--api-key-file", help="Read the API key from this file (env: OPTSCALE_API_KEY)."),
]
Model = Annotated[
    str | None,
    typer.Option(
        "--model",
        "-m",
        help="Model for the clients (default: asked; --non-interactive: the gateway's "
        "first tool-calling model).",
        autocompletion=model_ids,
    ),
]
Clients = Annotated[
    str | None, typer.Option(help="Comma-separated clients (default: the installed ones).")
]
NonInteractive = Annotated[
    bool,
    typer.Option(
        "--non-interactive",
        help="Never ask (first-login scripts): missing input is an error (exit 2).",
    ),
]


def setup(
    url: Url = None,
    org: Org = None,
    api_key_stdin: ApiKeyStdin = False,
    api_key_file: ApiKeyFile = None,
    model: Model = None,
    clients: Clients = None,
    non_interactive: NonInteractive = False,
    dry_run: DryRun = False,
    yes: Yes = False,
) -> None:
    """Log in if needed, connect your installed clients, then check them with doctor.

    Asks which model to use (the tool-calling ones are offered). With --non-interactive it
    asks nothing: URL and organization from flags or OPTSCALE_URL/OPTSCALE_ORG, the key
    from --api-key-file or OPTSCALE_API_KEY, every installed client, the gateway's first
    tool-calling model; a second run changes nothing.

    \b
    Examples:
      optscale setup
      optscale setup --yes --model openai/gpt-4.1 --clients opencode,claude-code
      OPTSCALE_API_KEY=… optscale setup --non-interactive --url https://HOST/llm_proxy/ORG/v1
    """
    from optscale_cli.flows.login import perform_login
    from optscale_cli.flows.setup import SetupOptions, plan_setup

    st = state()
    opts = SetupOptions(
        url=url,
        org=org or os.environ.get("OPTSCALE_ORG") or None,
        api_key=_given_key(api_key_file, api_key_stdin),
        model=model,
        clients=[n.strip() for n in clients.split(",") if n.strip()] if clients else None,
        dry_run=dry_run,
        yes=yes or non_interactive,
        non_interactive=non_interactive,
    )
    result = plan_setup(st, opts, _questions(st, opts), perform_login)
    _say_choices(st, result)
    _finish(st, result, opts)


def _finish(st: AppState, result: Any, opts: Any) -> None:
    from optscale_cli.commands.render import confirm, show_plans
    from optscale_cli.errors import UsageError
    from optscale_cli.flows.setup import apply_setup

    if not result.planned:
        if result.skipped:
            raise UsageError("nothing could be connected", "see the warnings above")
        st.output.data(result.to_dict(), lambda: _nothing_to_connect(st))
        return
    show_plans(st, result.planned)
    if opts.dry_run:
        st.output.data(result.to_dict(), lambda: st.output.info("--dry-run: nothing was written"))
        return
    if result.changed:
        confirm(st, f"Connect {', '.join(p.client.title for p in result.changed)}?", opts.yes)
    apply_setup(st, result)
    _render(st, result)
    if not result.ok:
        raise typer.Exit(1)


def _given_key(path: str | None, from_stdin: bool) -> str | None:
    """The key handed over without a question: --api-key-file, stdin, or OPTSCALE_API_KEY."""
    from optscale_cli.errors import UsageError
    from optscale_cli.secrets import normalize_key, read_key_file

    if path:
        key = read_key_file(path)
        if not key:
            raise UsageError(f"--api-key-file: {path} holds no key")
        return key
    if from_stdin:
        from optscale_cli.commands.auth import _read_key

        return _read_key(True)
    return normalize_key(os.environ.get("OPTSCALE_API_KEY"), "OPTSCALE_API_KEY") or None


def _questions(st: AppState, opts: Any) -> Any:
    from optscale_cli.flows.setup import Ask

    if opts.non_interactive or not sys.stdin.isatty():
        return Ask()
    from optscale_cli.clients import get_client
    from optscale_cli.commands.auth import _read_key, _read_url

    return Ask(
        key=lambda: _read_key(False),
        url=lambda: _read_url(None),
        client=None
        if opts.yes
        else lambda n: st.output.confirm(f"Connect {get_client(n).title}?", True),
        model=lambda offered, default: _ask_model(st, offered, default),
    )


def _ask_model(st: AppState, offered: list[Any], default: str) -> str:
    """The tool-calling models, numbered; Enter takes the default; a number or an id."""
    st.output.table(
        ["#", "model", "tool calling"],
        [
            (str(i), m.id, "yes" if m.tool_calling else "not stated")
            for i, m in enumerate(offered, 1)
        ],
        title="Models your key may use for agents",
    )
    answer = str(typer.prompt("Model for your clients", default=default, err=True)).strip()
    if answer.isdigit() and 1 <= int(answer) <= len(offered):
        return str(offered[int(answer) - 1].id)
    return answer


def _say_choices(st: AppState, result: Any) -> None:
    out = st.output
    if result.login is None:
        out.debug("already logged in; the saved profile is used")
    if result.model and result.model_source in ("gateway", "profile"):
        why = (
            "the profile's model"
            if result.model_source == "profile"
            else ("the gateway's first tool-calling model")
        )
        out.info(f"Model: {result.model} ({why}; choose another with --model)")
    for name, message in result.skipped.items():
        out.warn(f"{name}: skipped: {message}")


def _nothing_to_connect(st: AppState) -> None:
    from optscale_cli.clients import client_names

    st.output.info(
        "No client to connect. Installed clients are found by their config folders; "
        f"name them with --clients (known: {', '.join(client_names())})"
    )


def _render(st: AppState, result: Any) -> None:
    out = st.output

    def render() -> None:
        for item in result.planned:
            for note in item.plan.notes:
                out.info(f"→ {item.client.title}: {note}")
        problems = [c for c in result.doctor["checks"] if c["status"] == "fail"]
        for check in problems:
            out.info(f"✗ {check['id']}: {check['message']}")
        if problems:
            out.info(f"{len(problems)} problem(s): run `optscale doctor` for details")
        elif not result.changed:
            out.success("Already set up; nothing changed, and doctor found no problems")
        else:
            out.success("Connected, and doctor found no problems")

    out.data(result.to_dict(), render)
