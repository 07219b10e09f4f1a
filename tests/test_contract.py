"""The contract every registered client keeps, over a corpus of realistic user configs
(tests/corpus/<client>/): plan; --dry-run writes nothing anywhere; connect; a second connect
leaves the bytes unchanged; disconnect gives back the original bytes exactly. And every flag
a client does not honour is refused, naming what it does honour."""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

import pytest

from optscale_cli.clients import client_names, get_client
from optscale_cli.clients.base import KEY_MODE_FLAG
from optscale_cli.clients.cursor import ROW_KEY
from tests.conftest import Cli
from tests.gateway import GatewayStandIn

CORPUS = Path(__file__).parent / "corpus"
WHERE = {  # client: its file, relative to HOME (Cursor: a row in its state DB)
    "opencode": ".config/opencode/opencode.jsonc",
    "claude-code": ".claude/settings.json",
    "claude-desktop": "Library/Application Support/Claude-3p/configLibrary/_meta.json",
    "cursor": ".config/Cursor/User/globalStorage/state.vscdb",
    "codex": ".codex/config.toml",
    "continue": ".continue/config.yaml",
    "zed": ".config/zed/settings.json",
    "aider": ".aider.conf.yml",
    "goose": ".config/goose/config.yaml",
}
MODEL = {
    "claude-code": "anthropic/claude-sonnet-4-0",
    "claude-desktop": "anthropic/claude-sonnet-4-0",
}
CASES = sorted(
    p.relative_to(CORPUS).as_posix()
    for p in CORPUS.glob("*/*")
    if p.is_file() and "refused" not in p.name
)


def test_every_registered_client_has_five_realistic_configs() -> None:
    assert set(WHERE) == set(client_names())
    for client in client_names():
        assert sum(case.startswith(client + "/") for case in CASES) >= 5, client


class Place:
    """Where a corpus config lives for its client, and how to read it back."""

    def __init__(self, client: str, home: Path, original: bytes) -> None:
        self.client, self.path, self.original = client, home / WHERE[client], original
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if client == "cursor":
            with sqlite3.connect(self.path) as db:
                db.execute(
                    "CREATE TABLE ItemTable (key TEXT UNIQUE ON CONFLICT REPLACE, value BLOB)"
                )
                db.execute("INSERT INTO ItemTable VALUES (?, ?)", (ROW_KEY, original.decode()))
        else:
            self.path.write_bytes(original)

    def read(self) -> bytes:
        if self.client != "cursor":
            return self.path.read_bytes()
        with sqlite3.connect(self.path) as db:
            row = db.execute("SELECT value FROM ItemTable WHERE key = ?", (ROW_KEY,)).fetchone()
        return str(row[0]).encode()


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "locks" not in p.parts
    }


@pytest.mark.parametrize("case", CASES)
def test_client_contract(
    cli: Cli,
    logged_in: GatewayStandIn,
    isolated_home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    case: str,
) -> None:
    client = case.split("/")[0]
    if client == "claude-desktop":  # its local library exists on macOS and Windows only
        monkeypatch.setattr(sys, "platform", "darwin")
    place = Place(client, isolated_home, (CORPUS / case).read_bytes())
    args = ("connect", client, "--model", MODEL.get(client, "openai/gpt-4.1"))
    assert cli("models", "list").code == 0  # the model list is cached by an earlier command
    before = snapshot(tmp_path)
    planned = cli(*args, "--dry-run", "--json")
    assert planned.code == 0, planned.all
    assert planned.json()["changed"] is True
    assert snapshot(tmp_path) == before, "--dry-run wrote something"
    assert cli(*args, "--yes").code == 0
    connected = place.read()
    assert connected != place.original
    again = cli(*args, "--yes", "--json")
    assert again.code == 0 and again.json()["changed"] is False, again.all
    assert place.read() == connected
    undone = cli("disconnect", client, "--yes", "--json")
    assert undone.code == 0, undone.all
    assert undone.json()["left_alone"] == []
    assert place.read() == place.original
    assert logged_in.GOOD_KEY.encode() not in b"".join(snapshot(isolated_home).values())


@pytest.mark.parametrize("client", client_names())
def test_flags_a_client_does_not_honour_are_refused(
    cli: Cli, logged_in: GatewayStandIn, client: str
) -> None:
    declared = get_client(client)
    model = MODEL.get(client, "openai/gpt-4.1")
    for mode, flag in KEY_MODE_FLAG.items():
        if mode not in declared.key_modes:
            result = cli("connect", client, "-m", model, flag, "--dry-run")
            assert result.code == 2, (flag, result.all)
            assert f"{declared.title} gets the key by" in result.err
    if "project" not in declared.scopes:
        result = cli("connect", client, "-m", model, "--scope", "project", "--dry-run")
        assert result.code == 2 and "--scope user" in result.err, result.all
    if "reg" not in declared.exports:
        result = cli("connect", client, "-m", model, "--export", "reg", "--output", "x.reg")
        assert result.code == 2, result.all


def test_declarations_drive_choices_and_doctor(cli: Cli) -> None:
    """Nothing outside clients/ names a client: the registry drives these."""
    shown = cli("connect", "--help").out
    assert "Oneof:" + ",".join(client_names()) in shown.replace("\n", "").replace(" ", "")
    probes = {name: get_client(name).probes for name in client_names()}
    assert "responses" in probes["codex"] and "cursor" in probes["cursor"]
    versions = [get_client(n).version_command for n in client_names()]
    assert sum(v is not None for v in versions) >= 5
    assert json.dumps(probes)  # declarations are plain data
