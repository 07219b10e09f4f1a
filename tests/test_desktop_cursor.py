"""Cursor (its SQLite state DB) and Claude Desktop (exports, and the local library)."""

from __future__ import annotations

import json
import plistlib
import shutil
import socket
import sqlite3
import subprocess
from pathlib import Path

import pytest

from optscale_cli.clients.base import ConnectRequest
from optscale_cli.clients.claude_desktop import (
    ClaudeDesktop,
    library_dir,
    managed_sources,
    windows_helper_text,
)
from optscale_cli.clients.cursor import ROW_KEY, unreachable_from_internet
from optscale_cli.flows.connect import apply_connections, plan_connection
from optscale_cli.profiles import resolve_profile
from tests.conftest import Cli, file_mode
from tests.gateway import GatewayStandIn

USER_ROW = {
    "openAIBaseUrl": "",
    "useOpenAIKey": False,
    "availableDefaultModels2": [{"name": "gpt-4o", "defaultOn": True}],
    "aiSettings": {
        "userAddedModels": ["my-local"],
        "modelOverrideEnabled": ["my-local"],
        "modelOverrideDisabled": ["openai/gpt-4.1", "o1"],
        "modelConfig": {"composer": {"modelName": "gpt-4o"}},
    },
    "theme": {"keep": True},
}


def make_cursor_db(home: Path) -> Path:
    db = home / ".config/Cursor/User/globalStorage/state.vscdb"
    db.parent.mkdir(parents=True)
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE ItemTable (key TEXT UNIQUE ON CONFLICT REPLACE, value BLOB)")
        row = json.dumps(USER_ROW).encode()  # Cursor stores some rows as BLOBs
        conn.execute("INSERT INTO ItemTable VALUES (?, ?)", (ROW_KEY, row))
        conn.execute("INSERT INTO ItemTable VALUES ('other.key', '{\"x\": 1}')")
    return db


def read_row(db: Path, key: str = ROW_KEY) -> dict:  # type: ignore[type-arg]
    with sqlite3.connect(db) as conn:
        return json.loads(
            conn.execute("SELECT value FROM ItemTable WHERE key=?", (key,)).fetchone()[0]
        )


def test_cursor_connect_idempotent_and_undo(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path
) -> None:
    db = make_cursor_db(isolated_home)
    result = cli("connect", "cursor", "--model", "openai/gpt-4.1", "--yes")
    assert result.code == 0, result.all
    row = read_row(db)
    assert row["openAIBaseUrl"] == logged_in.base_url.removesuffix("/v1") + "/cursor"
    assert row["useOpenAIKey"] is True
    assert row["aiSettings"]["userAddedModels"] == ["my-local", "openai/gpt-4.1"]
    assert "openai/gpt-4.1" in row["aiSettings"]["modelOverrideEnabled"]
    assert row["aiSettings"]["modelOverrideDisabled"] == ["o1"]
    assert row["availableDefaultModels2"] == USER_ROW["availableDefaultModels2"]
    assert read_row(db, "other.key") == {"x": 1}
    assert "cannot reach it" in result.err  # the stand-in is on 127.0.0.1
    assert "Settings → Models" in result.err
    assert logged_in.GOOD_KEY not in result.all
    backup = db.with_name("state.vscdb.optscale.bak")
    assert read_row(backup) == USER_ROW  # a consistent copy of the original
    again = cli("connect", "cursor", "--model", "openai/gpt-4.1", "--yes", "--json")
    assert again.code == 0 and again.json()["changed"] is False
    assert cli("disconnect", "cursor", "--yes").code == 0
    assert read_row(db) == USER_ROW


def test_cursor_refuses_while_running(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path, tmp_path: Path
) -> None:
    db = make_cursor_db(isolated_home)
    fake = tmp_path / "cursor"
    shutil.copy("/bin/sleep", fake)
    process = subprocess.Popen([str(fake), "30"])
    try:
        result = cli("connect", "cursor", "--model", "openai/gpt-4.1", "--yes")
        assert result.code == 1
        assert "Cursor is running" in result.err
        assert read_row(db) == USER_ROW
    finally:
        process.kill()
        process.wait()


def test_cursor_missing_db_and_manual(cli: Cli, logged_in: GatewayStandIn) -> None:
    missing = cli("connect", "cursor", "--model", "openai/gpt-4.1", "--yes")
    assert missing.code == 1 and "state.vscdb" in missing.err and "--manual" in missing.err
    manual = cli("connect", "cursor", "--model", "openai/gpt-4.1", "--manual")
    assert manual.code == 0, manual.all
    assert "/cursor" in manual.out and "sk-…abcd" in manual.out
    assert logged_in.GOOD_KEY not in manual.all


