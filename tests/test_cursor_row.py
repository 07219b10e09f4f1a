"""Cursor's settings row: another program's change is never overwritten, disconnect removes
exactly what connect created, and settings that belong together are reverted together."""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

import pytest

from optscale_cli.clients.cursor import ROW_KEY
from optscale_cli.edit.engine import SetValue, Target, commit, plan_edit
from optscale_cli.edit.stores import SqliteRowStore
from optscale_cli.errors import Refused
from tests.conftest import Cli
from tests.gateway import GatewayStandIn
from tests.test_desktop_cursor import USER_ROW, make_cursor_db, read_row

MODEL = "openai/gpt-4.1"


def make_db(path: Path, journal: str, row: dict | None = USER_ROW) -> Path:  # type: ignore[type-arg]
    with sqlite3.connect(path) as conn:
        assert conn.execute(f"PRAGMA journal_mode={journal}").fetchone()[0] == journal.lower()
        conn.execute("CREATE TABLE ItemTable (key TEXT UNIQUE ON CONFLICT REPLACE, value BLOB)")
        if row is not None:
            conn.execute("INSERT INTO ItemTable VALUES (?, ?)", (ROW_KEY, json.dumps(row)))
    return path


def plan(db: Path):  # type: ignore[no-untyped-def]
    target = Target(SqliteRowStore(db, ROW_KEY), "json")
    return plan_edit(target, [SetValue(("openAIBaseUrl",), "https://gw.example/cursor")])


def external_change(db: Path) -> None:
    """Another program (Cursor, a sync) commits its own change to the row."""
    with sqlite3.connect(db, timeout=10) as conn:
        conn.execute(
            "UPDATE ItemTable SET value = ? WHERE key = ?",
            (json.dumps({**USER_ROW, "theme": "theirs"}), ROW_KEY),
        )
    conn.close()


@pytest.mark.parametrize("journal", ["WAL", "DELETE"])
def test_change_between_plan_and_write_is_refused(tmp_path: Path, journal: str) -> None:
    db = make_db(tmp_path / "state.vscdb", journal)
    change = plan(db)
    external_change(db)
    with pytest.raises(Refused):
        commit([change], tmp_path / "locks")
    assert read_row(db)["theme"] == "theirs"


