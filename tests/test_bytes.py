"""Undo gives the user's bytes back: TOML with dotted keys and inline tables, YAML in all its
styles, and a removed key restored where it was (JSON, YAML, TOML)."""

from __future__ import annotations

import json
import re
import tempfile
import tomllib
import warnings
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from optscale_cli.edit.documents import ABSENT, DotenvDocument, YamlDocument
from optscale_cli.edit.engine import ListItem, Op, SetValue, Target, commit, plan_edit, plan_revert
from optscale_cli.edit.stores import FileStore
from optscale_cli.errors import ConfigFileError
from tests.test_jsonc import _with_types

PROVIDER = ("model_providers", "optscale")
CODEX: list[Op] = [
    SetValue((*PROVIDER, "name"), "OptScale AI"),
    SetValue((*PROVIDER, "base_url"), "https://127.0.0.1:8443/llm_proxy/org/v1"),
    SetValue((*PROVIDER, "env_key"), "OPTSCALE_API_KEY"),
    SetValue((*PROVIDER, "wire_api"), "responses"),
    SetValue(("model_provider",), "optscale"),
    SetValue(("model",), "openai/gpt-4.1"),
]
AIDER: list[Op] = [
    SetValue(("openai-api-base",), "https://127.0.0.1:8443/llm_proxy/org/v1"),
    SetValue(("model",), "openai/openai/gpt-4.1"),
]
GOOSE: list[Op] = [
    SetValue(("GOOSE_PROVIDER",), "openai"),
    SetValue(("GOOSE_MODEL",), "openai/gpt-4.1"),
    SetValue(("OPENAI_HOST",), "https://127.0.0.1:8443"),
    SetValue(("OPENAI_BASE_PATH",), "llm_proxy/org/v1/chat/completions"),
]
OURS = {
    "name": "OptScale openai/gpt-4.1",
    "provider": "openai",
    "model": "openai/gpt-4.1",
    "apiBase": "https://127.0.0.1:8443/llm_proxy/org/v1",
    "apiKey": "${{ secrets.OPTSCALE_API_KEY }}",
    "roles": ["chat", "edit", "apply"],
    "capabilities": ["tool_use"],
}


def continue_ops(text: str) -> list[Op]:
    """What Continue's plan asks for: its three top-level keys if absent, and our model."""
    current = YamlDocument(text, "config.yaml")
    ops: list[Op] = [
        SetValue((k,), v)
        for k, v in (("name", "Local Config"), ("version", "1.0.0"), ("schema", "v1"))
        if current.get((k,)) in (ABSENT, v)
    ]
    return [*ops, ListItem(("models",), OURS, key="name")]


def round_trip(folder: Path, name: str, text: str, fmt: str, ops: list[Op]) -> str | None:
    """connect then disconnect through the engine on a real file; the text in between, or
    None when the edit was refused (and then nothing was written)."""
    path = folder / name
    path.write_bytes(text.encode())
    target = Target(FileStore(path), fmt)
    try:
        change = plan_edit(target, ops)
    except ConfigFileError:
        assert path.read_bytes() == text.encode()
        return None
    commit([change], folder / "locks")
    connected = path.read_text()
    commit([plan_revert(target, change.ledger_entry())], folder / "locks")
    assert path.read_bytes() == text.encode(), (text, connected, path.read_text())
    return connected


# --- Codex TOML: dotted keys and inline tables -------------------------------------------


def test_codex_next_to_dotted_keys_parses_right_and_undoes(tmp_path: Path) -> None:
    original = 'model_providers.azure.base_url = "https://x"\n\n[tui]\nnotifications = true\n'
    connected = round_trip(tmp_path, "config.toml", original, "toml", CODEX)
    assert connected is not None
    data = tomllib.loads(connected)
    assert data == {
        "model_providers": {
            "azure": {"base_url": "https://x"},
            "optscale": {
                "name": "OptScale AI",
                "base_url": "https://127.0.0.1:8443/llm_proxy/org/v1",
                "env_key": "OPTSCALE_API_KEY",
                "wire_api": "responses",
            },
        },
        "tui": {"notifications": True},
        "model_provider": "optscale",
        "model": "openai/gpt-4.1",
    }
    assert "[model_providers.optscale]" in connected


def test_codex_inline_table_is_refused_naming_the_line(tmp_path: Path) -> None:
    original = '# mine\nmodel_providers = { azure = { base_url = "https://x" } }\n[tui]\nx = 1\n'
    path = tmp_path / "config.toml"
    path.write_text(original)
    with pytest.raises(ConfigFileError) as err:
        plan_edit(Target(FileStore(path), "toml"), CODEX)
    assert f"{path}:2" in err.value.message and "inline" in err.value.message
    assert path.read_text() == original


@pytest.mark.parametrize(
    "original",
    [
        "model = 'o3'  # single quotes stay\n[model_providers.azure]\nname = \"Azure\"\n",
        'model="o3"\nmodel_provider = "azure"\n[profiles.x]\nmodel = "y"\n[[skills]]\na = 1\n',
        '# only a comment, no final newline\n[tui]\nx = """multi\nline"""',
        "[model_providers]\nazure.name = 'A'\nazure.base_url = \"u\"\n",
        "",
        "\n",  # only a blank line (found by the property test at 1500 examples)
        # our table already there through a sub-table: the [header] we add goes with our keys
        'model = "o3"\n\n[model_providers.optscale.http_headers]\nX-Team = "a"\n',
    ],
)
def test_codex_round_trips_are_byte_identical(tmp_path: Path, original: str) -> None:
    connected = round_trip(tmp_path, "config.toml", original, "toml", CODEX)
    assert connected is not None
    assert tomllib.loads(connected)["model_providers"]["optscale"]["wire_api"] == "responses"


# --- YAML: every style survives ------------------------------------------------------------

LONG = "a long string that goes on and on past the eightieth column of the line, really far"
YAML_CASES = [
    "models:\n- name: Local\n  provider: ollama\n    \n",  # indentless sequence
    "models:\n    -   name: Local\n        provider: ollama\n",  # 4 + 3 indentation
    "name: x   # comment far away\nversion: 1.0.0 #tight\nschema: v1\nmodels:\n  - name: a\n",
    f"description: {LONG}\nmodels:\n  - name: a\n",
    "auto-commits: yes\ndark-mode: no\nmodel: gpt-4o\n",
    "? [a, b]\n: complex key\nmodel: gpt-4o\n",
    "settings: {a: 1, b: [x, y]}\nmodel: gpt-4o\n",
    "model: !custom sonnet\nother: &anchor value\nref: *anchor\n",
    "model: |\n  a block\n  scalar\n\n# trailing comment\n",
    "model: >-\n  folded\n  text\nx: 1",  # no final newline
    "---\nmodel: gpt-4o\n...\n",
    "model:\n  - nested\n  - list\nmodels:\n  - name: a\n    roles: [chat]\n",
    "GOOSE_MODEL: 'quoted'\r\nGOOSE_PROVIDER: \"anthropic\"\r\n",
    "\ufeffmodels:\n  - name: a  # a byte-order mark first\n",
]


