"""setup: one command from nothing to connected and checked."""

from __future__ import annotations

import json
from pathlib import Path

from optscale_cli.edit import jsonc
from tests.conftest import Cli
from tests.gateway import GatewayStandIn


def test_setup_from_scratch_scripted(
    cli: Cli, trusted: GatewayStandIn, isolated_home: Path
) -> None:
    result = cli(
        "setup",
        "--url",
        trusted.base_url,
        "--api-key-stdin",
        "--yes",
        "--model",
        "openai/gpt-4.1",
        "--clients",
        "opencode,claude-code",
        "--json",
        input=trusted.GOOD_KEY,
    )
    assert result.code == 0, result.all
    doc = result.json()
    assert doc["changed"] == ["opencode", "claude-code"]
    assert doc["doctor"]["ok"] is True
    opencode = jsonc.loads((isolated_home / ".config/opencode/opencode.json").read_text())
    assert opencode["model"] == "optscale/openai/gpt-4.1"
    env = json.loads((isolated_home / ".claude/settings.json").read_text())["env"]
    # a non-Claude --model: the Claude tiers get the matching anthropic models
    assert env["ANTHROPIC_DEFAULT_SONNET_MODEL"] == "anthropic/claude-sonnet-4-0"
    assert env["ANTHROPIC_DEFAULT_HAIKU_MODEL"] == "anthropic/claude-3-5-haiku-latest"
    again = cli(
        "setup", "--yes", "--model", "openai/gpt-4.1", "--clients", "opencode,claude-code", "--json"
    )
    assert again.code == 0 and again.json()["changed"] == []


def test_setup_picks_installed_clients_and_a_tool_model(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path
) -> None:
    (isolated_home / ".config/opencode").mkdir(parents=True)
    result = cli("setup", "--yes", "--json")
    assert result.code == 0, result.all
    doc = result.json()
    assert doc["clients"] == ["opencode"]
    assert doc["model"] == "openai/gpt-4.1"  # the gateway says it calls tools


def test_setup_dry_run_writes_nothing(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path
) -> None:
    result = cli("setup", "--clients", "zed", "--dry-run", "-m", "openai/gpt-4.1")
    assert result.code == 0, result.all
    assert "api_url" in result.out
    assert not (isolated_home / ".config/zed/settings.json").exists()
