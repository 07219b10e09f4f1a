"""Parsed documents we edit in place, one class per format, one small interface.

Each keeps what it does not touch as it was, byte for byte: every format is edited as text
(JSON/JSONC: :mod:`jsonc`; TOML: :mod:`toml_text`, checked with tomli; YAML: :mod:`yaml_text`,
ruamel only locating nodes; dotenv: by line). An edit that cannot be made faithfully is refused
with a ConfigFileError naming file, line and column. ``layout(path)`` / ``restore`` let undo put
a value back as it was written and where it was.
A path is a tuple of object keys (str) and list indexes (int).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from optscale_cli.errors import ConfigFileError

Path_ = tuple[str | int, ...]


class _Absent:
    _instance: _Absent | None = None

    def __new__(cls) -> _Absent:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "ABSENT"

    def __bool__(self) -> bool:
        return False


ABSENT: Any = _Absent()


class Document(Protocol):
    label: str

    def get(self, path: Sequence[str | int]) -> Any: ...
    def set(self, path: Sequence[str | int], value: Any) -> None: ...
    def remove(self, path: Sequence[str | int]) -> None: ...
    def render(self) -> str: ...


def lookup(data: Any, path: Sequence[str | int]) -> Any:
    """The value at ``path`` in plain data, or ABSENT."""
    node = data
    for part in path:
        in_dict = isinstance(part, str) and isinstance(node, dict) and part in node
        size = len(node) if isinstance(node, list) else 0
        in_list = isinstance(part, int) and isinstance(node, list) and -size <= part < size
        if in_dict or in_list:
            node = node[part]
        else:
            return ABSENT
    return node


def plain(value: Any) -> Any:
    """A deep plain-Python copy (tomlkit / ruamel containers become dict / list)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if hasattr(value, "unwrap"):
        return value.unwrap()
    if isinstance(value, bool) or type(value).__name__ == "ScalarBoolean":
        return bool(value)
    for kind in (int, float, str):  # ruamel's anchored or styled scalars are subclasses
        if isinstance(value, kind):
            return kind(value)
    if value is None:
        return None
    if type(value).__name__ == "TaggedScalar":  # `!tag value`: its value
        return plain(value.value)
    return copy.deepcopy(value)


def restore(doc: Document, path: Sequence[str | int], value: Any, layout: Any) -> None:
    """Put back a value we changed or removed, as the user wrote it and where it was
    (``layout``, from the document's ``layout(path)`` at the time), when the document can."""
    if layout and hasattr(doc, "restore"):
        doc.restore(path, value, layout)
    else:
        doc.set(path, value)


def _type_name(value: Any) -> str:
    return {
        dict: "an object",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
        type(None): "null",
    }.get(type(value), "a value")


def check_containers(doc: Document, path: Sequence[str | int], data: Any) -> None:
    """Refuse (naming the file) when a parent on ``path`` exists but is not an object."""
    node = data
    for depth, part in enumerate(path[:-1]):
        node = node.get(part, ABSENT) if isinstance(node, dict) else ABSENT
        if node is ABSENT:
            return
        if not isinstance(node, dict):
            where = ".".join(str(p) for p in path[: depth + 1])
            raise ConfigFileError(
                doc.label,
                f"'{where}' is {_type_name(node)}, expected an object",
                *getattr(doc, "locate", lambda p: (None, None))(path[: depth + 1]),
            )


def _list_edit(doc: JsonDocument, path: list[str | int], old: Any, new: Any) -> str | None:
    """One item appended, removed or replaced in a list: edited in place, so the other items
    keep their bytes. None when the change is not one of those."""
    from optscale_cli.edit import jsonc

    if not (isinstance(old, list) and isinstance(new, list)):
        return None
    text, index, unit = doc.text, doc.index(), doc.indent()
    if len(new) == len(old) + 1 and new[:-1] == old:
        return jsonc.set_value(text, [*path, len(old)], new[-1], indent=unit, index=index)
    if len(new) == len(old) - 1:
        gone = next((i for i in range(len(old)) if old[:i] + old[i + 1 :] == new), None)
        return None if gone is None else jsonc.remove_value(text, [*path, gone], index)
    if len(new) == len(old):
        changed = [i for i in range(len(old)) if old[i] != new[i]]
        if len(changed) == 1:
            return jsonc.set_value(
                text, [*path, changed[0]], new[changed[0]], indent=unit, index=index
            )
    return None


