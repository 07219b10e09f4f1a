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


def _copies(home: Path) -> tuple[str, str]:
    return (home / ".aider.conf.yml").read_text(), (home / ".continue/.env").read_text()


def _profile_key_ends(cli: Cli) -> str:
    return str(cli("status", "--json", "--offline").json()["api_key"])[-4:]  # type: ignore[index]


def test_rotation_is_all_or_nothing_and_a_rerun_finishes_it(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from optscale_cli.edit import engine

    good, new = logged_in.GOOD_KEY, logged_in.LIMITED_KEY
    assert cli("connect", "aider", "-m", "openai/gpt-4.1", "--plaintext-key", "--yes").code == 0
    assert cli("connect", "continue", "-m", "openai/gpt-4.1", "--yes").code == 0
    assert all(good in text for text in _copies(isolated_home))
    rotate = ("login", "--rotate", "--api-key-stdin", "--yes")
    # another optscale holds the edit lock: nothing may change, the profile included
    real_lock = engine.edit_lock
    monkeypatch.setattr(engine, "edit_lock", lambda d, timeout_s=10.0: real_lock(d, 0.2))
    with real_lock(isolated_home.parent / "optscale-config" / "locks"):
        busy = cli(*rotate, input=new)
    assert busy.code == 1 and "another optscale" in busy.err, busy.all
    assert _profile_key_ends(cli) == good[-4:]
    assert all(good in text and new not in text for text in _copies(isolated_home))
    # a write that fails half-way (disk full after the first file) is put back whole
    failed = cli(*rotate, input=new, env={"OPTSCALE_FAULT": "2:enospc"})
    assert failed.code == 1, failed.all
    assert _profile_key_ends(cli) == good[-4:]
    assert all(good in text and new not in text for text in _copies(isolated_home))
    done = cli(*rotate, "--json", input=new)
    assert done.code == 0, done.all
    assert sorted(done.json()["updated_clients"]) == ["aider", "continue"]  # type: ignore[index]
    assert _profile_key_ends(cli) == new[-4:]
    assert all(new in text and good not in text for text in _copies(isolated_home))
    assert cli("doctor", "--offline", "--json").code == 0
    again = cli(*rotate, input=new)
    assert again.code == 2 and "already has" in again.err


def test_the_same_key_again_finishes_a_rotation_left_half_done(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path
) -> None:
    """As the previous version left it: the profile on the new key, a client on the old."""
    new = logged_in.LIMITED_KEY
    assert cli("connect", "aider", "-m", "openai/gpt-4.1", "--plaintext-key", "--yes").code == 0
    relogin = cli("login", "--url", logged_in.base_url, "--api-key-stdin", input=new)
    assert relogin.code == 0
    assert logged_in.GOOD_KEY in (isolated_home / ".aider.conf.yml").read_text()
    finished = cli("login", "--rotate", "--api-key-stdin", "--yes", input=new)
    assert finished.code == 0, finished.all
    assert new in (isolated_home / ".aider.conf.yml").read_text()


def test_clients_that_need_no_write_never_block_a_rotation(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path
) -> None:
    from optscale_cli.connections import Ledger, ledger_path

    assert cli("connect", "opencode", "-m", "openai/gpt-4.1", "--yes").code == 0  # key file
    (isolated_home / ".config/opencode/opencode.json").write_text("{ not json")
    cursor = Ledger("cursor", profile="default", details={"key_mode": "manual"})
    ledger_path("cursor").write_text(json.dumps(cursor.to_dict()))  # no Cursor DB here
    result = cli("login", "--rotate", "--api-key-stdin", "--yes", input=logged_in.LIMITED_KEY)
    assert result.code == 0, result.all
    assert key_file_path("default").read_text() == logged_in.LIMITED_KEY
    assert "Settings → Models" in result.err and "Cursor" in result.err
    doc = cli("login", "--rotate", "--api-key-stdin", "--yes", "--json", input=logged_in.GOOD_KEY)
    assert doc.json()["manual_steps"][0]["client"] == "Cursor"  # type: ignore[index]
    assert doc.json()["following_clients"] == ["opencode"]  # type: ignore[index]


def test_doctor_compares_the_key_in_continues_env_file(cli: Cli, logged_in: GatewayStandIn) -> None:
    assert cli("connect", "continue", "-m", "openai/gpt-4.1", "--yes").code == 0
    assert cli("doctor", "--offline").code == 0
    relogin = cli(
        "login", "--url", logged_in.base_url, "--api-key-stdin", input=logged_in.LIMITED_KEY
    )
    assert relogin.code == 0
    doctor = cli("doctor", "--offline", "--json")
    assert doctor.code == 1
    checks = {c["id"]: c for c in doctor.json()["checks"]}  # type: ignore[index]
    assert checks["client:continue"]["status"] == "fail"
    assert "not the profile's current key" in checks["client:continue"]["message"]


def test_the_keyring_entry_is_switched_last(
    cli: Cli, trusted: GatewayStandIn, isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from optscale_cli import secrets

    entries: dict[str, str] = {}
    aider_when_set: list[str] = []

    def fake_keyring(fn_name: str, *args: str) -> object:
        account = args[1]
        if fn_name == "set_password":
            conf = isolated_home / ".aider.conf.yml"
            aider_when_set.append(conf.read_text() if conf.exists() else "")
            entries[account] = args[2]
        elif fn_name == "get_password":
            return entries.get(account)
        else:
            entries.pop(account, None)
        return None

    monkeypatch.setattr(secrets, "_keyring_call", fake_keyring)
    login = cli("login", "--url", trusted.base_url, "--api-key-stdin", input=trusted.GOOD_KEY)
    assert login.code == 0 and "keyring" in login.all
    assert cli("connect", "aider", "-m", "openai/gpt-4.1", "--plaintext-key", "--yes").code == 0
    aider_when_set.clear()
    rotate = ("login", "--rotate", "--api-key-stdin", "--yes")
    failed = cli(*rotate, input=trusted.LIMITED_KEY, env={"OPTSCALE_FAULT": "1:enospc"})
    assert failed.code == 1, failed.all
    assert aider_when_set == [] and list(entries.values()) == [trusted.GOOD_KEY]
    done = cli(*rotate, input=trusted.LIMITED_KEY)
    assert done.code == 0, done.all
    assert list(entries.values()) == [trusted.LIMITED_KEY]
    assert len(aider_when_set) == 1 and trusted.LIMITED_KEY in aider_when_set[0]