@pytest.mark.parametrize("original", YAML_CASES)
@pytest.mark.parametrize("client", ["continue", "aider", "goose"])
def test_yaml_round_trips_are_byte_identical(tmp_path: Path, original: str, client: str) -> None:
    ops = {"continue": continue_ops(original), "aider": AIDER, "goose": GOOSE}[client]
    connected = round_trip(tmp_path, "config.yaml", original, "yaml", ops)
    assert connected is not None
    data = YamlDocument(connected, "config.yaml").data
    if client == "continue":
        assert OURS in data["models"]
    elif client == "aider":
        assert data["model"] == "openai/openai/gpt-4.1"


def test_yaml_tag_at_a_key_we_replace(tmp_path: Path) -> None:
    original = "model: !custom sonnet  # mine\nauto-commits: false\n"
    connected = round_trip(tmp_path, ".aider.conf.yml", original, "yaml", AIDER)
    assert connected is not None
    assert "model: openai/openai/gpt-4.1  # mine\n" in connected


@pytest.mark.parametrize(
    "value",
    [
        "yes",
        "No",
        "null",
        "~",
        "1.0",
        "0o17",
        "*x",
        "&a",
        "{a}",
        "[b]",
        "a: b",
        "a #b",
        "@at",
        "`tick",
        "%pct",
        "- dash",
        "2001-12-14",
        "1:20",
        "",
        " pad",
        "tab\there",
        "line\nbreak",
        "ünïcode",
        "\x7f\x85",
        "!tag",
        "'q'",
        '"q"',
        "a:",
        "true",
    ],
)
def test_new_yaml_scalars_stay_strings(value: str) -> None:
    doc = YamlDocument("a: 1\n", "x.yaml")
    doc.set(("k",), value)
    assert YAML(typ="safe").load(doc.render())["k"] == value
    assert YAML(typ="safe", pure=True).load(doc.render())["k"] == value


@pytest.mark.parametrize(
    ("original", "line", "column", "words"),
    [
        ("{model: gpt-4o, x: 1}\n", 1, 1, "flow mapping"),
        ("name: x\nversion: 1.0.0\nschema: v1\nmodels: [{name: a}]\n", 4, 9, "flow sequence"),
    ],
)
def test_yaml_outside_what_we_edit_is_refused(
    tmp_path: Path, original: str, line: int, column: int, words: str
) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(original)
    with pytest.raises(ConfigFileError) as err:
        plan_edit(Target(FileStore(path), "yaml"), continue_ops(original))
    assert f"{path}:{line}:{column}" in err.value.message and words in err.value.message
    assert path.read_text() == original


# --- a removed key comes back where it was -------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "original", "path"),
    [
        (
            "json",
            '{\n  "env": {\n    "A": "1",\n    "DROP": "x",\n    "Z": "2"\n  }\n}\n',
            ("env", "DROP"),
        ),
        ("jsonc", '{"env": {"A": 1, "DROP": 2, "Z": 3}}', ("env", "DROP")),
        ("yaml", "a: 1\nDROP: 'x'  # why\n\n# about z\nz: 2\n", ("DROP",)),
        ("toml", "a = 1\nDROP = 'x'  # why\n# about z\nz = 2\n[t]\nq = 1\n", ("DROP",)),
        ("toml", "[t]\na = 1\nDROP = 'x'\nz = 2\n", ("t", "DROP")),
    ],
)
def test_removed_key_is_restored_in_place(
    tmp_path: Path, fmt: str, original: str, path: tuple[str, ...]
) -> None:
    ops = [SetValue((*path[:-1], "NEW"), "ours"), SetValue(path, ABSENT)]
    connected = round_trip(tmp_path, f"c.{fmt}", original, fmt, ops)
    assert connected is not None and "DROP" not in connected


# --- properties ----------------------------------------------------------------------------

words = st.sampled_from(["alpha", "beta", "gpt-4o", "x", "sonnet", "yes", "no", "on", "~", "1.0"])
comments = st.sampled_from(["", "  # note", " #tight", "      # far away"])
yaml_scalars = st.sampled_from(
    [
        "plain",
        "yes",
        "No",
        "~",
        "1.0",
        "'single'",
        '"double \\t"',
        "!custom tagged",
        "&ANCHOR anchored",
        LONG,
        "|\n  block\n  text\n",
        ">-\n  folded\n    more\n",
        "[a,  b , c]",
        "{a: 1,   b: [x]}",
        "",
    ]
)


@st.composite
def yaml_documents(draw: Any) -> str:
    lines: list[str] = []
    used: set[str] = set()
    anchors = 0
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(["scalar", "seq", "map", "models", "complex", "comment"]))
        key = draw(
            st.sampled_from(
                [
                    "model",
                    "name",
                    "version",
                    "schema",
                    "auto-commits",
                    "x",
                    "GOOSE_MODEL",
                    "openai-api-base",
                    "extra",
                    "y",
                ]
            )
        )
        if kind == "models":
            key = "models"
        if key in used:
            continue
        used.add(key)
        note = draw(comments)
        if kind == "comment":
            lines.append(draw(st.sampled_from(["# a comment", "", "   # indented", "#"])))
            used.discard(key)
        elif kind == "scalar":
            value = draw(yaml_scalars)
            if "&ANCHOR" in value:
                anchors += 1
                value = value.replace("ANCHOR", f"a{anchors}")
            elif anchors and draw(st.booleans()):
                value = f"*a{anchors}"
            block = value.startswith(("|", ">"))
            lines.append(f"{key}: {value}" + ("" if block else note))
            if block:
                lines[-1] = lines[-1].rstrip("\n")
        elif kind in ("seq", "models"):
            indent = " " * draw(st.sampled_from([0, 2, 4]))
            lines.append(f"{key}:{note}")
            for n in range(draw(st.integers(1, 3))):
                if kind == "models":
                    gap = " " * draw(st.sampled_from([1, 3]))
                    inner = indent + " " * (1 + len(gap))
                    lines.append(f"{indent}-{gap}name: m{n}{draw(comments)}")
                    lines.append(f"{inner}provider: {draw(words)}")
                else:
                    lines.append(f"{indent}- {draw(words)}{draw(comments)}")
        elif kind == "map":
            indent = " " * draw(st.sampled_from([2, 3, 4]))
            lines.append(f"{key}:{note}")
            lines.append(f"{indent}inner: {draw(yaml_scalars)}".rstrip("\n"))
        else:
            lines.append(f"? [{key}, {draw(words)}]\n: {draw(words)}")
            used.discard(key)
    text = "\n".join(lines)
    if draw(st.booleans()):
        text += "\n"
    if draw(st.integers(0, 9)) == 0:
        text = "{model: gpt-4o, other: [1, 2]}\n"
    return text