class JsonDocument:
    """JSON (``comments=False``) or JSONC, edited as text."""

    def __init__(self, text: str | None, label: str, *, comments: bool) -> None:
        from optscale_cli.edit import jsonc

        self.label = label
        self.comments = comments
        self._stale = False  # the text is to be rendered from the data (see _append)
        # a new object set by one or more edits, not written into the text yet (see _defer)
        self._pending: tuple[tuple[str, ...], dict[str, Any]] | None = None
        self.text = text if text and text.strip() else "{\n}\n"
        self._index: Any = None
        self._indent: str | None = None
        try:
            self._data, index = jsonc.read_indexed(self.text, allow_comments=comments)
        except jsonc.JsoncError as exc:
            raise ConfigFileError(
                label,
                f"invalid {'JSONC' if comments else 'JSON'}: {exc.message}",
                exc.line,
                exc.column,
            ) from None
        if not isinstance(self._data, dict):
            raise ConfigFileError(
                label, f"the top level is {_type_name(self._data)}, expected an object", 1, 1
            )
        self._blanked = None if index is None else index.blanked
        if index is not None:
            self._index = index
        # comments, trailing commas or a BOM, which our edits keep (see _append)
        self._marked = self._blanked is None or self._blanked.blank is not self.text

    @property
    def text(self) -> str:
        if self._pending is not None:
            self._write_pending()
        if self._stale:  # members appended to a canonical text: the canonical text again
            from optscale_cli.edit import jsonc

            assert self._indent is not None  # found when the text was judged canonical
            self._text = jsonc.dumps_indented(self._data, self._indent) + "\n"
            self._stale = False
        return self._text

    @text.setter
    def text(self, value: str) -> None:
        self._text, self._stale = value, False
        self._canonical: bool | None = None  # whether the text is canonical (None: unknown)

    def _append(self, path: Sequence[str | int], current: Any, value: Any) -> bool:
        """Set a new member (or, ``value`` ABSENT, remove one) the quick way when the text
        is exactly ``json.dumps(data, indent=<its indent>)`` and a newline (a file optscale
        wrote, such as Aider's model metadata, one member per model): jsonc.set_value would
        append it at the end of its object in that same layout (remove_value drop its lines
        and the comma before), so the text stays canonical and is rendered once, when next
        read, instead of re-indexed and edited once per member. A member whose objects are
        not there yet is such a member too (set_value adds them with it, in that layout)."""
        from optscale_cli.edit import jsonc

        if (current is ABSENT) == (value is ABSENT) or not path or self._pending is not None:
            return False
        parent = lookup(self._data, path[:-1])
        if parent is ABSENT and value is not ABSENT:  # (check_containers: no other kind on the way)
            if not all(isinstance(part, str) for part in path):
                return False
        elif not isinstance(path[-1], str) or not isinstance(parent, dict):
            return False
        if self._marked:  # the user's comments or trailing commas: never canonical
            return False
        if self._canonical is None:
            self._canonical = _maybe_canonical(self._text, self._data) and (
                self._text == jsonc.dumps_indented(self._data, self.indent()) + "\n"
            )
        if not self._canonical:
            return False
        if value is not ABSENT:
            value = jsonc.as_written(value)  # what set_value writes (and its errors)
        self._data = _replaced(self._data, list(path), value)
        self._stale = True
        return True

    def _defer(self, path: Sequence[str | int], value: Any) -> bool:
        """Set a value whose object does not exist yet without writing it now: the new
        object is held, and the next edits inside it are added to it, until the text is
        needed; then it is written with one edit of the text (``_write_pending``) instead of
        one per member, each a copy of the whole file (a connect sets five members of its
        new provider). Only names of object members: what a single edit would add."""
        if self._stale or not all(isinstance(part, str) for part in path):
            return False
        held = self._pending
        if held is not None and (
            len(path) <= len(held[0]) or tuple(path[: len(held[0])]) != held[0]
        ):
            self._write_pending()  # an edit elsewhere: the held object goes first
            held = None
        from optscale_cli.edit import jsonc

        plain = jsonc.as_written(value)  # (refused now, as an edit would: NaN, ...)
        if held is None:
            depth = next(
                (d for d in range(1, len(path)) if lookup(self._data, path[:d]) is ABSENT), 0
            )
            if not depth:
                return False  # its object is there: an edit of the text, as ever
            where = tuple(path[:depth])  # (names only: see above)
            self._pending = (where, _replaced({}, list(path[depth:]), plain))
        else:
            where, members = held
            self._pending = (where, _replaced(members, list(path[len(where) :]), plain))
        self._data = _replaced(self._data, list(path), plain)
        return True

    def _write_pending(self) -> None:
        from optscale_cli.edit import jsonc

        assert self._pending is not None
        (where, members), self._pending = self._pending, None
        try:
            text = jsonc.set_value(  # its members are as_written's (see _defer)
                self.text,
                list(where),
                members,
                indent=self.indent(),
                index=self.index(),
                written=True,
            )
        except BaseException:
            self._pending = (where, members)  # the document still says what it held
            raise
        self._edited(text)

    @property
    def data(self) -> Any:
        return self._data

    def index(self) -> Any:
        """Where things sit in the current text (found lazily, moved along by each edit: the
        file is read once)."""
        from optscale_cli.edit import jsonc

        if self._index is None or self._index.text is not self.text:
            blanked = self._blanked if getattr(self._blanked, "text", None) is self.text else None
            self._index = jsonc.Index(self.text, self._data, blanked)
        return self._index

    def _edited(self, text: str) -> None:
        """Take ``text``, made of the current text by one edit, as the document's text."""
        # The index may be shared with copies of this document (the parse cache's): it moves
        # to the new text, and a copy, whose text it then no longer is, reads its own again.
        if self._index is not None and self._index.text is self.text and text is not self.text:
            self._index.update(text)
        self.text = text

    def indent(self) -> str:
        from optscale_cli.edit import jsonc

        if self._indent is None:
            index = self.index()
            blank = index._blank() if index.blanked is not None else None
            self._indent = jsonc.fast_indent(self.text, blank)
        return self._indent

    def peek(self, path: Sequence[str | int]) -> Any:
        """The value at ``path`` without a copy: read it, never change it."""
        return lookup(self._data, path)

    def locate(self, path: Sequence[str | int]) -> tuple[int | None, int | None]:
        from optscale_cli.edit import jsonc

        try:
            return jsonc.locate(self.text, list(path))
        except (KeyError, AttributeError, jsonc.JsoncError):
            return (None, None)

    def get(self, path: Sequence[str | int]) -> Any:
        return copy.deepcopy(lookup(self._data, path))

    def set(self, path: Sequence[str | int], value: Any) -> None:
        from optscale_cli.edit import jsonc

        check_containers(self, path, self._data)
        current = lookup(self._data, path)
        if current == value and current is not ABSENT:
            return
        if self._append(path, current, value) or self._defer(path, value):
            return
        listed = _list_edit(self, list(path), current, value)
        self._edited(
            listed
            if listed is not None
            else jsonc.set_value(
                self.text, list(path), value, indent=self.indent(), index=self.index()
            )
        )
        self._data = _replaced(self._data, list(path), json.loads(json.dumps(value)))

    def layout(self, path: Sequence[str | int], *, removing: bool = True) -> dict[str, Any] | None:
        """How the member at ``path`` is written, the keys around it, and (when ``removing``
        it) its whole stretch (``around``) from the member before to the one after, comments
        included, with (``glue``) what that stretch becomes once the member is gone."""
        index = self.index()
        chain, node = index.find(list(path))
        if node is None or len(chain) < 2 or chain[-2].kind != "object":
            return None
        parent = chain[-2]
        i = index.index(parent, path[-1])
        entries = parent.entries
        following = entries[i + 1].key if i + 1 < len(entries) else None
        found = {"value": self.text[node.start : node.end], "next": following}
        return {**found, **self._stretch(path, parent, i)} if removing else found

    def _stretch(self, path: Sequence[str | int], parent: Any, i: int) -> dict[str, Any]:
        from optscale_cli.edit import jsonc

        entries = parent.entries
        if sum(entry.key == path[-1] for entry in entries) > 1:
            return {}
        low = entries[i - 1].value.end if i > 0 else parent.start + 1
        high = entries[i + 1].start if i + 1 < len(entries) else parent.end - 1
        text = self.text
        removed = jsonc.remove_value(text, list(path), self.index())
        cut = len(text) - len(removed)
        if cut <= 0 or removed[:low] != text[:low] or removed[high - cut :] != text[high:]:
            return {}
        prev = entries[i - 1].key if i > 0 else None
        return {"prev": prev, "around": text[low:high], "glue": removed[low : high - cut]}

    def _put_back(self, path: Sequence[str | int], layout: dict[str, Any]) -> str | None:
        """The text with the member's whole stretch back where it was (comments and all),
        when the members around it and what lies between them are as its removal left them."""
        index = self.index()
        _chain, parent = index.find(list(path[:-1]))
        if parent is None or parent.kind != "object" or not isinstance(layout["around"], str):
            return None
        entries = parent.entries
        prev, following = layout.get("prev"), layout.get("next")
        before = index.index(parent, prev) if prev is not None else -1
        after = index.index(parent, following) if following is not None else len(entries)
        if before is None or after is None or after != before + 1:
            return None
        low = entries[before].value.end if before >= 0 else parent.start + 1
        high = entries[after].start if after < len(entries) else parent.end - 1
        if self.text[low:high] != layout.get("glue"):
            return None
        return self.text[:low] + layout["around"] + self.text[high:]

    def restore(self, path: Sequence[str | int], value: Any, layout: dict[str, Any]) -> None:
        """Put ``value`` back as it was written and before the key that followed it."""
        from optscale_cli.edit import jsonc

        raw = layout.get("value")
        if raw is not None:
            try:
                if jsonc.loads(raw) != value:
                    raw = None
            except jsonc.JsoncError:
                raw = None
        current = lookup(self._data, path)
        if current is ABSENT and "around" in layout and self._put_back_exactly(path, value, layout):
            return
        try:
            if current is not ABSENT and raw is not None:
                _chain, node = self.index().find(list(path))
                if self.text[node.start : node.end] == raw:  # type: ignore[union-attr]
                    return  # written so already (raw says the value): nothing to put back
                text = self.text[: node.start] + raw + self.text[node.end :]  # type: ignore[union-attr]
            elif current is ABSENT and layout.get("next"):
                text = jsonc.insert_before(self.text, list(path), value, layout["next"], raw)
            else:
                raise KeyError(path)
        except (KeyError, ValueError, TypeError):
            text = None
        if text is None or not self._take_put_back(text, path, value, comments=True):
            self.set(path, value)

    def _put_back_exactly(
        self, path: Sequence[str | int], value: Any, layout: dict[str, Any]
    ) -> bool:
        """Restore a removed member byte for byte; False (nothing done) when it cannot be."""
        text = self._put_back(path, layout)
        return text is not None and self._take_put_back(text, path, value, self.comments)

    def _take_put_back(
        self, text: str, path: Sequence[str | int], value: Any, comments: bool
    ) -> bool:
        """Take ``text``, a put-back of ``value`` at ``path``, when it says exactly what the
        document says with that value there (the bytes put back may say more, or less, than
        the value); False (nothing done) otherwise. The index moves along with it: the file
        is not read again."""
        from optscale_cli.edit import jsonc

        try:
            data = jsonc.fast_loads(text, allow_comments=comments)
        except (ValueError, TypeError):
            return False
        if data != _replaced(self._data, list(path), json.loads(json.dumps(value))):
            return False
        self._edited(text)
        self._data = data
        return True

    def remove(self, path: Sequence[str | int]) -> None:
        from optscale_cli.edit import jsonc

        if self._append(path, lookup(self._data, path), ABSENT):
            return
        if lookup(self._data, path) is ABSENT:
            return
        self._edited(jsonc.remove_value(self.text, list(path), self.index()))
        self._data = _replaced(self._data, list(path), ABSENT)

    def render(self) -> str:
        return self.text


