"""connect / disconnect / clients for OpenCode and Claude Code: real files in a temp HOME."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from optscale_cli.edit import jsonc
from optscale_cli.edit.stores import backups_of
from optscale_cli.secrets import key_file_path
from tests.conftest import Cli, file_mode
from tests.gateway import GatewayStandIn

USER_OPENCODE = """{
  // my settings
  "$schema": "https://opencode.ai/config.json",
  "theme": "tokyonight",
  "provider": {
    "ollama": {
      "npm": "@ai-sdk/openai-compatible",
      "options": { "baseURL": "http://localhost:11434/v1" }, // local
    },
  },
}
"""


def opencode_file(home: Path) -> Path:
    return home / ".config" / "opencode" / "opencode.json"


def claude_file(home: Path) -> Path:
    return home / ".claude" / "settings.json"


def test_opencode_fresh_connect_writes_reference_not_key(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path
) -> None:
    result = cli("connect", "opencode", "--model", "openai/gpt-4.1", "--yes")
    assert result.code == 0, result.all
    path = opencode_file(isolated_home)
    config = jsonc.loads(path.read_text())
    provider = config["provider"]["optscale"]
    assert config["$schema"] == "https://opencode.ai/config.json"
    assert provider["npm"] == "@ai-sdk/openai-compatible"
    assert provider["options"]["baseURL"] == logged_in.base_url
    assert provider["options"]["apiKey"] == f"{{file:{key_file_path('default')}}}"
    assert "openai/gpt-4.1" in provider["models"]
    assert config["model"] == "optscale/openai/gpt-4.1"
    assert logged_in.GOOD_KEY not in path.read_text()
    assert key_file_path("default").read_text() == logged_in.GOOD_KEY
    assert file_mode(key_file_path("default")) == 0o600
    assert logged_in.GOOD_KEY not in result.all


def test_fresh_connect_twice_changes_nothing(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path
) -> None:
    clients = ("opencode", "claude-code", "codex", "continue", "zed", "aider", "goose")
    for client, model in ((name, "openai/gpt-4.1") for name in clients):
        assert cli("connect", client, "-m", model, "--yes").code == 0
        again = cli("connect", client, "-m", model, "--yes", "--json")
        assert again.code == 0 and again.json()["changed"] is False, again.all


def test_connect_twice_changes_nothing(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path
) -> None:
    path = opencode_file(isolated_home)
    path.parent.mkdir(parents=True)
    path.write_text(USER_OPENCODE)
    assert cli("connect", "opencode", "-m", "openai/gpt-4.1", "--yes").code == 0
    first = path.read_bytes()
    mtime = path.stat().st_mtime_ns
    again = cli("connect", "opencode", "-m", "openai/gpt-4.1", "--yes", "--json")
    assert again.code == 0, again.all
    assert again.json()["changed"] is False
    assert path.read_bytes() == first
    assert path.stat().st_mtime_ns == mtime


def test_opencode_keeps_comments_other_providers_and_restores(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path
) -> None:
    path = opencode_file(isolated_home)
    path.parent.mkdir(parents=True)
    path.write_text(USER_OPENCODE)
    os.chmod(path, 0o640)
    result = cli("connect", "opencode", "--model", "ollama/qwen3:32b", "--yes", "--json")
    assert result.code == 0, result.all
    text = path.read_text()
    assert "// my settings" in text and "// local" in text
    config = jsonc.loads(text)
    assert config["provider"]["ollama"]["options"]["baseURL"] == "http://localhost:11434/v1"
    assert config["theme"] == "tokyonight"
    assert config["model"] == "optscale/ollama/qwen3:32b"
    assert file_mode(path) == 0o640  # mode kept
    (backup,) = backups_of(path)
    assert backup.name.startswith("opencode.json.optscale-") and backup.name.endswith(".bak")
    assert result.json()["files"][0]["backup"] == str(backup)
    assert backup.read_text() == USER_OPENCODE and file_mode(backup) == 0o600
    # a new model updates in place; the new backup again holds the user's content only
    assert cli("connect", "opencode", "-m", "openai/gpt-4.1", "--yes").code == 0
    config = jsonc.loads(path.read_text())
    assert list(config["provider"]["optscale"]["models"]) == ["openai/gpt-4.1"]
    assert [b.read_text() for b in backups_of(path)] == [USER_OPENCODE] * 2
    undo = cli("disconnect", "opencode", "--yes")
    assert undo.code == 0, undo.all
    assert path.read_text() == USER_OPENCODE


def test_disconnect_removes_file_we_created(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path
) -> None:
    assert cli("connect", "opencode", "-m", "openai/gpt-4.1", "--yes").code == 0
    assert cli("disconnect", "opencode", "--yes").code == 0
    assert not opencode_file(isolated_home).exists()
    again = cli("disconnect", "opencode")
    assert again.code == 0 and "not connected" in again.err


def test_existing_jsonc_file_is_edited_not_duplicated(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path
) -> None:
    folder = isolated_home / ".config" / "opencode"
    folder.mkdir(parents=True)
    (folder / "opencode.jsonc").write_text('{\n  "$schema": "https://opencode.ai/config.json"\n}\n')
    assert cli("connect", "opencode", "-m", "openai/gpt-4.1", "--yes").code == 0
    assert not (folder / "opencode.json").exists()
    assert "optscale" in jsonc.loads((folder / "opencode.jsonc").read_text())["provider"]


def test_project_scope_and_key_from_env(
    cli: Cli, logged_in: GatewayStandIn, tmp_path: Path
) -> None:
    result = cli(
        "connect",
        "opencode",
        "-m",
        "openai/gpt-4.1",
        "--scope",
        "project",
        "--key-from-env",
        "--yes",
    )
    assert result.code == 0, result.all
    config = jsonc.loads((tmp_path / "opencode.json").read_text())
    assert config["provider"]["optscale"]["options"]["apiKey"] == "{env:OPTSCALE_API_KEY}"


def test_dry_run_and_non_interactive_write_nothing(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path
) -> None:
    dry = cli("connect", "opencode", "-m", "openai/gpt-4.1", "--dry-run")
    assert dry.code == 0
    assert "+++" in dry.out and "baseURL" in dry.out
    asked = cli("connect", "opencode", "-m", "openai/gpt-4.1")
    assert asked.code == 1
    assert "--yes" in asked.err
    assert not opencode_file(isolated_home).exists()


def test_denied_model_refused_with_near_matches(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path
) -> None:
    result = cli("connect", "opencode", "-m", "openai/gpt-4.2", "--yes")
    assert result.code == 2
    assert "openai/gpt-4.1" in result.err
    assert not opencode_file(isolated_home).exists()


@pytest.mark.parametrize(
    ("content", "where"),
    [
        ('{\n  "theme": "x",\n  "provider": {\n    "a": 1\n    "b": 2\n  }\n}\n', ":5:"),
        ('{\n  "provider": "not-an-object"\n}\n', ":2"),
        ("[1, 2]\n", ":1"),
    ],
)
def test_bad_user_file_refused_untouched(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path, content: str, where: str
) -> None:
    path = opencode_file(isolated_home)
    path.parent.mkdir(parents=True)
    path.write_text(content)
    result = cli("connect", "opencode", "-m", "openai/gpt-4.1", "--yes")
    assert result.code == 1, result.all
    assert f"{path}{where}" in result.err
    assert path.read_text() == content
    assert not backups_of(path)


def test_read_only_file_refused(cli: Cli, logged_in: GatewayStandIn, isolated_home: Path) -> None:
    path = opencode_file(isolated_home)
    path.parent.mkdir(parents=True)
    path.write_text("{}\n")
    os.chmod(path, 0o444)
    result = cli("connect", "opencode", "-m", "openai/gpt-4.1", "--yes")
    assert result.code == 1 and "read-only" in result.err
    assert path.read_text() == "{}\n"


def test_read_only_directory_refused(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path
) -> None:
    folder = opencode_file(isolated_home).parent
    folder.mkdir(parents=True)
    os.chmod(folder, 0o555)
    try:
        result = cli("connect", "opencode", "-m", "openai/gpt-4.1", "--yes")
        assert result.code == 1 and "read-only" in result.err
        assert list(folder.iterdir()) == []
    finally:
        os.chmod(folder, 0o755)


def test_missing_parent_directory_is_created(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path
) -> None:
    assert not (isolated_home / ".claude").exists()
    result = cli("connect", "claude-code", "-m", "anthropic/claude-sonnet-4-0", "--yes")
    assert result.code == 0, result.all
    assert claude_file(isolated_home).exists()


def test_symlinked_config_is_written_through(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path, tmp_path: Path
) -> None:
    real = tmp_path / "dotfiles" / "opencode.json"
    real.parent.mkdir()
    real.write_text("{\n}\n")
    link = opencode_file(isolated_home)
    link.parent.mkdir(parents=True)
    link.symlink_to(real)
    assert cli("connect", "opencode", "-m", "openai/gpt-4.1", "--yes").code == 0
    assert link.is_symlink()
    assert "optscale" in jsonc.loads(real.read_text())["provider"]


def test_claude_code_env_block_and_helper(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path
) -> None:
    path = claude_file(isolated_home)
    path.parent.mkdir(parents=True)
    original = (
        json.dumps(
            {
                "permissions": {"allow": ["Bash(ls:*)"]},
                "env": {"ANTHROPIC_API_KEY": "sk-ant-old", "MY_VAR": "1"},
            },
            indent=4,
        )
        + "\n"
    )
    path.write_text(original)
    result = cli("connect", "claude-code", "--model", "anthropic/claude-sonnet-4-0", "--yes")
    assert result.code == 0, result.all
    settings = json.loads(path.read_text())
    env = settings["env"]
    assert env["ANTHROPIC_BASE_URL"] == logged_in.base_url.removesuffix("/v1") + "/anthropic"
    assert env["ANTHROPIC_DEFAULT_SONNET_MODEL"] == "anthropic/claude-sonnet-4-0"
    assert env["ANTHROPIC_DEFAULT_OPUS_MODEL"] == "anthropic/claude-opus-4-1"
    assert env["ANTHROPIC_DEFAULT_HAIKU_MODEL"] == "anthropic/claude-3-5-haiku-latest"
    assert "ANTHROPIC_API_KEY" not in env and "ANTHROPIC_AUTH_TOKEN" not in env
    assert env["MY_VAR"] == "1"
    assert settings["permissions"] == {"allow": ["Bash(ls:*)"]}
    assert "token" in settings["apiKeyHelper"]
    assert logged_in.GOOD_KEY not in path.read_text()
    assert "    " in path.read_text()  # the user's 4-space indentation is kept
    assert cli("disconnect", "claude-code", "--yes").code == 0
    # the removed ANTHROPIC_API_KEY comes back (at the end of `env`: order is not kept)
    assert json.loads(path.read_text()) == json.loads(original)


def test_claude_code_plaintext_key_is_0600(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path
) -> None:
    result = cli(
        "connect",
        "claude-code",
        "--sonnet",
        "anthropic/claude-sonnet-4-0",
        "--haiku",
        "anthropic/claude-3-5-haiku-latest",
        "--plaintext-key",
        "--yes",
    )
    assert result.code == 0, result.all
    path = claude_file(isolated_home)
    env = json.loads(path.read_text())["env"]
    assert env["ANTHROPIC_AUTH_TOKEN"] == logged_in.GOOD_KEY
    assert file_mode(path) == 0o600
    assert logged_in.GOOD_KEY not in result.all


def test_claude_code_strict_json_refuses_comments(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path
) -> None:
    path = claude_file(isolated_home)
    path.parent.mkdir(parents=True)
    content = '{\n  // no comments in strict JSON\n  "env": {}\n}\n'
    path.write_text(content)
    result = cli("connect", "claude-code", "-m", "anthropic/claude-sonnet-4-0", "--yes")
    assert result.code == 1
    assert f"{path}:2" in result.err
    assert path.read_text() == content


def test_drift_is_reported_and_left_alone(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path
) -> None:
    assert cli("connect", "opencode", "-m", "openai/gpt-4.1", "--yes").code == 0
    path = opencode_file(isolated_home)
    edited = path.read_text().replace(logged_in.base_url, "https://mine.example/v1")
    path.write_text(edited)
    rows = {r["client"]: r for r in cli("clients", "--json").json()}
    assert rows["opencode"]["connected"] is True
    assert rows["opencode"]["intact"] is False
    assert any("baseURL" in d for d in rows["opencode"]["drifted"])
    result = cli("disconnect", "opencode", "--yes")
    assert result.code == 0
    assert "baseURL" in result.err
    config = jsonc.loads(path.read_text())
    assert config["provider"]["optscale"]["options"] == {"baseURL": "https://mine.example/v1"}


def test_clients_overview(cli: Cli, logged_in: GatewayStandIn, isolated_home: Path) -> None:
    assert cli("connect", "claude-code", "-m", "anthropic/claude-sonnet-4-0", "--yes").code == 0
    rows = {r["client"]: r for r in cli("clients", "--json").json()}
    assert rows["claude-code"]["connected"] and rows["claude-code"]["intact"]
    assert rows["claude-code"]["matches_profile"] is True
    assert rows["opencode"]["connected"] is False
    table = cli("clients")
    assert "claude-code" in table.out and "ok" in table.out


def test_unknown_client(cli: Cli, logged_in: GatewayStandIn) -> None:
    result = cli("connect", "notepad", "-m", "openai/gpt-4.1")
    assert result.code == 2
    assert "opencode" in result.err


def test_files_holding_keys_are_private(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path, tmp_path: Path
) -> None:
    cli("connect", "opencode", "-m", "openai/gpt-4.1", "--yes")
    cli("connect", "claude-code", "-m", "anthropic/claude-sonnet-4-0", "--plaintext-key", "--yes")
    for path in tmp_path.rglob("*"):
        if path.is_file() and logged_in.GOOD_KEY in path.read_text(errors="ignore"):
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_all_models_and_logout_warns_about_connected_clients(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path
) -> None:
    result = cli("connect", "opencode", "-m", "openai/gpt-4.1", "--all-models", "--yes")
    assert result.code == 0, result.all
    models = jsonc.loads(opencode_file(isolated_home).read_text())["provider"]["optscale"]["models"]
    assert {"openai/gpt-4.1", "ollama/qwen3:32b", "mistral/mistral-large-2.1"} <= set(models)
    assert logged_in.DENIED_MODEL not in models
    refused = cli("logout")  # the profile is in use: list the clients, change nothing
    assert refused.code == 1 and "opencode" in refused.err and "--disconnect" in refused.err
    assert key_file_path("default").exists()
    out = cli("logout", "--force")
    assert out.code == 0, out.all
    assert "opencode is still connected" in out.err
    assert not key_file_path("default").exists()


def test_records_keep_only_a_digest_of_the_key(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path, tmp_path: Path
) -> None:
    path = claude_file(isolated_home)
    path.parent.mkdir(parents=True)
    path.write_text('{\n  "env": {\n    "ANTHROPIC_AUTH_TOKEN": "sk-mine-old-token-0000"\n  }\n}\n')
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
    ledger = tmp_path / "optscale-config" / "connections" / "claude-code.json"
    assert logged_in.GOOD_KEY not in ledger.read_text()
    assert "sha256" in ledger.read_text()
    rows = {r["client"]: r for r in cli("clients", "--json").json()}
    assert rows["claude-code"]["intact"] is True  # the digest still matches the file
    assert cli("disconnect", "claude-code", "--yes").code == 0
    assert json.loads(path.read_text())["env"] == {"ANTHROPIC_AUTH_TOKEN": "sk-mine-old-token-0000"}


def test_narrow_terminal_never_breaks_a_model_id(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path
) -> None:
    """COLUMNS=40: `clients` folds rows into `column  value` lines instead of splitting
    `openai/gpt-4.1` into `openai/gpt-4.` and `1`; wide terminals keep the table."""
    assert cli("connect", "opencode", "--model", "openai/gpt-4.1", "--yes").code == 0
    narrow = cli("clients", env={"COLUMNS": "40"})
    assert narrow.code == 0, narrow.all
    assert "openai/gpt-4.1" in narrow.out
    assert not any(line.rstrip().endswith("openai/gpt-4.") for line in narrow.out.splitlines())
    models = cli("models", "list", env={"COLUMNS": "40"})
    for model in ("openai/gpt-4.1-mini", "anthropic/claude-sonnet-4-0", "ollama/qwen3:32b"):
        assert model in models.out  # whole, on one line
    assert "anthropic/claude-3-5-haiku-latest" in models.out
    wide = cli("clients", env={"COLUMNS": "200"})
    assert any("opencode" in ln and "openai/gpt-4.1" in ln for ln in wide.out.splitlines())


def test_claude_code_tiers_never_take_the_big_model_for_background_work(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path
) -> None:
    """--model opus fills opus only: haiku (background work) gets the gateway's haiku."""
    result = cli("connect", "claude-code", "--model", "anthropic/claude-opus-4-1", "--yes")
    assert result.code == 0, result.all
    env = json.loads((isolated_home / ".claude/settings.json").read_text())["env"]
    assert env["ANTHROPIC_DEFAULT_OPUS_MODEL"] == "anthropic/claude-opus-4-1"
    assert env["ANTHROPIC_DEFAULT_HAIKU_MODEL"] == "anthropic/claude-3-5-haiku-latest"
    assert env["ANTHROPIC_DEFAULT_SONNET_MODEL"] == "anthropic/claude-sonnet-4-0"


def test_fill_tiers_falls_back_to_the_smallest_model() -> None:
    from optscale_cli.clients.claude_code import fill_tiers

    opus, sonnet = "anthropic/claude-opus-4-1", "anthropic/claude-sonnet-4-0"
    # no haiku on the gateway: haiku -> the smallest there is (sonnet), not --model opus
    assert fill_tiers(opus, {}, [opus, sonnet]) == {"opus": opus, "sonnet": sonnet, "haiku": sonnet}
    # only opus on the gateway: it is the smallest there is
    assert fill_tiers(None, {}, [opus])["haiku"] == opus
    # no model list at all: the smallest tier that was chosen
    assert fill_tiers(opus, {"sonnet": sonnet}, [])["haiku"] == sonnet
