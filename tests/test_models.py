"""providers list, models list/show, connection show."""

from __future__ import annotations

import pytest
import trustme

from tests.conftest import Cli
from tests.gateway import GatewayStandIn


def test_models_list_json(cli: Cli, logged_in: GatewayStandIn) -> None:
    result = cli("models", "list", "--json")
    assert result.code == 0, result.all
    models = result.json()
    ids = {m["id"] for m in models}
    assert {"openai/gpt-4.1", "ollama/qwen3:32b", "mistral/mistral-large-2.1"} <= ids
    assert logged_in.DENIED_MODEL not in ids
    assert all({"id", "provider"} <= m.keys() for m in models)
    assert next(m for m in models if m["id"] == "ollama/qwen3:32b")["provider"] == "ollama"


def test_models_list_table_and_provider_filter(cli: Cli, logged_in: GatewayStandIn) -> None:
    result = cli("models", "list", "--provider", "anthropic")
    assert result.code == 0
    assert "anthropic/claude-sonnet-4-0" in result.out
    assert "openai/gpt-4.1" not in result.out


def test_models_cache_and_refresh(cli: Cli, logged_in: GatewayStandIn) -> None:
    cli("models", "list", "--refresh")
    before = len(logged_in.requests)
    assert cli("models", "list").code == 0
    assert len(logged_in.requests) == before  # served from the cache
    assert cli("models", "list", "--refresh").code == 0
    assert len(logged_in.requests) == before + 1


def test_stale_cache_is_said(cli: Cli, logged_in: GatewayStandIn, ca) -> None:  # type: ignore[no-untyped-def]
    cli("models", "list", "--refresh")
    env = {"OPTSCALE_URL": logged_in.base_url, "OPTSCALE_API_KEY": logged_in.GOOD_KEY}
    assert cli("models", "list", env=env).code == 0
    with GatewayStandIn(ca, hang=True) as dead:
        dead_env = {"OPTSCALE_URL": dead.base_url, "OPTSCALE_API_KEY": logged_in.GOOD_KEY}
        assert cli("models", "list", "--timeout", "0.5", env=dead_env).code == 4


def test_providers_list_json(cli: Cli, logged_in: GatewayStandIn) -> None:
    result = cli("providers", "list", "--json")
    assert result.code == 0
    providers = {p["name"]: p["models"] for p in result.json()}
    assert providers["openai"] == 2
    assert providers["anthropic"] == 3


def test_models_show_and_near_matches(cli: Cli, logged_in: GatewayStandIn) -> None:
    shown = cli("models", "show", "qwen3:32b", "--json")
    assert shown.code == 0, shown.all
    assert shown.json()["id"] == "ollama/qwen3:32b"
    missing = cli("models", "show", "openai/gpt-4.2")
    assert missing.code == 2
    assert "openai/gpt-4.1" in missing.err


def test_connection_show_per_client(cli: Cli, logged_in: GatewayStandIn) -> None:
    base = logged_in.base_url.removesuffix("/v1")
    expected = {
        "opencode": "/v1",
        "openai": "/v1",
        "cursor": "/cursor",
        "claude-code": "/anthropic",
        "claude-desktop": "/anthropic",
    }
    for client, suffix in expected.items():
        result = cli(
            "connection", "show", "--client", client, "--model", "openai/gpt-4.1", "--json"
        )
        assert result.code == 0, result.all
        doc = result.json()
        assert doc["base_url"] == base + suffix
        assert doc["model"] == "openai/gpt-4.1"
        assert logged_in.GOOD_KEY not in result.all
        assert doc["api_key"].endswith(logged_in.GOOD_KEY[-4:])


def test_connection_show_reveal_and_denied_model(cli: Cli, logged_in: GatewayStandIn) -> None:
    revealed = cli("connection", "show", "--client", "cursor", "--reveal", "--json")
    assert revealed.json()["api_key"] == logged_in.GOOD_KEY
    denied = cli("connection", "show", "--model", logged_in.DENIED_MODEL)
    assert denied.code == 2
    assert "not available to this key" in denied.err


def test_forbidden_key_is_exit_3(cli: Cli, trusted: GatewayStandIn) -> None:
    env = {"OPTSCALE_URL": trusted.base_url, "OPTSCALE_API_KEY": "sk-nobody-000000000000"}
    result = cli("models", "list", "--json", env=env)
    assert result.code == 3
    assert result.json()["error"]["kind"] == "auth"


def test_status_and_refresh_fail_when_only_a_stale_cache_answers(
    cli: Cli, ca: trustme.CA, monkeypatch: pytest.MonkeyPatch
) -> None:
    with GatewayStandIn(ca) as gone:
        monkeypatch.setenv("OPTSCALE_CA_BUNDLE", gone.ca_pem_path)
        login = cli("login", "--url", gone.base_url, "--api-key-stdin", input=gone.GOOD_KEY)
        assert login.code == 0, login.all
        assert cli("models", "list").code == 0  # the list is cached now
    status = cli("status", "--json", "--timeout", "2")
    assert status.code == 4, status.all
    doc = status.json()
    assert doc["reachable"] is False and doc["error"] and doc["models"] is None
    refreshed = cli("models", "list", "--refresh", "--timeout", "2")
    assert refreshed.code == 4, refreshed.all
    assert "stale" in refreshed.err and "could not refresh" in refreshed.err
    assert cli("providers", "list", "--refresh", "--timeout", "2").code == 4
    plain = cli("models", "list", "--timeout", "2")  # no --refresh: the cache still serves
    assert plain.code == 0 and "openai/gpt-4.1" in plain.out