def test_claude_desktop_on_linux_offers_export(cli: Cli, logged_in: GatewayStandIn) -> None:
    result = cli("connect", "claude-desktop", "-m", "anthropic/claude-sonnet-4-0", "--yes")
    assert result.code == 1
    assert "no official Linux build" in result.err and "--export" in result.err


def test_claude_desktop_mobileconfig_export(
    cli: Cli, logged_in: GatewayStandIn, tmp_path: Path
) -> None:
    out = tmp_path / "claude.mobileconfig"
    result = cli(
        "connect",
        "claude-desktop",
        "-m",
        "anthropic/claude-sonnet-4-0",
        "--export",
        "mobileconfig",
        "--output",
        str(out),
    )
    assert result.code == 0, result.all
    profile = plistlib.loads(out.read_bytes())
    payload = profile["PayloadContent"][0]
    assert payload["PayloadType"] == "com.anthropic.claudefordesktop"
    assert payload["inferenceProvider"] == "gateway"
    assert payload["inferenceGatewayBaseUrl"].endswith(f"/llm_proxy/{logged_in.ORG}/anthropic")
    assert json.loads(payload["inferenceModels"])[0] == "anthropic/claude-sonnet-4-0"
    assert all(isinstance(v, str) for k, v in payload.items() if k.startswith("inference"))
    assert "inferenceGatewayApiKey" not in payload
    again = ["connect", "claude-desktop", "-m", "anthropic/claude-opus-4-1", "--export"]
    assert cli(*again, "mobileconfig", "--output", str(out)).code == 0  # ours: replaced
    payload = plistlib.loads(out.read_bytes())["PayloadContent"][0]
    assert json.loads(payload["inferenceModels"])[0] == "anthropic/claude-opus-4-1"
    foreign = tmp_path / "someone-elses.mobileconfig"
    foreign.write_bytes(plistlib.dumps({"PayloadIdentifier": "com.example.other"}))
    refused = cli(*again, "mobileconfig", "--output", str(foreign))
    assert refused.code == 1 and "not written by optscale" in refused.err
    assert plistlib.loads(foreign.read_bytes()) == {"PayloadIdentifier": "com.example.other"}


def test_claude_desktop_reg_export_with_key(
    cli: Cli, logged_in: GatewayStandIn, tmp_path: Path
) -> None:
    out = tmp_path / "claude.reg"
    result = cli(
        "connect",
        "claude-desktop",
        "-m",
        "anthropic/claude-sonnet-4-0",
        "--export",
        "reg",
        "--output",
        str(out),
        "--plaintext-key",
    )
    assert result.code == 0, result.all
    raw = out.read_bytes()
    assert raw.startswith(b"\xff\xfe")  # UTF-16 LE with a BOM, as regedit writes
    text = raw.decode("utf-16")
    assert text.startswith("Windows Registry Editor Version 5.00\r\n")
    assert "[HKEY_CURRENT_USER\\SOFTWARE\\Policies\\Claude]" in text
    assert f'"inferenceGatewayApiKey"="{logged_in.GOOD_KEY}"' in text
    assert '"inferenceModels"="[\\"anthropic/claude-sonnet-4-0\\"' in text
    assert file_mode(out) == 0o600
    plain = ["connect", "claude-desktop", "-m", "anthropic/claude-opus-4-1", "--export", "reg"]
    assert cli(*plain, "--output", str(out)).code == 0  # our own earlier export: replaced
    text = out.read_bytes().decode("utf-16")
    assert "inferenceGatewayApiKey" not in text and "claude-opus-4-1" in text
    assert file_mode(out) == 0o644
    foreign = tmp_path / "policy.reg"
    foreign.write_bytes("\ufeffWindows Registry Editor Version 5.00\r\n".encode("utf-16-le"))
    assert cli(*plain, "--output", str(foreign)).code == 1


@pytest.mark.parametrize("platform", ["darwin", "win32", "linux"])
def test_library_dir_per_os(platform: str, tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path), "LOCALAPPDATA": str(tmp_path / "Local")}
    found = library_dir(platform, env)
    expected = {
        "darwin": tmp_path / "Library/Application Support/Claude-3p/configLibrary",
        "win32": tmp_path / "Local/Claude-3p/configLibrary",
        "linux": None,
    }[platform]
    assert found == expected


