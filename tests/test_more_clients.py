"""Codex, Continue, Zed, Aider, Goose: the same rules as the first clients, on real files."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
import tomlkit
from ruamel.yaml import YAML

from optscale_cli.edit import jsonc
from optscale_cli.edit.stores import backups_of
from tests.conftest import Cli, file_mode
from tests.gateway import GatewayStandIn


def read_yaml(path: Path) -> dict:  # type: ignore[type-arg]
    return YAML(typ="safe").load(path.read_text())


CASES: dict[str, tuple[str, str, Callable[[Path], object]]] = {
    # client: (file relative to HOME, the user's original content, parser)
    "codex": (
        ".codex/config.toml",
        '# my codex\nmodel = "o3"  # keep me\n\n[mcp_servers.docs]\ncommand = "docs"\n',
        lambda p: tomlkit.parse(p.read_text()).unwrap(),
    ),
    "continue": (
        ".continue/config.yaml",
        "# my continue\nname: Mine\nversion: 1.0.0\nschema: v1\nmodels:\n"
        "  - name: Local\n    provider: ollama\n    model: llama3  # local one\n",
        read_yaml,
    ),
    "zed": (
        ".config/zed/settings.json",
        '// Zed settings\n{\n  "theme": "One Dark", // keep\n  "vim_mode": true,\n}\n',
        lambda p: jsonc.loads(p.read_text()),
    ),
    "aider": (
        ".aider.conf.yml",
        "# aider\nauto-commits: false  # keep\nmodel: gpt-4o\n",
        read_yaml,
    ),
    "goose": (
        ".config/goose/config.yaml",
        "# goose\nGOOSE_MODE: smart_approve  # keep\n",
        read_yaml,
    ),
}


def expectations(client: str, data: dict, gw: GatewayStandIn) -> None:  # type: ignore[type-arg]
    base = gw.base_url
    if client == "codex":
        provider = data["model_providers"]["optscale"]
        assert provider == {
            "name": "OptScale AI",
            "base_url": base,
            "env_key": "OPTSCALE_API_KEY",
            "wire_api": "responses",
        }
        assert data["model_provider"] == "optscale" and data["model"] == "openai/gpt-4.1"
        assert data["mcp_servers"] == {"docs": {"command": "docs"}}
    elif client == "continue":
        ours = [m for m in data["models"] if m["name"] == "OptScale openai/gpt-4.1"]
        assert ours and ours[0]["apiBase"] == base and ours[0]["provider"] == "openai"
        assert ours[0]["apiKey"] == "${{ secrets.OPTSCALE_API_KEY }}"
        assert "tool_use" in ours[0]["capabilities"]
        assert data["models"][0]["name"] == "Local"
    elif client == "zed":
        provider = data["language_models"]["openai_compatible"]["OptScale"]
        assert provider["api_url"] == base
        assert provider["available_models"][0]["name"] == "openai/gpt-4.1"
        assert data["agent"]["default_model"] == {"provider": "OptScale", "model": "openai/gpt-4.1"}
        assert data["theme"] == "One Dark"
    elif client == "aider":
        assert data["openai-api-base"] == base
        assert data["model"] == "openai/openai/gpt-4.1"
        assert data["auto-commits"] is False
    elif client == "goose":
        assert data["GOOSE_PROVIDER"] == "openai" and data["GOOSE_MODEL"] == "openai/gpt-4.1"
        assert data["OPENAI_HOST"] == gw.origin
        assert data["OPENAI_BASE_PATH"] == f"llm_proxy/{gw.ORG}/v1/chat/completions"


@pytest.mark.parametrize("client", list(CASES))
def test_connect_keeps_comments_is_idempotent_and_undoes(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path, client: str
) -> None:
    relative, original, parse = CASES[client]
    path = isolated_home / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(original)
    result = cli("connect", client, "--model", "openai/gpt-4.1", "--yes")
    assert result.code == 0, result.all
    expectations(client, parse(path), logged_in)  # type: ignore[arg-type]
    for line in original.splitlines():
        if "#" in line or "//" in line:
            assert line.split("#")[-1].split("//")[-1].strip() in path.read_text()
    assert logged_in.GOOD_KEY not in path.read_text()
    written = path.read_bytes()
    again = cli("connect", client, "--model", "openai/gpt-4.1", "--yes", "--json")
    assert again.code == 0 and again.json()["changed"] is False
    assert path.read_bytes() == written
    assert cli("disconnect", client, "--yes").code == 0
    (backup,) = backups_of(path)
    assert parse(path) == parse(backup)
    if client != "continue":  # list items removed from a YAML list may change its layout
        assert path.read_text() == original


@pytest.mark.parametrize("client", list(CASES))
def test_bad_input_refused_untouched(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path, client: str
) -> None:
    relative = CASES[client][0]
    bad = {
        ".toml": "model = = 1\n",
        ".yaml": "a: [1, 2\n",
        ".yml": "a: [1, 2\n",
        ".json": '{\n  "a": 1\n  "b": 2\n}\n',
    }[Path(relative).suffix]
    path = isolated_home / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(bad)
    result = cli("connect", client, "--model", "openai/gpt-4.1", "--yes")
    assert result.code == 1, result.all
    assert str(path) in result.err
    assert path.read_text() == bad


def test_continue_key_goes_to_private_env_file(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path
) -> None:
    assert cli("connect", "continue", "-m", "openai/gpt-4.1", "--yes").code == 0
    secrets = isolated_home / ".continue/.env"
    assert f"OPTSCALE_API_KEY={logged_in.GOOD_KEY}" in secrets.read_text()
    assert file_mode(secrets) == 0o600
    config = read_yaml(isolated_home / ".continue/config.yaml")
    assert config["schema"] == "v1"
    assert cli("disconnect", "continue", "--yes").code == 0
    assert not secrets.exists()
    assert not (isolated_home / ".continue/config.yaml").exists()


def test_codex_home_and_exec_key(cli: Cli, logged_in: GatewayStandIn, tmp_path: Path) -> None:
    codex_home = tmp_path / "codex-home"
    result = cli(
        "connect", "codex", "-m", "ollama/qwen3:32b", "--yes", env={"CODEX_HOME": str(codex_home)}
    )
    assert result.code == 0, result.all
    assert tomlkit.parse((codex_home / "config.toml").read_text())["model"] == "ollama/qwen3:32b"
    assert "optscale exec -- codex" in result.err


def test_aider_plaintext_key_is_private(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path
) -> None:
    assert cli("connect", "aider", "-m", "openai/gpt-4.1", "--plaintext-key", "--yes").code == 0
    path = isolated_home / ".aider.conf.yml"
    assert read_yaml(path)["openai-api-key"] == logged_in.GOOD_KEY
    assert os.stat(path).st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    ("client", "content", "line"),
    [
        ("codex", '# mine\nmodel = "o3"\nmodel_providers = "oops"\n', 3),
        ("zed", '{\n  "theme": "x",\n  "language_models": []\n}\n', 3),
        ("continue", "name: x\nversion: 1.0.0\nschema: v1\nmodels: {a: 1}\n", 4),
    ],
)
def test_wrong_types_name_file_and_line(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path, client: str, content: str, line: int
) -> None:
    path = isolated_home / CASES[client][0]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)
    result = cli("connect", client, "--model", "openai/gpt-4.1", "--yes")
    assert result.code == 1, result.all
    assert f"{path}:{line}" in result.err
    assert path.read_text() == content


@pytest.mark.parametrize("client", ["goose", "continue", "cursor", "claude-desktop"])
def test_project_scope_refused_where_it_means_nothing(
    cli: Cli, logged_in: GatewayStandIn, client: str
) -> None:
    result = cli("connect", client, "-m", "openai/gpt-4.1", "--scope", "project", "--yes")
    assert result.code == 2
    assert "no project-level configuration" in result.err
