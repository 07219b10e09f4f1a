"""sync: the gateway's policy changes under connected clients; one sync brings them in line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from optscale_cli.edit import jsonc
from tests.conftest import Cli
from tests.gateway import MODELS, GatewayStandIn

OPENCODE = Path(".config/opencode/opencode.json")
CLAUDE = Path(".claude/settings.json")
CONTINUE = Path(".continue/config.yaml")


@pytest.fixture
def shifting(cli: Cli, trusted: GatewayStandIn) -> Iterator[GatewayStandIn]:
    """Logged in with the key whose allowed models the test changes."""
    trusted.shifting = set(MODELS) - {"mistral/mistral-large-2.1"}
    result = cli(
        "login", "--url", trusted.base_url, "--api-key-stdin", input=trusted.SHIFTING_KEY + "\n"
    )
    assert result.code == 0, result.all
    yield trusted
    trusted.shifting = set(MODELS)


def _opencode_models(home: Path) -> dict[str, object]:
    return jsonc.loads((home / OPENCODE).read_text())["provider"]["optscale"]["models"]


def test_sync_adds_and_removes_for_all_models_and_is_idempotent(
    cli: Cli, shifting: GatewayStandIn, isolated_home: Path
) -> None:
    """--all-models: a newly allowed model is declared, a withdrawn one removed; the user's
    own entry stays; a second sync writes nothing; disconnect restores the original bytes."""
    path = isolated_home / OPENCODE
    path.parent.mkdir(parents=True)
    original = (
        '{\n  // mine\n  "provider": {"optscale": {"models": {"my/own": {"name": "x"}}}}\n}\n'
    )
    path.write_text(original)
    assert cli("connect", "opencode", "-m", "openai/gpt-4.1", "--all-models", "--yes").code == 0
    assert "mistral/mistral-large-2.1" not in _opencode_models(isolated_home)
    shifting.shifting = (shifting.shifting | {"mistral/mistral-large-2.1"}) - {"ollama/qwen3:32b"}
    result = cli("sync", "--yes", "--json")
    assert result.code == 0, result.all
    doc = result.json()
    row = next(c for c in doc["clients"] if c["client"] == "opencode")
    assert row["added"] == ["mistral/mistral-large-2.1"]
    assert row["removed"] == ["ollama/qwen3:32b"]
    models = _opencode_models(isolated_home)
    assert "mistral/mistral-large-2.1" in models and "ollama/qwen3:32b" not in models
    assert "my/own" in models  # the user's entry, untouched
    ledger = json.loads((Path("optscale-config") / "connections/opencode.json").read_text())
    assert ledger["request"]["all_models"] is True
    before = path.read_bytes()
    again = cli("sync", "--yes", "--json")
    assert again.code == 0 and again.json()["changed"] is False
    assert path.read_bytes() == before
    assert cli("disconnect", "opencode", "--yes").code == 0
    assert path.read_text() == original


def test_sync_keeps_a_single_model_client_single(
    cli: Cli, shifting: GatewayStandIn, isolated_home: Path
) -> None:
    assert cli("connect", "opencode", "-m", "openai/gpt-4.1", "--yes").code == 0
    assert cli("connect", "continue", "-m", "openai/gpt-4.1", "--yes").code == 0
    shifting.shifting = shifting.shifting | {"mistral/mistral-large-2.1"}
    result = cli("sync", "--yes", "--json")
    assert result.code == 0, result.all
    assert result.json()["changed"] is False
    assert list(_opencode_models(isolated_home)) == ["openai/gpt-4.1"]


def test_withdrawn_default_needs_yes_then_closest_model(
    cli: Cli, shifting: GatewayStandIn, isolated_home: Path
) -> None:
    """The default model is withdrawn: without --yes, refused (exit 1, nothing written);
    with it, the closest allowed model of the same provider and family, said so."""
    assert cli("connect", "opencode", "-m", "openai/gpt-4.1", "--yes").code == 0
    assert cli("connect", "continue", "-m", "openai/gpt-4.1", "--yes").code == 0
    before = (isolated_home / OPENCODE).read_bytes()
    shifting.shifting = shifting.shifting - {"openai/gpt-4.1"}
    refused = cli("sync")
    assert refused.code == 1
    assert "sync --yes" in refused.all and "openai/gpt-4.1-mini" in refused.all
    assert (isolated_home / OPENCODE).read_bytes() == before
    preview = cli("sync", "--dry-run", "--json")
    assert preview.code == 0 and preview.json()["dry_run"] is True
    assert (isolated_home / OPENCODE).read_bytes() == before
    done = cli("sync", "--yes")
    assert done.code == 0, done.all
    assert "closest allowed: openai/gpt-4.1-mini" in done.err
    doc = jsonc.loads((isolated_home / OPENCODE).read_text())
    assert doc["model"] == "optscale/openai/gpt-4.1-mini"
    assert list(doc["provider"]["optscale"]["models"]) == ["openai/gpt-4.1-mini"]
    assert "OptScale openai/gpt-4.1-mini" in (isolated_home / CONTINUE).read_text()
    assert "OptScale openai/gpt-4.1\n" not in (isolated_home / CONTINUE).read_text()
    assert cli("sync", "--yes", "--json").json()["changed"] is False
    assert cli("disconnect", "opencode", "--yes").code == 0
    assert not (isolated_home / OPENCODE).exists()
    assert cli("disconnect", "continue", "--yes").code == 0
    assert not (isolated_home / CONTINUE).exists()


def test_sync_updates_claude_code_tiers(
    cli: Cli, shifting: GatewayStandIn, isolated_home: Path
) -> None:
    shifting.shifting = shifting.shifting - {"anthropic/claude-3-5-haiku-latest"}
    assert cli("connect", "claude-code", "-m", "anthropic/claude-sonnet-4-0", "--yes").code == 0
    env = json.loads((isolated_home / CLAUDE).read_text())["env"]
    assert env["ANTHROPIC_DEFAULT_HAIKU_MODEL"] == "anthropic/claude-sonnet-4-0"  # smallest
    shifting.shifting = shifting.shifting | {"anthropic/claude-3-5-haiku-latest"}
    result = cli("sync", "--yes", "--json")
    assert result.code == 0, result.all
    row = next(c for c in result.json()["clients"] if c["client"] == "claude-code")
    assert row["tiers"]["haiku"]["to"] == "anthropic/claude-3-5-haiku-latest"
    env = json.loads((isolated_home / CLAUDE).read_text())["env"]
    assert env["ANTHROPIC_DEFAULT_HAIKU_MODEL"] == "anthropic/claude-3-5-haiku-latest"
    assert env["ANTHROPIC_MODEL"] == "anthropic/claude-sonnet-4-0"
    assert cli("sync", "--yes", "--json").json()["changed"] is False
    assert cli("disconnect", "claude-code", "--yes").code == 0
    assert not (isolated_home / CLAUDE).exists()


def test_sync_keeps_project_scope(
    cli: Cli, shifting: GatewayStandIn, isolated_home: Path, tmp_path: Path
) -> None:
    """A project-scoped connection is synced in its folder, never moved to the user's."""
    assert cli(
        "connect", "opencode", "-m", "openai/gpt-4.1", "--all-models", "--scope", "project",
        "--yes",
    ).code == 0  # fmt: skip
    shifting.shifting = shifting.shifting | {"mistral/mistral-large-2.1"}
    assert cli("sync", "--yes").code == 0
    project = jsonc.loads((tmp_path / "opencode.json").read_text())
    assert "mistral/mistral-large-2.1" in project["provider"]["optscale"]["models"]
    assert not (isolated_home / OPENCODE).exists()


