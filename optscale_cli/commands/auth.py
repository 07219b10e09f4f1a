"""login, logout, status."""

from __future__ import annotations

import os
import sys
from typing import Annotated, Any

import typer

from optscale_cli.commands.options import ApiKeyStdin
from optscale_cli.context import AppState, state


def _read_key(api_key_stdin: bool) -> str:
    from optscale_cli.errors import UsageError
    from optscale_cli.secrets import normalize_key, read_key_line

    if api_key_stdin:
        key = read_key_line(sys.stdin, "standard input")
        if not key:
            raise UsageError("--api-key-stdin: nothing was read from standard input")
        return key
    from_env = normalize_key(os.environ.get("OPTSCALE_API_KEY"), "OPTSCALE_API_KEY")
    if from_env:
        return from_env
    if sys.stdin.isatty():
        key = normalize_key(
            typer.prompt("API key (input hidden)", hide_input=True, err=True), "the prompt"
        )
        if key:
            return key
    raise UsageError(
        "no API key given",
        "type it at the prompt, pipe it with --api-key-stdin, or set OPTSCALE_API_KEY "
        "(never pass a key as a command-line argument)",
    )


def _read_url(url: str | None) -> str:
    from optscale_cli.errors import UsageError

    url = url or os.environ.get("OPTSCALE_URL")
    if url:
        return url
    if sys.stdin.isatty():
        return str(typer.prompt("Base URL (from the Chat dialog)", err=True))
    raise UsageError("no gateway URL given", "pass --url https://HOST/llm_proxy/ORG/v1")


def login(
    url: Annotated[
        str | None,
        typer.Option(
            help="The Base URL from the Chat dialog (https://HOST/llm_proxy/ORG/v1), "
            "or the gateway origin with --org. Env: OPTSCALE_URL."
        ),
    ] = None,
    org: Annotated[
        str | None,
        typer.Option(help="Organization id, when --url is only the origin. Env: OPTSCALE_ORG."),
    ] = None,
    api_key_stdin: ApiKeyStdin = False,
    rotate: Annotated[
        bool,
        typer.Option(
            "--rotate",
            help="Replace the key of an existing profile, and update every connected client "
            "that holds it (one diff).",
        ),
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="With --rotate: do not ask.")] = False,
) -> None:
    """Check an API key against the gateway and save it as a profile.

    The key is read from a hidden prompt, from --api-key-stdin, or from OPTSCALE_API_KEY;
    never from the command line. It is checked with GET /models before anything is saved,
    and stored in the OS keyring (or a 0600 file where no keyring works).

    \b
    Examples:
      optscale login --url https://ai.example.com/llm_proxy/7d1c.../v1
      optscale login --url https://ai.example.com --org 7d1c... --profile work
      pass show optscale | optscale login --url ... --api-key-stdin
      optscale login --rotate --api-key-stdin < new-key.txt
    """
    st = state()
    out = st.output
    if rotate:
        _rotate(api_key_stdin, yes)
        return
    from optscale_cli.flows.login import perform_login

    result = perform_login(st, _read_url(url), org, _read_key(api_key_stdin))
    where = "the OS keyring" if result["key_storage"] == "keyring" else "a 0600 file"
    count = result["models"]
    out.data(
        result,
        lambda: out.success(
            f"Logged in to {result['base_url']} as profile '{result['profile']}' "
            f"(key {result['api_key']} saved in {where}"
            + (f"; {count} models available)" if count is not None else ")")
        ),
    )


DisconnectOption = Annotated[
    bool,
    typer.Option(
        "--disconnect", help="Also disconnect every client that uses the profile (one run)."
    ),
]
ForceOption = Annotated[
    bool,
    typer.Option(
        "--force", help="Forget the profile even though clients still use it (they stop working)."
    ),
]


def logout(disconnect: DisconnectOption = False, force: ForceOption = False) -> None:
    """Forget a profile (the active one, or --profile NAME) and every copy of its key.

    Removes the saved key, the key file and key-helper scripts made for it. Clients still
    connected with the profile are refused unless --disconnect (undo them too) or --force.

    \b
    Examples:
      optscale logout
      optscale --profile work logout --disconnect
    """
    from optscale_cli.errors import UsageError
    from optscale_cli.profiles import active_profile_name

    st = state()
    name = st.profile_name or os.environ.get("OPTSCALE_PROFILE") or active_profile_name()
    if not name:
        raise UsageError("not logged in; no profile to forget", "see: optscale profiles list")
    render_forget(forget_profile_flow(name, disconnect, force))


def forget_profile_flow(name: str, disconnect: bool, force: bool) -> object:
    from optscale_cli.flows.forget import forget_profile

    return forget_profile(name, disconnect=disconnect, force=force)


def render_forget(result: object) -> None:
    from optscale_cli.flows.forget import ForgetResult

    assert isinstance(result, ForgetResult)
    out = state().output

    def render() -> None:
        for client in result.disconnected:
            out.success(f"disconnected {client}")
        for path in result.removed:
            out.info(f"  removed {path}")
        for client in result.left_connected:
            out.warn(f"{client} is still connected with profile '{result.profile}' (--force)")
        for path in result.still_holding_key:
            out.warn(f"{path} still holds the key in plain text (--force): edit it by hand")
        for path in result.not_checked:
            out.warn(f"{path} could not be checked for the key (not a file we can read)")
        out.success(f"Logged out: profile '{result.profile}' and its key removed")

    out.data(result.to_dict(), render)