def _parses(text: str) -> bool:
    try:
        loaded = YAML(typ="rt").load(text)
    except Exception:
        return False
    return loaded is None or isinstance(loaded, dict)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=yaml_documents(), client=st.sampled_from(["continue", "aider", "goose"]))
def test_yaml_property_connect_disconnect_gives_the_bytes_back(text: str, client: str) -> None:
    assume(_parses(text))
    ops = {"continue": continue_ops(text), "aider": AIDER, "goose": GOOSE}[client]
    with tempfile.TemporaryDirectory() as folder:
        connected = round_trip(Path(folder), "config.yaml", text, "yaml", ops)
    if connected is not None:
        before = YamlDocument(text, "config.yaml").data
        after = YamlDocument(connected, "config.yaml").data
        for op in ops:
            if isinstance(op, SetValue):
                assert after[op.path[0]] == op.value
        others = {k: v for k, v in after.items() if all(k != op.path[0] for op in ops)}
        assert others == {k: v for k, v in before.items() if k in others}


toml_values = st.sampled_from(
    [
        '"plain"',
        "'literal'",
        '"""multi\nline"""',
        "'''raw\n'''",
        "[1, 2,\n  3, # comment\n]",
        '{ a = 1, b = { c = "d" } }',
        "1979-05-27T07:32:00Z",
        "true",
        "3.14",
        "0x1F",
    ]
)


@st.composite
def toml_documents(draw: Any) -> str:
    lines: list[str] = []
    for n in range(draw(st.integers(0, 3))):
        lines.append(f"root{n} = {draw(toml_values)}{draw(comments)}")
    if draw(st.booleans()):
        lines.append(f'model = "o3"{draw(comments)}')
    shape = draw(st.sampled_from(["none", "dotted", "inline", "header", "super", "dotted-in"]))
    if shape == "dotted":
        lines.append('model_providers.azure.base_url = "https://x"')
        lines.append("model_providers.azure.name = 'Azure'")
    elif shape == "inline":
        lines.append('model_providers = { azure = { base_url = "https://x" } }')
    for _ in range(draw(st.integers(0, 3))):
        section = draw(
            st.sampled_from(["[tui]", "[[profiles]]", "[mcp_servers.docs]", "[[arr.x]]"])
        )
        if section.startswith("[[") or section not in lines:
            lines.append(draw(st.sampled_from(["", "# section"])))
            lines.append(section)
            lines.append(f"key = {draw(toml_values)}")
    if shape == "header":
        lines += ["", "[model_providers.azure]", 'base_url = "https://x"']
    elif shape == "super":
        lines += ["[model_providers]", "azure.base_url = 'u'"]
    elif shape == "dotted-in":
        lines += ["[model_providers.optscale.extra]", "a = 1"]
    text = "\n".join(lines)
    return text + ("\n" if draw(st.booleans()) else "")


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=toml_documents())
def test_toml_property_connect_disconnect_gives_the_bytes_back(text: str) -> None:
    try:
        before = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        assume(False)
        return
    with tempfile.TemporaryDirectory() as folder:
        connected = round_trip(Path(folder), "config.toml", text, "toml", CODEX)
    if connected is not None:
        after = tomllib.loads(connected)
        ours = after["model_providers"].pop("optscale")
        assert ours["wire_api"] == "responses"
        assert after.pop("model") == "openai/gpt-4.1"
        assert after.pop("model_provider") == "optscale"
        before.pop("model", None)
        if before.get("model_providers", {}).get("optscale") is not None:
            before["model_providers"]["optscale"].pop("extra", None)
            after["model_providers"]["optscale"] = before["model_providers"]["optscale"]
        if not after["model_providers"]:
            del after["model_providers"]
        assert json.dumps(after, sort_keys=True, default=str) == json.dumps(
            before, sort_keys=True, default=str
        )


def test_the_ledger_keeps_no_secret_in_a_layout(tmp_path: Path) -> None:
    key = "sk-test-0123456789abcdefghijklmnopqrstuv"
    path = tmp_path / ".aider.conf.yml"
    original = f"model: gpt-4o\n# old key: {key}\nopenai-api-key: {key}\n"
    path.write_text(original)
    target = Target(FileStore(path), "yaml")
    change = plan_edit(target, [*AIDER, SetValue(("openai-api-key",), ABSENT)], secrets=[key])
    assert key not in json.dumps(change.ledger_entry())
    commit([change], tmp_path / "locks")
    commit([plan_revert(target, change.ledger_entry())], tmp_path / "locks")
    assert path.read_text() == original


def _yaml_edits(text: str, steps: list[tuple[str, str, str]], check_each: bool) -> Any:
    """Edit ``text`` step by step (set, remove, or put back as it was written); the texts
    rendered along the way, or the refusal."""
    try:
        doc = YamlDocument(text, "config.yaml", check_each=check_each)
        original = YamlDocument(text, "config.yaml", check_each=True)
        rendered = []
        for kind, key, value in steps:
            if kind == "set":
                doc.set((key,), value)
            elif kind == "remove":
                doc.remove((key,))
            else:
                layout = original.layout((key,))
                if layout is not None and original.get((key,)) is not ABSENT:
                    doc.restore((key,), original.get((key,)), layout)
            if kind == "render":
                rendered.append(doc.render())
        return [*rendered, doc.render(), doc.data]
    except ConfigFileError as exc:
        return ("refused", exc.message)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=yaml_documents(), choose=st.data())
def test_yaml_edits_checked_once_are_the_edits_checked_each(text: str, choose: Any) -> None:
    """A run of edits placed from entries moved along (one read at the end) writes the same
    bytes as the same edits each read and checked. Where a step on the way is refused when
    checked alone, the run may still stand when its end says exactly what the whole run
    means (an edit undone by a later one), or is refused."""
    assume(_parses(text))
    original = YamlDocument(text, "config.yaml")
    keys = [op.path[0] for op in GOOSE + AIDER] + ["name", "models", "extra", "y"]
    keys += [k for k in original.data if isinstance(k, str)]
    step = st.tuples(
        st.sampled_from(["set", "set", "remove", "restore", "render"]),
        st.sampled_from(keys),
        st.sampled_from(["openai", "x: y", "", "multi\nline", "#c", "v2"]),
    )
    steps = choose.draw(st.lists(step, min_size=1, max_size=8))
    once, each = _yaml_edits(text, steps, False), _yaml_edits(text, steps, True)
    if each[0] != "refused" or once[0] == "refused":
        assert once == each
        return
    meant = original.data  # what the run means, step by step
    for kind, key, value in steps:
        if kind == "set":
            meant[key] = value
        elif kind == "remove" or (kind == "restore" and original.get((key,)) is ABSENT):
            meant.pop(key, None)
        elif kind == "restore" and original.layout((key,)) is not None:
            meant[key] = original.data[key]
    assert once[-1] == meant
    assert YamlDocument(once[-2], "config.yaml").data == meant


