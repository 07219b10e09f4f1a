"""doctor against the real HTTPS stand-in: each failure is found, named, and exits 1."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest
import trustme

from tests.conftest import Cli
from tests.gateway import GatewayStandIn


def checks(result) -> dict[str, dict]:  # type: ignore[no-untyped-def,type-arg]
    return {c["id"]: c for c in result.json()["checks"]}


def env_profile(gw: GatewayStandIn, key: str | None = None) -> dict[str, str]:
    return {
        "OPTSCALE_URL": gw.base_url,
        "OPTSCALE_API_KEY": key or gw.GOOD_KEY,
        "OPTSCALE_CA_BUNDLE": gw.ca_pem_path,
    }


def test_healthy_run(cli: Cli, logged_in: GatewayStandIn) -> None:
    result = cli("doctor", "--model", "openai/gpt-4.1", "--json")
    assert result.code == 0, result.all
    found = checks(result)
    assert result.json()["ok"] is True
    for cid in (
        "profile",
        "dns",
        "tcp",
        "tls",
        "auth",
        "model:openai/gpt-4.1",
        "tools:openai/gpt-4.1",
        "stream:openai/gpt-4.1",
        "clock",
    ):
        assert found[cid]["status"] == "pass", found[cid]
    human = cli("doctor", "--model", "openai/gpt-4.1")
    assert "All checks passed" in human.out


def test_model_without_tool_calling(cli: Cli, logged_in: GatewayStandIn) -> None:
    result = cli("doctor", "--model", "ollama/deepseek-r1:70b", "--json")
    assert result.code == 1
    tools = checks(result)["tools:ollama/deepseek-r1:70b"]
    assert tools["status"] == "fail"
    assert "does not support tool calling" in tools["message"]


def test_model_denied_by_policy(cli: Cli, logged_in: GatewayStandIn) -> None:
    result = cli("doctor", "--model", logged_in.DENIED_MODEL, "--json")
    assert result.code == 1
    found = checks(result)
    assert found[f"model:{logged_in.DENIED_MODEL}"]["status"] == "fail"
    assert "not allowed by policy" in found[f"tools:{logged_in.DENIED_MODEL}"]["message"]


def test_bad_key(cli: Cli, gateway: GatewayStandIn) -> None:
    result = cli("doctor", "--json", env=env_profile(gateway, "sk-nobody-000000000000"))
    assert result.code == 1
    auth = checks(result)["auth"]
    assert auth["status"] == "fail" and "key rejected" in auth["message"]


def test_untrusted_ca(cli: Cli, gateway: GatewayStandIn) -> None:
    env = env_profile(gateway)
    del env["OPTSCALE_CA_BUNDLE"]
    result = cli("doctor", "--json", env=env)
    assert result.code == 1
    tls = checks(result)["tls"]
    assert tls["status"] == "fail"
    assert "not trusted" in tls["message"]
    assert "trustme" in tls["message"]  # the issuer is named
    assert "system store: not trusted" in tls["message"]
    assert "NODE_EXTRA_CA_CERTS" in tls["hint"] and "SSL_CERT_FILE" in tls["hint"]
    assert checks(result)["gateway"]["status"] == "skip"


def test_expired_certificate(cli: Cli, ca: trustme.CA) -> None:
    past = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=2)
    with GatewayStandIn(ca, cert_not_after=past) as expired:
        result = cli("doctor", "--json", env=env_profile(expired))
    assert result.code == 1
    tls = checks(result)["tls"]
    assert tls["status"] == "fail" and "expired" in tls["message"]


def test_certificate_expiring_soon_warns(cli: Cli, ca: trustme.CA) -> None:
    soon = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=5)
    with GatewayStandIn(ca, cert_not_after=soon) as gw:
        result = cli("doctor", "--json", "--model", "openai/gpt-4.1", env=env_profile(gw))
    assert result.code == 0, result.all
    tls = checks(result)["tls"]
    assert tls["status"] == "warn" and "expires in" in tls["message"]


def test_certificate_for_wrong_host(cli: Cli, ca: trustme.CA) -> None:
    with GatewayStandIn(ca, cert_hosts=("wrong.example",)) as gw:
        result = cli("doctor", "--json", env=env_profile(gw))
    assert result.code == 1
    tls = checks(result)["tls"]
    assert tls["status"] == "fail" and "not valid for" in tls["message"]


def test_hanging_gateway_ends_within_timeout(cli: Cli, ca: trustme.CA) -> None:
    with GatewayStandIn(ca, hang=True) as dead:
        started = time.monotonic()
        result = cli("doctor", "--json", "--timeout", "1", env=env_profile(dead))
        elapsed = time.monotonic() - started
    assert result.code == 1
    assert elapsed < 8
    assert checks(result)["tls"]["status"] == "fail"
    assert "timed out" in checks(result)["tls"]["message"]


def test_drift_in_connected_client(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path
) -> None:
    assert cli("connect", "opencode", "-m", "openai/gpt-4.1", "--yes").code == 0
    healthy = cli("doctor", "--json")
    assert healthy.code == 0, healthy.all
    assert checks(healthy)["client:opencode"]["status"] == "pass"
    assert checks(healthy)["tools:openai/gpt-4.1"]["status"] == "pass"  # from the connection
    path = isolated_home / ".config/opencode/opencode.json"
    path.write_text(path.read_text().replace(logged_in.base_url, "https://elsewhere/v1"))
    result = cli("doctor", "--json", "--offline")
    assert result.code == 1
    client = checks(result)["client:opencode"]
    assert client["status"] == "fail" and "baseURL" in client["message"]
    assert "dns" not in checks(result)  # --offline: no network


def test_claude_code_surface_and_key_file_mode(cli: Cli, logged_in: GatewayStandIn) -> None:
    assert cli("connect", "claude-code", "-m", "anthropic/claude-sonnet-4-0", "--yes").code == 0
    result = cli("doctor", "--client", "claude-code", "--json")
    assert result.code == 0, result.all
    assert checks(result)["anthropic"]["status"] == "pass"
    assert any(
        r.path.startswith(f"/llm_proxy/{logged_in.ORG}/anthropic/v1/messages")
        for r in logged_in.requests
    )


def test_plaintext_key_readable_by_others_fails(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path
) -> None:
    assert (
        cli(
            "connect",
            "claude-code",
            "-m",
            "anthropic/claude-sonnet-4-0",
            "--plaintext-key",
            "--yes",
        ).code
        == 0
    )
    (isolated_home / ".claude/settings.json").chmod(0o644)
    result = cli("doctor", "--offline", "--json")
    assert result.code == 1
    assert "readable by others" in checks(result)["client:claude-code"]["message"]


@pytest.mark.parametrize("host", ["127.0.0.1", "10.1.2.3", "localhost", "192.168.0.9"])
def test_private_hosts(host: str) -> None:
    from optscale_cli.doctor import is_private_host

    assert is_private_host(host)
    assert not is_private_host("8.8.8.8") and not is_private_host("ai.example.com")


def test_codex_responses_surface(cli: Cli, logged_in: GatewayStandIn) -> None:
    assert cli("connect", "codex", "-m", "openai/gpt-4.1", "--yes").code == 0
    result = cli("doctor", "--client", "codex", "--json")
    assert result.code == 0, result.all
    assert checks(result)["responses"]["status"] == "pass"
