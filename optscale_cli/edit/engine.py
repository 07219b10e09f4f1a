"""The one safe-edit path for every file we touch.

read -> parse (clear error, nothing written) -> change only our keys -> diff (``--dry-run``
stops here) -> lock -> check nobody changed the file meanwhile -> back up once -> atomic
replace keeping the mode -> re-read and verify -> record what we changed (the ledger), so
``disconnect`` reverts exactly that and names what the user has edited since.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from optscale_cli.edit.atomic import atomic_write, resolve_target
from optscale_cli.edit.diffs import unified_diff_text
from optscale_cli.edit.documents import (
    ABSENT,
    Document,
    DotenvDocument,
    JsonDocument,
    TomlDocument,
    YamlDocument,
    restore,
)
from optscale_cli.edit.stores import FileStore, Store, prune_backups
from optscale_cli.errors import ConfigFileError, Refused

if TYPE_CHECKING:
    from optscale_cli.edit.transaction import Step

FORMATS = ("json", "jsonc", "toml", "yaml", "dotenv")


@dataclass(frozen=True)
class SetValue:
    """Put ``value`` at ``path`` (ABSENT removes the key)."""

    path: tuple[str | int, ...]
    value: Any
    group: str | None = None  # see GROUPS
    merge: bool = False  # an object set whole, over the user's own entries (kept)


@dataclass(frozen=True)
class ListItem:
    """Make sure the list at ``path`` holds ``value`` (dict items are matched on ``key``)."""

    path: tuple[str | int, ...]
    value: Any
    key: str | None = None
    group: str | None = None  # see GROUPS

    def identity(self, item: Any) -> Any:
        if self.key is None:
            return item
        return item.get(self.key) if isinstance(item, dict) else ABSENT


Op = SetValue | ListItem
# GROUPS: ops that name the same ``group`` only work together (a base URL and the switch that
# uses it). Undo reverts a group whole or not at all: when the user has changed any member
# since, every member is left as it is and named, not just the one they changed.


@dataclass
class Target:
    """One document we edit: where it is stored and in which format."""

    store: Store
    format: str  # one of FORMATS
    secret: bool = False  # the new content holds a plaintext key: write it 0600

    @property
    def label(self) -> str:
        return self.store.label

    def parse(self, text: str | None, *, fresh: bool = False) -> Document:
        """The document ``text`` holds. JSON, TOML and dotenv are parsed once per text in a
        command: a text seen before (the plan's read, the undo preview, the re-read after
        writing) is served from the last parse, as a copy that shares its (never mutated)
        data; ``fresh`` reads the text again, whatever was kept."""
        cached = None if fresh else _PARSED.get(_parse_key(self, text))
        if cached is not None and cached[0] == text:
            return copy.copy(cached[1])
        try:
            doc = self._parse(text)
        except RecursionError:
            raise ConfigFileError(self.label, "is nested too deeply to edit safely") from None
        remember(self, text, doc)
        return copy.copy(doc) if isinstance(doc, _SHARED) else doc

    def _parse(self, text: str | None) -> Document:
        if self.format in ("json", "jsonc"):
            return JsonDocument(text, self.label, comments=self.format == "jsonc")
        if self.format == "toml":
            return TomlDocument(text, self.label)
        if self.format == "yaml":
            return YamlDocument(text, self.label)
        if self.format == "dotenv":
            return DotenvDocument(text, self.label)
        raise ValueError(f"unknown format {self.format}")

    def describe(self) -> dict[str, Any]:
        info: dict[str, Any] = {"format": self.format}
        if isinstance(self.store, FileStore):
            info.update(store="file", path=str(self.store.path))
        else:
            info.update(getattr(self.store, "describe", dict)())
        return info

    @property
    def key(self) -> str:
        """Identifies the document across runs (the ledger's key for it)."""
        info = self.describe()
        return info["path"] + (f"#{info['row']}" if "row" in info else "")

    @classmethod
    def from_entry(cls, entry: dict[str, Any]) -> Target:
        from optscale_cli.edit.stores import store_from_entry

        return cls(store_from_entry(entry), entry["format"], bool(entry.get("secret")))


_PARSED: dict[tuple[str, str, int, int], tuple[str | None, Document]] = {}
_SHARED = (JsonDocument, TomlDocument, DotenvDocument)  # the documents a parse is kept for


def _parse_key(target: Target, text: str | None) -> tuple[str, str, int, int]:
    """Where :data:`_PARSED` keeps the parse of ``text`` (the entry also holds the text, so
    a hash collision is only a miss)."""
    return (target.format, target.label, -1 if text is None else len(text), hash(text))


def remember(target: Target, text: str | None, doc: Document) -> None:
    """Keep the parse of ``text`` for this command (JSON, TOML and dotenv documents: their
    edits copy what they change, or their copies copy it, so a shared parse stays as it
    was)."""
    if isinstance(doc, _SHARED):
        while len(_PARSED) >= 8:
            _PARSED.pop(next(iter(_PARSED)))
        _PARSED[_parse_key(target, text)] = (text, copy.copy(doc))


def _digest(value: Any) -> str:
    from optscale_cli.digests import sha256_hex

    canonical = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return sha256_hex(canonical.encode("utf-8"))


class SecretDigest:
    """A value holding the API key, as the ledger keeps it: only its digest. It compares
    equal to the value it was made from, so drift checks and undo still work."""

    def __init__(self, digest: str) -> None:
        self.digest = digest

    def __eq__(self, other: object) -> bool:
        if isinstance(other, SecretDigest):
            return other.digest == self.digest
        return other is not ABSENT and _digest(other) == self.digest

    __hash__ = None  # type: ignore[assignment]


def box(
    value: Any, secrets: Sequence[str] = (), path: Sequence[str | int] = ()
) -> dict[str, Any] | None:
    """How a value goes into the ledger: never a copy of a secret (our key, or anything the
    one secret rule recognises, by value or by its setting's name), only its digest."""
    from optscale_cli.redact import redact_text

    if value is ABSENT:
        return None
    text = json.dumps(value, ensure_ascii=False, default=str)
    named = f'"{path[-1]}": {text}' if path and isinstance(path[-1], str) else text
    if any(secret and secret in text for secret in secrets) or redact_text(named) != named:
        return {"sha256": _digest(value)}
    return {"v": value}


Recover = Callable[[Sequence[str | int]], Any]


def _no_recovery(path: Sequence[str | int]) -> tuple[Any, Any]:
    return ABSENT, None


def backup_recovery(target: Target, backup: str | None) -> Recover:
    """Where undo finds a secret the ledger kept only as a digest: the user's own 0600
    backup, the one copy of their content we made."""
    if not backup:
        return _no_recovery

    def recover(path: Sequence[str | int]) -> tuple[Any, Any]:
        """The value at ``path`` in the backup, and its layout there (its exact bytes)."""
        from optscale_cli.edit.stores import read_if_regular

        raw = read_if_regular(Path(backup))  # ours, but a FIFO put there must not hang undo
        try:
            doc = target.parse(raw.decode("utf-8")) if raw is not None else None
        except (ValueError, ConfigFileError):
            doc = None
        if doc is None:
            return ABSENT, None
        layout = getattr(doc, "layout", None)
        return doc.get(tuple(path)), layout(tuple(path)) if layout else None

    return recover


def unbox(boxed: dict[str, Any] | None) -> Any:
    if boxed is None:
        return ABSENT
    if "sha256" in boxed:
        return SecretDigest(boxed["sha256"])
    return boxed["v"]


def _record_key(record: dict[str, Any]) -> str:
    return json.dumps([record["op"], record["path"], record.get("id")])


def _missing(doc: Document, path: Sequence[str | int]) -> list[tuple[str | int, ...]]:
    """Every container on the way to ``path`` that is not there yet: setting ``path`` creates
    them all (``a`` and ``a.b`` for ``a.b.c``), and each is removed again once left empty."""
    peek = getattr(doc, "peek", doc.get)  # no copy of a big subtree just to test it
    return [tuple(path[:d]) for d in range(1, len(path)) if peek(path[:d]) is ABSENT]


@dataclass
class FileChange:
    """A planned change to one document; nothing is written until :func:`commit`."""

    target: Target
    original: str | None
    new_text: str
    records: list[dict[str, Any]] = field(default_factory=list)
    created: list[list[str | int]] = field(default_factory=list)
    created_file: bool = False
    delete_file: bool = False
    drifted: list[str] = field(default_factory=list)
    user_text: str | None = None  # what to back up before writing: the user's content only
    backup: str | None = None  # the newest backup of the user's content (ledger: undo)

    @property
    def changed(self) -> bool:
        if self.delete_file:
            return self.original is not None
        return self.new_text != (self.original or "") or (
            self.original is None and bool(self.records)
        )

    def diff(self, secrets: Sequence[str] = ()) -> str:
        from optscale_cli.redact import redact_key

        before = self.original or ""
        after = "" if self.delete_file else self.new_text
        for secret in secrets:
            if secret:
                before = before.replace(secret, redact_key(secret))
                after = after.replace(secret, redact_key(secret))
        old_name = self.target.label if self.original is not None else "/dev/null"
        new_name = self.target.label if not self.delete_file else "/dev/null"
        return unified_diff_text(before, after, old_name, new_name)

    def ledger_entry(self) -> dict[str, Any]:
        return {
            **self.target.describe(),
            "records": self.records,
            "created": self.created,
            "created_file": self.created_file,
            "secret": self.target.secret,
            "backup": self.backup,
        }


def plan_edit(
    target: Target,
    ops: Sequence[Op],
    previous: dict[str, Any] | None = None,
    secrets: Sequence[str] = (),
) -> FileChange:
    """Plan applying ``ops``; ``previous`` is this file's ledger entry from an earlier connect:
    its original values are kept, and what it set that ``ops`` no longer set is reverted."""
    previous = previous or {}
    original = target.store.read()
    doc = target.parse(original)
    user_text = _user_content(target, original, previous)
    old_records = {_record_key(r): r for r in previous.get("records", [])}
    created = [list(p) for p in previous.get("created", [])]
    recover = backup_recovery(target, previous.get("backup"))
    superseded = _revert_superseded(doc, old_records, ops, recover)
    records: list[dict[str, Any]] = []
    listed: dict[int, tuple[dict[str, Any], Any]] = {}  # ListItem runs, applied together
    for n, op in enumerate(ops):
        for missing in _missing(doc, op.path if isinstance(op, SetValue) else (*op.path, 0)):
            if list(missing) not in created:
                created.append(list(missing))
        if isinstance(op, SetValue):
            op = _merged(doc, op, old_records) if op.merge else op
            record, before, layout = _apply_set(doc, op, secrets)
        else:
            if n not in listed:
                listed.update(_apply_list_run(target, doc, ops, n))
            (record, before), layout = listed.pop(n), None
        record["after"] = box(op.value, secrets, op.path)
        if op.group:
            record["group"] = op.group
        old = old_records.get(_record_key(record))
        if old is not None:  # keep what was there before our first connect
            record["before"] = old["before"]
            if "layout" in old:
                record["layout"] = old["layout"]
        else:
            record["before"] = box(before, secrets, op.path)
            if layout:
                record["layout"] = layout if "v" in record["before"] else {"next": layout["next"]}
        records.append(record)
    seen = {_record_key(r) for r in records} | superseded
    for key, old in old_records.items():  # set before, not now: put the original back
        if key not in seen:
            _revert_record(doc, old, [], recover)
    _remove_empty_created(doc, created)
    created_file = original is None or bool(previous.get("created_file"))
    change = FileChange(target, original, doc.render(), records, created, created_file)
    remember(target, change.new_text, doc)  # verify re-reads this text after writing
    change.user_text = user_text
    change.backup = previous.get("backup")
    return change


def _merged(doc: Document, op: SetValue, old_records: dict[str, dict[str, Any]]) -> SetValue:
    """``op`` with its object laid over the entries of the current one we never set (the
    user's own); an entry our last record set and ``op`` no longer holds is dropped."""
    current = getattr(doc, "peek", doc.get)(op.path)
    if not isinstance(current, dict) or not isinstance(op.value, dict):
        return op
    old = old_records.get(_record_key({"op": "set", "path": list(op.path)}))
    after, before = (unbox(old["after"]), unbox(old["before"])) if old else ({}, {})
    ours = set(after) if isinstance(after, dict) else set()
    if isinstance(before, dict):  # what was there before our first connect is the user's
        ours -= set(before)
    kept = {k: v for k, v in current.items() if k not in ours and k not in op.value}
    return dataclasses.replace(op, value={**kept, **op.value}) if kept else op


def _revert_superseded(
    doc: Document, old_records: dict[str, dict[str, Any]], ops: Sequence[Op], recover: Recover
) -> set[str]:
    """Earlier records inside a value an op now sets whole (OpenCode's model object, once
    set one model at a time) are reverted first, so the op's own record keeps what was
    there before our first connect; their keys, as done."""
    whole = {tuple(op.path) for op in ops if isinstance(op, SetValue)}
    done = set()
    for key, old in old_records.items():
        path = tuple(old["path"])
        if any(path[:n] in whole for n in range(1, len(path))):
            _revert_record(doc, old, [], recover)
            done.add(key)
    return done


def _apply_set(
    doc: Document, op: SetValue, secrets: Sequence[str]
) -> tuple[dict[str, Any], Any, dict[str, Any] | None]:
    """Set (or remove) one value; the record, what was there, and how it was written."""
    before = doc.get(op.path)
    layout = _layout(doc, op.path, before, secrets, removing=op.value is ABSENT)
    if op.value is ABSENT:
        doc.remove(op.path)
    else:
        doc.set(op.path, op.value)
    return {"op": "set", "path": list(op.path)}, before, layout


def _apply_list_run(
    target: Target, doc: Document, ops: Sequence[Op], start: int
) -> dict[int, tuple[dict[str, Any], Any]]:
    """``ops[start]`` and the ListItems after it on the same list (Continue's models, one
    per model), applied as one after the other would be, the list written once: each
    matched through an index of identities, not a scan. Record and replaced item by op."""
    first = ops[start]
    end = start + 1
    while end < len(ops) and _same_list(ops[end], first):
        end += 1
    run = cast("list[ListItem]", list(ops[start:end]))
    if len(run) == 1:
        return {start: _apply_list_item(target, doc, run[0])}
    current = doc.get(first.path)
    if current is not ABSENT and not isinstance(current, list):
        return {start: _apply_list_item(target, doc, run[0])}  # its error
    items = list(current) if isinstance(current, list) else []
    try:
        positions: dict[Any, int] = {}
        for i, item in enumerate(items):
            positions.setdefault(run[0].identity(item), i)
        idents = [op.identity(op.value) for op in run]
        for ident in idents:
            hash(ident)
    except TypeError:  # an identity that is not hashable: one at a time
        return {start + k: _apply_list_item(target, doc, op) for k, op in enumerate(run)}
    done = {}
    for k, (op, ident) in enumerate(zip(run, idents, strict=True)):
        index = positions.get(ident)
        before = ABSENT if index is None else items[index]
        if index is None:
            positions[ident] = len(items)
            items.append(op.value)
        else:
            items[index] = op.value
        done[start + k] = (_list_record(op, ident), before)
    if items != current:
        doc.set(first.path, items)
    return done


def _same_list(op: Op, first: Op) -> bool:
    return (
        isinstance(op, ListItem)
        and isinstance(first, ListItem)
        and (op.path, op.key, op.group) == (first.path, first.key, first.group)
    )


def _apply_list_item(target: Target, doc: Document, op: ListItem) -> tuple[dict[str, Any], Any]:
    """Make the list hold ``op.value`` (replacing the item with the same identity); the
    record, and the item that was there."""
    current = doc.get(op.path)
    if current is not ABSENT and not isinstance(current, list):
        raise ConfigFileError(
            target.label,
            f"'{'.'.join(map(str, op.path))}' is not a list",
            *getattr(doc, "locate", lambda p: (None, None))(op.path),
        )
    items = list(current) if isinstance(current, list) else []
    ident = op.identity(op.value)
    index = next((i for i, it in enumerate(items) if op.identity(it) == ident), None)
    before = ABSENT if index is None else items[index]
    if index is None:
        items.append(op.value)
    else:
        items[index] = op.value
    if items != current:
        doc.set(op.path, items)
    return _list_record(op, ident), before


def _list_record(op: ListItem, ident: Any) -> dict[str, Any]:
    """The record of a ListItem: its list and which item is ours."""
    return {"op": "list", "path": list(op.path), "key": op.key, "id": ident if op.key else op.value}


def _layout(
    doc: Document,
    path: Sequence[str | int],
    before: Any,
    secrets: Sequence[str] = (),
    *,
    removing: bool = False,
) -> dict[str, Any] | None:
    """How the user wrote the value we change and which key follows it (the record's
    ``layout``): undo puts back those bytes, at that place. Never anything secret-looking."""
    from optscale_cli.redact import redact_text

    found = getattr(doc, "layout", None)
    layout = found(path, removing=removing) if found and before is not ABSENT else None
    if layout is None:
        return None
    text = json.dumps(layout, ensure_ascii=False)
    secret = any(s and s in text for s in secrets) or redact_text(text) != text
    return {"next": layout.get("next")} if secret else layout


def _user_content(
    target: Target, original: str | None, previous: dict[str, Any] | None
) -> str | None:
    """The file as the user had it, without anything of ours: what a backup may hold.
    None when there is nothing of theirs (the file is new, or we created it and it holds
    only what we wrote)."""
    if original is None or not previous:
        return original
    doc = target.parse(original)
    recover = backup_recovery(target, previous.get("backup"))
    for record in reversed(previous.get("records", [])):
        _revert_record(doc, record, [], recover)
    _remove_empty_created(doc, previous.get("created", []))
    if previous.get("created_file") and getattr(doc, "data", None) in ({}, None):
        return None
    return doc.render()


def _revert_record(
    doc: Document, record: dict[str, Any], drifted: list[str], recover: Recover = _no_recovery
) -> None:
    path = tuple(record["path"])
    after, before = unbox(record["after"]), unbox(record["before"])
    if isinstance(before, SecretDigest) and before != after:
        # a secret of the user's: the ledger kept only its digest; the value is in their
        # own backup, and is put back only if it is the very value that was there
        recovered, layout = recover(path) if record["op"] == "set" else (ABSENT, None)
        if recovered is ABSENT or before != recovered:
            drifted.append(f"{'.'.join(map(str, path))} (its earlier secret value is in no backup)")
            return
        before = recovered
        if layout:  # its own bytes, from the backup; where it stood, from the record
            record = {**record, "layout": {**layout, **(record.get("layout") or {})}}
    if record["op"] == "set":
        current = doc.get(path)
        if current != after:
            if current != before:
                drifted.append(".".join(map(str, path)))
            return
        if before is ABSENT:
            doc.remove(path)
        elif not isinstance(before, SecretDigest):  # a digest equal to ours: keep the value
            restore(doc, path, before, record.get("layout"))  # as and where it was
        return
    items = doc.get(path)
    if not isinstance(items, list):
        return
    key = record.get("key")
    ident = record["id"]
    index = next(
        (
            i
            for i, it in enumerate(items)
            if (it.get(key) if key and isinstance(it, dict) else it) == ident
        ),
        None,
    )
    if index is None:
        return
    if items[index] != after:
        drifted.append(f"{'.'.join(map(str, path))}[{ident}]")
        return
    if before is ABSENT:
        del items[index]
    elif not isinstance(before, SecretDigest):  # a digest equal to ours: nothing to change
        items[index] = before
    doc.set(path, items)


def _hollow(value: Any) -> bool:
    """Empty, or an object holding only hollow objects: what is left once ours is gone."""
    if value == [] or value == {}:
        return True
    return isinstance(value, dict) and all(
        isinstance(v, dict) and _hollow(v) for v in value.values()
    )


def _remove_empty_created(doc: Document, created: list[list[str | int]]) -> None:
    """Remove the containers we created that hold nothing of the user's: outermost first,
    so a created parent goes whole (with the created children inside it) in one edit."""
    ours = {tuple(p) for p in created}

    def hollow(path: tuple[str | int, ...], value: Any) -> bool:
        if value == [] or value == {} or (isinstance(value, dict) and _hollow(value)):
            return True
        return isinstance(value, dict) and all(
            (*path, key) in ours and hollow((*path, key), inner) for key, inner in value.items()
        )

    peek = getattr(doc, "peek", doc.get)  # read only: no copy of a big subtree
    removed: list[list[str | int]] = []
    for path in sorted(created, key=len):
        if any(path[: len(done)] == done for done in removed):
            continue
        if hollow(tuple(path), peek(tuple(path))):
            doc.remove(path)
            removed.append(path)


def _record_name(record: dict[str, Any]) -> str:
    name = ".".join(map(str, record["path"]))
    return f"{name}[{record['id']}]" if record["op"] == "list" else name


def _held_groups(
    probe: Document, records: list[dict[str, Any]], recover: Recover
) -> dict[str, tuple[list[Any], list[str]]]:
    """The groups (GROUPS) with a member the user changed since: group -> (the changed
    members' record keys, how each is named), found by trying the revert on a scratch copy."""
    held: dict[str, tuple[list[Any], list[str]]] = {}
    for record in records:
        if record.get("group"):
            names: list[str] = []
            _revert_record(probe, record, names, recover)
            if names:
                keys, all_names = held.setdefault(record["group"], ([], []))
                keys.append(_record_key(record))
                all_names.extend(names)
    return held


def plan_revert(target: Target, entry: dict[str, Any]) -> FileChange:
    """Plan undoing a ledger entry: values still as we wrote them go back to what they were;
    values the user has changed since are left alone and named in ``drifted``."""
    original = target.store.read()
    if original is None:
        return FileChange(target, None, "", drifted=[])
    doc = target.parse(original)
    drifted: list[str] = []
    recover = backup_recovery(target, entry.get("backup"))
    records = list(reversed(entry.get("records", [])))
    held = _held_groups(target.parse(original), records, recover)
    for record in records:
        because = held.get(record.get("group") or "")
        if because is None:
            _revert_record(doc, record, drifted, recover)
        elif _record_key(record) not in because[0]:  # a changed member is named once, below
            drifted.append(f"{_record_name(record)} (kept with {', '.join(because[1])})")
    drifted[:0] = [name for _, names in held.values() for name in names]
    _remove_empty_created(doc, entry.get("created", []))
    change = FileChange(target, original, doc.render(), drifted=drifted)
    remember(target, change.new_text, doc)  # verify re-reads this text, as after a connect
    # a file, or a SQLite row, we created (its data is read only then: a whole .env's is slow)
    if entry.get("created_file") and getattr(doc, "data", None) == {}:
        change.delete_file = True
    return change


_FRESH_VERIFY_CHARS = 256 * 1024


def verify(change: FileChange) -> list[str]:
    """Re-read the written document; name every record whose value is not what we wrote.

    A file up to 256 KiB (any real client config) is read again from its bytes, so a fault
    in our editing shows here, before the client sees it, and everything is put back. A
    bigger one is checked against the document the edits built, served by the parse cache:
    reading 10 MB again would double the time of the command, and the tests compare that
    document with a fresh read of its text."""
    if change.delete_file:
        return []
    text = change.target.store.read()
    try:
        doc = change.target.parse(text, fresh=len(text or "") <= _FRESH_VERIFY_CHARS)
    except ConfigFileError as exc:  # what we wrote cannot be read: put everything back
        return [f"the whole file ({exc})"]
    peek = getattr(doc, "peek", doc.get)  # compared, never changed: no copy of a big value
    wrong = []
    for record in change.records:
        path = tuple(record["path"])
        after = unbox(record["after"])
        if record["op"] == "set":
            if peek(path) != after:
                wrong.append(".".join(map(str, path)))
        else:
            items = peek(path)
            if not isinstance(items, list) or after not in items:
                wrong.append(".".join(map(str, path)))
    return wrong


def edit_lock(lock_dir: Path, timeout_s: float = 10.0) -> contextlib.AbstractContextManager[None]:
    """One optscale edits client configs at a time; a second one waits, then refuses."""
    from optscale_cli.locks import file_lock

    return file_lock(
        lock_dir / "edit.lock", "another optscale is editing client configs right now", timeout_s
    )


def _preflight(changes: Sequence[FileChange]) -> None:
    """Before anything is written: every target is still what the plan read, is a regular
    file (or absent), and is writable. One that is not stops the whole commit."""
    from optscale_cli.edit.stores import refuse_special

    for change in changes:
        if not change.changed:
            continue
        store = change.target.store
        if isinstance(store, FileStore):
            refuse_special(store.path)
            store.check_writable()
        if store.read() != change.original:  # the very text the plan read, or refuse
            raise Refused(
                f"{change.target.label} changed while we were working; nothing was written",
                "run the command again",
            )


def _write_change(change: FileChange, backups: list[Path]) -> None:
    store = change.target.store
    if not isinstance(store, FileStore):  # a file's backup is a step of its own
        backup = store.backup(change.user_text)
        if backup is not None:
            backups.append(backup)
            change.backup = str(backup)
    if change.delete_file:
        store.delete(expected=change.original)
        return
    # expected: a store that can (SQLite) re-checks the original in its write's own
    # transaction, so a change committed after the preflight is not overwritten
    store.write(change.new_text, secret=change.target.secret, expected=change.original)
    wrong = verify(change)
    if wrong:
        raise Refused(
            f"{change.target.label}: after writing, {', '.join(wrong)} did not read back "
            "as written; every file was put back",
        )


def _write_own(step: Step) -> None:
    """One of our own files (key file, helper script, record): written or removed."""
    from optscale_cli.paths import ensure_private_dir

    if step.new is None:
        step.path.unlink(missing_ok=True)
        return
    ensure_private_dir(step.path.parent)
    atomic_write(step.path, step.new, mode=step.mode or 0o600)


def commit(
    changes: Sequence[FileChange],
    lock_dir: Path,
    *,
    own: Sequence[Step] = (),
    then: Callable[[], list[Step]] | None = None,
) -> list[Path]:
    """Write every planned change, and ``own`` files of ours, all or nothing; then the
    records ``then`` returns (they name the backups made). Return the backups."""
    from optscale_cli.edit import transaction
    from optscale_cli.edit.transaction import Step, link_or_write

    backups: list[Path] = []
    with edit_lock(lock_dir):
        _preflight(changes)
        files = [c for c in changes if c.changed and isinstance(c.target.store, FileStore)]
        rows = [c for c in changes if c.changed and not isinstance(c.target.store, FileStore)]
        steps: dict[int, Callable[[Step], None]] = {}  # how each step is written
        plan: list[Step] = list(own)
        for change in files:  # the journal keeps the digest of what will be written
            new = None if change.delete_file else change.new_text.encode("utf-8")
            step = Step(change.target.store.path, new)
            steps[id(step)] = lambda _, change=change: _write_change(change, backups)
            if change.user_text is not None and not change.delete_file:
                backup = change.target.store.backup_path()  # type: ignore[union-attr]
                copy = Step(backup, change.user_text.encode("utf-8"), 0o600, copy_of=step)
                plan.append(copy)
                steps[id(copy)] = link_or_write  # the user's content: 0600
                backups.append(backup)
                change.backup = str(backup)
            plan.append(step)

        def write(step: Step) -> None:
            steps.get(id(step), _write_own)(step)  # ours: own, and what ``then`` returns

        def after() -> list[Step]:
            for change in rows:  # database rows last: files are put back if one fails
                _write_change(change, backups)
            return then() if then is not None else []

        try:
            transaction.run(lock_dir.parent / "journal", plan, write, after)
        except BaseException as exc:
            for backup in backups:  # copies made for a commit that did not happen
                backup.unlink(missing_ok=True)
            for change in changes:
                change.backup = None
            if isinstance(exc, OSError):
                where = f" ({exc.filename})" if exc.filename else ""
                raise Refused(
                    f"writing failed: {exc.strerror or exc}{where}; every file was put back "
                    "as it was",
                    "free some disk space or fix the permissions, then run it again",
                ) from None
            raise
        for change in files:
            prune_backups(resolve_target(change.target.store.path))  # type: ignore[union-attr]
    return backups
