"""Realistic user configs (tests/corpus/<client>/): connect then disconnect through the CLI
gives back every byte; a file we cannot edit faithfully ('refused' in its name) is refused
naming the file, and left as it was."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Cli
from tests.gateway import GatewayStandIn

CORPUS = Path(__file__).parent / "corpus"
WHERE = {  # client: the file, relative to HOME
    "continue": ".continue/config.yaml",
    "aider": ".aider.conf.yml",
    "goose": ".config/goose/config.yaml",
    "codex": ".codex/config.toml",
}
FILES = sorted(  # the text-edited formats; tests/test_contract.py runs every client
    p.relative_to(CORPUS).as_posix()
    for client in WHERE
    for p in (CORPUS / client).glob("*")
    if p.is_file()
)


def test_the_corpus_has_five_configs_a_client() -> None:
    for client in WHERE:
        assert sum(f.startswith(client + "/") and "refused" not in f for f in FILES) >= 5


@pytest.mark.parametrize("name", FILES)
def test_connect_then_disconnect_is_byte_identical(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path, name: str
) -> None:
    client = name.split("/")[0]
    original = (CORPUS / name).read_bytes()
    path = isolated_home / WHERE[client]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(original)
    result = cli("connect", client, "--model", "openai/gpt-4.1", "--yes")
    if "refused" in name:
        assert result.code == 1, result.all
        assert str(path) in result.err
        assert path.read_bytes() == original
        return
    assert result.code == 0, result.all
    assert path.read_bytes() != original
    assert cli("disconnect", client, "--yes").code == 0
    assert path.read_bytes() == original
