"""Shell completion that knows the data: profile names, shells and model ids.

Runs on every Tab, so it is fast and quiet: no network, no key read, none of httpx, rich,
keyring or tomlkit. Profiles come from config.toml; model ids from the model list last
cached for the active profile's gateway (``cache/index.json`` names the newest cache file
for each base URL). Anything unreadable completes to nothing, never to an error.
"""

from __future__ import annotations

import json
import os
from typing import Any

from optscale_cli.paths import config_dir

SHELLS = ("bash", "zsh", "fish", "powershell")  # completion scripts
ENV_SHELLS = (*SHELLS, "dotenv")  # optscale env --shell


def _config() -> dict[str, Any]:
    """config.toml as plain data ({} when it cannot be read)."""
    from optscale_cli.edit.stores import read_if_regular

    raw = read_if_regular(config_dir() / "config.toml")  # a shell's TAB never waits
    try:
        text = raw.decode("utf-8") if raw is not None else ""
    except UnicodeError:
        return {}
    import tomllib

    try:
        return tomllib.loads(text)
    except (ValueError, RecursionError):
        return {}


def profile_names(incomplete: str) -> list[str]:
    profiles = _config().get("profiles") or {}
    return sorted(str(n) for n in profiles if str(n).startswith(incomplete))


def _base_url(profile: str | None) -> str | None:
    """The active profile's base URL, as the cache index knows it (no key, no network)."""
    env = os.environ
    name = profile or env.get("OPTSCALE_PROFILE") or None
    if name is None and env.get("OPTSCALE_URL"):
        from optscale_cli.urls import parse_gateway_url

        try:
            return parse_gateway_url(env["OPTSCALE_URL"], env.get("OPTSCALE_ORG") or None).base_url
        except Exception:  # an insecure or bad URL: nothing to complete from
            return None
    config = _config()
    entry = (config.get("profiles") or {}).get(name or config.get("active") or "default")
    if not isinstance(entry, dict) or "origin" not in entry or "org" not in entry:
        return None
    from optscale_cli.urls import GatewayLocation

    return GatewayLocation(str(entry["origin"]), str(entry["org"])).base_url


def cached_model_ids(profile: str | None = None) -> list[str]:
    """The model ids last fetched for the profile's gateway, valid ones only."""
    from optscale_cli.model_ids import is_valid_model_id

    base_url = _base_url(profile)
    cache = config_dir() / "cache"
    from optscale_cli.edit.stores import read_if_regular

    try:
        index = json.loads(read_if_regular(cache / "index.json") or b"{}")
        name = index.get(base_url) if isinstance(index, dict) and base_url else None
        if not isinstance(name, str) or "/" in name or "\\" in name:
            return []
        raw = json.loads(read_if_regular(cache / name) or b"{}")
        entries = raw.get("models") or []
    except (ValueError, AttributeError, RecursionError):
        return []
    ids = [e.get("id") for e in entries if isinstance(e, dict)]
    return [i for i in ids if isinstance(i, str) and is_valid_model_id(i)]


def _profile_on_line(ctx: Any, args: list[str]) -> str | None:
    """--profile NAME (or --profile=NAME) given earlier on the line, if any."""
    for i, arg in enumerate(args):
        if arg == "--profile" and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith("--profile="):
            return arg.split("=", 1)[1]
    while ctx is not None:
        found = (getattr(ctx, "params", None) or {}).get("profile")
        if found:
            return str(found)
        ctx = getattr(ctx, "parent", None)
    return None


def model_ids(ctx: Any, args: list[str], incomplete: str) -> list[str]:
    """Typer's callback for --model: ids starting with what was typed (or whose name after
    the provider does)."""
    profile = _profile_on_line(ctx, list(args or []))
    ids = cached_model_ids(profile)
    return [
        i for i in ids if i.startswith(incomplete) or i.split("/", 1)[-1].startswith(incomplete)
    ]