def _maybe_canonical(text: str, data: Any) -> bool:
    """A quick necessary test (C speed) that ``text`` is ``data`` dumped with an indent: the
    same characters once blanks are gone (a JSON string holds no raw newline or tab), so a
    file with comments, trailing commas or another spacing is told apart without rendering
    it in Python (0.5 s per MB)."""
    if not text.endswith("}\n") or "\r" in text:
        return False
    try:
        compact = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError):
        return False

    def squeezed(value: str) -> str:
        return value.replace("\n", "").replace("\t", "").replace(" ", "")

    return squeezed(text) == squeezed(compact)


def _replaced(data: Any, path: list[str | int], value: Any) -> Any:
    """``data`` with ``value`` at ``path`` (ABSENT: removed), copying only the containers on
    the way: the text edit already says the same, and re-reading a big file for it would cost
    a parse per edit."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    copy_ = list(data) if isinstance(data, list) else dict(data)
    inner = lookup(data, [head])
    if rest:
        copy_[head] = _replaced({} if inner is ABSENT else inner, rest, value)  # type: ignore[index]
    elif value is ABSENT:
        if isinstance(copy_, dict):
            copy_.pop(head, None)  # type: ignore[arg-type]
        elif inner is not ABSENT:
            del copy_[head]  # type: ignore[arg-type]
    elif isinstance(copy_, list) and head == len(copy_):
        copy_.append(value)
    else:
        copy_[head] = value  # type: ignore[index]
    return copy_


class _CheckedRuns:
    """Edits checked by reading the text they make (TOML, YAML: slow readers), once per run
    of them. Each edit is made as ``_<name>(...)`` and kept in ``_log`` until the next
    :meth:`_settle` reads the text: taken if it says exactly what the edits mean, else the
    edits are made again one by one from the last checked state with ``_check_each`` on,
    each read and checked as it is made, so the culprit raises naming what it could not
    change. A subclass says how a text is read and taken (:meth:`_read_as`) and how the last
    checked state, ``_base`` (its text first), is put back (:meth:`_back_to_checked`)."""

    text: str
    _data: Any
    _base: tuple[Any, ...]
    _check_each: bool
    _log: list[tuple[Any, ...]]

    def _run(self, call: tuple[Any, ...]) -> None:
        """Make one edit (``call``: its name and arguments), kept until the next read."""
        getattr(self, "_" + call[0])(*call[1:])
        if self.text is not self._base[0]:
            self._log = [*self._log, call]  # a new list: a copy of this document shares it

    def _settle(self) -> None:
        if not self._log:
            return
        log, self._log = self._log, []
        if self._read_as(self.text, self._data, settling=True):
            return
        self._back_to_checked()
        was, self._check_each = self._check_each, True
        try:
            for name, *args in log:  # one of them raises, naming what it could not change
                getattr(self, "_" + name)(*args)
        finally:
            self._check_each = was

    def _read_as(self, text: str, expected: Any, *, settling: bool = False) -> bool:
        """Read ``text``; when it says exactly ``expected``, take it as the checked state."""
        raise NotImplementedError

    def _back_to_checked(self) -> None:
        raise NotImplementedError


@dataclass(slots=True)
class _TomlPlaces:
    """What one walk over a TOML text's statements says about a key to set (see
    :meth:`TomlDocument._places`); each a statement of a table that is not an array's."""

    written: Any = None  # the key's own statement, when it is written
    inline: Any = None  # the first key on its way written inline (``a = { ... }``)
    header: Any = None  # the ``[header]`` of its parent table
    last_member: Any = None  # the last key written in its parent table
    last_dotted: Any = None  # the last key of its parent written dotted from above


