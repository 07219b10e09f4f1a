"""A profile's life under connected clients: logout --force, a new login, setup --profile."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from optscale_cli.clients.base import ConnectRequest
from optscale_cli.clients.claude_desktop import ClaudeDesktop
from optscale_cli.clients.opencode import file_reference_safe
from optscale_cli.edit import jsonc
from optscale_cli.flows.connect import apply_connections, plan_connection
from optscale_cli.profiles import resolve_profile
from optscale_cli.secrets import key_file_path
from tests.conftest import Cli
from tests.gateway import GatewayStandIn


def _client_row(cli: Cli, name: str) -> dict[str, object]:
    rows = cli("clients", "--json").json()
    return next(r for r in rows if r["client"] == name)  # type: ignore[union-attr,index]


def _check(cli: Cli, name: str) -> dict[str, str]:
    doc = cli("doctor", "--offline", "--json").json()
    return next(c for c in doc["checks"] if c["id"] == f"client:{name}")  # type: ignore[index]


def test_login_after_forced_logout_recreates_the_key_file(
    cli: Cli, logged_in: GatewayStandIn
) -> None:
    assert cli("connect", "opencode", "-m", "openai/gpt-4.1", "--yes").code == 0
    assert _client_row(cli, "opencode")["summary"] == "ok"
    assert cli("logout", "--force").code == 0
    assert not key_file_path("default").exists()
    row = _client_row(cli, "opencode")
    assert row["summary"] != "ok" and "key file" in str(row["summary"])
    assert row["intact"] is False
    check = _check(cli, "opencode")
    assert check["status"] == "fail" and "key file" in check["message"]
    login = cli("login", "--url", logged_in.base_url, "--api-key-stdin", input=logged_in.GOOD_KEY)
    assert login.code == 0, login.all
    assert key_file_path("default").read_text() == logged_in.GOOD_KEY
    assert _client_row(cli, "opencode")["summary"] == "ok"
    assert _check(cli, "opencode")["status"] == "pass"


def test_login_after_forced_logout_recreates_claude_desktops_helper(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path
) -> None:
    model = "anthropic/claude-sonnet-4-0"
    request = ConnectRequest(profile=resolve_profile(None), model=model, models=[model])
    (isolated_home / "Library/Application Support/Claude-3p/configLibrary").mkdir(parents=True)
    apply_connections([plan_connection(ClaudeDesktop(platform="darwin"), request)])
    helper = key_file_path("default").parent.parent / "bin" / "claude-desktop-key-default"
    assert helper.exists()
    assert cli("logout", "--force").code == 0
    assert not helper.exists()
    assert "helper" in str(_client_row(cli, "claude-desktop")["summary"])
    login = cli("login", "--url", logged_in.base_url, "--api-key-stdin", input=logged_in.GOOD_KEY)
    assert login.code == 0, login.all
    printed = subprocess.run([str(helper)], capture_output=True, text=True, check=True)
    assert printed.stdout.strip() == logged_in.GOOD_KEY
    assert helper.stat().st_mode & 0o777 == 0o700


def test_setup_with_a_new_profile_name_on_a_fresh_machine(
    cli: Cli, trusted: GatewayStandIn
) -> None:
    result = cli(
        "--profile",
        "work",
        "setup",
        "--url",
        trusted.base_url,
        "--api-key-stdin",
        "--yes",
        "--model",
        "openai/gpt-4.1",
        "--clients",
        "codex",
        "--json",
        input=trusted.GOOD_KEY,
    )
    assert "unknown profile" not in result.err
    assert result.code == 0, result.all
    listed = json.dumps(cli("profiles", "list", "--json").json())
    assert '"work"' in listed
    assert cli("--profile", "work", "status", "--offline").code == 0


def _login_with_config_dir(
    cli: Cli, gateway: GatewayStandIn, monkeypatch: pytest.MonkeyPatch, folder: Path
) -> None:
    monkeypatch.setenv("OPTSCALE_CONFIG_DIR", str(folder))
    login = cli("login", "--url", gateway.base_url, "--api-key-stdin", input=gateway.GOOD_KEY)
    assert login.code == 0, login.all


def test_file_reference_safety_by_opencodes_rule() -> None:
    assert file_reference_safe(Path("/home/ann/.config/optscale/keys/default.key"))
    assert file_reference_safe(Path("/home/zoë {x/keys/default.key"))  # '{' and non-ASCII ok
    for bad in ("/home/a}b/k.key", '/home/a"b/k.key', "/home/a\\b/k.key", "/home/a\nb/k.key"):
        assert not file_reference_safe(Path(bad)), bad


def test_opencode_falls_back_to_env_when_the_key_file_path_breaks_file_references(
    cli: Cli, trusted: GatewayStandIn, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _login_with_config_dir(cli, trusted, monkeypatch, tmp_path / "a}b" / "optscale")
    result = cli("connect", "opencode", "-m", "openai/gpt-4.1", "--yes")
    assert result.code == 0, result.all
    config = jsonc.loads((tmp_path / "home/.config/opencode/opencode.json").read_text())
    assert config["provider"]["optscale"]["options"]["apiKey"] == "{env:OPTSCALE_API_KEY}"
    assert "{file:" not in json.dumps(config)
    assert "cannot hold" in result.err and "optscale exec -- opencode" in result.all
    assert _check(cli, "opencode")["status"] == "pass"


def test_doctor_follows_the_file_reference_as_opencode_reads_it(
    cli: Cli, trusted: GatewayStandIn, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from optscale_cli.clients import opencode

    _login_with_config_dir(cli, trusted, monkeypatch, tmp_path / "a}b" / "optscale")
    # as the previous version wrote it: {file:…} with a '}' in the path
    monkeypatch.setattr(opencode, "file_reference_safe", lambda path: True, raising=False)
    assert cli("connect", "opencode", "-m", "openai/gpt-4.1", "--yes").code == 0
    assert "{file:" in (tmp_path / "home/.config/opencode/opencode.json").read_text()
    check = _check(cli, "opencode")
    assert check["status"] == "fail", check
    assert "not the key file" in check["message"]
    assert _client_row(cli, "opencode")["summary"] != "ok"