@pytest.mark.parametrize("original", [t for t in YAML_CASES if t.endswith("\n")])
@pytest.mark.parametrize("client", ["aider", "goose"])
def test_a_run_of_yaml_edits_reads_the_text_twice(original: str, client: str) -> None:
    """Once to start and once to check the run: each edit in between finds its place from
    the entries moved along by the edits before it (a wrong place would read it again, edit
    by edit). Checking each edit reads it once per edit, and writes the same bytes."""
    ops = {"aider": AIDER, "goose": GOOSE}[client]
    rendered = []
    for check_each in (False, True):
        doc = YamlDocument(original, "config.yaml", check_each=check_each)
        for op in ops:
            doc.layout(op.path)
            doc.set(op.path, op.value)
        rendered.append((doc.render(), doc.reads))
        for op in reversed(ops):
            doc.remove(op.path)
        rendered.append((doc.render(), doc.reads))
    (connected, reads), (removed, reads_after), (same, each), (same_removed, _) = rendered
    assert (connected, removed) == (same, same_removed)
    assert reads == 2 and each == 1 + len(ops)
    assert reads_after == 3  # the removals: one more read for the whole run


def test_yaml_edits_first_middle_last_and_new_read_the_text_twice() -> None:
    """Entries replaced (first, middle, last), removed and added, each placed from entries
    the edits before it moved: the same bytes as edits each read, with two reads."""
    original = "a: 1  # first\nb: [x, y]\nc: |\n  block\n\n# about d\nd: 4  # note\n"
    steps = [("set", "c", "new"), ("set", "d", "D is longer"), ("set", "e", "E")]
    steps += [("set", "a", "A")]
    steps += [("remove", "b", ""), ("set", "f", "F"), ("set", "g", "multi\nline")]
    results = []
    for check_each in (False, True):
        doc = YamlDocument(original, "config.yaml", check_each=check_each)
        for kind, key, value in steps:
            if kind == "set":
                doc.set((key,), value)
            else:
                doc.remove((key,))
        results.append((doc.render(), doc.reads))
    assert results[0][0] == results[1][0]
    assert "# about d\nd: D is longer  # note\ne: E\n" in results[0][0]
    assert results[0][1] == 2 and results[1][1] == 1 + len(steps)


# --- dotenv: every line's own ending survives ---------------------------------------------

DOTENV_CASES = [
    "A=1\r\nB=2\r\n",  # CRLF
    "A=1\nB=2",  # no final line break
    "# note\r\nexport A='x y'\r\n\r\n",
    "",
    "\n",
    "# form feed \x0c, vertical tab \x0b and U+0085 \x85 inside lines\nA=1\n",
    "  export OPTSCALE_API_KEY=old\r\nZ=1",  # ours already there, indented, exported
    "OPTSCALE_API_KEY=first\nOPTSCALE_API_KEY=second\n",  # written twice: the last counts
    "A=1\r\nB=2\n",  # mixed endings
    # ours already there, written otherwise than we write it: undo puts the line back
    "OPTSCALE_API_KEY='abc'\n",
    'OPTSCALE_API_KEY="abc"\r\n',
    "OPTSCALE_API_KEY=abc   \n",
    "OPTSCALE_API_KEY = abc\n",
    "OPTSCALE_API_KEY=abc # c\n",
    "export  OPTSCALE_API_KEY=abc\n",
    "OPTSCALE_API_KEY=\n",
    "A=1\r\nOPTSCALE_API_KEY=''",
]


@pytest.mark.parametrize("original", DOTENV_CASES)
def test_dotenv_round_trips_are_byte_identical(tmp_path: Path, original: str) -> None:
    ops: list[Op] = [SetValue(("OPTSCALE_API_KEY",), "sk-test value")]
    connected = round_trip(tmp_path, ".env", original, "dotenv", ops)
    assert connected is not None
    written = (tmp_path / ".env").read_bytes()  # (round_trip put the original back)
    assert written == original.encode()


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    lines=st.lists(
        st.sampled_from(
            ["A=1", "export B='two'", '  C="x y"', "# c", "", "OPTSCALE_API_KEY=old", "D=\x0c"]
        ),
        max_size=6,
    ),
    endings=st.lists(st.sampled_from(["\n", "\r\n"]), min_size=6, max_size=6),
    final=st.booleans(),
)
def test_dotenv_property_connect_disconnect_gives_the_bytes_back(
    lines: list[str], endings: list[str], final: bool
) -> None:
    text = "".join(line + ending for line, ending in zip(lines, endings, strict=False))
    if lines and not final:
        text = text[: -len(endings[len(lines) - 1])]
    with tempfile.TemporaryDirectory() as folder:
        ops: list[Op] = [SetValue(("OPTSCALE_API_KEY",), "sk-new")]
        connected = round_trip(Path(folder), ".env", text, "dotenv", ops)
    assert connected is not None


@pytest.mark.parametrize(("put_back", "edited_first"), [("models", 0), ("name", 0), ("name", 1)])
def test_an_earlier_yaml_edit_refused_is_not_lost_by_a_put_back(
    put_back: str, edited_first: int
) -> None:
    """A key added after a block scalar that ends the file without a line break would give
    the scalar a line break: refused. Checked only with the run, that refusal surfaced inside
    a later put-back, which took it for its own and fell back, dropping the added key. A
    put-back of a list, or of a key edited since the last read, reads the text first; one of
    a scalar read before (it reads nothing, so a refusal surfaces only with the run) is
    checked with the run."""
    text = "name: x\nmodels:\n- name: m0\nversion: |\n  block\n  text"
    for check_each in (False, True):
        doc = YamlDocument(text, "config.yaml", check_each=check_each)
        original = YamlDocument(text, "config.yaml")
        with pytest.raises(ConfigFileError, match="cannot change 'GOOSE_PROVIDER'"):
            if edited_first:
                doc.set((put_back,), "y")
            doc.set(("GOOSE_PROVIDER",), "openai")
            doc.restore((put_back,), original.get((put_back,)), original.layout((put_back,)))
            doc.render()


def test_dotenv_line_put_back_in_another_process_keeps_its_break() -> None:
    """A removed last line without a break of its own comes back after the break that stood
    before it (recorded in its layout), also when a fresh process reads the file."""
    original = "A=1\r\nB=v"
    doc = DotenvDocument(original, ".env")
    layout = doc.layout(("B",))
    doc.remove(("B",))
    assert doc.render() == "A=1"
    fresh = DotenvDocument(doc.render(), ".env")
    fresh.restore(("B",), "v", layout)  # type: ignore[arg-type]
    assert fresh.render() == original
    tampered = DotenvDocument("A=1\n", ".env")
    tampered.restore(("B",), "v", {"entry": "B=v\nEVIL=1"})  # says more than B=v: not used
    assert tampered.render() == "A=1\nB=v\n"


