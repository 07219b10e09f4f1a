"""optscale export: managed config files for admins (the issue "roll out to a whole team")."""

from __future__ import annotations

import json
import plistlib
from pathlib import Path

import pytest
import tomlkit

from optscale_cli.clients import client_names, get_client
from optscale_cli.clients.claude_desktop import export_identity
from tests.conftest import Cli, file_mode
from tests.gateway import GatewayStandIn

GOLDEN = Path(__file__).parent / "golden" / "export"
SONNET = "anthropic/claude-sonnet-4-0"
GPT = "openai/gpt-4.1"
CASES = [
    ("claude-code", "managed-settings", SONNET),
    ("opencode", "managed", GPT),
    ("opencode", "well-known", GPT),
    ("codex", "managed", GPT),
    ("claude-desktop", "mobileconfig", SONNET),
    ("claude-desktop", "reg", SONNET),
]


def expected_bytes(gw: GatewayStandIn, client: str, fmt: str) -> bytes:
    """The golden file for this format, with the stand-in's port (and what derives from the
    gateway URL: a .mobileconfig's identifier and UUIDs) filled in."""
    text = (GOLDEN / f"{client}-{fmt}.golden").read_bytes().decode("utf-8")
    text = text.replace("127.0.0.1:PORT", f"127.0.0.1:{gw.port}")
    if fmt == "mobileconfig":
        base = gw.base_url.removesuffix("/v1") + "/anthropic"
        identifier, profile_uuid, payload_uuid = export_identity(base, "default")
        text = text.replace("IDENTIFIER", identifier)
        text = text.replace("PROFILE-UUID", profile_uuid).replace("PAYLOAD-UUID", payload_uuid)
    if fmt == "reg":
        return ("\ufeff" + text).encode("utf-16-le")
    return text.encode("utf-8")


def export(cli: Cli, client: str, fmt: str, model: str | None, out: Path, *more: str):  # type: ignore[no-untyped-def]
    args = ["export", client, "--format", fmt, "--output", str(out), *more]
    return cli(*args, *(["--model", model] if model else []))


@pytest.mark.parametrize(("client", "fmt", "model"), CASES)
def test_golden_bytes_and_no_key(
    cli: Cli, logged_in: GatewayStandIn, tmp_path: Path, client: str, fmt: str, model: str
) -> None:
    out = tmp_path / "deploy" / "file"  # the folder is created
    result = export(cli, client, fmt, model, out)
    assert result.code == 0, result.all
    data = out.read_bytes()
    assert data == expected_bytes(logged_in, client, fmt)
    key = logged_in.GOOD_KEY
    for encoded in (key.encode(), key.encode("utf-16-le"), key[-8:].encode()):
        assert encoded not in data  # the profile's key is in no exported byte
    assert key not in result.all
    assert file_mode(out) == 0o644
    again = export(cli, client, fmt, model, out, "--json")  # a second run changes nothing
    assert again.code == 0 and again.json()["changed"] is False  # type: ignore[index]
    assert out.read_bytes() == data


def test_every_declared_format_is_covered() -> None:
    declared = {(n, f) for n in client_names() for f in get_client(n).exports}
    assert declared == {(c, f) for c, f, _ in CASES}


def test_exports_parse_as_their_format(cli: Cli, logged_in: GatewayStandIn, tmp_path: Path) -> None:
    paths = {}
    for client, fmt, model in CASES:
        paths[fmt, client] = out = tmp_path / f"{client}-{fmt}"
        assert export(cli, client, fmt, model, out).code == 0
    settings = json.loads(paths["managed-settings", "claude-code"].read_text())
    anthropic = logged_in.base_url.removesuffix("/v1") + "/anthropic"
    assert settings["apiKeyHelper"] == f"optscale token --for-url {anthropic}"  # no --profile
    assert settings["env"]["ANTHROPIC_BASE_URL"] == anthropic
    assert settings["env"]["ANTHROPIC_DEFAULT_HAIKU_MODEL"] == "anthropic/claude-3-5-haiku-latest"
    well_known = json.loads(paths["well-known", "opencode"].read_text())
    assert well_known["auth"] == {
        "command": ["optscale", "token", "--for-url", logged_in.base_url],
        "env": "OPTSCALE_API_KEY",
    }
    managed = json.loads(paths["managed", "opencode"].read_text())
    assert set(managed) == {"$schema", "provider"}  # strict top level: no marker key
    assert managed["provider"] == well_known["config"]["provider"]
    codex = tomlkit.parse(paths["managed", "codex"].read_text())
    assert codex["model_provider"] == "optscale"
    assert codex["model_providers"]["optscale"]["wire_api"] == "responses"
    assert plistlib.loads(paths["mobileconfig", "claude-desktop"].read_bytes())