class TomlDocument(_CheckedRuns):
    """TOML edited as text (see :mod:`optscale_cli.edit.toml_text`): a key's value is
    replaced where it is written, a new key goes after the last one of its table, a new table
    is a ``[header]`` section at the end. Each edit must parse to exactly the data it means
    (checked with tomli, the standard library's tomllib compiled), or it is refused; every
    other byte stays as the user wrote it."""

    def __init__(self, text: str | None, label: str) -> None:
        self.label = label
        self.text = text or ""
        self._data = self._parse(self.text)
        self._scanned: tuple[str, Sequence[Any]] | None = None
        self._check_each = False  # each edit checked as it is made (else: see _settle)
        self._log: list[tuple[Any, ...]] = []  # edits made since the text was last checked
        self._base: tuple[Any, ...] = (self.text, self._data)

    def _parse(self, text: str) -> dict[str, Any]:
        import re

        try:  # the same parser as the standard library's tomllib (TOML 1.0), compiled
            import tomli as reader
        except ImportError:  # a platform without its wheel: the standard library's
            import tomllib as reader

        try:
            return reader.loads(text)
        except reader.TOMLDecodeError as exc:
            where = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
            message = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", str(exc))
            raise ConfigFileError(
                self.label,
                f"invalid TOML: {message}",
                int(where.group(1)) if where else None,
                int(where.group(2)) if where else None,
            ) from None

    @property
    def data(self) -> Any:
        self._settle()
        return copy.deepcopy(self._data)

    def _statements(self) -> Sequence[Any]:
        """Where the statements of the current text are (scanned once per text; after an
        edit, those past its change are moved along as a walk reaches them)."""
        from optscale_cli.edit import toml_text

        if self._scanned is not None and self._scanned[0] is self.text:
            return self._scanned[1]
        try:
            if self._scanned is None:
                found = toml_text.scan(self.text)
            else:  # the text an edit made of the one scanned before
                found = toml_text.rescan(*self._scanned, self.text)
        except (toml_text.ScanError, ValueError, IndexError):
            raise ConfigFileError(
                self.label, "cannot tell where its keys are written; edit it by hand"
            ) from None
        self._scanned = (self.text, found)
        return found

    def _read_as(self, text: str, expected: Any, *, settling: bool = False) -> bool:
        try:
            data = self._parse(text)
        except ConfigFileError:
            return False
        if not _same_data(data, expected):
            return False
        self.text, self._data = text, data
        self._base = (text, data)
        return True

    def _back_to_checked(self) -> None:
        self.text, self._data = self._base

    def _line_of(self, offset: int) -> int:
        return self.text.count("\n", 0, offset) + 1

    def locate(self, path: Sequence[str | int]) -> tuple[int | None, int | None]:
        """Where the key (or table) ``path`` is written."""
        try:
            found = self._statements()
        except ConfigFileError:
            return (None, None)
        target = tuple(path)
        for statement in found:
            if statement.path[: len(target)] == target:
                at = statement.keystart if statement.kind == "kv" else statement.line
                return (self._line_of(at), at - statement.line + 1)
        return (None, None)

    def get(self, path: Sequence[str | int]) -> Any:
        return copy.deepcopy(lookup(self._data, path))

    def peek(self, path: Sequence[str | int]) -> Any:
        """The value at ``path`` without a copy: read it, never change it."""
        return lookup(self._data, path)

    def _commit(self, text: str, expected: dict[str, Any], path: Sequence[str | int]) -> None:
        if not self._check_each:
            self.text, self._data = text, expected  # checked by _settle
        elif not self._read_as(text, expected):
            where = ".".join(map(str, path))
            raise ConfigFileError(
                self.label,
                f"cannot change '{where}' here without changing something else; edit it by hand",
                *self.locate(path[:1]),
            )

    def _value(self, value: Any, path: Sequence[str | int]) -> str:
        from optscale_cli.edit import toml_text

        try:
            return toml_text.value_text(value)
        except TypeError as exc:
            raise ConfigFileError(self.label, f"'{'.'.join(map(str, path))}': {exc}") from None

    def _places(self, target: tuple[str, ...]) -> _TomlPlaces:
        """Where the key ``target`` is written, or what decides where it goes, from one walk
        over the statements (not one per question: a big file has tens of thousands)."""
        places = _TomlPlaces()
        parent, size = target[:-1], len(target)
        for statement in self._statements():
            if statement.array:
                continue
            path = statement.path
            if statement.kind != "kv":
                if not parent:  # a top-level key: only the lines before the first table say
                    return places  # anything of it (its own, or the table's last member)
                if places.header is None and path == parent:
                    places.header = statement
                continue
            if path == target:
                places.written = statement
                return places  # replaced where it is: nothing else is asked
            if places.inline is None and len(path) < size and target[: len(path)] == path:
                places.inline = statement
            if statement.table == parent:
                places.last_member = statement
            elif len(statement.table) < len(parent) and path[: len(parent)] == parent:
                places.last_dotted = statement
        return places

    def _refuse_inline(self, places: _TomlPlaces, target: tuple[str, ...]) -> None:
        """A table on the way written inline (``a = { ... }``) cannot take a new table."""
        statement = places.inline
        if statement is None:
            return
        name = ".".join(statement.path)
        raise ConfigFileError(
            self.label,
            f"'{name}' is written inline ({name} = {{ ... }}), and TOML cannot add "
            f"'{'.'.join(target[:-1])}' as a table next to it: write it as "
            f"[{name}.<name>] tables, or add the settings by hand",
            self._line_of(statement.keystart),
            statement.keystart - statement.line + 1,
        )

    def _where_to_add(
        self, places: _TomlPlaces, parent: tuple[str, ...]
    ) -> tuple[tuple[str, ...] | None, int]:
        """The table a new key of ``parent`` goes into and the offset to add it at (None: a
        new ``[table]`` at the end)."""
        header, last = places.header, places.last_member
        if header is not None or not parent:
            at = last.end if last else (header.end if header else self._root_end())
            return parent, at
        if places.last_dotted is not None:  # the table is made by dotted keys (`a.b.c = 1`)
            return places.last_dotted.table, places.last_dotted.end
        return None, len(self.text)

    def set(
        self, path: Sequence[str | int], value: Any, layout: dict[str, Any] | None = None
    ) -> None:
        self._run(("set", path, value, layout))

    def _set(
        self, path: Sequence[str | int], value: Any, layout: dict[str, Any] | None = None
    ) -> None:
        from optscale_cli.edit.textlines import insert_lines, newline_of

        check_containers(self, path, self._data)
        current = lookup(self._data, path)
        if current is not ABSENT and _canon(current) == _canon(value):
            return
        if not all(isinstance(part, str) for part in path):
            raise ConfigFileError(self.label, "optscale edits only tables and keys in TOML")
        target = tuple(str(part) for part in path)
        expected = _replaced(self._data, list(target), copy.deepcopy(value))
        places = self._places(target)
        nl = newline_of(self.text)
        written = places.written
        if written is not None:
            new = self._value(value, path)
            if layout and layout.get("value") is not None:
                new = layout["value"]
            text = self.text[: written.vstart] + new + self.text[written.vend :]
            self._commit(text, expected, path)
            return
        self._refuse_inline(places, target)
        parent = target[:-1]
        table, at = self._where_to_add(places, parent)
        if layout and layout.get("next"):
            wanted = tuple(layout["next"])  # a list, as the ledger keeps it
            following = next(
                (
                    s
                    for s in self._statements()
                    if s.kind == "kv" and not s.array and s.path == wanted
                ),
                None,
            )
            if following is not None and following.table == table:
                at = following.line
                gap = layout.get("gap") or ""
                if gap and self.text[max(at - len(gap), 0) : at] == gap:
                    at -= len(gap)
        if table is None:  # a new [table] at the end
            head = nl if self.text else ""
            line = f"{self._key(target[-1:])} = {self._value(value, path)}{nl}"
            block = f"{head}[{self._key(parent)}]{nl}{line}"
        elif layout and layout.get("entry"):
            entry = layout["entry"]
            block = entry if entry.endswith("\n") else entry + nl
        else:
            block = f"{self._key(target[len(table) :])} = {self._value(value, path)}{nl}"
        self._commit(insert_lines(self.text, at, block), expected, path)

    @staticmethod
    def _key(path: Sequence[str]) -> str:
        from optscale_cli.edit import toml_text

        return ".".join(toml_text.key_text(part) for part in path)

    def _root_end(self) -> int:
        """Where a new top-level key goes when there is none yet: before the first table
        (and the comment lines right above it), or at the end."""
        from optscale_cli.edit.textlines import line_start

        first = next((s for s in self._statements() if s.kind == "header"), None)
        if first is None:
            return len(self.text)
        at = first.line
        while at > 0:
            prev = line_start(self.text, at - 1)
            if not self.text[prev:at].strip().startswith("#"):
                break
            at = prev
        return at

    def layout(self, path: Sequence[str | int], *, removing: bool = True) -> dict[str, Any] | None:
        target = tuple(path)
        walk = (s for s in self._statements() if not s.array)  # stops at what it needs
        for statement in walk:
            if statement.kind == "kv" and statement.path == target:
                following = next((s for s in walk if s.kind == "kv"), None)
                if following is not None and following.table != statement.table:
                    following = None
                return {
                    "value": self.text[statement.vstart : statement.vend],
                    "entry": self.text[statement.line : statement.end],
                    "next": list(following.path) if following else None,
                    "gap": self.text[statement.end : following.line] if following else "",
                }
        return None

    def restore(self, path: Sequence[str | int], value: Any, layout: dict[str, Any]) -> None:
        self._run(("restore", path, value, layout))

    def _restore(self, path: Sequence[str | int], value: Any, layout: dict[str, Any]) -> None:
        try:
            self._set(path, value, layout)
        except ConfigFileError:
            self._set(path, value)

    def remove(self, path: Sequence[str | int]) -> None:
        self._run(("remove", path))

    def _remove(self, path: Sequence[str | int]) -> None:
        from optscale_cli.edit.textlines import line_start, remove_lines

        if lookup(self._data, path) is ABSENT:
            return
        target = tuple(str(part) for part in path)
        expected = _replaced(self._data, list(target), ABSENT)
        text = self.text
        size, last = len(target), target[-1]
        found = [  # the key (or table) and all below it; a cheap test first, then the path
            s
            for s in self._statements()
            if len(s.path) >= size and s.path[size - 1] == last and s.path[:size] == target
        ]
        for statement in reversed(found):
            start = statement.line
            if statement.kind == "header" and start > 0:
                prev = line_start(text, start - 1)
                if not text[prev:start].strip():  # the blank line we put before it
                    start = prev
            text = remove_lines(text, start, statement.end)
        text = self._drop_emptied_header(text, target[:-1], expected)
        self._commit(text, expected, path)

    def _drop_emptied_header(self, text: str, table: tuple[str, ...], expected: Any) -> str:
        """The ``[table]`` header we added at the end for a table that already existed
        (through its sub-tables) goes with its last key, when nothing else follows it."""
        from optscale_cli.edit import toml_text
        from optscale_cli.edit.textlines import line_start, remove_lines

        if not table or lookup(expected, table) == {}:  # empty: the header is all there is
            return text  # of the table, and without it the table would be gone
        try:
            found = toml_text.rescan(self.text, self._statements(), text)
        except (toml_text.ScanError, ValueError, IndexError, ConfigFileError):
            return text
        if not found or found[-1].kind != "header" or found[-1].path != table:
            return text
        header = found[-1]
        if header.array or text[header.end :].strip():
            return text
        start = header.line
        if start > 0 and not text[line_start(text, start - 1) : start].strip():
            start = line_start(text, start - 1)
        shorter = remove_lines(text, start, header.end)
        try:
            same = _same_data(self._parse(shorter), expected)
        except ConfigFileError:
            same = False
        return shorter if same else text

    def render(self) -> str:
        self._settle()
        return self.text


