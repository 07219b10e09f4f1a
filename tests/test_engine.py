"""The safe-edit engine on real files: races, locks, crashes, and round-trip properties."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optscale_cli.edit import jsonc
from optscale_cli.edit.documents import ABSENT
from optscale_cli.edit.engine import (
    ListItem,
    SetValue,
    Target,
    commit,
    edit_lock,
    plan_edit,
    plan_revert,
)
from optscale_cli.edit.stores import FileStore, backups_of
from optscale_cli.errors import ConfigFileError, Refused

OPS = [
    SetValue(("provider", "optscale", "options", "baseURL"), "https://h/llm_proxy/o/v1"),
    SetValue(("provider", "optscale", "models", "openai/gpt-4.1"), {"name": "x"}),
    SetValue(("model",), "optscale/openai/gpt-4.1"),
    SetValue(("ANTHROPIC_API_KEY",), ABSENT),
]


def _apply(path: Path, ops, previous=None, fmt: str = "jsonc"):  # type: ignore[no-untyped-def]
    change = plan_edit(Target(FileStore(path), fmt), ops, previous)
    commit([change], path.parent / "locks")
    return change


def test_file_changed_between_read_and_write_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text('{"a": 1}\n')
    change = plan_edit(Target(FileStore(path), "json"), OPS)
    path.write_text('{"a": 2}\n')  # someone else writes meanwhile
    with pytest.raises(Refused, match="changed while"):
        commit([change], tmp_path / "locks")
    assert path.read_text() == '{"a": 2}\n'


def test_lock_makes_a_second_writer_wait(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text("{}\n")
    change = plan_edit(Target(FileStore(path), "json"), OPS)
    held, released = threading.Event(), threading.Event()

    def hold() -> None:
        with edit_lock(tmp_path / "locks"):
            held.set()
            time.sleep(0.3)  # the second writer is waiting meanwhile
        released.set()

    holder = threading.Thread(target=hold)
    holder.start()
    assert held.wait(10)
    commit([change], tmp_path / "locks")  # waits for the holder, then writes
    assert released.is_set()
    holder.join()
    assert json.loads(path.read_text())["model"] == "optscale/openai/gpt-4.1"


def test_lock_refuses_after_timeout(tmp_path: Path) -> None:
    with (
        edit_lock(tmp_path / "locks"),
        pytest.raises(Refused, match="another optscale"),
        edit_lock(tmp_path / "locks", timeout_s=0.2),
    ):
        pass


def test_two_processes_at_once_neither_corrupts(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text('{\n  "keep": true\n}\n')
    script = textwrap.dedent(f"""
        import sys
        from pathlib import Path
        from optscale_cli.edit.engine import SetValue, Target, commit, plan_edit
        from optscale_cli.edit.stores import FileStore
        from optscale_cli.errors import Refused
        path = Path({str(path)!r})
        for attempt in range(50):
            change = plan_edit(Target(FileStore(path), "json"),
                               [SetValue(("writer", sys.argv[1]), attempt)])
            try:
                commit([change], path.parent / "locks")
                break
            except Refused:
                continue
    """)
    procs = [subprocess.Popen([sys.executable, "-c", script, name]) for name in ("a", "b")]
    assert all(p.wait(timeout=60) == 0 for p in procs)
    data = json.loads(path.read_text())
    assert data["keep"] is True
    assert set(data["writer"]) == {"a", "b"}


def test_crash_at_rename_leaves_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    original = '{\n  "keep": true\n}\n'
    path.write_text(original)
    script = textwrap.dedent(f"""
        import os
        from pathlib import Path
        from optscale_cli.edit.engine import SetValue, Target, commit, plan_edit
        from optscale_cli.edit.stores import FileStore
        path = Path({str(path)!r})
        change = plan_edit(Target(FileStore(path), "json"), [SetValue(("x",), 1)])
        os.replace = lambda *a, **k: os._exit(9)   # the process dies at the rename
        commit([change], path.parent / "locks")
    """)
    done = subprocess.run([sys.executable, "-c", script], check=False)
    assert done.returncode == 9
    assert path.read_text() == original


def test_list_item_added_and_removed(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    original = '{"models": ["a"], "other": 1}'
    path.write_text(original)
    ops = [ListItem(("models",), "optscale-model"), ListItem(("models",), "a")]
    change = _apply(path, ops)
    assert json.loads(path.read_text())["models"] == ["a", "optscale-model"]
    revert = plan_revert(Target(FileStore(path), "json"), change.ledger_entry())
    commit([revert], tmp_path / "locks")
    assert json.loads(path.read_text()) == json.loads(original)


def test_toml_and_yaml_documents_keep_comments(tmp_path: Path) -> None:
    toml = tmp_path / "c.toml"
    toml.write_text('# mine\nmodel = "o3"  # note\n\n[other]\nx = 1\n')
    change = _apply(
        toml,
        [
            SetValue(("model_providers", "optscale", "name"), "OptScale"),
            SetValue(("model",), "openai/gpt-4.1"),
        ],
        fmt="toml",
    )
    assert "# mine" in toml.read_text() and "[model_providers.optscale]" in toml.read_text()
    commit(
        [plan_revert(Target(FileStore(toml), "toml"), change.ledger_entry())], tmp_path / "locks"
    )
    assert toml.read_text() == '# mine\nmodel = "o3"  # note\n\n[other]\nx = 1\n'
    yaml = tmp_path / "c.yaml"
    yaml.write_text("# top\nname: mine  # keep\nmodels: []\n")
    _apply(yaml, [SetValue(("openai-api-base",), "https://h/v1")], fmt="yaml")
    assert "# keep" in yaml.read_text() and "openai-api-base: https://h/v1" in yaml.read_text()


def test_bad_toml_names_line(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("a = 1\nb = = 2\n")
    with pytest.raises(ConfigFileError) as err:
        plan_edit(Target(FileStore(path), "toml"), [SetValue(("x",), 1)])
    assert f"{path}:2" in err.value.message


# --- properties -------------------------------------------------------------------------

keys = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=8)
scalars = st.none() | st.booleans() | st.integers(-(10**6), 10**6) | keys
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3),
    max_leaves=8,
)
documents = st.dictionaries(keys, values, min_size=1, max_size=5)
styles = st.sampled_from(["compact", "indent2", "indent4", "comments"])


def render(doc: dict, style: str) -> str:  # type: ignore[type-arg]
    if style == "compact":
        return json.dumps(doc, ensure_ascii=False)
    if style == "comments":
        body = json.dumps(doc, indent=2, ensure_ascii=False)
        return "// user file\n" + body[:-1] + "  /* end */\n}\n"
    return json.dumps(doc, indent=2 if style == "indent2" else 4, ensure_ascii=False) + "\n"


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(doc=documents, style=styles)
def test_connect_then_disconnect_restores_and_connect_is_idempotent(
    tmp_path: Path,
    doc: dict,
    style: str,  # type: ignore[type-arg]
) -> None:
    path = tmp_path / "prop.jsonc"
    original = render(doc, style)
    path.write_text(original)
    target = Target(FileStore(path), "jsonc")
    try:
        first = plan_edit(target, OPS)
    except ConfigFileError:
        # the user's file has a non-object where we need an object: refused, untouched
        assert path.read_text() == original
        return
    commit([first], tmp_path / "locks")
    once = path.read_text()
    second = plan_edit(target, OPS, first.ledger_entry())
    assert not second.changed and second.new_text == once
    commit([plan_revert(target, first.ledger_entry())], tmp_path / "locks")
    assert jsonc.loads(path.read_text()) == jsonc.loads(original)
    for backup in backups_of(path):
        backup.unlink()


REMOVED_WITH_ITS_COMMENTS = [
    '{\n  "a": 1, /* mine */\n  "b": 2\n}\n',
    '{\n  "a": 1, // mine\n  "b": 2\n}\n',
    '{\n  "b": 2,\n  "a": 1 /* mine */\n}\n',
    '{\n  "b": 2,\n  "a": 1, // last, with a trailing comma\n}\n',
    '{"a": 1 /* x */, "b": 2}',
    '{"b": 2, "a": 1 /* x */}',
    '{\r\n\t"a": 1, // crlf and tabs\r\n\t"b": 2\r\n}\r\n',
    '{\n  "a": 1 // the only member\n}\n',
    '{\n  "env": {\n    "a": 1, /* mine */\n    "c": 3\n  },\n  "b": 2\n}\n',
]


@pytest.mark.parametrize("original", REMOVED_WITH_ITS_COMMENTS)
def test_a_removed_member_comes_back_with_its_comments(tmp_path: Path, original: str) -> None:
    """Connect may remove a user's member (Claude Code's ANTHROPIC_API_KEY); undo puts back
    its bytes, the comments on its line included, where they were."""
    path = tmp_path / "settings.jsonc"
    path.write_bytes(original.encode())
    target = Target(FileStore(path), "jsonc")
    where = ("env", "a") if '"env"' in original else ("a",)
    change = plan_edit(target, [SetValue(where, ABSENT)])
    commit([change], tmp_path / "locks")
    assert "a" not in json.dumps(jsonc.loads(path.read_text()))
    commit([plan_revert(target, change.ledger_entry())], tmp_path / "locks")
    assert path.read_bytes() == original.encode()


def test_a_tampered_record_cannot_put_back_other_data(tmp_path: Path) -> None:
    """The stretch undo puts back comes from our record; if it no longer says the value the
    record restores (the record was edited), it is not used: the value goes back the plain
    way, and nothing else in the file changes."""
    path = tmp_path / "settings.jsonc"
    original = '{\n  "a": 1, /* mine */\n  "b": 2\n}\n'
    path.write_text(original)
    target = Target(FileStore(path), "jsonc")
    change = plan_edit(target, [SetValue(("a",), ABSENT)])
    commit([change], tmp_path / "locks")
    entry = change.ledger_entry()
    layout = entry["records"][0]["layout"]
    assert "around" in layout
    layout["around"] = layout["around"].replace('"a": 1', '"a": 1, "evil": true')
    commit([plan_revert(target, entry)], tmp_path / "locks")
    assert jsonc.loads(path.read_text()) == {"a": 1, "b": 2}


def test_dotenv_changes_the_line_that_counts_and_copies_edit_apart() -> None:
    """A key written twice means its last line (dotenv reads the file top to bottom, the
    last one winning): that line is changed, and removing it lets the earlier one count.
    A copy (the parse cache hands out copies of one parse) edits its own lines."""
    import copy

    from optscale_cli.edit.documents import DotenvDocument

    text = "# keys\nKEY=old\nOTHER=1\nexport KEY='second'\nLAST=x\n"
    parsed = DotenvDocument(text, ".env")
    first, second = copy.copy(parsed), copy.copy(parsed)
    assert first.data["KEY"] == "second"
    first.set(("KEY",), "new value")
    assert first.render() == '# keys\nKEY=old\nOTHER=1\nexport KEY="new value"\nLAST=x\n'
    first.remove(("KEY",))
    assert first.data["KEY"] == "old" and first.render() == "# keys\nKEY=old\nOTHER=1\nLAST=x\n"
    first.remove(("KEY",))
    first.set(("NEW",), "n")
    first.remove(("OTHER",))
    assert first.render() == "# keys\nLAST=x\nNEW=n\n" and "KEY" not in first.data
    first.set(("LAST",), "y")
    assert first.render() == "# keys\nLAST=y\nNEW=n\n"
    assert second.render() == parsed.render() == text
    assert second.data == {"KEY": "second", "OTHER": "1", "LAST": "x"}
    third = copy.copy(parsed)
    third.remove(("OTHER",))  # a removal as the first change of a copy
    parsed.restore(("OTHER",), "2", {"entry": "OTHER = 2"})  # and of the parse itself
    assert third.render() == "# keys\nKEY=old\nexport KEY='second'\nLAST=x\n"
    assert parsed.render() == "# keys\nKEY=old\nOTHER = 2\nexport KEY='second'\nLAST=x\n"
    assert second.render() == text and second.data["OTHER"] == "1"


def test_verify_reads_the_written_bytes_not_the_model_the_edits_built(tmp_path: Path) -> None:
    """An editing fault (a document whose data says what its text does not) must show up
    after writing: a config file of any real size is read again from its bytes."""
    from optscale_cli.edit.documents import DotenvDocument
    from optscale_cli.edit.engine import remember, verify

    path = tmp_path / ".env"
    path.write_text("A=1\n")
    target = Target(FileStore(path), "dotenv")
    change = plan_edit(target, [SetValue(("K",), "v")])
    faulty = "A=1\nK=not-v\n"  # the text a faulty edit rendered
    remember(target, faulty, DotenvDocument("A=1\nK=v\n", ".env"))  # its model: K is v
    path.write_text(faulty)
    assert verify(change) == ["K"]
    path.write_text("A=1\nK='v\n")  # the written text cannot even be read
    (wrong,) = verify(change)
    assert wrong.startswith("the whole file (") and ".env:2:1: the value of K opens" in wrong
