"""env, exec: the gateway as environment variables, for SDK scripts and one-off commands."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from optscale_cli.context import state


def env(
    shell: Annotated[str, typer.Option(help="bash, zsh, fish, powershell or dotenv.")] = "bash",
    client: Annotated[
        str | None,
        typer.Option(help="openai or anthropic (default: both families of variables)."),
    ] = None,
) -> None:
    """Print exports for SDK scripts: eval "$(optscale env)".

    Sets OPENAI_BASE_URL / OPENAI_API_KEY (the /v1 base) and ANTHROPIC_BASE_URL /
    ANTHROPIC_AUTH_TOKEN (the /anthropic base). On a terminal the key is redacted; piped
    (as in eval) it is complete.

    \b
    Examples:
      eval "$(optscale env)"
      optscale env --shell fish | source
      optscale env --shell dotenv --client openai > .env
    """
    from optscale_cli.errors import UsageError
    from optscale_cli.redact import redact_key
    from optscale_cli.shell_env import FAMILIES, SHELLS, gateway_env, render_env

    if shell not in SHELLS:
        raise UsageError(f"unknown shell {shell!r}", f"choose one of: {', '.join(SHELLS)}")
    if client not in (None, *FAMILIES):
        raise UsageError(f"unknown client {client!r}", "choose openai or anthropic")
    st = state()
    profile = st.profile()
    values = gateway_env(profile, client)
    if sys.stdout.isatty():
        key = profile.require_key()
        values = {k: redact_key(v) if v == key else v for k, v in values.items()}
        st.output.info('key redacted on a terminal; use: eval "$(optscale env)"')
    if st.output.json_mode:
        st.output.data(values)
        return
    sys.stdout.write(render_env(values, shell))


def exec_command(
    command: Annotated[list[str], typer.Argument(help="The command and its arguments.")],
    client: Annotated[str | None, typer.Option(help="openai or anthropic (default: both).")] = None,
) -> None:
    """Run a command with the gateway's variables set, writing the key nowhere.

    \b
    Examples:
      optscale exec -- python my_agent.py
      optscale exec --client anthropic -- npx my-tool
    """
    import shutil
    import subprocess

    from optscale_cli.errors import UsageError
    from optscale_cli.shell_env import gateway_env

    if not command:
        raise UsageError("no command given", "usage: optscale exec -- COMMAND [ARGS...]")
    if shutil.which(command[0]) is None:
        raise UsageError(f"command not found: {command[0]}")
    profile = state().profile()
    # OPTSCALE_API_KEY too: Codex (env_key) and Zed read the key from it
    child_env = {
        **os.environ,
        **gateway_env(profile, client),
        "OPTSCALE_API_KEY": profile.require_key(),
    }
    try:
        completed = subprocess.run(command, env=child_env, check=False)
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
    raise typer.Exit(completed.returncode)