class YamlDocument(_CheckedRuns):
    """YAML edited as text (see :mod:`optscale_cli.edit.yaml_text`): ruamel only tells us
    what the file says and where; every byte we do not change stays as the user wrote it.

    Each edit's text must say exactly the data it means. ruamel reads tens of KB a second,
    so a run of edits is checked once (one read, in :meth:`_settle`), each edit finding its
    place from the entries of the text before it, moved along by the edits made since; when
    the result is wrong, or an edit needs what only a fresh read tells (a list's items, an
    entry it rewrote), the edits are made again one by one, each read and checked
    (``check_each``, as before), to name the one at fault."""

    def __init__(self, text: str | None, label: str, *, check_each: bool = False) -> None:
        self.label = label
        self._check_each = check_each
        self._log: list[tuple[Any, ...]] = []  # edits made since the text was last read
        self._found: list[Any] | None = None  # the entries of the current text, when known
        self.reads = 0  # how many times a text was read (ruamel): the cost of the edits
        self.text = text or ""
        self._bom = "\ufeff" if self.text.startswith("\ufeff") else ""
        self.text = self.text[len(self._bom) :]  # offsets below are in the text after it
        data, self._root = self._parse(self.text)
        if not isinstance(data, dict | None):
            raise ConfigFileError(label, "the top level is not a mapping", 1, 1)
        self._data: dict[str, Any] = data or {}  # shared with the read: never changed in place
        self._base = (self.text, self._root, self._data)

    def _parse(self, text: str) -> tuple[Any, Any]:
        from ruamel.yaml.error import MarkedYAMLError, YAMLError

        from optscale_cli.edit import yaml_text

        self.reads += 1
        try:
            loaded, root = yaml_text.parse(text)
        except yaml_text.Refusal as exc:
            raise self._refuse(exc.message, exc.offset, text) from None
        except MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            raise ConfigFileError(
                self.label,
                f"invalid YAML: {exc.problem or exc.context}",
                mark.line + 1 if mark else None,
                mark.column + 1 if mark else None,
            ) from None
        except YAMLError as exc:
            raise ConfigFileError(self.label, f"invalid YAML: {exc}") from None
        except (
            NotImplementedError,
            ValueError,
            TypeError,
            AttributeError,
            IndexError,
            KeyError,  # ruamel's constructor on `!!bool x`
        ) as exc:
            # ruamel's own limits (e.g. "overlap in comment" on some comment placements)
            raise ConfigFileError(
                self.label, f"cannot read this YAML safely ({type(exc).__name__}: {exc})"
            ) from None
        return loaded, root

    @property
    def data(self) -> Any:
        return copy.deepcopy(self._data)

    def _refuse(self, message: str, offset: int, text: str | None = None) -> ConfigFileError:
        """A refusal naming the line and column of ``offset`` in ``text`` (the current)."""
        from optscale_cli.edit.textlines import line_column

        where = line_column(self.text if text is None else text, offset)
        return ConfigFileError(self.label, message, *where)

    def locate(self, path: Sequence[str | int]) -> tuple[int | None, int | None]:
        from optscale_cli.edit import yaml_text

        self._settle()
        key = yaml_text.key_node(self._root, path)
        if key is None and len(path) > 1 and lookup(self._data, path) is not ABSENT:
            # below the top level the quick reading keeps only data: every node, this once
            key = yaml_text.key_node(yaml_text.compose_every_node(self.text), path)
        if key is None:
            return (None, None)
        return (key.start_mark.line + 1, key.start_mark.column + 1)

    def get(self, path: Sequence[str | int]) -> Any:
        return copy.deepcopy(lookup(self._data, path))

    def peek(self, path: Sequence[str | int]) -> Any:
        """The value at ``path`` without a copy: read it, never change it."""
        return lookup(self._data, path)

    def _entries(self) -> list[Any]:
        """The top-level entries of the current text. Entries an edit since the last read
        made are known only by key, line and end (their ``node`` is None)."""
        from optscale_cli.edit import yaml_text

        if self._found is None:
            self._settle()
            try:
                self._found = yaml_text.entries(self.text, self._root)
            except yaml_text.Refusal as exc:
                raise self._refuse(exc.message, exc.offset) from None
        return self._found

    def _entry(self, key: str) -> Any:
        return next((e for e in self._entries() if e.key == key), None)

    def _read_entry(self, key: str) -> Any:
        """:meth:`_entry`, read from the text if an edit since the last read made it."""
        entry = self._entry(key)
        if entry is not None and entry.node is None:
            self._settle()
            entry = self._entry(key)
        return entry

    def _read_as(self, text: str, expected: Any, *, settling: bool = False) -> bool:
        """:meth:`_CheckedRuns._read_as`; when ``settling``, the top-level keys must also be
        in the order the edits believed they put them."""
        believed = [e.key for e in self._found] if settling and self._found is not None else None
        try:
            data, root = self._parse(text)
        except ConfigFileError:
            return False
        data = {} if data is None else data
        # both plain already: what a read builds, and an edit's own data (plain(value))
        if not _same_data(data, expected) or not _order_agrees(believed, text, root):
            return False
        self.text, self._root, self._data = text, root, data
        self._base, self._found = (text, root, data), None
        return True

    def _back_to_checked(self) -> None:
        self.text, self._root, self._data = self._base
        self._found = None

    def _moved(
        self,
        key: str,
        start: int,
        end: int,
        new_end: int,
        line: int,
        kstart: int,
        removed: bool = False,
    ) -> None:
        """Follow an edit of the entry of ``key`` that turned ``[start, end)`` of the text
        into ``[start, new_end)``: the entries before it stay, those after it move, and the
        entry itself (unless ``removed``) is known by its key, ``line``, ``kstart`` and end
        until the text is read again. Anything else: read the text again when needed."""
        from optscale_cli.edit.yaml_text import Entry

        found, delta = self._found, new_end - end
        if found is None:
            return
        moved: list[Any] = []
        old_end = None
        for entry in found:
            if entry.key == key:
                old_end = entry.end
            elif max(entry.end, entry.vend) <= start and entry.line < start:  # before it
                moved.append(entry)
            elif entry.line >= end:  # after it
                moved.append(_shifted(entry, delta))
            else:  # the change reaches into another entry
                self._found = None
                return
        if not removed:
            end_now = new_end if old_end is None else old_end + delta
            if end_now < max(line, new_end):  # not where we think: read the text again
                self._found = None
                return
            moved.append(Entry(key, kstart, line, end_now, -1, -1, -1, None))
            moved.sort(key=lambda e: e.line)
        self._found = moved

    def _top_key(self, path: Sequence[str | int]) -> str:
        if len(path) != 1 or not isinstance(path[0], str):
            where = ".".join(map(str, path))
            raise ConfigFileError(
                self.label,
                f"cannot change '{where}': optscale edits only top-level keys of a YAML file",
                *self.locate(path[:1]),
            )
        return path[0]

    def _commit(
        self, text: str, expected: dict[str, Any], key: str, moved: tuple[Any, ...] | None = None
    ) -> None:
        """Take ``text`` if it says exactly ``expected``; refuse otherwise (nothing written).
        Checked now with ``check_each``, else by the next :meth:`_settle`; ``moved``: how the
        entries moved (the arguments of :meth:`_moved`; None: read them again when needed)."""
        if not self._check_each:
            if moved is None:
                self._found = None
            else:
                self._moved(*moved)
            self.text, self._data = text, expected
        elif not self._read_as(text, expected):
            entry = self._entry(key)
            raise self._refuse(
                f"cannot change '{key}' here without changing something else; edit it by hand",
                entry.kstart if entry else 0,
            )

    def _newline(self) -> str:
        from optscale_cli.edit.textlines import newline_of

        return newline_of(self.text)

    def _value_text(self, value: Any, column: int) -> str:
        """What follows ``key:`` for ``value``: inline, or block lines below the key."""
        from optscale_cli.edit import yaml_text

        if isinstance(value, dict | list) and value:
            nl = self._newline()
            offset = 2 if isinstance(value, dict) else self._seq_offset()
            lines = yaml_text.block(value, column + offset, self._seq_offset())
            return nl + nl.join(lines)
        return " " + yaml_text.inline(value)

    def _seq_offset(self) -> int:
        """How this file indents a block list under its key (2 when it has none)."""
        from optscale_cli.edit import yaml_text

        for entry in self._entries():
            if yaml_text._is_block(entry.node) and entry.node.id == "sequence":
                try:
                    items = yaml_text.sequence_items(self.text, entry)
                except yaml_text.Refusal:
                    continue
                return max(items.dash_column - (entry.kstart - entry.line), 0)
        return 2

    def _insert_at(self, next_key: str | None = None, gap: str = "") -> int:
        found = self._entries()
        after = next((e for e in found if e.key == next_key), None) if next_key else None
        if after is not None:
            at = after.line
            if gap and self.text[max(at - len(gap), 0) : at] == gap:
                at -= len(gap)
            return at
        if found:
            return found[-1].end
        return len(self.text)

    def set(
        self, path: Sequence[str | int], value: Any, layout: dict[str, Any] | None = None
    ) -> None:
        self._run(("set", path, value, layout))

    def _set(
        self, path: Sequence[str | int], value: Any, layout: dict[str, Any] | None = None
    ) -> None:
        from optscale_cli.edit import yaml_text
        from optscale_cli.edit.textlines import insert_lines

        check_containers(self, path, self._data)
        key = self._top_key(path)
        if isinstance(value, dict | list) and value:
            self._settle()  # written in the layout of the file's lists, read fresh
        current = self._data.get(key, ABSENT)
        if current is not ABSENT and _canon(current) == _canon(value):
            return
        entry = self._read_entry(key)
        expected = {**self._data, key: plain(value)}
        if isinstance(current, list) and current and isinstance(value, list) and value:
            self._set_sequence(entry, current, value, expected)
            return
        if entry is not None:
            if entry.after_colon < 0:
                raise self._refuse(f"cannot tell where the value of '{key}' starts", entry.kstart)
            column = entry.kstart - entry.line
            new = self._value_text(value, column)
            if layout and layout.get("value") is not None:
                new = layout["value"]
            text = self.text[: entry.after_colon] + new + self.text[entry.vend :]
            span = (entry.after_colon, entry.vend, entry.after_colon + len(new))
            self._commit(text, expected, key, (key, *span, entry.line, entry.kstart))
            return
        found = self._entries()
        simple = [e for e in found if e.key is not None]
        column = (simple[0].kstart - simple[0].line) if simple else 0
        if layout and layout.get("entry"):
            line = layout["entry"]
            line = line if line.endswith("\n") else line + self._newline()
        else:
            line = (
                " " * column
                + yaml_text.scalar(key)
                + ":"
                + self._value_text(value, column)
                + self._newline()
            )
        at = self._insert_at(*(layout and (layout.get("next"), layout.get("gap", ""))) or ())
        lead = len(line) - len(line.lstrip(" "))
        moved = (key, at, at, at + len(line), at, at + lead)
        if at == len(self.text) and self.text and not self.text.endswith("\n"):
            moved = None  # the line break goes first: the last entry's end moves too
        self._commit(insert_lines(self.text, at, line), expected, key, moved)

    def _set_sequence(self, entry: Any, old: list[Any], new: list[Any], expected: Any) -> None:
        import difflib

        from optscale_cli.edit import yaml_text

        key = entry.key
        if entry.alias or not yaml_text._is_block(entry.node):
            raise self._refuse(
                f"'{key}' is a flow sequence ([...]) or an alias; optscale edits only block"
                " sequences (one '- item' a line): rewrite it in block style, or edit it by hand",
                entry.vstart,
            )
        matcher = difflib.SequenceMatcher(
            a=[_canon(x) for x in old], b=[_canon(x) for x in new], autojunk=False
        )
        self._settle()  # a list's items are found in a text read fresh, each step checked
        saved_text, saved_root, was = self.text, self._root, self._check_each
        self._check_each = True
        try:
            self._edit_sequence(entry, matcher.get_opcodes(), new)
            self._commit(self.text, expected, key)
        except BaseException:
            self.text, self._root, self._found = saved_text, saved_root, None
            raise
        finally:
            self._check_each = was

    def _edit_sequence(self, entry: Any, opcodes: list[Any], new: list[Any]) -> None:
        from optscale_cli.edit import yaml_text
        from optscale_cli.edit.textlines import insert_lines, remove_lines

        key = entry.key
        text = self.text
        column = entry.kstart - entry.line
        for tag, i1, i2, j1, j2 in reversed(opcodes):
            if tag == "equal":
                continue
            current = self._entry(key)
            try:
                items = yaml_text.sequence_items(text, current)
            except yaml_text.Refusal as exc:
                raise self._refuse(exc.message, exc.offset) from None
            nl = self._newline()
            if i2 - i1 == len(items.spans) and j1 == j2:  # every item goes: an empty list
                text = text[: current.after_colon] + " []" + text[current.vend :]
            else:
                lines = yaml_text.block(
                    new[j1:j2],
                    items.dash_column,
                    max(items.dash_column - column, 0),
                    items.content_offset,
                )
                added = "".join(line + nl for line in lines) if j2 > j1 else ""
                if i2 > i1:
                    start, end = items.spans[i1][0], items.spans[i2 - 1][1]
                    text = remove_lines(text, start, end)
                    if added:
                        text = insert_lines(text, min(start, len(text)), added)
                elif added:
                    at = items.spans[i1][0] if i1 < len(items.spans) else items.spans[-1][1]
                    text = insert_lines(text, at, added)
            try:
                self.text, self._root = text, yaml_text.compose(text)  # positions re-read
                self._found = None
            except Exception:  # (noqa: BLE001) whatever broke, the edit is refused below
                raise self._refuse(
                    f"cannot change '{key}' here without changing something else; edit it by hand",
                    entry.kstart,
                ) from None

    def layout(self, path: Sequence[str | int], *, removing: bool = True) -> dict[str, Any] | None:
        """How the value at ``path`` is written, and what follows it: undo puts it back so."""
        if len(path) != 1:
            return None
        if isinstance(path[0], str):
            self._read_entry(path[0])
        found = self._entries()
        for index, entry in enumerate(found):
            if entry.key == path[0] and entry.after_colon >= 0:
                following = found[index + 1] if index + 1 < len(found) else None
                return {
                    "value": self.text[entry.after_colon : entry.vend],
                    "entry": self.text[entry.line : entry.end],
                    "next": following.key if following else None,
                    "gap": self.text[entry.end : following.line] if following else "",
                }
        return None

    def restore(self, path: Sequence[str | int], value: Any, layout: dict[str, Any]) -> None:
        """Put ``value`` back as it was written (``layout``), or as we would write it."""
        self._run(("restore", path, value, layout))

    def _restore(self, path: Sequence[str | int], value: Any, layout: dict[str, Any]) -> None:
        if not self._settles_nothing(path, value):
            self._settle()  # an earlier edit's refusal is its own, not this one's to work around
        try:
            self._set(path, value, layout)
        except ConfigFileError:
            self._set(path, value)

    def _settles_nothing(self, path: Sequence[str | int], value: Any) -> bool:
        """Whether setting ``value`` at ``path`` reads nothing again (no :meth:`_settle`
        inside it, where an earlier edit's refusal would surface and be taken for its own):
        a top-level key set to a scalar, its entry known from the last read or absent, and
        every entry's place known."""
        if not self._log:
            return True  # nothing waits to be checked
        if len(path) != 1 or not isinstance(path[0], str) or self._found is None:
            return False
        if isinstance(value, dict | list) and value:
            return False  # written in the layout of the file's lists, read fresh
        entry = self._entry(path[0])
        return entry is None or entry.node is not None

    def remove(self, path: Sequence[str | int]) -> None:
        self._run(("remove", path))

    def _remove(self, path: Sequence[str | int]) -> None:
        from optscale_cli.edit.textlines import remove_lines

        if lookup(self._data, path) is ABSENT:
            return
        key = self._top_key(path)
        entry = self._read_entry(key)
        if entry is None:
            return
        expected = {k: v for k, v in self._data.items() if k != key}
        plain_remove = entry.end < len(self.text) or self.text.endswith("\n") or not entry.line
        moved = (key, entry.line, entry.end, entry.line, -1, -1, True)
        text = remove_lines(self.text, entry.line, entry.end)
        self._commit(text, expected, key, moved if plain_remove else None)

    def render(self) -> str:
        self._settle()
        return self._bom + self.text


