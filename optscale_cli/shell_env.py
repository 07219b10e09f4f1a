"""Environment variables that point SDK scripts at the gateway, in each shell's syntax."""

from __future__ import annotations

import json
import shlex

from optscale_cli.profiles import Profile

SHELLS = ("bash", "zsh", "fish", "powershell", "dotenv")
FAMILIES = ("openai", "anthropic")


def gateway_env(profile: Profile, family: str | None = None) -> dict[str, str]:
    """``OPENAI_*`` (the ``/v1`` base) and/or ``ANTHROPIC_*`` (the ``/anthropic`` base)."""
    key = profile.require_key()
    env: dict[str, str] = {}
    if family in (None, "openai"):
        env["OPENAI_BASE_URL"] = profile.location.surface_url("openai")
        env["OPENAI_API_KEY"] = key
    if family in (None, "anthropic"):
        env["ANTHROPIC_BASE_URL"] = profile.location.surface_url("anthropic")
        env["ANTHROPIC_AUTH_TOKEN"] = key
    return env


def render_env(env: dict[str, str], shell: str) -> str:
    lines = []
    for name, value in env.items():
        if shell in ("bash", "zsh"):
            lines.append(f"export {name}={shlex.quote(value)}")
        elif shell == "fish":
            lines.append(f"set -gx {name} {shlex.quote(value)}")
        elif shell == "powershell":
            escaped = value.replace("'", "''")
            lines.append(f"$Env:{name} = '{escaped}'")
        else:  # dotenv
            lines.append(f"{name}={json.dumps(value)}")
    return "\n".join(lines) + "\n"