def test_dotenv_last_line_ending_in_a_lone_carriage_return_is_refused() -> None:
    doc = DotenvDocument("A=1\nB=2\r", ".env")
    with pytest.raises(ConfigFileError, match="lone carriage return") as err:
        doc.set(("OPTSCALE_API_KEY",), "sk-x")
    assert err.value.line == 2
    assert doc.render() == "A=1\nB=2\r"


@pytest.mark.parametrize(
    ("original", "steps", "expected"),
    [
        ("a:\nb: 1\n", [("a", "X")], "a: X\nb: 1\n"),  # was refused: the value took b's line
        ("a:\n", [("a", "X")], "a: X\n"),  # lost the final line break
        ("b:\n# tail\n", [("b", "x")], "b: x\n# tail\n"),  # lost the comment
        ("b:\n\n\n\n\n\n", [("b", "ab"), ("c", "v")], "b: ab\nc: v\n\n\n\n\n\n"),
        ("a:   # c\nb: 2\n", [("a", "X")], "a: X   # c\nb: 2\n"),
        ("  b:\n  \n  \n", [("b", "x"), ("c", "y")], '  b: x\n  c: "y"\n  \n  \n'),
    ],
)
def test_yaml_key_with_an_empty_value(
    original: str, steps: list[tuple[str, str]], expected: str
) -> None:
    """`key:` and nothing: ruamel marks the empty value where the next token starts (the next
    key, or past blank and comment lines); its value is the nothing after the colon."""
    for check_each in (False, True):
        doc = YamlDocument(original, "config.yaml", check_each=check_each)
        for key, value in steps:
            doc.set((key,), value)
        assert doc.render() == expected
        for key, _ in reversed(steps):
            if key not in YamlDocument(original, "config.yaml").data:
                doc.remove((key,))


def test_yaml_ruamel_cannot_read_is_a_refusal_naming_the_file() -> None:
    """Some comment placements make ruamel raise NotImplementedError ("overlap in
    comment"): where ruamel reads the file (here: a tag of its own), that is the file we
    cannot edit safely, not an internal error. libyaml reads the same placement."""
    with pytest.raises(ConfigFileError, match="cannot read this YAML safely"):
        YamlDocument("a: # c\n  v\n\nb: !custom z\n", "config.yaml")
    doc = YamlDocument("a: # c\n  v\n\n", "config.yaml")
    assert doc.data == {"a": "v"}
    doc.set(("b",), "x")
    assert doc.render() == "a: # c\n  v\nb: x\n\n"


@pytest.mark.parametrize(
    "nested",
    [
        "[" * 300_000 + "]" * 300_000,  # libyaml's C composer overflowed the stack on these
        "{b: " * 100_000 + "1" + "}" * 100_000,
        "\n  " + "- " * 100_000 + "x",  # block sequences, one in the other, on one line
    ],
    ids=["flow-lists", "flow-maps", "compact-lists"],
)
def test_yaml_nested_beyond_any_stack_is_refused(tmp_path: Path, nested: str) -> None:
    """A config.yaml nested a hundred thousand deep is refused with a clear error and left
    as it was; reading it neither crashes the process nor reports an internal error."""
    text = f"name: x\nmodels: []\nother: {nested}\n"
    path = tmp_path / "config.yaml"
    path.write_text(text)
    with pytest.raises(ConfigFileError, match="nested too deeply"):
        plan_edit(Target(FileStore(path), "yaml"), continue_ops("name: x\n"))
    assert path.read_text() == text


@pytest.mark.parametrize(
    "text",
    [
        "# c\r%YAML 1.1\r---\rx: yes\r",  # a directive after a CR-only line break
        "a: 1\u2028b: 2\nc: 3\n",  # YAML 1.1's line breaks: libyaml takes them
        "keep: s\x85name: old\n",
        "\ufeff\ufeffa: 1\nb: 2\n",  # a BOM after the one a file may start with
        "a:\t1\nb: 2\t\n",  # tabs as separators
        "k: |#c\n  x\nb: 1\n",  # a comment right after a block scalar's header
        "a: 1\n...\n...\n",  # a second document end
        "k: !\n",  # the non-specific tag: libyaml says "", ruamel None
        "a: !!bool x\n<<: 1\n",  # a tagged scalar ruamel's constructor refuses
    ],
)
def test_yaml_libyaml_reads_otherwise_is_read_as_ruamel_reads_it(text: str) -> None:
    """Where libyaml's reading (the quick one) differs from ruamel's, or takes what ruamel
    refuses, the file is read (or refused) as ruamel reads it, as it was before."""
    from optscale_cli.edit.documents import plain

    try:
        expected = plain(YAML(typ="rt").load(text.removeprefix("\ufeff"))) or {}
    except Exception:  # (noqa: BLE001) ruamel refuses it: so do we
        with pytest.raises(ConfigFileError):
            YamlDocument(text, "config.yaml")
        return
    assert YamlDocument(text, "config.yaml").data == expected


# what the quick reader left to ruamel when it was one pattern, tried at every offset
_READS_OTHERWISE_AS_ONE = re.compile(
    r"(?:^|[\r\n\x85\u2028\u2029])(?:%|\.\.\.)|[\x85\u2028\u2029\ufeff\t]|[|>][-+0-9]*#"
    r"|(?<![^\s\[{,])!(?:<!>)?(?![^\s,\]}])"
)


@settings(max_examples=400, deadline=None)
@example("# c\r%YAML 1.1\r---\rx: yes\r")
@example("a\r...\r")
@example("[!]")
@example("{a: !, b: !<!> x}")
@example("k: >+2#c\n")
@example("k: a!b")
@given(st.text(alphabet="%.!<>|#-+3 \t\r\n,[]{}:ak'\x85\u2028\u2029\ufeff", max_size=14))
def test_what_libyaml_reads_otherwise_is_found_by_each_test_as_by_the_one_pattern(
    text: str,
) -> None:
    """The quick reader's check, now one search per thing libyaml reads otherwise (each
    starting from its own character), finds what the one pattern found, and only that."""
    from optscale_cli.edit.yaml_text import _libyaml_reads_otherwise

    for case in (text, f"x: 1\n{text}", f"{text}\ny: 2", f"a{text}"):
        expected = _READS_OTHERWISE_AS_ONE.search(case) is not None
        assert _libyaml_reads_otherwise(case) == expected, case


# the same text plain and quoted: a tag resolved for one must not be reused for the other
_QUOTED_TWINS = "a: true\nb: 'true'\nc: \"1\"\nd: 1\ne: [null, 'null', ~, \"~\", 1.5, '1.5']\n"


