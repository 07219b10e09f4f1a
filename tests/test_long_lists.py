"""Long model lists: the stand-in's generated models (many_key) through login, models list
(table and --json), providers list and connect --all-models; and the fast paths those use
(batched redaction, long-text redaction, the indented JSON writer, gateway JSON) give what
the plain ones give."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import pytest

from optscale_cli import redact
from optscale_cli.edit import jsonc
from optscale_cli.gateway import _usable, _usable_json
from tests.conftest import Cli
from tests.gateway import GatewayStandIn, generated_ids, many_key

COUNT = 5000


@pytest.fixture
def many(cli: Cli, trusted: GatewayStandIn) -> GatewayStandIn:
    result = cli("login", "--url", trusted.base_url, "--api-key-stdin", input=many_key(COUNT))
    assert result.code == 0, result.all
    return trusted


def test_list_json_has_every_generated_model(cli: Cli, many: GatewayStandIn) -> None:
    result = cli("models", "list", "--refresh", "--json")
    assert result.code == 0, result.err
    models = result.json()
    assert [m["id"] for m in models] == list(generated_ids(COUNT))
    first = models[0]
    assert first == {
        "id": first["id"],
        "provider": first["id"].split("/")[0],
        "owned_by": first["id"].split("/")[0],
        "tool_calling": None,
    }
    assert result.out == json.dumps(models, indent=2, ensure_ascii=False) + "\n"


def test_list_table_has_one_aligned_line_per_model(cli: Cli, many: GatewayStandIn) -> None:
    result = cli("models", "list")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0].split() == ["model", "provider", "tools"]
    rows = lines[2:]
    assert [r.split()[0] for r in rows] == list(generated_ids(COUNT))
    assert len({len(r) for r in rows}) == 1  # every cell padded to its column's width
    providers = cli("providers", "list", "--json").json()
    assert sum(p["models"] for p in providers) == COUNT and len(providers) == 7


def test_connect_all_models_writes_every_model(
    cli: Cli, many: GatewayStandIn, isolated_home: Path
) -> None:
    model = generated_ids(COUNT)[0]
    result = cli("connect", "opencode", "-m", model, "--all-models", "--yes")
    assert result.code == 0, result.all
    config = json.loads((isolated_home / ".config/opencode/opencode.json").read_text())
    assert list(config["provider"]["optscale"]["models"]) == list(generated_ids(COUNT))
    assert cli("connect", "opencode", "-m", model, "--all-models", "--yes").code == 0
    assert cli("disconnect", "opencode", "--yes").code == 0
    assert not (isolated_home / ".config/opencode/opencode.json").exists()


_PIECES = [
    *("api_key", "API-KEY", "token", "x.secret", "password", "passwd", "Key", "\u017fecret"),
    *("\u212aEY", "\u0130", "\u00df", " ", "\n", "\n\n", "=", ":", " = ", "'", '"', "value"),
    *("sk-abcdefgh12", "xsk-abcdefghij", "{env:X}", "per_token", ",", "}", "]", "\t"),
    *("\u2028", "a-b_c", "\r\n", "\x1c", "\u2026", "https://", "user:pw@", "@", "Bearer "),
    *("/", "USER:PASSWORD@", "\x1b[2J", "\u202e"),
]


def _plain_redaction(text: str) -> str:
    """redact_text as it was before long texts were searched line by line."""
    for secret in redact._LONGEST_FIRST:
        text = text.replace(secret, redact.redact_key(secret))
    text = redact._USERINFO.sub(r"\1***@", text)
    text = redact._BEARER.sub(r"\1***", text)
    text = redact._KEY_SHAPE.sub(lambda m: redact.redact_key(m[0]), text)
    return redact._ASSIGNMENT.sub(redact._assignment, text)


def test_long_text_redaction_is_the_whole_text_redaction(monkeypatch: pytest.MonkeyPatch) -> None:
    rnd = random.Random(7)
    texts = ["".join(rnd.choices(_PIECES, k=rnd.randint(1, 60))) for _ in range(3000)]
    expected = [_plain_redaction(t) for t in texts]
    assert redact.redact_texts(texts) == expected
    monkeypatch.setattr(redact, "_LONG_TEXT", 0)  # every text takes the line-by-line way
    assert [redact.redact_text(t) for t in texts] == expected
    big = "\n".join(texts)
    assert redact.redact_text(big) == _plain_redaction(big)


def _value(rnd: random.Random, depth: int = 0) -> object:
    roll = rnd.random()
    if depth < 4 and roll < 0.3:
        keys = ["a", "\u00e9", "\n", '"', "\u2028", "k1"]
        return {rnd.choice(keys): _value(rnd, depth + 1) for _ in range(rnd.randint(0, 4))}
    if depth < 4 and roll < 0.5:
        return [_value(rnd, depth + 1) for _ in range(rnd.randint(0, 4))]
    return rnd.choice([None, True, False, 0, -5, 10**20, 1.5, 1e16, -0.0, 1e-7, "x", "\x00", ""])


def test_indented_writer_is_json_dumps() -> None:
    rnd = random.Random(3)
    for _ in range(3000):
        value = _value(rnd)
        for unit in ("  ", "\t", "    "):
            expected = json.dumps(value, indent=unit, ensure_ascii=False, allow_nan=False)
            assert jsonc.dumps_indented(value, unit) == expected
    assert jsonc.dumps_indented({1: [1, 2]}, "  ") == json.dumps({1: [1, 2]}, indent="  ")
    assert jsonc.dumps_indented([math.nan], " ", allow_nan=True) == "[\n NaN\n]"
    with pytest.raises(ValueError):
        jsonc.dumps_indented([math.inf], " ")


@pytest.mark.parametrize(
    "body",
    [
        b'{"a": NaN, "b": [Infinity, -Infinity, 1e999, 1.5, 2]}',
        b"[" * 100 + b"]" * 100,
        b"[" * 101 + b"1" + b"]" * 101,
        b'{"k":' * 100 + b"[1]" + b"}" * 100,
        b'{"k":' * 101 + b"{}" + b"}" * 101,
        b'{"x": "\\ud800"}',
        b'{"x": "\xed\xa0\x80"}',
        '{"x": "\U0001f600 \u00e9"}'.encode(),
        b'"plain"',
    ],
)
def test_gateway_json_fast_path_is_usable(body: bytes) -> None:
    def outcome(parse: object) -> object:
        try:
            return repr(parse(body))  # type: ignore[operator]
        except ValueError as exc:
            return str(exc)

    assert outcome(_usable_json) == outcome(lambda b: _usable(json.loads(b)))


@pytest.mark.parametrize(
    "after",
    [
        [],
        ["one"],
        ["one\n"],
        ["a\n", "b\n", "c"],
        ["x\n"] * 40,
        ["a\r\n", "b\r\n"],
        ["x\ry\n", "\n"],
    ],
)
def test_new_file_diff_is_difflibs(after: list[str]) -> None:
    import difflib

    from optscale_cli.edit.diffs import unified_diff, unified_diff_text

    for before in ([], ["old\n"]):
        expected = list(difflib.unified_diff(before, after, "/dev/null", "f.json"))
        got = unified_diff("".join(before), "".join(after), "/dev/null", "f.json")
        assert got == expected
        # as one text: each line ending in a break (the quick way for a new file too)
        text = unified_diff_text("".join(before), "".join(after), "/dev/null", "f.json")
        assert text == "".join(line if line.endswith("\n") else line + "\n" for line in expected)