def _order_agrees(believed: list[Any] | None, text: str, root: Any) -> bool:
    """Whether ``text`` (composed as ``root``) has its top-level keys in the order the edits
    believed (None: no belief; a text whose keys cannot be listed: nothing to compare)."""
    from optscale_cli.edit import yaml_text

    if believed is None:
        return True
    try:
        return [e.key for e in yaml_text.entries(text, root)] == believed
    except yaml_text.Refusal:
        return True


def _shifted(entry: Any, delta: int) -> Any:
    """A YAML entry moved by ``delta`` (its node's marks still say where it was)."""
    from optscale_cli.edit.yaml_text import Entry

    def at(offset: int) -> int:
        return offset + delta if offset >= 0 else offset

    return Entry(
        entry.key,
        entry.kstart + delta,
        entry.line + delta,
        entry.end + delta,
        at(entry.after_colon),
        at(entry.vstart),
        at(entry.vend),
        entry.node,
        entry.alias,
    )


def _same_data(read: Any, expected: Any) -> bool:
    """``_canon(read) == _canon(expected)`` for plain data (what a read of TOML or YAML
    makes: text keys at the top), sooner: a top-level value whose ``repr`` is the same is the
    same (``repr`` tells apart all that the canonical text does, and more: ``1`` and ``"1"``
    as keys, tuples), about twice as fast as the canonical text; only one that differs (a
    mapping whose keys are in another order) is compared as canonical text."""
    if (
        type(read) is dict
        and type(expected) is dict
        and all(type(key) is str for key in read)  # (1 and True are one key to keys())
        and read.keys() == expected.keys()
    ):
        return all(
            repr(value) == repr(other)
            or _canon(value, plain_data=True) == _canon(other, plain_data=True)
            for value, other in ((read[key], expected[key]) for key in read)
        )
    return _canon(read, plain_data=True) == _canon(expected, plain_data=True)