def test_claude_desktop_local_library_on_macos(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path
) -> None:
    client = ClaudeDesktop(platform="darwin")
    profile = resolve_profile(None)
    request = ConnectRequest(
        profile=profile, model="anthropic/claude-sonnet-4-0", models=["anthropic/claude-sonnet-4-0"]
    )
    folder = isolated_home / "Library/Application Support/Claude-3p/configLibrary"
    folder.mkdir(parents=True)
    (folder / "_meta.json").write_text(
        json.dumps({"appliedId": "mine", "entries": [{"id": "mine", "name": "Mine"}]}, indent=2)
    )
    apply_connections([plan_connection(client, request)])
    entry = json.loads((folder / "optscale.json").read_text())
    assert entry["inferenceProvider"] == "gateway"
    assert entry["inferenceCredentialHelper"].endswith("claude-desktop-key-default")
    helper = Path(entry["inferenceCredentialHelper"])
    assert helper.stat().st_mode & 0o777 == 0o700
    printed = subprocess.run([str(helper)], capture_output=True, text=True, check=True)
    assert printed.stdout.strip() == logged_in.GOOD_KEY
    meta = json.loads((folder / "_meta.json").read_text())
    assert meta["appliedId"] == "optscale"
    assert [e["id"] for e in meta["entries"]] == ["mine", "optscale"]
    assert not plan_connection(client, request).changed  # idempotent


def test_library_dir_overrides_and_msix(tmp_path: Path) -> None:
    env = {"CLAUDE_USER_DATA_DIR": str(tmp_path / "data"), "HOME": str(tmp_path)}
    assert library_dir("darwin", env) == tmp_path / "data/configLibrary"
    assert library_dir("linux", env) is None
    local = tmp_path / "Local"
    packaged = local / "Packages/Claude_pzs8sxrjxfjjc/LocalCache/Local/Claude-3p"
    packaged.mkdir(parents=True)  # the MSIX build's private copy shadows the real folder
    assert library_dir("win32", {"LOCALAPPDATA": str(local)}) == packaged / "configLibrary"


def test_managed_sources_on_macos(tmp_path: Path) -> None:
    assert managed_sources("darwin", {"USER": "ann"}, root=tmp_path) == []
    plist = tmp_path / "Library/Managed Preferences/ann/com.anthropic.claudefordesktop.plist"
    plist.parent.mkdir(parents=True)
    plist.write_bytes(plistlib.dumps({"inferenceProvider": "gateway"}))
    assert managed_sources("darwin", {"USER": "ann"}, root=tmp_path) == [str(plist)]
    assert managed_sources("linux", {"USER": "ann"}, root=tmp_path) == []


def test_windows_helper_uses_cmd_quoting() -> None:
    text = windows_helper_text(
        [r"C:\Users\Ann Lee\optscale.exe", "--profile", "work", "token"], r"C:\cfg\50%"
    )
    assert text.split("\r\n") == [
        "@echo off",
        r'set "OPTSCALE_CONFIG_DIR=C:\cfg\50%%"',
        r'"C:\Users\Ann Lee\optscale.exe" "--profile" "work" "token"',
        "",
    ]
    assert "'" not in text  # no POSIX quoting


def fake_resolver(*addresses: str):  # type: ignore[no-untyped-def]
    def resolve(host: str, port: object, **kwargs: object) -> list[tuple]:  # type: ignore[type-arg]
        if not addresses:
            raise socket.gaierror("no such host")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, 0)) for a in addresses]

    return resolve


@pytest.mark.parametrize(
    ("host", "addresses", "expected"),
    [
        ("127.0.0.1", (), True),
        ("[::1]", (), True),
        ("localhost", (), True),
        ("100.64.1.2", (), True),  # carrier-grade NAT (e.g. a tailnet): not global
        ("169.254.1.1", (), True),
        ("203.0.113.10", (), True),  # documentation range: not global either
        ("8.8.8.8", (), False),
        ("gw.corp.example", ("10.1.2.3",), True),
        ("gw.corp.example", ("fe80::1%eth0",), True),
        ("gw.example.com", ("10.1.2.3", "8.8.4.4"), False),
        ("gw.example.com", ("8.8.4.4",), False),
        ("unknown.example.com", (), False),
    ],
)
def test_cursor_reachability(host: str, addresses: tuple[str, ...], expected: bool) -> None:
    assert unreachable_from_internet(host, fake_resolver(*addresses)) is expected
