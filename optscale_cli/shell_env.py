"""Environment variables that point SDK scripts at the gateway, in each shell's syntax.

The output of :func:`render_env` is *evaluated* by the user's shell (``eval "$(optscale
env)"``, ``optscale env --shell fish | source``, ``Invoke-Expression``) or written as a
``.env`` file, and the values (an API key, a base URL) may come from somewhere hostile.
So every value is quoted with the target's own single-quote rules, and a value that cannot
be quoted safely (control characters everywhere; quotes and backslashes in dotenv) is
refused rather than printed. Error messages name the variable, never the value.
"""

from __future__ import annotations

import re

from optscale_cli.errors import UsageError
from optscale_cli.profiles import Profile

SHELLS = ("bash", "zsh", "fish", "powershell", "dotenv")
FAMILIES = ("openai", "anthropic")

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
# Left bare in POSIX output: shlex.quote's set minus "=", which zsh expands in an
# assignment (export X==ls sets X to /usr/bin/ls; so does X=a:=ls).
_POSIX_SAFE = re.compile(r"[A-Za-z0-9_@%+:,./-]+\Z")
# C0 controls (NUL, tab, newline, CR, ESC, ...): refused for every shell.
_C0 = re.compile(r"[\x00-\x1f]")
# dotenv single quotes have no escapes: also refuse ' and \, DEL and the C1 controls.
_DOTENV_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f'\\]")
# PowerShell ends a single-quoted string at any of these (ASCII ' and U+2018..U+201B).
_PS_QUOTES = re.compile("['\u2018\u2019\u201a\u201b]")

_HINT = "use another --shell, or run the program with `optscale exec -- COMMAND`"


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


def _refuse(name: str, shell: str, what: str) -> UsageError:
    # Never the value: it may be the API key.
    message = f"{name} contains {what}; it cannot be written safely for --shell {shell}"
    return UsageError(message, _HINT)


def _posix_quote(value: str) -> str:
    """POSIX single quotes (bash, zsh): nothing is special inside; ``'`` becomes ``'\\''``."""
    if _POSIX_SAFE.match(value):
        return value
    return "'" + value.replace("'", "'\\''") + "'"


def _fish_quote(value: str) -> str:
    """fish single quotes: only ``\\`` and ``'`` are special, escaped as ``\\\\`` and ``\\'``."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _powershell_quote(value: str) -> str:
    """PowerShell single quotes: every single-quote character is doubled as itself."""
    return "'" + _PS_QUOTES.sub(lambda m: m.group(0) * 2, value) + "'"


def render_env(env: dict[str, str], shell: str) -> str:
    if shell not in SHELLS:
        raise ValueError(f"unknown shell {shell!r}")
    lines = []
    for name, value in env.items():
        if not _NAME.match(name):
            raise ValueError(f"not an environment variable name: {name!r}")
        if _C0.search(value):
            raise _refuse(name, shell, "a newline, NUL or other control character")
        if shell in ("bash", "zsh"):
            lines.append(f"export {name}={_posix_quote(value)}")
        elif shell == "fish":
            lines.append(f"set -gx {name} {_fish_quote(value)}")
        elif shell == "powershell":
            lines.append(f"$Env:{name} = {_powershell_quote(value)}")
        else:  # dotenv: single quotes, which no dotenv parser (nor bash) escapes within
            if _DOTENV_UNSAFE.search(value):
                raise _refuse(name, shell, "a quote, backslash or control character")
            lines.append(f"{name}='{value}'")
    return "\n".join(lines) + "\n"