def _canon(value: Any, *, plain_data: bool = False) -> str:
    """``value`` as text that tells apart what YAML/TOML tell apart (``1``, ``1.0`` and
    ``true`` too); ``plain_data``: it is plain Python already (TOML's), no copy needed."""
    import json

    value = value if plain_data else plain(value)
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=repr)


# One line of a .env file as motdotla/dotenv 17 reads it (lib/main.js: `LINE`, `parseRegex`),
# which is what Continue uses (`getContinueDotEnv` calls `dotenv.parse`): `export ` optional,
# a key of ASCII letters, digits, `_`, `.` or `-`, `=` or `: `, a value quoted or up to a `#`,
# then an optional comment. The value is trimmed; quotes around it are stripped, and inside
# double quotes `\n` and `\r` become line breaks. Whitespace is JavaScript's (`\s`, `trim`):
# not Python's, which also counts \x1c-\x1f and \x85 and leaves out \ufeff. The runs of
# whitespace are possessive and `=\s*?` gave its spaces to the value, which is trimmed: the
# same reading, without trying every way to split a long run of spaces.
_JS_SPACES = (  # for str.strip
    "\t\n\v\f\r \u00a0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + "\u2028\u2029\u202f\u205f\u3000\ufeff"
)
_JS_SPACE = re.escape(_JS_SPACES)  # the same characters, inside a [class]
_DOTENV_LINE = re.compile(
    rf"[{_JS_SPACE}]*+(?:export[{_JS_SPACE}]+)?([A-Za-z0-9_.-]++)(?:[{_JS_SPACE}]*+=|:[{_JS_SPACE}])"
    rf"""([{_JS_SPACE}]*+(?:'(?:\\'|[^'])*'|"(?:\\"|[^"])*"|`(?:\\`|[^`])*`)|[^#\r\n]++)?"""
    rf"[{_JS_SPACE}]*+(?:#[^\r\n]*+)?[{_JS_SPACE}]*+"
)
# The common lines, read at once: `KEY=`, `KEY=word` (printable ASCII but space, `#`, quotes
# and `\`) or `KEY="text"` (no `"` or `\` in it), with nothing after; dotenv reads them so.
_PLAIN_LINE = re.compile(
    r'(?:export )?([A-Za-z0-9_.-]+)=(?:"([^"\\\r\n]*)"|([!$-&(-\[\]-_a-~]+))?\r?\n?'
)
_DOTENV_KEY = re.compile(r"[A-Za-z0-9_.-]+")
_QUOTES = frozenset("'\"`")
_NO_KEY = frozenset(("", "#", "\r"))  # a line (split at \n) starting so holds no key
# where dotenv starts a line and we would not: a \r not part of a line's ending (dotenv makes
# \r\n and \r line breaks), or U+2028 / U+2029 (JavaScript's `^` and `$` take them as ends)
_INNER_BREAK = re.compile("\r(?=[^\r\n])|[\u2028\u2029]")


# A whole file of the common lines (the ones _PLAIN_LINE reads), comments and blank lines,
# checked in one step: such a file needs no line-by-line reading before an edit.
_PLAIN_FILE_LINE = (
    r'(?:(?:export )?+[A-Za-z0-9_.-]++=(?:"[^"\\\r\n]*+"|[!$-&(-\[\]-_a-~]++)?+\r?+'
    r"|#[^\n]*+|\r?+)"
)
_PLAIN_FILE = re.compile(rf"(?:{_PLAIN_FILE_LINE}\n)*+{_PLAIN_FILE_LINE}")


