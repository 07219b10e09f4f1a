"""Local commands stay light: served from what is on disk, they import no HTTP, TLS or
keyring module (startup is most of their cost)."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from optscale_cli.catalog import _cache_file

URL = "https://gateway.invalid/llm_proxy/org/v1"
KEY = "sk-light-0123456789abcdef0123456789"
# network, TLS and keyring; and what a local command has no use for: pydantic (typer 0.29
# builds a TypeAdapter per parameter), rich (we write our own lines), tomlkit, tomli,
# ruamel and libyaml (only to edit TOML/YAML files), the gateway client and the other commands
HEAVY = (
    "httpx",
    "ssl",
    "truststore",
    "keyring",
    "pydantic",
    "rich",
    "tomlkit",
    "tomli",
    "ruamel",
    "_ruamel_yaml",
    "optscale_cli.gateway",
    "optscale_cli.flows.doctor",
    "optscale_cli.flows.login",
)
SHARED_COMMAND_MODULES = {"optscale_cli.commands.options", "optscale_cli.commands.render"}
PROBE = (
    "import sys, json\n"
    "from optscale_cli.app import run\n"
    "try:\n"
    "    rc = run(json.loads(sys.argv[1]))\n"
    "finally:\n"
    "    print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {heavy} or m in "
    "{heavy} or m.startswith('optscale_cli.commands.'))), file=sys.stderr)\n"
)


@pytest.fixture
def env_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    """An env-var profile with a fresh model-list cache (dated ahead: it reads as new)."""
    monkeypatch.setenv("OPTSCALE_URL", URL)
    monkeypatch.setenv("OPTSCALE_API_KEY", KEY)
    path = _cache_file(URL, KEY)
    path.parent.mkdir(parents=True, exist_ok=True)
    models = [{"id": "openai/gpt-4.1", "owned_by": "openai"}]
    path.write_text(json.dumps({"fetched_at": time.time() + 3600, "models": models}))


@pytest.mark.parametrize(
    ("args", "own_module"),
    [
        (["models", "list"], "models"),
        (["models", "list", "--json"], "models"),
        (["clients"], "connect"),
        (["status", "--offline"], "auth"),
        (["profiles", "list"], "profiles"),
        (["completion", "bash"], "completion"),
        (["connect", "opencode", "--model", "openai/gpt-4.1", "--dry-run"], "connect"),
    ],
)
def test_local_command_imports_only_what_it_uses(
    env_profile: None, args: list[str], own_module: str
) -> None:
    code = PROBE.replace("{heavy}", repr(set(HEAVY)))
    result = subprocess.run(
        [sys.executable, "-c", code, json.dumps(args)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    loaded = set(json.loads(result.stderr.strip().splitlines()[-1]))
    commands = {m for m in loaded if m.startswith("optscale_cli.commands.")}
    assert commands - SHARED_COMMAND_MODULES == {f"optscale_cli.commands.{own_module}"}, commands
    assert sorted(loaded - commands) == [], f"{' '.join(args)} imported {loaded - commands}"