def status(
    offline: Annotated[bool, typer.Option(help="Do not contact the gateway.")] = False,
) -> None:
    """Show the active profile, its gateway, the (redacted) key, and whether it works.

    \b
    Examples:
      optscale status
      optscale status --offline
      optscale --profile work status --json
    """
    from optscale_cli.redact import redact_key

    st = state()
    profile = st.profile()
    count, error = (None, None) if offline else _reachability(st)
    doc = {
        "profile": profile.name,
        "source": profile.source,
        "base_url": profile.base_url,
        "org": profile.location.org,
        "api_key": redact_key(profile.api_key),
        "key_storage": profile.key_storage,
        "ca_bundle": profile.ca_bundle,
        "reachable": None if offline else error is None,
        "models": count,
        "error": error.message if error else None,
        "notices": profile.notices,
    }

    def render() -> None:
        reach = (
            "not checked (--offline)"
            if offline
            else f"yes, {count} models"
            if error is None
            else f"NO: {error.message}"
        )
        st.output.fields(
            [
                ("profile", f"{profile.name} ({profile.source})"),
                ("base url", profile.base_url),
                ("org", profile.location.org),
                (
                    "api key",
                    f"{redact_key(profile.api_key)} ({profile.key_storage or 'environment'})",
                ),
                ("ca bundle", profile.ca_bundle or "system + certifi"),
                ("reachable", reach),
            ]
        )

    st.output.data(doc, render)
    if error is not None:
        if error.hint:
            st.output.info(f"hint: {error.hint}")
        raise typer.Exit(int(error.exit_code))


def _reachability(st: AppState) -> tuple[int | None, Any]:
    """How many models the gateway lists now, or why it could not be asked. A cached list
    is no proof the gateway answers: served stale, it counts as unreachable."""
    from optscale_cli.errors import NetworkError, OptscaleError

    try:
        catalog = st.catalog(refresh=True)
    except OptscaleError as exc:
        return None, exc
    if catalog.stale:
        return None, catalog.error or NetworkError("the gateway could not be reached")
    return len(catalog.ids()), None


def token(
    for_url: Annotated[
        str | None,
        typer.Option(
            "--for-url",
            help="The gateway URL the asking client is aimed at; the key is printed only "
            "if it belongs to that gateway (exit 3 otherwise).",
        ),
    ] = None,
) -> None:
    """Print the profile's API key, for key-helper commands (Claude Code's apiKeyHelper).

    This is the one command that prints the full key. It refuses to write it to a
    terminal, has no --json form, and with --for-url hands the key only to a client aimed
    at the gateway the key belongs to.

    \b
    Examples:
      optscale --profile work token --for-url https://ai.example.com/llm_proxy/ORG/anthropic
    """
    from optscale_cli.errors import AuthError, Refused, UsageError

    st = state()
    if st.output.json_mode:
        raise UsageError(
            "token prints the bare key for key helpers; it has no --json form",
            "see the key's redacted form with: optscale status --json",
        )
    if sys.stdout.isatty():
        raise Refused(
            "refusing to print the API key to a terminal",
            "this is meant for key-helper commands; use "
            "`optscale connection show --reveal` to see it",
        )
    profile = st.profile()
    if for_url is not None:
        wanted = for_url.strip().rstrip("/")
        own = set(profile.location.surface_urls().values())
        if wanted not in own:
            raise AuthError(
                f"profile '{profile.name}' holds the key of {profile.base_url}; the client "
                f"asking is aimed at {for_url}: not handing the key to another gateway",
                f"reconnect the client: optscale --profile {profile.name} connect CLIENT",
            )
    sys.stdout.write(profile.require_key() + "\n")


def _rotate(api_key_stdin: bool, yes: bool) -> None:
    """A new key for the same profile: check it, show every client file it changes, then
    write those files and the key store together (flows/rotate.py)."""
    from optscale_cli.commands.render import confirm, show_plans
    from optscale_cli.errors import UsageError
    from optscale_cli.flows.rotate import apply_rotation, plan_rotation, refuse_if_done
    from optscale_cli.gateway import open_client

    st = state()
    old = st.profile()
    if old.source != "profile":
        raise UsageError("--rotate needs a saved profile", "run: optscale login --url ...")
    key = _read_key(api_key_stdin)
    rotation = plan_rotation(old, key)  # the same key again finishes an interrupted rotation
    refuse_if_done(rotation)
    with open_client(old.location, key, ca_bundle=old.ca_bundle, timeout=st.timeout) as client:
        client.list_models()  # the new key must work before anything changes
    show_plans(st, rotation.planned)
    if rotation.planned:
        confirm(st, f"Update {len(rotation.planned)} client config(s) with the new key?", yes)
    apply_rotation(rotation)
    _render_rotation(rotation)


def _render_rotation(rotation: object) -> None:
    from optscale_cli.flows.rotate import Rotation
    from optscale_cli.redact import redact_key

    assert isinstance(rotation, Rotation)
    out = state().output
    name, key = rotation.old.name, rotation.key
    updated = [item.client.name for item in rotation.planned]
    doc = {
        "profile": name,
        "api_key": redact_key(key),
        "updated_clients": updated,
        "following_clients": rotation.following,
        "manual_steps": [{"client": c, "step": s} for c, s in rotation.manual],
    }

    def render() -> None:
        out.success(
            f"Key for profile '{name}' is now {redact_key(key)}"
            + (f"; updated {', '.join(updated)}" if updated else "")
        )
        if rotation.following:
            out.info(
                f"  {', '.join(rotation.following)}: follow automatically "
                "(key file, key helper or environment)"
            )
        for client, step in rotation.manual:
            out.warn(f"{client}: {step}")

    out.data(doc, render)