def test_sync_with_nothing_connected(cli: Cli, shifting: GatewayStandIn) -> None:
    result = cli("sync", "--json")
    assert result.code == 0 and result.json()["clients"] == []


def _check(doc: object, cid: str) -> dict[str, str]:
    return next(c for c in doc["checks"] if c["id"] == cid)  # type: ignore[index]


def test_doctor_reports_models_to_sync(
    cli: Cli, shifting: GatewayStandIn, isolated_home: Path
) -> None:
    """doctor warns `models:<client>` for a withdrawn model and (--all-models) a newly
    allowed one, with `optscale sync` as the hint; after sync it passes. Its one GET /models
    serves the check: no second model-list request."""
    assert cli("connect", "opencode", "-m", "openai/gpt-4.1", "--all-models", "--yes").code == 0
    assert cli("connect", "continue", "-m", "openai/gpt-4.1-mini", "--yes").code == 0
    ok = cli("doctor", "--json")
    assert _check(ok.json(), "models:opencode")["status"] == "pass", ok.out
    shifting.shifting = (shifting.shifting | {"mistral/mistral-large-2.1"}) - {
        "openai/gpt-4.1-mini"
    }
    shifting.requests.clear()
    result = cli("doctor", "--json")
    opencode = _check(result.json(), "models:opencode")
    assert opencode["status"] == "warn" and opencode["hint"] == "run: optscale sync"
    assert "newly allowed, not declared: mistral/mistral-large-2.1" in opencode["message"]
    assert "no longer allowed: openai/gpt-4.1-mini" in opencode["message"]
    cont = _check(result.json(), "models:continue")
    assert cont["status"] == "warn" and "openai/gpt-4.1-mini" in cont["message"]
    listed = [r for r in shifting.requests if r.path.endswith("/v1/models")]
    assert len(listed) == 1, [r.path for r in shifting.requests]
    assert cli("models", "list", "--refresh").code == 0  # the cache now holds the new list
    offline = cli("doctor", "--offline", "--json")  # that cached list, no network
    assert _check(offline.json(), "models:opencode")["status"] == "warn"
    assert cli("sync", "--yes").code == 0
    after = cli("doctor", "--json").json()
    assert _check(after, "models:opencode")["status"] == "pass"
    assert _check(after, "models:continue")["status"] == "pass"


def test_records_from_before_the_flag_tell_all_models_by_their_list() -> None:
    from optscale_cli.flows.connect import recorded_all_models

    every = {"models": ["a/x", "a/y"], "available": ["a/x", "a/y"]}
    assert recorded_all_models(every) is True
    assert recorded_all_models({"models": ["a/x"], "available": ["a/x"]}) is False
    assert recorded_all_models({"models": ["a/x"], "available": ["a/x", "a/y"]}) is False
    assert recorded_all_models({**every, "all_models": False}) is False