@pytest.mark.parametrize("journal", ["WAL", "DELETE"])
def test_change_after_the_check_is_not_overwritten(
    tmp_path: Path, journal: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The change lands after commit()'s early check (here: while the backup is made, the
    step between that check and the write): the write itself re-reads and refuses."""
    db = make_db(tmp_path / "state.vscdb", journal)
    change = plan(db)
    real_backup = SqliteRowStore.backup

    def backup_then_race(self: SqliteRowStore, text: str | None) -> Path | None:
        made = real_backup(self, text)
        external_change(db)
        return made

    monkeypatch.setattr(SqliteRowStore, "backup", backup_then_race)
    with pytest.raises(Refused, match="changed"):
        commit([change], tmp_path / "locks")
    assert read_row(db)["theme"] == "theirs"
    assert read_row(db)["openAIBaseUrl"] == ""


@pytest.mark.parametrize("journal", ["WAL", "DELETE"])
def test_check_is_inside_the_write_transaction(tmp_path: Path, journal: str) -> None:
    """A second connection holds the write lock with an uncommitted change and commits it
    only once our write is waiting for the lock: our write must see it and refuse."""
    db = make_db(tmp_path / "state.vscdb", journal)
    change = plan(db)
    other = sqlite3.connect(db, timeout=10, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute(
        "UPDATE ItemTable SET value = ? WHERE key = ?",
        (json.dumps({**USER_ROW, "theme": "theirs"}), ROW_KEY),
    )
    finish = threading.Timer(0.5, lambda: other.execute("COMMIT"))
    finish.start()
    try:
        with pytest.raises(Refused):
            commit([change], tmp_path / "locks")
    finally:
        finish.join()
        other.close()
    assert read_row(db)["theme"] == "theirs"
    assert read_row(db)["openAIBaseUrl"] == ""


@pytest.mark.parametrize("journal", ["WAL", "DELETE"])
def test_write_and_delete_compare_with_the_expected_text(tmp_path: Path, journal: str) -> None:
    db = make_db(tmp_path / "state.vscdb", journal)
    store = SqliteRowStore(db, ROW_KEY)
    text = store.read()
    assert text is not None
    with pytest.raises(Refused):
        store.write("{}", secret=False, expected=text + " ")
    with pytest.raises(Refused):
        store.write("{}", secret=False, expected=None)  # planned as absent, but it is there
    with pytest.raises(Refused):
        store.delete(expected="{}")
    assert store.read() == text
    store.write('{"a": 1}', secret=False, expected=text)
    assert store.read() == '{"a": 1}'
    store.delete(expected='{"a": 1}')
    assert store.read() is None
    with pytest.raises(Refused):
        store.write("{}", secret=False, expected='{"a": 1}')  # planned on a row now gone
    store.write("{}", secret=False, expected=None)
    assert store.read() == "{}"


def test_disconnect_removes_what_connect_created(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path
) -> None:
    db = make_cursor_db(isolated_home)
    row = {"theme": {"keep": True}}  # no aiSettings at all
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE ItemTable SET value = ? WHERE key = ?", (json.dumps(row), ROW_KEY))
    conn.close()
    assert cli("connect", "cursor", "--model", MODEL, "--yes").code == 0
    assert read_row(db)["aiSettings"]["userAddedModels"] == [MODEL]
    result = cli("disconnect", "cursor", "--yes")
    assert result.code == 0, result.all
    assert read_row(db) == row


def test_disconnect_deletes_the_row_connect_created(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path
) -> None:
    db = make_cursor_db(isolated_home)
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM ItemTable WHERE key = ?", (ROW_KEY,))
    conn.close()
    assert cli("connect", "cursor", "--model", MODEL, "--yes").code == 0
    assert read_row(db)["useOpenAIKey"] is True
    result = cli("disconnect", "cursor", "--yes")
    assert result.code == 0, result.all
    with sqlite3.connect(db) as conn:
        keys = [k for (k,) in conn.execute("SELECT key FROM ItemTable")]
    conn.close()
    assert keys == ["other.key"]


def test_untouched_override_is_still_reverted_whole(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path
) -> None:
    db = make_cursor_db(isolated_home)
    assert cli("connect", "cursor", "--model", MODEL, "--yes").code == 0
    edited = read_row(db)
    edited["aiSettings"]["modelOverrideDisabled"].append("o3")  # an unrelated edit
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE ItemTable SET value = ? WHERE key = ?", (json.dumps(edited), ROW_KEY))
    conn.close()
    result = cli("disconnect", "cursor", "--yes", "--json")
    assert result.code == 0, result.all
    row = read_row(db)
    assert row["openAIBaseUrl"] == "" and row["useOpenAIKey"] is False
    assert row["aiSettings"]["userAddedModels"] == ["my-local"]
    assert result.json()["left_alone"] == [
        f"{db} [ItemTable:{ROW_KEY}]: aiSettings.modelOverrideDisabled"
    ]


def test_user_base_url_keeps_the_override_together(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path
) -> None:
    db = make_cursor_db(isolated_home)
    assert cli("connect", "cursor", "--model", MODEL, "--yes").code == 0
    mine = {**read_row(db), "openAIBaseUrl": "https://my.own.example/v1"}
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE ItemTable SET value = ? WHERE key = ?", (json.dumps(mine), ROW_KEY))
    conn.close()
    result = cli("disconnect", "cursor", "--yes", "--json")
    assert result.code == 0, result.all
    row = read_row(db)
    assert row["openAIBaseUrl"] == "https://my.own.example/v1"
    assert row["useOpenAIKey"] is True  # still on: their URL needs it
    assert MODEL in row["aiSettings"]["userAddedModels"]
    assert MODEL in row["aiSettings"]["modelOverrideEnabled"]
    left = "\n".join(result.json()["left_alone"])
    assert "openAIBaseUrl" in left and "useOpenAIKey" in left and "userAddedModels" in left
    assert "modelOverrideEnabled" in left


def test_group_is_reverted_whole_or_not_at_all(tmp_path: Path) -> None:
    """The engine rule, on a plain JSON file: a member the user changed holds its group."""
    from optscale_cli.edit.engine import ListItem, plan_revert
    from optscale_cli.edit.stores import FileStore

    path = tmp_path / "settings.json"
    path.write_text('{"keep": 1}')
    target = Target(FileStore(path), "json")
    ops = [
        SetValue(("url",), "https://gw.example", group="g"),
        SetValue(("on",), True, group="g"),
        ListItem(("models",), "m1", group="g"),
        SetValue(("alone",), 1),
    ]
    change = plan_edit(target, ops)
    commit([change], tmp_path / "locks")
    entry = change.ledger_entry()
    path.write_text(json.dumps({**json.loads(path.read_text()), "url": "https://mine.example"}))
    revert = plan_revert(target, entry)
    assert json.loads(revert.new_text) == {
        "keep": 1,
        "url": "https://mine.example",
        "on": True,
        "models": ["m1"],
    }
    assert revert.drifted[0] == "url"
    assert sorted(revert.drifted[1:]) == ["models[m1] (kept with url)", "on (kept with url)"]
    path.write_text(json.dumps({**json.loads(path.read_text()), "url": "https://gw.example"}))
    assert json.loads(plan_revert(target, entry).new_text) == {"keep": 1}