def test_json_shape(cli: Cli, logged_in: GatewayStandIn, tmp_path: Path) -> None:
    out = tmp_path / "managed-settings.json"
    result = export(cli, "claude-code", "managed-settings", SONNET, out, "--json")
    assert result.code == 0, result.all
    doc = result.json()
    assert isinstance(doc, dict)
    assert set(doc) == {
        "client",
        "format",
        "path",
        "changed",
        "base_url",
        "model",
        "holds_key",
        "install",
        "next_steps",
        "notes",
    }
    assert doc["client"] == "claude-code" and doc["format"] == "managed-settings"
    assert doc["path"] == str(out) and doc["changed"] is True and doc["holds_key"] is False
    assert doc["model"] == SONNET
    assert doc["install"] == [
        {
            "os": "macOS",
            "path": "/Library/Application Support/ClaudeCode/managed-settings.json",
            "verified": True,
        },
        {"os": "Linux/WSL", "path": "/etc/claude-code/managed-settings.json", "verified": True},
        {
            "os": "Windows",
            "path": "C:\\Program Files\\ClaudeCode\\managed-settings.json",
            "verified": True,
        },
    ]
    assert any("optscale login" in step for step in doc["next_steps"])
    assert any("optscale doctor" in step for step in doc["next_steps"])
    codex = export(cli, "codex", "managed", GPT, tmp_path / "m.toml", "--json").json()
    assert any("Unverified" in note for note in codex["notes"])  # type: ignore[index]


def test_human_output_names_system_paths(
    cli: Cli, logged_in: GatewayStandIn, tmp_path: Path
) -> None:
    result = export(cli, "opencode", "managed", GPT, tmp_path / "opencode.json")
    assert result.code == 0, result.all
    assert "/Library/Application Support/opencode/opencode.json" in result.all
    assert "/etc/opencode/opencode.json  (unverified)" in result.all
    assert "optscale login" in result.all and "optscale doctor" in result.all


def test_format_a_client_does_not_declare(
    cli: Cli, logged_in: GatewayStandIn, tmp_path: Path
) -> None:
    out = tmp_path / "x"
    wrong = export(cli, "codex", "mobileconfig", GPT, out)
    assert wrong.code == 2
    assert "has no export format 'mobileconfig'" in wrong.err and "exports: managed" in wrong.err
    none = export(cli, "zed", "managed", GPT, out)
    assert none.code == 2 and "no admin export formats" in none.err
    assert "claude-code" in none.err  # names the clients that have some
    unknown = export(cli, "codex", "nonsense", GPT, out)
    assert unknown.code == 2
    assert not out.exists()


def test_model_required_and_checked(cli: Cli, logged_in: GatewayStandIn, tmp_path: Path) -> None:
    out = tmp_path / "x"
    missing = export(cli, "opencode", "managed", None, out)
    assert missing.code == 2 and "needs --model" in missing.err
    unknown = export(cli, "codex", "managed", "openai/gpt-9", out)
    assert unknown.code == 2 and "not available to this key" in unknown.err
    assert not out.exists()
    desktop = export(cli, "claude-desktop", "reg", None, tmp_path / "d.reg")  # optional here
    assert desktop.code == 0, desktop.all


