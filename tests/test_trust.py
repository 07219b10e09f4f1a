"""Trust: the key never leaks, and nothing from the gateway or the command line can run or
read things on the user's machine. One test (or more) per class of the issue; each fails on
the main branch before the fix."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from optscale_cli.clients.claude_desktop import windows_helper_text
from optscale_cli.edit import jsonc
from optscale_cli.edit.stores import backups_of
from tests.conftest import Cli
from tests.gateway import GatewayStandIn

ALL_CLIENTS_BY_FILE = ("opencode", "claude-code", "codex", "continue", "zed", "aider", "goose")


def claude_file(home: Path) -> Path:
    return home / ".claude" / "settings.json"


def files_holding(root: Path, secret: str) -> list[Path]:
    found = []
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            try:
                if secret.encode() in path.read_bytes():
                    found.append(path)
            except OSError:
                continue
    return found


# 1. the full key is never printed ------------------------------------------------------


def test_env_key_with_windows_line_ending_is_normalised(cli: Cli, trusted: GatewayStandIn) -> None:
    env = {"OPTSCALE_URL": trusted.base_url, "OPTSCALE_API_KEY": trusted.GOOD_KEY + "\r\n"}
    result = cli("status", "--json", env=env)
    assert result.code == 0, result.all
    assert trusted.GOOD_KEY not in result.all
    assert result.json()["reachable"] is True


def test_env_key_that_is_still_invalid_is_a_usage_error_without_the_key(
    cli: Cli, trusted: GatewayStandIn
) -> None:
    bad = "sk-test-inner space-0123456789"
    env = {"OPTSCALE_URL": trusted.base_url, "OPTSCALE_API_KEY": bad}
    for args in (("status", "--json"), ("models", "list")):
        result = cli(*args, env=env)
        assert result.code == 2, result.all
        assert "inner space" not in result.all and bad not in result.all
    diagnosed = cli("doctor", "--json", env=env)  # doctor reports it as its profile check
    assert diagnosed.code == 1 and "inner space" not in diagnosed.all
    assert {c["id"]: c for c in diagnosed.json()["checks"]}["profile"]["status"] == "fail"


def test_diffs_never_show_a_key_on_either_side(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path
) -> None:
    key = logged_in.GOOD_KEY
    path = claude_file(isolated_home)
    path.parent.mkdir(parents=True)
    path.write_text('{"env": {"ANTHROPIC_API_KEY": "sk-ant-users-own-secret-9999"}}\n')
    done = cli(
        "connect", "claude-code", "-m", "anthropic/claude-sonnet-4-0", "--plaintext-key", "--yes"
    )
    assert done.code == 0, done.all
    assert key not in done.all and "sk-ant-users-own-secret-9999" not in done.all
    for args in (("--dry-run",), ("--dry-run", "--json")):
        undo = cli("disconnect", "claude-code", *args)
        assert undo.code == 0, undo.all
        assert "ANTHROPIC_AUTH_TOKEN" in undo.all  # the line is shown ...
        assert key not in undo.all  # ... never the key
        assert "sk-ant-users-own-secret-9999" not in undo.all  # nor the user's own secret


def test_rotation_shows_neither_key(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path
) -> None:
    assert cli("connect", "aider", "-m", "openai/gpt-4.1", "--plaintext-key", "--yes").code == 0
    rotated = cli(
        "login", "--rotate", "--yes", "--api-key-stdin", "--json", input=logged_in.LIMITED_KEY
    )
    assert rotated.code == 0, rotated.all
    assert logged_in.GOOD_KEY not in rotated.all and logged_in.LIMITED_KEY not in rotated.all


def test_token_has_no_json_form(cli: Cli, logged_in: GatewayStandIn) -> None:
    result = cli("token", "--json")
    assert result.code == 2
    assert logged_in.GOOD_KEY not in result.all
    assert json.loads(result.out)["ok"] is False


def test_internal_errors_and_verbose_tracebacks_are_redacted(
    cli: Cli, logged_in: GatewayStandIn
) -> None:
    # a proxy URL with a password in it ends up in an error: never shown
    env = {"HTTPS_PROXY": "http://user:hunter2-proxy-pass@127.0.0.1:9", "NO_PROXY": ""}
    result = cli("-v", "models", "list", "--refresh", env=env)
    assert result.code != 0
    assert "hunter2-proxy-pass" not in result.all


# 2./3. no copy of a key is left behind; the ledger holds no user secret -----------------


@pytest.mark.parametrize("client", ALL_CLIENTS_BY_FILE)
@pytest.mark.parametrize("mode", ["default", "plaintext"])
def test_connect_disconnect_logout_leaves_no_copy_of_the_key(
    cli: Cli,
    logged_in: GatewayStandIn,
    isolated_home: Path,
    tmp_path: Path,
    client: str,
    mode: str,
) -> None:
    flags = ["--plaintext-key"] if mode == "plaintext" else []
    model = "anthropic/claude-sonnet-4-0" if client == "claude-code" else "openai/gpt-4.1"
    if client == "continue":
        (isolated_home / ".continue").mkdir()
    done = cli("connect", client, "-m", model, "--yes", *flags)
    if done.code != 0:
        assert mode == "plaintext" and done.code == 2, done.all  # not every client has it
        return
    # connect twice: the second backup must hold the user's content, not ours
    assert cli("connect", client, "-m", "openai/gpt-4.1-mini", "--yes", *flags).code in (0, 2)
    assert cli("disconnect", client, "--yes").code == 0
    assert cli("logout").code == 0
    assert files_holding(tmp_path, logged_in.GOOD_KEY) == []


def test_logout_with_connected_clients_can_disconnect_them(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path, tmp_path: Path
) -> None:
    (isolated_home / ".continue").mkdir()
    assert cli("connect", "continue", "-m", "openai/gpt-4.1", "--yes").code == 0
    assert cli("connect", "opencode", "-m", "openai/gpt-4.1", "--yes").code == 0
    out = cli("logout", "--disconnect", "--json")
    assert out.code == 0, out.all
    assert sorted(out.json()["disconnected"]) == ["continue", "opencode"]
    assert files_holding(tmp_path, logged_in.GOOD_KEY) == []


def test_users_own_secret_is_kept_out_of_the_ledger_and_restored(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path, tmp_path: Path
) -> None:
    path = claude_file(isolated_home)
    path.parent.mkdir(parents=True)
    original = '{\n  "env": {\n    "ANTHROPIC_API_KEY": "sk-ant-mine-0000-1111-2222"\n  }\n}\n'
    path.write_text(original)
    assert cli("connect", "claude-code", "-m", "anthropic/claude-sonnet-4-0", "--yes").code == 0
    ledger = tmp_path / "optscale-config" / "connections" / "claude-code.json"
    assert "sk-ant-mine-0000-1111-2222" not in ledger.read_text()
    # the one copy is the user's own 0600 backup
    holding = files_holding(tmp_path, "sk-ant-mine-0000-1111-2222")
    assert holding == backups_of(path)
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in holding)
    assert cli("connect", "claude-code", "-m", "anthropic/claude-opus-4-1", "--yes").code == 0
    assert cli("disconnect", "claude-code", "--yes").code == 0
    assert path.read_text() == original


# 4. a plaintext key never goes where git would commit it --------------------------------


def git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.mark.parametrize("client", ["opencode", "aider", "claude-code"])
def test_plaintext_key_into_a_git_work_tree_is_refused(
    cli: Cli, logged_in: GatewayStandIn, tmp_path: Path, client: str
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git("init", "-q", cwd=repo)
    model = "anthropic/claude-sonnet-4-0" if client == "claude-code" else "openai/gpt-4.1"
    os.chdir(repo)
    refused = cli("connect", client, "-m", model, "--scope", "project", "--plaintext-key", "--yes")
    if client == "claude-code":  # settings.local.json: Claude Code's own .gitignore rule
        assert refused.code in (0, 1), refused.all
    else:
        assert refused.code == 1, refused.all
        assert "git" in refused.err and "--plaintext-key-in-git" in refused.err
        assert files_holding(repo, logged_in.GOOD_KEY) == []
    # ignored by git: allowed
    (repo / ".gitignore").write_text("opencode.json\n.aider.conf.yml\n.claude/\n")
    done = cli("connect", client, "-m", model, "--scope", "project", "--plaintext-key", "--yes")
    assert done.code == 0, done.all


def test_the_loud_flag_allows_a_key_in_git(
    cli: Cli, logged_in: GatewayStandIn, tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git("init", "-q", cwd=repo)
    os.chdir(repo)
    args = ("connect", "aider", "-m", "openai/gpt-4.1", "--scope", "project", "--plaintext-key")
    assert cli(*args, "--plaintext-key-in-git", "--yes").code == 0


# 5./6. gateway strings: never written when they could be expanded, never raw on a terminal -


@pytest.fixture
def hostile(cli: Cli, trusted: GatewayStandIn) -> GatewayStandIn:
    result = cli(
        "login", "--url", trusted.base_url, "--api-key-stdin", input=trusted.HOSTILE_KEY + "\n"
    )
    assert result.code == 0, result.all
    return trusted


def test_hostile_model_ids_are_left_out_of_listings(cli: Cli, hostile: GatewayStandIn) -> None:
    listed = cli("models", "list")
    assert listed.code == 0
    assert "openai/gpt-4.1-safe" in listed.out
    for bad in ("{file:", "${{", "{env:", "\x1b", "\u202e", "two\nlines"):
        assert bad not in listed.out
    assert "left out 6 model id(s)" in listed.err
    assert "\x1b" not in listed.err and "\u202e" not in listed.err
    as_json = cli("models", "list", "--json")
    assert [m["id"] for m in as_json.json()] == ["openai/gpt-4.1-safe"]


@pytest.mark.parametrize(
    "model", ["anthropic/{file:~/.ssh/id_rsa}", "openai/${{ secrets.AWS_SECRET }}", "a b"]
)
def test_connect_refuses_a_model_id_that_clients_would_expand(
    cli: Cli, hostile: GatewayStandIn, isolated_home: Path, model: str
) -> None:
    result = cli("connect", "opencode", "--model", model, "--yes")
    assert result.code == 2, result.all
    assert not (isolated_home / ".config/opencode/opencode.json").exists()


def test_setup_never_picks_a_hostile_model(
    cli: Cli, hostile: GatewayStandIn, isolated_home: Path
) -> None:
    result = cli("setup", "--yes", "--clients", "opencode", "--json")
    written = (isolated_home / ".config/opencode/opencode.json").read_text()
    assert "{file:~" not in written and "${{" not in written and "{env:HOME}" not in written
    assert "openai/gpt-4.1-safe" in written, result.all


def test_models_show_makes_terminal_escapes_visible(cli: Cli, hostile: GatewayStandIn) -> None:
    shown = cli("models", "show", "openai/gpt-4.1-safe")
    assert shown.code == 0, shown.all
    assert "\x1b" not in shown.out and "\x07" not in shown.out and "\u202e" not in shown.out
    assert "\\x1b" in shown.out and "\\u202e" in shown.out
    exact = cli("models", "show", "openai/gpt-4.1-safe", "--json").json()
    assert exact["owned_by"].startswith("\x1b]0;pwned")  # --json stays exact


# 8. a key only ever goes to the gateway it belongs to ----------------------------------


def test_token_for_another_gateway_is_refused(cli: Cli, logged_in: GatewayStandIn) -> None:
    root = logged_in.base_url.removesuffix("/v1")
    ok = cli("token", "--for-url", root + "/anthropic")
    assert ok.code == 0 and ok.out.strip() == logged_in.GOOD_KEY
    other = cli("token", "--for-url", "https://evil.example/llm_proxy/x/anthropic")
    assert other.code == 3
    assert logged_in.GOOD_KEY not in other.all


def test_relogin_to_another_gateway_with_connected_clients_is_refused(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path
) -> None:
    assert cli("connect", "claude-code", "-m", "anthropic/claude-sonnet-4-0", "--yes").code == 0
    helper = json.loads(claude_file(isolated_home).read_text())["apiKeyHelper"]
    assert "--for-url" in helper
    other = logged_in.base_url.replace("127.0.0.1", "localhost")
    moved = cli("login", "--url", other, "--api-key-stdin", input=logged_in.GOOD_KEY)
    assert moved.code == 1, moved.all
    assert "claude-code" in moved.err
    # the helper, run as Claude Code runs it, still hands out the right key
    done = subprocess.run(helper, shell=True, capture_output=True, text=True, check=False)
    assert done.returncode == 0 and done.stdout.strip() == logged_in.GOOD_KEY


# 9. names that would escape our folder ---------------------------------------------------


@pytest.mark.parametrize("name", ["../../victim/server", "/etc/passwd", ".hidden", "a" * 65, ""])
def test_profile_names_that_escape_are_usage_errors(
    cli: Cli, trusted: GatewayStandIn, tmp_path: Path, name: str
) -> None:
    result = cli(
        "--profile",
        name,
        "login",
        "--url",
        trusted.base_url,
        "--api-key-stdin",
        input=trusted.GOOD_KEY,
    )
    assert result.code == 2, result.all
    assert files_holding(tmp_path, trusted.GOOD_KEY) == []
    assert cli("--profile", name, "logout").code == 2
    env_result = cli("status", "--offline", env={"OPTSCALE_PROFILE": name or "x/y"})
    assert env_result.code == 2


# 10. environment-only mode ----------------------------------------------------------------


def test_env_only_mode_refuses_helpers_and_key_files(
    cli: Cli, trusted: GatewayStandIn, isolated_home: Path, tmp_path: Path
) -> None:
    env = {"OPTSCALE_URL": trusted.base_url, "OPTSCALE_API_KEY": trusted.GOOD_KEY}
    for client, model in (("claude-code", "anthropic/claude-sonnet-4-0"), ("opencode", "o")):
        model = model if client == "claude-code" else "openai/gpt-4.1"
        result = cli("connect", client, "-m", model, "--yes", env=env)
        assert result.code == 2, result.all
        assert "optscale login" in result.err
    # what works without a saved key: an env reference
    ok = cli("connect", "opencode", "-m", "openai/gpt-4.1", "--key-from-env", "--yes", env=env)
    assert ok.code == 0, ok.all
    assert files_holding(tmp_path, trusted.GOOD_KEY) == []


# 11. helpers that work from anywhere --------------------------------------------------------


def test_relative_config_dir_becomes_absolute_in_client_configs(
    cli: Cli, trusted: GatewayStandIn, isolated_home: Path, tmp_path: Path
) -> None:
    os.chdir(tmp_path)
    env = {"OPTSCALE_CONFIG_DIR": "rel-config"}
    login = cli(
        "login", "--url", trusted.base_url, "--api-key-stdin", input=trusted.GOOD_KEY, env=env
    )
    assert login.code == 0, login.all
    assert cli("connect", "opencode", "-m", "openai/gpt-4.1", "--yes", env=env).code == 0
    args = ("connect", "claude-code", "-m", "anthropic/claude-sonnet-4-0", "--yes")
    assert cli(*args, env=env).code == 0
    api_key = jsonc.loads((isolated_home / ".config/opencode/opencode.json").read_text())
    reference = api_key["provider"]["optscale"]["options"]["apiKey"]
    assert reference == f"{{file:{tmp_path / 'rel-config' / 'keys' / 'default.key'}}}"
    helper = json.loads(claude_file(isolated_home).read_text())["apiKeyHelper"]
    assert f"OPTSCALE_CONFIG_DIR={tmp_path / 'rel-config'}" in helper
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = subprocess.run(
        helper, shell=True, cwd=elsewhere, capture_output=True, text=True, check=False
    )
    assert done.stdout.strip() == trusted.GOOD_KEY, done.stderr


def test_windows_helper_is_cmd_quoted() -> None:
    text = windows_helper_text(
        [
            r"C:\Program Files\optscale\optscale.exe",
            "--profile",
            "a&b",
            "token",
            "--for-url",
            "https://gw.example/llm_proxy/o%PATH%/anthropic",
        ],
        r"C:\Users\me\opt scale",
    )
    assert text == (
        "@echo off\r\n"
        'set "OPTSCALE_CONFIG_DIR=C:\\Users\\me\\opt scale"\r\n'
        '"C:\\Program Files\\optscale\\optscale.exe" "--profile" "a&b" "token" "--for-url" '
        '"https://gw.example/llm_proxy/o%%PATH%%/anthropic"\r\n'
    )
    assert "'" not in text


def test_doctor_runs_the_key_helper_and_checks_what_it_yields(
    cli: Cli, logged_in: GatewayStandIn, tmp_path: Path
) -> None:
    assert cli("connect", "claude-code", "-m", "anthropic/claude-sonnet-4-0", "--yes").code == 0
    healthy = cli("doctor", "--client", "claude-code", "--offline", "--json")
    found = {c["id"]: c for c in healthy.json()["checks"]}
    assert found["client:claude-code"]["status"] == "pass", healthy.out
    # the saved key is gone; only this shell's OPTSCALE_API_KEY has one, which the client
    # (and so its helper) never sees: doctor must say the helper yields nothing usable
    (tmp_path / "optscale-config" / "credentials.toml").unlink()
    broken = cli(
        "doctor",
        "--client",
        "claude-code",
        "--offline",
        "--json",
        env={"OPTSCALE_API_KEY": logged_in.GOOD_KEY},
    )
    check = {c["id"]: c for c in broken.json()["checks"]}["client:claude-code"]
    assert check["status"] == "fail" and "key helper" in check["message"], broken.out
    assert logged_in.GOOD_KEY not in broken.all


def test_folders_we_create_ignore_a_permissive_umask(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path, tmp_path: Path
) -> None:
    old = os.umask(0)
    try:
        for client, model in (
            ("claude-code", "anthropic/claude-sonnet-4-0"),
            ("opencode", "openai/gpt-4.1"),
            ("codex", "openai/gpt-4.1"),
            ("aider", "openai/gpt-4.1"),
        ):
            assert cli("connect", client, "-m", model, "--yes").code == 0
    finally:
        os.umask(old)
    for folder in (".claude", ".config", ".config/opencode", ".codex"):
        mode = (isolated_home / folder).stat().st_mode & 0o777
        assert mode & 0o022 == 0, f"{folder} is {oct(mode)}"
    for folder in (tmp_path / "optscale-config").rglob("*"):
        if folder.is_dir():
            assert folder.stat().st_mode & 0o077 == 0, folder


def test_parallel_logins_lose_no_profile(trusted: GatewayStandIn, tmp_path: Path) -> None:
    """Our own state is a read-merge-write under a lock: 8 logins at once all survive."""
    env = {
        **os.environ,
        "OPTSCALE_CONFIG_DIR": str(tmp_path / "optscale-config"),
        "OPTSCALE_CA_BUNDLE": trusted.ca_pem_path,
        "OPTSCALE_NO_KEYRING": "1",
    }
    run = "from optscale_cli.main import main; main()"
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                run,
                "--profile",
                f"p{i}",
                "login",
                "--url",
                trusted.base_url,
                "--api-key-stdin",
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        for i in range(8)
    ]
    for proc in procs:
        _, err = proc.communicate(trusted.GOOD_KEY.encode(), timeout=60)
        assert proc.returncode == 0, err
    listed = subprocess.run(
        [sys.executable, "-c", run, "profiles", "list", "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert sorted(p["name"] for p in json.loads(listed.stdout)) == sorted(f"p{i}" for i in range(8))
    credentials = (tmp_path / "optscale-config" / "credentials.toml").read_text()
    assert all(f"[profiles.p{i}]" in credentials for i in range(8))


def test_damaged_own_files_name_the_file(
    cli: Cli, logged_in: GatewayStandIn, tmp_path: Path
) -> None:
    assert cli("connect", "aider", "-m", "openai/gpt-4.1", "--yes").code == 0
    ledger = tmp_path / "optscale-config" / "connections" / "aider.json"
    ledger.write_text('{"files": [1, 2]}')
    listed = cli("clients", "--json")  # one damaged record never breaks the listing
    assert listed.code == 0, listed.all
    row = {r["client"]: r for r in listed.json()}["aider"]
    assert "aider.json" in row["errors"][0]
    refused = cli("disconnect", "aider", "--yes")
    assert refused.code == 1 and "--force" in refused.err and "internal" not in refused.err
    assert cli("disconnect", "aider", "--force").code == 0
    assert not ledger.exists()
    credentials = tmp_path / "optscale-config" / "credentials.toml"
    credentials.write_text("[profiles\nbroken = ")
    result = cli("status", "--offline", "--json")
    assert result.code == 1 and "credentials.toml:1" in result.json()["error"]["message"]


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('active = "default"\n[profiles.default\norigin = "x"\n', "config.toml:2:"),
        ('active = "default"\nactive = "twice"\n', "config.toml:2:"),
        ("x = \x00\n", "config.toml:1:"),
        ("a = " + "[" * 5000 + "]" * 5000 + "\n", "config.toml"),
    ],
)
def test_a_damaged_config_is_named_with_its_line(
    cli: Cli, tmp_path: Path, text: str, where: str
) -> None:
    """Our own config.toml, read by the standard library's parser now: a damaged one (bad
    header, a key twice, a NUL, deep nesting) is exit 1 naming the file and line, for the
    commands that only read it and for `profiles use`, which edits it; never a traceback."""
    config = tmp_path / "optscale-config" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(text)
    reads = (("status", "--offline", "--json"), ("profiles", "list", "--json"))
    for args in (*reads, ("profiles", "use", "default", "--json")):
        result = cli(*args)
        assert result.code == 1, result.all
        assert where in result.json()["error"]["message"], result.all
        assert "Traceback" not in result.all and "internal" not in result.all