def _composed(text: str, composer_class: type) -> Any:
    """The node tree ``composer_class`` makes of libyaml's events for ``text``, as a nested
    tuple of everything a node holds (or its error)."""
    from ruamel.yaml.nodes import ScalarNode

    from optscale_cli.edit.yaml_compose import compose

    seen: set[int] = set()

    def held(node: Any) -> Any:
        if isinstance(node, tuple):  # a mapping's (key, value)
            return tuple(held(n) for n in node)
        if id(node) in seen:  # an alias: the node its anchor names, maybe its own parent
            return ("alias", node.anchor)
        seen.add(id(node))
        marks = (node.start_mark.index, node.end_mark.index, node.start_mark.line)
        own = (type(node).__name__, node.tag, marks, node.anchor, node.comment)
        if isinstance(node, ScalarNode):
            return (*own, node.value, node.style)
        return (*own, node.flow_style, [held(n) for n in node.value])

    with warnings.catch_warnings():  # ruamel's, of an anchor named again (ours says none)
        warnings.simplefilter("ignore")
        try:
            root = compose(text, composer_class)
        except Exception as exc:  # (noqa: BLE001) the same error from both
            return (type(exc).__name__, str(exc))
    return None if root is None else held(root)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=yaml_documents() | st.sampled_from([*YAML_CASES, _QUOTED_TWINS]))
def test_the_quick_composer_makes_the_nodes_ruamel_makes(text: str) -> None:
    """Our composer takes each of libyaml's events once and resolves a scalar's tag once per
    text: the tree it makes is ruamel's own composer's, node for node (kind, tag, marks,
    anchor, comment, value, style), and so is any error."""
    from ruamel.yaml.composer import Composer

    from optscale_cli.edit.yaml_compose import QuickComposer

    aliased = text.replace("a: ", "a: &x ") + ("" if text.endswith("\n") else "\n")
    for variant in (text, aliased + "again: *x\n"):
        assert _composed(variant, QuickComposer) == _composed(variant, Composer)


# scalars and collections the data-only reading must build (or hand to ruamel) as the nodes do
_DEEP_ODDITIES = (
    "a: !!str 1\nb: !!int \"3\"\nc: !!float '1.5'\nd: 2001-12-14t21:59:43.10-05:00\n"
    "e: 2002-12-14\nf: ~\ng:\nh: 0x1F\ni: 1_000\nj: .inf\nk: -.NaN\nl: !!map {x: 1}\n"
    'm: !!seq [1]\nn: [True, FALSE, yes, \'no\', "~", null]\no: "\\u00e9\\t"\n',
    "a: !!binary aGk=\n",
    "a: !custom x\n",
    "a: !!bool x\n",
    "a: !!set {x, y}\n",
    "a: !!omap [x: 1]\n",
    "a: 1\nb: 2\na: 3\n",  # a key written twice
    "? [x]\n: 1\n",  # a complex key
    "1: x\nnull: y\n",  # keys that are not text
    "a: &x {b: 1}\nc: {d: [1, {e: f}]}\n",  # an anchor no alias names
    "a: [1, {b: [2, {c: [3]}]}]\n",
    "a: |\n  block\n  text\nb: >-\n  folded\n",
)


def _read_by_the_whole_tree(text: str) -> Any:
    """The quick reading as it was: every node composed, the data built from them."""
    from optscale_cli.edit import yaml_text
    from optscale_cli.edit.yaml_compose import compose

    if yaml_text._libyaml_reads_otherwise(text):
        return None
    try:
        root = compose(text)
    except RecursionError:
        raise
    except Exception:  # (noqa: BLE001) handed to ruamel
        return None
    if "*" in text:
        yaml_text._refuse_unreadable(root)
    try:
        return (None if root is None else yaml_text._plain_data(root)), root
    except yaml_text._NotPlain:
        return None


def _what_a_reading_says(text: str, read: Any) -> Any:
    from optscale_cli.edit import yaml_text

    try:
        found = read(text)
    except yaml_text.Refusal as exc:
        return ("refused", exc.message, exc.offset)
    if found is None:
        return "left to ruamel"
    data, root = found
    try:
        spans = [
            (e.key, e.kstart, e.line, e.end, e.after_colon, e.vstart, e.vend, e.alias)
            for e in yaml_text.entries(text, root)
        ]
    except yaml_text.Refusal as exc:
        spans = [("refused", exc.message, exc.offset)]
    return _with_types(data), spans


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@example(text=_QUOTED_TWINS)
@given(text=yaml_documents() | st.sampled_from([*YAML_CASES, *_DEEP_ODDITIES]))
def test_the_data_read_without_nodes_is_the_data_read_from_them(text: str) -> None:
    """Below the top two levels the quick reader builds the data straight from libyaml's
    events, without nodes: the data (types and all), the entries' places, and what it leaves
    to ruamel are those of the reading that composed every node. Each text is also read
    nested two levels deeper, and inside a list, where all of it is read without nodes."""
    from optscale_cli.edit.yaml_text import _read_with_libyaml

    indented = "".join("    " + line for line in text.splitlines(keepends=True))
    for variant in (
        text,
        f"outer:\n  inner:\n{indented}",
        f"top:\n- - x\n  - {json.dumps(text)}\n- {{in: [{{k: {json.dumps(text)}}}]}}\n",
    ):
        lean = _what_a_reading_says(variant, _read_with_libyaml)
        assert lean == _what_a_reading_says(variant, _read_by_the_whole_tree), variant


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("a:\n  b: 1\nmodels:\n  - name: x\n", ("a", "b")),
        ("a:\n  b: 1\nmodels:\n  - name: x\n", ("models", 0, "name")),
        ("c: {b: [yes, {d: 1}]}\n", ("c", "b", 1, "d")),
        ("x: 1\ndeep:\n  e:\n    f:\n      - g: h\n", ("deep", "e", "f", 0, "g")),
        ("a: &x {b: 1}\nc: *x\n", ("a", "b")),  # aliases: every node made anyway
    ],
)
def test_a_key_below_the_top_level_is_located_where_it_is_written(text: str, path: Any) -> None:
    """The quick reading keeps only data below the top level; naming the line and column of
    a key there (an error about it) still finds where it is written, as ruamel's tree does."""
    from optscale_cli.edit import yaml_text

    fresh = yaml_text.key_node(YAML(typ="rt").compose(text), path)
    expected = (fresh.start_mark.line + 1, fresh.start_mark.column + 1)
    assert YamlDocument(text, "config.yaml").locate(path) == expected


