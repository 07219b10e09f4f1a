"""env, exec, and login --rotate."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from optscale_cli.edit import jsonc
from optscale_cli.errors import UsageError
from optscale_cli.secrets import key_file_path
from optscale_cli.shell_env import render_env
from tests.conftest import Cli
from tests.gateway import GatewayStandIn


def test_env_exports_for_eval(cli: Cli, logged_in: GatewayStandIn) -> None:
    result = cli("env")
    assert result.code == 0, result.all
    base = logged_in.base_url.removesuffix("/v1")
    assert f"export OPENAI_BASE_URL={base}/v1" in result.out
    assert f"export OPENAI_API_KEY={logged_in.GOOD_KEY}" in result.out  # piped: complete
    assert f"export ANTHROPIC_BASE_URL={base}/anthropic" in result.out
    only = cli("env", "--client", "anthropic", "--shell", "fish")
    assert "set -gx ANTHROPIC_AUTH_TOKEN" in only.out and "OPENAI" not in only.out
    assert cli("env", "--shell", "tcsh").code == 2


def test_rendered_exports_round_trip_through_real_shells() -> None:
    value = 'it\'s "odd" $HOME `x` \\ ok'
    script = render_env({"OPTSCALE_T": value}, "bash") + 'printf %s "$OPTSCALE_T"'
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout == value
    with pytest.raises(UsageError) as refused:  # dotenv has no quoting for ' and \
        render_env({"K": value}, "dotenv")
    assert value not in str(refused.value)


def test_exec_passes_key_in_environment_only(
    cli: Cli, logged_in: GatewayStandIn, tmp_path: Path
) -> None:
    out = tmp_path / "seen.json"
    code = (
        "import json, os, sys; json.dump({k: os.environ[k] for k in "
        "('OPENAI_BASE_URL', 'OPENAI_API_KEY', 'ANTHROPIC_AUTH_TOKEN')}, open(sys.argv[1], 'w'))"
    )
    result = cli("exec", "--", sys.executable, "-c", code, str(out))
    assert result.code == 0, result.all
    seen = json.loads(out.read_text())
    assert seen["OPENAI_BASE_URL"] == logged_in.base_url
    assert seen["OPENAI_API_KEY"] == seen["ANTHROPIC_AUTH_TOKEN"] == logged_in.GOOD_KEY
    assert cli("exec", "--", sys.executable, "-c", "raise SystemExit(7)").code == 7
    assert cli("exec", "--", "no-such-command-xyz").code == 2


def test_rotate_updates_clients_holding_the_key(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path
) -> None:
    assert cli("connect", "opencode", "-m", "openai/gpt-4.1", "--plaintext-key", "--yes").code == 0
    assert cli("connect", "claude-code", "-m", "anthropic/claude-sonnet-4-0", "--yes").code == 0
    wrong = cli("login", "--rotate", "--api-key-stdin", "--yes", input="sk-bad-000000000000")
    assert wrong.code == 3
    result = cli(
        "login", "--rotate", "--api-key-stdin", "--yes", "--json", input=logged_in.LIMITED_KEY
    )
    assert result.code == 0, result.all
    assert result.json()["updated_clients"] == ["opencode"]  # claude-code uses the helper
    opencode = isolated_home / ".config/opencode/opencode.json"
    assert jsonc.loads(opencode.read_text())["provider"]["optscale"]["options"]["apiKey"] == (
        logged_in.LIMITED_KEY
    )
    assert logged_in.LIMITED_KEY not in result.all
    status = cli("status", "--json").json()
    assert status["api_key"].endswith(logged_in.LIMITED_KEY[-4:])
    # the disconnect still restores the user's original state
    assert cli("disconnect", "opencode", "--yes").code == 0
    assert not opencode.exists()


def test_rotate_updates_key_file(cli: Cli, logged_in: GatewayStandIn) -> None:
    assert cli("connect", "opencode", "-m", "openai/gpt-4.1", "--yes").code == 0
    assert (
        cli("login", "--rotate", "--api-key-stdin", "--yes", input=logged_in.LIMITED_KEY).code == 0
    )
    assert key_file_path("default").read_text() == logged_in.LIMITED_KEY


def test_plain_relogin_updates_the_key_file(cli: Cli, logged_in: GatewayStandIn) -> None:
    assert cli("connect", "opencode", "-m", "openai/gpt-4.1", "--yes").code == 0
    assert (
        cli(
            "login", "--url", logged_in.base_url, "--api-key-stdin", input=logged_in.LIMITED_KEY
        ).code
        == 0
    )
    assert key_file_path("default").read_text() == logged_in.LIMITED_KEY
