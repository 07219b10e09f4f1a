"""setup: one command from nothing to connected and checked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

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


def _scripted(cli: Cli, gw: GatewayStandIn, key_file: Path, *extra: str) -> object:
    return cli(
        "setup",
        "--non-interactive",
        "--api-key-file",
        str(key_file),
        "--json",
        *extra,
        env={"OPTSCALE_URL": gw.base_url},
    )


def test_non_interactive_first_login_is_idempotent(
    cli: Cli, trusted: GatewayStandIn, isolated_home: Path, tmp_path: Path
) -> None:
    """A first-login script: URL from OPTSCALE_URL, key from --api-key-file, every installed
    client, the gateway's first tool-calling model; one JSON report; a second run changes
    nothing and exits 0."""
    (isolated_home / ".config/opencode").mkdir(parents=True)
    (isolated_home / ".claude").mkdir()
    key_file = tmp_path / "key.txt"
    key_file.write_text(trusted.GOOD_KEY + "\n")
    first = _scripted(cli, trusted, key_file)
    assert first.code == 0, first.all
    doc = first.json()
    assert doc["logged_in"] is True and doc["login"]["profile"] == "default"
    assert doc["model"] == "openai/gpt-4.1" and doc["model_source"] == "gateway"
    assert doc["changed"] == ["opencode", "claude-code"] and doc["doctor"]["ok"] is True
    opencode = jsonc.loads((isolated_home / ".config/opencode/opencode.json").read_text())
    assert opencode["model"] == "optscale/openai/gpt-4.1"
    assert trusted.GOOD_KEY not in (isolated_home / ".config/opencode/opencode.json").read_text()
    files = {p: p.read_bytes() for p in isolated_home.rglob("*") if p.is_file()}
    second = _scripted(cli, trusted, key_file)
    assert second.code == 0, second.all
    assert second.json()["changed"] == [] and second.json()["logged_in"] is False
    assert {p: p.read_bytes() for p in isolated_home.rglob("*") if p.is_file()} == files


def test_non_interactive_key_from_env_and_clients_flag(
    cli: Cli, trusted: GatewayStandIn, isolated_home: Path
) -> None:
    result = cli(
        "setup", "--non-interactive", "--clients", "codex", "--model", "openai/gpt-4.1-mini",
        "--json",
        env={"OPTSCALE_URL": trusted.base_url, "OPTSCALE_API_KEY": trusted.GOOD_KEY},
    )  # fmt: skip
    assert result.code == 0, result.all
    doc = result.json()
    assert doc["clients"] == ["codex"] and doc["model"] == "openai/gpt-4.1-mini"
    assert (isolated_home / ".codex/config.toml").exists()


def test_non_interactive_never_prompts_missing_input_is_exit_2(
    cli: Cli, trusted: GatewayStandIn, tmp_path: Path
) -> None:
    no_url = cli("setup", "--non-interactive", env={"OPTSCALE_API_KEY": trusted.GOOD_KEY})
    assert no_url.code == 2 and "OPTSCALE_URL" in no_url.err
    no_key = cli("setup", "--non-interactive", "--url", trusted.base_url)
    assert no_key.code == 2 and "--api-key-file" in no_key.err
    missing = cli(
        "setup", "--non-interactive", "--url", trusted.base_url, "--api-key-file",
        str(tmp_path / "nope"), "--json",
    )  # fmt: skip
    assert missing.code == 2 and missing.json()["ok"] is False


def test_setup_says_which_model_it_took(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path
) -> None:
    """Without a terminal to ask on, setup still never picks silently: it names the model
    and how to choose another."""
    (isolated_home / ".config/opencode").mkdir(parents=True)
    result = cli("setup", "--yes")
    assert result.code == 0, result.all
    assert "Model: openai/gpt-4.1 (the gateway's first tool-calling model" in result.err


def test_interactive_model_choice_offers_tool_models_with_default(
    cli: Cli, logged_in: GatewayStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a terminal: the tool-calling models (not deepseek-r1, which cannot), the default
    the gateway's first, and the answer by number."""
    from optscale_cli.context import AppState
    from optscale_cli.flows.setup import Ask, SetupOptions, choose_model

    st = AppState()
    catalog = st.catalog()
    seen: dict[str, object] = {}

    def ask(offered: list, default: str) -> str:
        seen.update(offered=[m.id for m in offered], default=default)
        return "openai/gpt-4.1-mini"

    model, source = choose_model(st, catalog, SetupOptions(), Ask(model=ask))
    assert (model, source) == ("openai/gpt-4.1-mini", "asked")
    assert seen["default"] == "openai/gpt-4.1"
    assert "ollama/deepseek-r1:70b" not in seen["offered"]  # type: ignore[operator]
    assert seen["offered"][0] == "openai/gpt-4.1"  # type: ignore[index]