def test_foreign_file_refused_ours_replaced(
    cli: Cli, logged_in: GatewayStandIn, tmp_path: Path
) -> None:
    for client, fmt, model in CASES:
        foreign = tmp_path / f"{client}-{fmt}.foreign"
        original = b'{"$schema": "https://opencode.ai/config.json", "model": "x/y"}\n'
        foreign.write_bytes(original)
        refused = export(cli, client, fmt, model, foreign)
        assert refused.code == 1, (client, fmt, refused.all)
        assert "not written by optscale" in refused.err
        assert foreign.read_bytes() == original
        ours = tmp_path / f"{client}-{fmt}.ours"
        assert export(cli, client, fmt, model, ours).code == 0
        other = {SONNET: "anthropic/claude-opus-4-1", GPT: "openai/gpt-4.1-mini"}[model]
        replaced = export(cli, client, fmt, other, ours, "--json")
        assert replaced.code == 0, (client, fmt, replaced.all)
        assert replaced.json()["changed"] is True  # type: ignore[index]


def test_admin_additions_are_not_ours(cli: Cli, logged_in: GatewayStandIn, tmp_path: Path) -> None:
    """A managed file an admin extended (more policy keys) is theirs now: not overwritten."""
    out = tmp_path / "managed-settings.json"
    assert export(cli, "claude-code", "managed-settings", SONNET, out).code == 0
    doc = json.loads(out.read_text())
    doc["permissions"] = {"deny": ["Bash(curl:*)"]}
    out.write_text(json.dumps(doc))
    refused = export(cli, "claude-code", "managed-settings", SONNET, out)
    assert refused.code == 1 and "not written by optscale" in refused.err


def test_output_directory_is_a_clear_error(
    cli: Cli, logged_in: GatewayStandIn, tmp_path: Path
) -> None:
    result = export(cli, "codex", "managed", GPT, tmp_path)
    assert result.code == 1
    assert "is a directory" in result.err and "managed_config.toml" in result.err
    assert "Traceback" not in result.all


def test_connect_export_alias_uses_the_same_flow(
    cli: Cli, logged_in: GatewayStandIn, tmp_path: Path
) -> None:
    via_export, via_connect = tmp_path / "a.reg", tmp_path / "b.reg"
    assert export(cli, "claude-desktop", "reg", SONNET, via_export).code == 0
    alias = ["connect", "claude-desktop", "-m", SONNET, "--export", "reg"]
    result = cli(*alias, "--output", str(via_connect), "--json")
    assert result.code == 0, result.all
    assert result.json()["format"] == "reg"  # type: ignore[index]
    assert via_connect.read_bytes() == via_export.read_bytes()
    refused = cli("connect", "codex", "-m", GPT, "--export", "reg", "--output", str(via_connect))
    assert refused.code == 2 and "exports: managed" in refused.err


def test_exported_helpers_hand_each_user_their_key(
    cli: Cli, logged_in: GatewayStandIn, tmp_path: Path
) -> None:
    """What the exported files run on a user's machine (after `optscale login`) prints that
    user's key: Claude Code's apiKeyHelper and OpenCode's well-known auth command."""
    import shlex

    settings, well_known = tmp_path / "managed-settings.json", tmp_path / "opencode"
    assert export(cli, "claude-code", "managed-settings", SONNET, settings).code == 0
    assert export(cli, "opencode", "well-known", GPT, well_known).code == 0
    helper = shlex.split(json.loads(settings.read_text())["apiKeyHelper"])
    command = json.loads(well_known.read_text())["auth"]["command"]
    for argv in (helper, command):
        assert argv[0] == "optscale" and "--profile" not in argv
        result = cli(*argv[1:])
        assert result.code == 0, result.all
        assert result.out == logged_in.GOOD_KEY + "\n"


def test_a_huge_file_at_the_output_is_refused_unread(
    cli: Cli, logged_in: GatewayStandIn, tmp_path: Path
) -> None:
    """An existing --output over the config cap is no export of ours: refused, not read whole
    (a sparse file: no disk written) and left as it was."""
    from optscale_cli.edit.stores import MAX_CONFIG_BYTES

    out = tmp_path / "managed_config.toml"
    with open(out, "wb") as handle:
        handle.truncate(MAX_CONFIG_BYTES + 1)
    result = export(cli, "codex", "managed", GPT, out)
    assert result.code == 1, result.all
    assert str(out) in result.err and "larger than 64 MiB" in result.err
    assert out.stat().st_size == MAX_CONFIG_BYTES + 1