@pytest.mark.parametrize("depth", [400, 900, 960, 1500])
def test_a_yaml_list_nested_deep_is_read_or_refused_as_too_deep(tmp_path: Path, depth: int) -> None:
    """At any depth a config.yaml is read (and edited, byte for byte elsewhere) or refused as
    nested too deeply, with nothing changed: the data read without nodes takes one Python
    frame a level (with nodes, a file about 480 deep was refused)."""
    text = f"name: x\nmodels: []\nother: {'[' * depth}1{']' * depth}\n"
    path = tmp_path / "config.yaml"
    path.write_text(text)
    target = Target(FileStore(path), "yaml")
    try:
        change = plan_edit(target, [SetValue(("name",), "z")])
    except ConfigFileError as exc:
        assert "nested too deeply" in str(exc) and depth > 900
        assert path.read_text() == text
        return
    assert change.new_text == text.replace("name: x", "name: z", 1)


def _alias_bomb(levels: int) -> str:
    """A few hundred bytes whose aliases stand for 10 ** levels values."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for n in range(1, levels):
        lines.append(f"a{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * 10) + "]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("tail", ["", "# a tab (\t): read by ruamel\n"])
@pytest.mark.parametrize(
    ("text", "refusal"),
    [
        (_alias_bomb(9), r"aliases \(\*name\) repeat more than ten million characters"),
        # fewer repeats, of a long string: 531,441 copies of 5,000 characters
        (
            _alias_bomb(7).replace("[x, x, x, x, x, x, x, x, x, x]", '"' + "x" * 5000 + '"'),
            r"aliases \(\*name\) repeat more than ten million characters",
        ),
        ("a: &a [1, *a]\n", r"1:4: a list or mapping holds an alias \(\*name\) of itself"),
        ("!!str &x k: 1\nk: 2\n", r"2:1: the key 'k' is written twice"),
    ],
)
def test_yaml_that_cannot_be_read_as_written_is_refused_at_once(
    tmp_path: Path, tail: str, text: str, refusal: str
) -> None:
    """A config.yaml no reading can take as it is written is refused naming the file, line
    and column, before anything expands it, and left as it was, whichever reader reads it:
    a "billion laughs" (aliases of aliases: comparing its data once ran for minutes), a list
    holding an alias of itself (it made the reading recurse without end), a key written
    twice (ruamel misses it after a tag, and an edit then wrote the key a second time)."""
    text += tail
    path = tmp_path / "config.yaml"
    path.write_text(text)
    with pytest.raises(ConfigFileError, match=refusal):
        plan_edit(Target(FileStore(path), "yaml"), continue_ops("name: x\n"))
    assert path.read_text() == text


def test_yaml_aliases_that_repeat_a_little_are_read() -> None:
    assert len(YamlDocument(_alias_bomb(3), "config.yaml").data["a2"]) == 10
    text = _alias_bomb(4).replace("[x, x, x, x, x, x, x, x, x, x]", '"' + "x" * 5000 + '"')
    assert len(YamlDocument(text, "config.yaml").data["a3"]) == 10


@pytest.mark.parametrize("tail", ["", "# a tab (\t): read by ruamel\n"])
def test_an_anchor_named_again_is_read_without_a_warning(tail: str) -> None:
    """YAML lets an anchor be named again (aliases after it mean the later node): read as
    ruamel reads it, and no library warning (ruamel's, with its source lines) reaches the
    user's terminal."""
    text = f"a: &x 1\nb: &x 2\nc: *x\n{tail}"
    with warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always")
        assert YamlDocument(text, "config.yaml").data == {"a": 1, "b": 2, "c": 2}
    assert [str(w.message) for w in warned] == []


def _npm_dotenv_value(line: str) -> str:
    """What motdotla/dotenv's parse (lib/main.js) makes of the value of ``line``: trimmed,
    surrounding quotes stripped, and in double quotes only \\n and \\r turned into breaks."""
    value = line.partition("=")[2].strip()
    quote = value[:1]
    if len(value) >= 2 and quote in "'\"`" and value.endswith(quote):
        value = value[1:-1]
    if quote == '"':
        value = value.replace("\\n", "\n").replace("\\r", "\r")
    return value


@pytest.mark.parametrize(
    "value", ["sk-abc", "a b", "ünïcode", "x=y", "#hash", "a'b", "", " pad", "dollar$HOME"]
)
def test_dotenv_values_read_back_as_dotenv_reads_them(value: str) -> None:
    doc = DotenvDocument("", ".env")
    doc.set(("K",), value)
    line = doc.render().rstrip("\n")
    assert _npm_dotenv_value(line) == value
    assert DotenvDocument(doc.render(), ".env").data["K"] == value


@pytest.mark.parametrize("value", ['a"b', "a\\b", "a\\nb", "tab\there", "line\nbreak", "\x7f"])
def test_dotenv_values_dotenv_cannot_hold_are_refused(value: str) -> None:
    doc = DotenvDocument("A=1\n", ".env")
    with pytest.raises(ConfigFileError, match="no way to quote"):
        doc.set(("K",), value)
    assert doc.render() == "A=1\n"


# --- reading a .env as dotenv does ------------------------------------------------------

# motdotla/dotenv 17.4.2 lib/main.js `LINE` and `parseRegex`, as Python, with JavaScript's
# meanings: `\s` and `trim` are JS whitespace, `.` stops at any JS line terminator, and with
# the m flag `^` and `$` also stand at U+2028 and U+2029; `\w` is ASCII. Applied to the whole
# text after `\r\n?` became `\n`, match after match, the last line of a key wins.
_JS_WS = "\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_JS_TRIM = "".join([*re.findall(f"[{_JS_WS}]", "".join(map(chr, range(0x3001)))), "\ufeff"])
_JS_BREAKS = "\n\r\u2028\u2029"
_S, _DOT = f"[{_JS_WS}]", f"[^{_JS_BREAKS}]"
_BOL, _EOL = f"(?<![^{_JS_BREAKS}])", f"(?![^{_JS_BREAKS}])"
_NPM_DOTENV_LINE = re.compile(
    f"(?:{_BOL}|{_BOL}){_S}*(?:export{_S}+)?([A-Za-z0-9_.-]+)(?:{_S}*={_S}*?|:{_S}+?)"
    f"({_S}*'(?:\\\\'|[^'])*'|{_S}*\"(?:\\\\\"|[^\"])*\"|{_S}*`(?:\\\\`|[^`])*`|[^#\r\n]+)?"
    f"{_S}*(?:#{_DOT}*)?(?:{_EOL}|{_EOL})"
)
_NPM_QUOTES = re.compile(f"{_BOL}(['\"`])([\\s\\S]*)\\1{_EOL}")


def _npm_dotenv_parse(text: str) -> dict[str, str]:
    """motdotla/dotenv's `parseRegex`, line for line."""
    found = {}
    for match in _NPM_DOTENV_LINE.finditer(re.sub(r"\r\n?", "\n", text)):
        value = (match.group(2) or "").strip(_JS_TRIM)
        quote = value[:1]
        value = _NPM_QUOTES.sub(r"\2", value)
        if quote == '"':
            value = value.replace("\\n", "\n").replace("\\r", "\r")
        found[match.group(1)] = value
    return found


@pytest.mark.parametrize(
    ("text", "values"),
    [
        # what json.loads read otherwise: dotenv unescapes nothing but \n and \r
        ('OPTSCALE_API_KEY="sk-\\u0041"\n', {"OPTSCALE_API_KEY": "sk-\\u0041"}),
        ('K="C:\\temp"\n', {"K": "C:\\temp"}),
        ('K="a\\"b"\n', {"K": 'a\\"b'}),
        ("K=sk-abc # mine\n", {"K": "sk-abc"}),
        ("K=a#b\n", {"K": "a"}),
        ('K="a b" # c\n', {"K": "a b"}),
        ("K: v\nA.B-C=1\n", {"K": "v", "A.B-C": "1"}),
        ("K='a'b'\n", {"K": "a'b"}),
        ("export   K = `x`\r\n", {"K": "x"}),
    ],
)
def test_dotenv_reads_each_value_as_dotenv_does(text: str, values: dict[str, str]) -> None:
    assert _npm_dotenv_parse(text) == values
    assert DotenvDocument(text, ".env").data == values


@pytest.mark.parametrize(
    ("text", "line"),
    [
        # dotenv reads a second key after a lone \r: we would not see it
        ("A=1\rOPTSCALE_API_KEY=evil\n", 1),
        # or after U+2028 / U+2029 (JavaScript's line ends), even in a comment
        ("# note\u2028OPTSCALE_API_KEY=evil\n", 1),
        ("A='a'\u2029OPTSCALE_API_KEY=evil'\n", 1),
        # `KEY:` ending its line: dotenv reads the next line as its value
        ("X:\nOPTSCALE_API_KEY=sk-abc\n", 1),
        ("X:\r\n", 1),
        # whitespace to Python, not to JavaScript: dotenv skips the line
        ("\x1cK=1\n", 1),
        # a quote that does not close on its line goes on (dotenv: A is "x\nOPTSCALE...")
        ('B=2\nA="x\nOPTSCALE_API_KEY=evil"\n', 2),
        ('A="x" y\n', 1),
        ("ключ=1\n", 1),
        ("A:1\n", 1),
    ],
)
def test_dotenv_lines_read_otherwise_by_dotenv_are_refused(text: str, line: int) -> None:
    with pytest.raises(ConfigFileError) as refused:
        DotenvDocument(text, ".env")
    assert refused.value.line == line


def test_dotenv_whitespace_is_javascripts() -> None:
    """A BOM and U+00A0 are whitespace to dotenv (JS `trim`), \x1c and \x85 are not."""
    text = '\ufeffA=1\nB=a\x1c\nC=a\x85\nD=\xa0v\ufeff\nE=a\ufeff\nF="a\ufeff"\n'
    assert DotenvDocument(text, ".env").data == _npm_dotenv_parse(text)
    assert _npm_dotenv_parse(text) == {
        **{"A": "1", "B": "a\x1c", "C": "a\x85", "D": "v"},
        **{"E": "a", "F": "a\ufeff"},  # trimmed outside quotes only
    }


def test_dotenv_names_dotenv_cannot_read_are_not_written() -> None:
    doc = DotenvDocument("A=1\n", ".env")
    for name in ("A B", "#K", "ключ", "", "K\u2028X"):
        with pytest.raises(ConfigFileError, match="reads only names"):
            doc.set((name,), "v")
    assert doc.render() == "A=1\n"


def test_dotenv_finds_the_line_of_a_key_not_its_name_elsewhere() -> None:
    """An edit finds its key's line by searching for the name: the name in a comment, in
    another key's value, or inside a longer name is not that line; the last line is."""
    text = (
        "# OPTSCALE_API_KEY=in a comment\nX=OPTSCALE_API_KEY=no\n OPTSCALE_API_KEY=yes\n"
        "MY_OPTSCALE_API_KEY=mine\nOPTSCALE_API_KEY_2=two\nY=OPTSCALE_API_KEY\n"
    )
    doc = DotenvDocument(text, ".env")
    assert doc.get(("OPTSCALE_API_KEY",)) == "yes"
    doc.set(("OPTSCALE_API_KEY",), "sk-new")
    assert doc.render() == text.replace(" OPTSCALE_API_KEY=yes", " OPTSCALE_API_KEY=sk-new")
    doc.remove(("OPTSCALE_API_KEY",))
    assert doc.get(("OPTSCALE_API_KEY",)) is ABSENT
    assert doc.data == _npm_dotenv_parse(doc.render())
    assert "OPTSCALE_API_KEY" not in doc.data


@pytest.mark.timeout(30)  # quadratic, this took minutes
def test_dotenv_finding_a_key_is_linear() -> None:
    """The name of a key many times on one long line, and on many lines: each line is
    looked at once, not once for each time the name is in it."""
    text = "X=" + "A" * 300_000 + "\n" + "Y=A\n" * 100_000 + "B=1\n"
    doc = DotenvDocument(text, ".env")
    assert doc.get(("A",)) is ABSENT
    doc.set(("A",), "v")
    assert doc.render() == text + "A=v\n"


@pytest.mark.timeout(30)  # quadratic, these took minutes (20,000 of each: 0.8 s and 2.2 s)
def test_dotenv_reading_is_linear() -> None:
    """Many `KEY=` lines, and a long run of spaces in a line, read in linear time: the
    reading must not look through the rest of the file for each line, nor try every way to
    split a run of spaces."""
    lines = "".join(f"K{i}=\n" for i in range(200_000))
    spaces = 'K="x"' + " " * 150_000 + '"\n'
    assert len(DotenvDocument(lines + spaces, ".env").data) == 200_001


def test_dotenv_value_written_with_a_comment_is_left_as_it_is() -> None:
    """The user's own `KEY=value # note` already says our value: nothing to change."""
    text = "OPTSCALE_API_KEY=sk-abc  # mine\n"
    doc = DotenvDocument(text, ".env")
    doc.set(("OPTSCALE_API_KEY",), "sk-abc")
    assert doc.render() == text


_DOTENV_PIECES = st.sampled_from(
    ["K", "A.b-c", "export ", "=", ":", " ", "\t", '"', "'", "`", "#", "\\", "n", "r", "x", "é",
     "\n", "\r\n", "\r", "K=", "K: ", "# c", "\u2028", "\x1c", "\x85", "\ufeff", "\xa0",
     "\v"]
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(_DOTENV_PIECES, max_size=14).map("".join))
def test_dotenv_reading_agrees_with_dotenv_on_any_text(text: str) -> None:
    """Whatever we read without refusing, dotenv reads the same."""
    try:
        ours = DotenvDocument(text, ".env").data
    except ConfigFileError:
        return
    assert ours == _npm_dotenv_parse(text)