def env_shells(incomplete: str) -> list[str]:
    return [s for s in ENV_SHELLS if s.startswith(incomplete)]


# --- the fast path: answered before Typer is imported -----------------------------------

_GLOBAL_VALUES = ("--profile", "--ca-bundle", "--timeout")
_MODEL_COMMANDS = ("connect", "doctor", "export", "setup", "show")
_TIER_FLAGS = ("--opus", "--sonnet", "--haiku")
_CLIENT_COMMANDS = ("connect", "disconnect", "export")


def _line(env: Any) -> tuple[str, list[str], str] | None:
    """(shell, words before the cursor, the word being completed), as Typer reads them."""
    import shlex

    shell = str(env.get("_OPTSCALE_COMPLETE", "")).removeprefix("complete_")
    try:
        if shell == "bash":
            words = shlex.split(env.get("COMP_WORDS", ""))
            cword = int(env.get("COMP_CWORD", "0"))
            return shell, words[1:cword], words[cword] if cword < len(words) else ""
        line = env.get("_TYPER_COMPLETE_ARGS", "")
        words = shlex.split(line)[1:]
        if shell == "powershell":
            incomplete = env.get("_TYPER_COMPLETE_WORD_TO_COMPLETE", "")
            return shell, words[:-1] if incomplete else words, incomplete
        if shell in ("zsh", "fish"):
            if words and not line.endswith(" "):
                return shell, words[:-1], words[-1]
            return shell, words, ""
    except ValueError:  # an open quote: let Typer decide
        return None
    return None


def _command(args: list[str]) -> tuple[str | None, list[str]]:
    """The subcommand and the positional words after it."""
    command, positional, skip = None, [], False
    for arg in args:
        if skip:
            skip = False
        elif arg.startswith("-"):
            skip = arg in _GLOBAL_VALUES or (command is not None and "=" not in arg)
        elif command is None:
            command = arg
        else:
            positional.append(arg)
    return command, positional


def answers(args: list[str], incomplete: str) -> list[str] | None:
    """What to offer, or None when Typer should answer (subcommands, option names, …)."""
    previous = args[-1] if args else None
    command, positional = _command(args)
    if previous == "--profile":
        return profile_names(incomplete)
    if (previous in ("--model", "-m") and command in _MODEL_COMMANDS) or (
        previous in _TIER_FLAGS and command == "connect"
    ):
        return model_ids(None, args, incomplete)
    if previous == "--shell" and command == "env":
        return env_shells(incomplete)
    if previous == "--client" and command in ("doctor", "show"):
        from optscale_cli.clients import client_names

        return [n for n in client_names() if n.startswith(incomplete)]
    typing_client = not incomplete.startswith("-") and not (previous or "-").startswith("-")
    if command in _CLIENT_COMMANDS and not positional and typing_client:
        from optscale_cli.clients import client_names

        return [n for n in client_names() if n.startswith(incomplete)]
    return None


def _zsh_escape(value: str) -> str:
    for old, new in (('"', '""'), ("'", "''"), ("$", "\\$"), ("`", "\\`"), (":", r"\\:")):
        value = value.replace(old, new)
    return value


def fast_complete(env: Any) -> tuple[str, int] | None:
    """The shell's answer and exit code for the data completions, without Typer; None
    for everything else."""
    line = _line(env)
    if line is None:
        return None
    shell, args, incomplete = line
    found = answers(args, incomplete)
    if found is None:
        return None
    if shell == "zsh":
        if not found:
            return "_files", 0
        return "_arguments '*: :((" + "\n".join(f'"{_zsh_escape(v)}"' for v in found) + "))'", 0
    if shell == "fish":
        if env.get("_TYPER_COMPLETE_FISH_ACTION") == "is-args":
            return "", 0 if found else 1
        return "\n".join(found), 0
    if shell == "powershell":
        return "\n".join(f"{v}::: " for v in found), 0
    return "\n".join(found), 0
