"""Claude Code's gateway model discovery and Aider's model metadata file (design.md 2c)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import Cli
from tests.gateway import GatewayStandIn
from tests.test_doctor import checks, env_profile

DISCOVERY = "CLAUDE_CODE_ENABLE_GATEWAY_MODEL_DISCOVERY"
NO_TRAFFIC = "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"


def settings(home: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((home / ".claude/settings.json").read_text())


def test_discovery_set_recorded_and_undone(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path
) -> None:
    path = isolated_home / ".claude/settings.json"
    path.parent.mkdir()
    original = '{\n  "env": {\n    "FOO": "bar"\n  }\n}\n'
    path.write_text(original)
    result = cli("connect", "claude-code", "-m", "anthropic/claude-sonnet-4-0", "--yes")
    assert result.code == 0, result.all
    assert settings(isolated_home)["env"][DISCOVERY] == "1"
    assert NO_TRAFFIC not in result.err
    listed = [r for r in logged_in.requests if r.path.endswith("/anthropic/v1/models?limit=1000")]
    assert listed and listed[-1].method == "GET"
    again = cli("connect", "claude-code", "-m", "anthropic/claude-sonnet-4-0", "--yes", "--json")
    assert again.json()["changed"] is False  # type: ignore[index]
    assert cli("disconnect", "claude-code", "--yes").code == 0
    assert path.read_text() == original


def test_no_traffic_variable_warns(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path
) -> None:
    path = isolated_home / ".claude/settings.json"
    path.parent.mkdir()
    path.write_text(json.dumps({"env": {NO_TRAFFIC: "1"}}))
    result = cli(
        "connect",
        "claude-code",
        "-m",
        "anthropic/claude-sonnet-4-0",
        "--yes",
        env={NO_TRAFFIC: "1"},
    )
    assert result.code == 0, result.all
    assert NO_TRAFFIC in result.err and "your shell" in result.err and str(path) in result.err


def test_no_discovery_without_an_anthropic_list(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import optscale_cli.catalog

    monkeypatch.setattr(optscale_cli.catalog, "anthropic_model_list", lambda client: None)
    result = cli("connect", "claude-code", "-m", "anthropic/claude-sonnet-4-0", "--yes")
    assert result.code == 0, result.all
    assert DISCOVERY not in settings(isolated_home)["env"]


def test_anthropic_list_shape() -> None:
    from optscale_cli.gateway import anthropic_list_ids

    good = {"data": [{"type": "model", "id": "claude-x", "display_name": "X"}], "has_more": False}
    assert anthropic_list_ids(good) == ["claude-x"]
    assert anthropic_list_ids({"data": [{"id": "a"}]}) == ["a"]  # display_name is optional
    for bad in ([], {"data": {}}, {"data": [{"name": "x"}]}, {"data": [{"id": 3}]}, None):
        assert anthropic_list_ids(bad) is None


def test_doctor_anthropic_models(cli: Cli, logged_in: GatewayStandIn) -> None:
    assert cli("connect", "claude-code", "-m", "anthropic/claude-sonnet-4-0", "--yes").code == 0
    result = cli("doctor", "--client", "claude-code", "--json")
    found = checks(result)["anthropic:models"]
    assert found["status"] == "pass", found
    assert "anthropic/claude-sonnet-4-0" in found["message"]
    assert "openai/gpt-4.1" not in found["message"]  # Claude Code keeps claude*/anthropic* only


def test_doctor_anthropic_models_for_limited_key(cli: Cli, trusted: GatewayStandIn) -> None:
    env = env_profile(trusted, trusted.LIMITED_KEY)  # only openai/* models
    result = cli(
        "doctor", "--client", "claude-code", "--model", "openai/gpt-4.1", "--json", env=env
    )
    found = checks(result)["anthropic:models"]
    assert found["status"] == "warn" and "none of them" in found["message"]


METADATA = ".aider.model.metadata.json"


def test_aider_metadata_written_and_removed(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path
) -> None:
    result = cli("connect", "aider", "-m", "ollama/qwen3:32b", "--yes")
    assert result.code == 0, result.all
    data = json.loads((isolated_home / METADATA).read_text())
    assert data == {
        "openai/ollama/qwen3:32b": {
            "max_tokens": 16384,
            "max_input_tokens": 32768,  # the gateway's context_window for it
            "max_output_tokens": 16384,
            "input_cost_per_token": 0,
            "output_cost_per_token": 0,
            "litellm_provider": "openai",
            "mode": "chat",
        }
    }
    assert cli("disconnect", "aider", "--yes").code == 0
    assert not (isolated_home / METADATA).exists()  # we created it: gone


def test_aider_metadata_keeps_other_entries(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path
) -> None:
    path = isolated_home / METADATA
    original = '{\n  "deepseek/deepseek-chat": {\n    "max_input_tokens": 32000\n  }\n}\n'
    path.write_text(original)
    assert cli("connect", "aider", "-m", "openai/gpt-4.1", "--yes").code == 0
    data = json.loads(path.read_text())
    assert data["openai/openai/gpt-4.1"]["max_input_tokens"] == 128000  # default
    assert data["deepseek/deepseek-chat"] == {"max_input_tokens": 32000}
    assert cli("disconnect", "aider", "--yes").code == 0
    assert path.read_text() == original