class DotenvDocument:
    """``KEY=value`` lines (a ``.env`` file): comments, blank lines, order and each line's
    own ending (``\n``, ``\r\n``, none on the last) are kept byte for byte. A key written twice
    means its last line (as dotenv reads it): that is the line we change.

    The document is its text. Every line is checked when it is read (a file of common lines
    in one step), and an edit finds the line of its key by searching the text for the key's
    name, from the end: no table of every line and key is built (a 1 MB file is 50,000
    lines)."""

    _SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./:@+-")

    def __init__(self, text: str | None, label: str) -> None:
        from optscale_cli.edit.textlines import line_column, newline_of

        self.label = label
        text = text or ""
        maybe = "\r" in text or "\u2028" in text or "\u2029" in text
        inner = _INNER_BREAK.search(text) if maybe else None  # (a search tries every offset)
        if inner is not None:  # dotenv's parse starts a line there; we would read on
            raise ConfigFileError(
                label,
                f"a line break ({inner.group()!r}) inside a line, where dotenv starts a new one",
                *line_column(text, inner.start()),
            )
        self.text = text
        self._newline = newline_of(text)
        if _PLAIN_FILE.fullmatch(text) is None:
            self._read_all()  # each line, as dotenv reads it: a line we cannot read raises

    def _read_all(self) -> dict[str, str]:
        """Every key's value (its last line's), reading the file line by line."""
        pieces = self.text.split("\n")  # dotenv's lines: other breaks stay inside them
        last = len(pieces) - 1
        values: dict[str, str] = {}
        split = self._split
        for index, piece in enumerate(pieces):
            if piece[:1] in _NO_KEY:  # a comment or blank line, the quick way
                continue
            key, value = split(piece + "\n" if index < last else piece, index + 1)
            if key is not None:
                values[key] = value
        return values

    def _line_of(self, key: str) -> tuple[int, int] | None:
        """Where the line that counts for ``key`` is (its start, and past its line break):
        the last line whose key it is. Each line is looked at once at most: after a line
        that only holds the name elsewhere, the search goes on before that line."""
        if not _DOTENV_KEY.fullmatch(key):
            return None  # no line has it (and an empty name would be found everywhere)
        text, end = self.text, len(self.text)
        while True:
            at = text.rfind(key, 0, end)
            if at < 0:
                return None
            start = text.rfind("\n", 0, at) + 1
            stop = text.find("\n", at)
            stop = len(text) if stop < 0 else stop + 1
            if self._split(text[start:stop], 0)[0] == key:
                return start, stop
            end = start

    def _line_at(self, path: Sequence[str | int]) -> tuple[int, int] | None:
        return self._line_of(str(path[0])) if len(path) == 1 else None

    def _number(self, offset: int) -> int:
        return self.text.count("\n", 0, offset) + 1

    def _split(self, line: str, number: int) -> tuple[str | None, str]:
        """The key and value of one line as dotenv's parse reads them (see _DOTENV_LINE);
        (None, "") for a blank or comment line. A line dotenv would skip, or read on past its
        end (a quote that does not close at its end), is refused: we would not know what the
        user meant."""
        plain = _PLAIN_LINE.fullmatch(line)
        if plain is not None:
            key, quoted, word = plain.group(1, 2, 3)
            return key, quoted if quoted is not None else word or ""
        found = _DOTENV_LINE.fullmatch(line)
        if found is None:
            if not line.strip(_JS_SPACES) or line.lstrip(_JS_SPACES).startswith("#"):
                return None, ""
            raise ConfigFileError(self.label, "expected KEY=value", number, 1)
        key, value = found.group(1, 2)
        value = (value or "").strip(_JS_SPACES)
        if not value and line[found.end(1) : found.end(1) + 2] in (":\n", ":\r"):
            raise ConfigFileError(  # dotenv's `:\s+?` takes the line break, then the next line
                self.label,
                f"{key}: ends its line, and dotenv would read the next line as its value: "
                f"write {key}= instead",
                number,
                1,
            )
        quote = value[:1]
        if quote in _QUOTES:
            if len(value) < 2 or value[-1] != quote:
                raise ConfigFileError(
                    self.label,
                    f"the value of {key} opens a quote that does not close at its end (a "
                    "value over several lines is not supported)",
                    number,
                    1,
                )
            if value[-2:-1] == "\\":  # dotenv may take that quote as escaped, and go on
                raise ConfigFileError(
                    self.label,
                    f"the value of {key} ends in a backslash before its closing quote, which "
                    "dotenv may read as an escaped quote",
                    number,
                    1,
                )
            value = value[1:-1]
            if quote == '"':
                value = value.replace("\\n", "\n").replace("\\r", "\r")
        return key, value

    @property
    def data(self) -> dict[str, str]:
        return self._read_all()

    def _value(self, where: tuple[int, int]) -> str:
        return self._split(self.text[where[0] : where[1]], self._number(where[0]))[1]

    def get(self, path: Sequence[str | int]) -> Any:
        where = self._line_at(path)
        return ABSENT if where is None else self._value(where)

    def set(self, path: Sequence[str | int], value: Any) -> None:
        key, text = str(path[0]), str(value)
        if not _DOTENV_KEY.fullmatch(key):
            raise ConfigFileError(
                self.label,
                f"cannot write {key!r} into it: dotenv reads only names of ASCII letters, "
                "digits, '_', '.' and '-'",
            )
        rendered = text if text and set(text) <= self._SAFE else self._quoted(key, text)
        where = self._line_of(key)
        if where is None:
            self._put(where, f"{key}={rendered}")
            return
        if self._value(where) == text:
            return  # it says so already
        body = self.text[where[0] : where[1]].rstrip("\r\n")
        lead = body[: len(body) - len(body.lstrip())]  # indentation, kept
        export = "export " if body.lstrip().startswith("export ") else ""
        self._put(where, f"{lead}{export}{key}={rendered}")

    def _quoted(self, key: str, text: str) -> str:
        """``text`` in double quotes, as dotenv reads it back: it strips the quotes and turns
        only ``\\n`` and ``\\r`` into line breaks, unescaping nothing else."""
        if any(ch in '"\\' or not ch.isprintable() for ch in text):
            raise ConfigFileError(
                self.label,
                f"cannot write {key} into it: dotenv has no way to quote a value holding a "
                "quote, a backslash or a control character",
            )
        return f'"{text}"'

    def _put(self, where: tuple[int, int] | None, body: str, glue: str | None = None) -> None:
        """``body`` as the line of its key: in place of the key's line ``where`` (keeping
        that line's ending), or, with None, as a new last line in the file's own line ending
        (``glue``: the break that went before it when it was the file's last line, without
        one of its own)."""
        text = self.text
        if where is not None:
            start, stop = where
            line = text[start:stop]
            self.text = "".join((text[:start], body, line[len(line.rstrip("\r\n")) :], text[stop:]))
            return
        if text and not text.endswith("\n"):  # no final line break: it goes first
            if text.endswith("\r"):
                raise ConfigFileError(
                    self.label,
                    "its last line ends with a lone carriage return (\\r): end it with a line "
                    "break, then try again",
                    self._number(len(text)),
                    len(text) - text.rfind("\n") - 1,
                )
            self.text = "".join((text, glue if glue in ("\n", "\r\n") else self._newline, body))
        else:
            self.text = "".join((text, body, self._newline))

    def layout(self, path: Sequence[str | int], *, removing: bool = True) -> dict[str, Any] | None:
        """The line of ``path`` as written (undo puts back those bytes)."""
        where = self._line_at(path)
        if where is None:
            return None
        start, stop = where
        line = self.text[start:stop]
        found: dict[str, Any] = {"entry": line.rstrip("\r\n")}
        if start and stop == len(self.text) and not line.endswith("\n"):
            # the break before the last line, if it goes
            found["glue"] = "\r\n" if self.text.endswith("\r\n", 0, start) else "\n"
        return found

    def restore(self, path: Sequence[str | int], value: Any, layout: dict[str, Any]) -> None:
        """Put ``value`` back as the line it was (``layout``), when that line says exactly
        ``value`` (a record edited to say more is not written); else as we would write it."""
        key, entry = str(path[0]), layout.get("entry")
        try:
            said = self._split(entry, 1) if isinstance(entry, str) else None
        except ConfigFileError:
            said = None
        if said != (key, str(value)) or "\n" in entry or "\r" in entry:  # type: ignore[operator]
            self.set(path, value)
            return
        self._put(self._line_of(key), entry, layout.get("glue"))  # type: ignore[arg-type]

    def remove(self, path: Sequence[str | int]) -> None:
        """Drop the line that counts for the key (an earlier line of it counts then)."""
        where = self._line_at(path)
        if where is None:
            return
        start, stop = where
        text = self.text
        if stop == len(text) and start and not text.endswith("\n"):
            # the last line, without a break of its own: the break before it goes, so the
            # file ends as it did before that line was added
            nl = self._newline if text.endswith(self._newline, 0, start) else "\n"
            start -= len(nl)
        self.text = text[:start] + text[stop:]

    def render(self) -> str:
        return self.text
