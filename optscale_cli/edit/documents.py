"""Parsed documents we edit in place, one class per format, one small interface.

Each keeps what it does not touch as it was: JSON/JSONC by surgical text edits (comments,
trailing commas and the user's indentation survive), TOML with tomlkit, YAML with ruamel.
A path is a tuple of object keys (str) and list indexes (int).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
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
    if isinstance(value, bool | int | float | str) or value is None:
        return type(value)(value) if value is not None else None
    return copy.deepcopy(value)


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


class JsonDocument:
    """JSON (``comments=False``) or JSONC, edited as text."""

    def __init__(self, text: str | None, label: str, *, comments: bool) -> None:
        from optscale_cli.edit import jsonc

        self.label = label
        self.comments = comments
        self.text = text if text and text.strip() else "{\n}\n"
        try:
            self._data = jsonc.loads(self.text, allow_comments=comments)
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

    @property
    def data(self) -> Any:
        return self._data

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
        if lookup(self._data, path) == value and lookup(self._data, path) is not ABSENT:
            return
        self.text = jsonc.set_value(self.text, list(path), value)
        self._data = jsonc.loads(self.text, allow_comments=True)

    def remove(self, path: Sequence[str | int]) -> None:
        from optscale_cli.edit import jsonc

        if lookup(self._data, path) is ABSENT:
            return
        self.text = jsonc.remove_value(self.text, list(path))
        self._data = jsonc.loads(self.text, allow_comments=True)

    def render(self) -> str:
        return self.text


class TomlDocument:
    def __init__(self, text: str | None, label: str) -> None:
        import tomlkit
        from tomlkit.exceptions import ParseError

        self.label = label
        self._text = text or ""
        self._trailing = len(text or "") - len((text or "").rstrip("\n"))
        try:
            self._doc = tomlkit.parse(text or "")
        except ParseError as exc:
            raise ConfigFileError(label, f"invalid TOML: {exc}", exc.line, exc.col) from None

    @property
    def data(self) -> Any:
        return plain(self._doc)

    def locate(self, path: Sequence[str | int]) -> tuple[int | None, int | None]:
        """The line where the last key of ``path`` is assigned (tomlkit keeps no positions)."""
        import re

        key = re.escape(str(path[-1]))
        pattern = re.compile(rf'^\s*(?:[\w.-]+\.)?["\']?{key}["\']?\s*=', re.MULTILINE)
        found = pattern.search(self._text)
        if not found:
            return (None, None)
        return (self._text.count("\n", 0, found.start()) + 1, 1)

    def get(self, path: Sequence[str | int]) -> Any:
        return plain(lookup(self._doc, path)) if lookup(self._doc, path) is not ABSENT else ABSENT

    def set(self, path: Sequence[str | int], value: Any) -> None:
        import tomlkit

        check_containers(self, path, self.data)
        node: Any = self._doc
        for part in path[:-1]:
            if part not in node:
                node[part] = tomlkit.table()
            node = node[part]
        if lookup(self._doc, path) is ABSENT or plain(node[path[-1]]) != value:
            node[path[-1]] = value

    def remove(self, path: Sequence[str | int]) -> None:
        parent = lookup(self._doc, path[:-1])
        if isinstance(parent, dict) and path[-1] in parent:
            del parent[path[-1]]

    def render(self) -> str:
        import tomlkit

        rendered = tomlkit.dumps(self._doc)
        if self._trailing:  # removing a table leaves blank lines behind: keep the file's end
            rendered = rendered.rstrip("\n") + "\n" * self._trailing
        return rendered


class YamlDocument:
    def __init__(self, text: str | None, label: str) -> None:
        from ruamel.yaml import YAML
        from ruamel.yaml.error import MarkedYAMLError

        self.label = label
        self._yaml = YAML()  # round-trip: comments and order kept
        self._yaml.preserve_quotes = True
        self._yaml.indent(mapping=2, sequence=4, offset=2)
        try:
            loaded = self._yaml.load(text or "")
        except MarkedYAMLError as exc:
            mark = exc.problem_mark
            raise ConfigFileError(
                label,
                f"invalid YAML: {exc.problem}",
                mark.line + 1 if mark else None,
                mark.column + 1 if mark else None,
            ) from None
        if loaded is None:
            from ruamel.yaml.comments import CommentedMap

            loaded = CommentedMap()
        if not isinstance(loaded, dict):
            raise ConfigFileError(label, "the top level is not a mapping", 1, 1)
        self._doc = loaded

    @property
    def data(self) -> Any:
        return plain(self._doc)

    def locate(self, path: Sequence[str | int]) -> tuple[int | None, int | None]:
        parent = lookup(self._doc, path[:-1])
        try:
            line, column = parent.lc.key(path[-1])
        except (AttributeError, KeyError, TypeError):
            return (None, None)
        return (line + 1, column + 1)

    def get(self, path: Sequence[str | int]) -> Any:
        found = lookup(self._doc, path)
        return ABSENT if found is ABSENT else plain(found)

    def set(self, path: Sequence[str | int], value: Any) -> None:
        from ruamel.yaml.comments import CommentedMap

        check_containers(self, path, self.data)
        node: Any = self._doc
        for part in path[:-1]:
            if part not in node:
                node[part] = CommentedMap()
            node = node[part]
        current = lookup(self._doc, path)
        if isinstance(current, list) and isinstance(value, list):
            _update_sequence(current, value)  # keeps the comments of untouched items
        elif current is ABSENT or plain(current) != value:
            node[path[-1]] = value

    def remove(self, path: Sequence[str | int]) -> None:
        parent = lookup(self._doc, path[:-1])
        key = path[-1]
        if (isinstance(parent, dict) and key in parent) or (
            isinstance(parent, list) and isinstance(key, int)
        ):
            del parent[key]

    def render(self) -> str:
        import io

        buffer = io.StringIO()
        self._yaml.dump(self._doc, buffer)
        return buffer.getvalue()


def _update_sequence(sequence: list[Any], new: list[Any]) -> None:
    """Turn ``sequence`` into ``new`` in place, touching only the items that differ."""
    import difflib
    import json

    def dumps(item: Any) -> str:
        return json.dumps(plain(item), sort_keys=True, default=str)

    matcher = difflib.SequenceMatcher(
        a=[dumps(x) for x in sequence], b=[dumps(x) for x in new], autojunk=False
    )
    for tag, i1, i2, j1, j2 in reversed(matcher.get_opcodes()):
        if tag != "equal":
            sequence[i1:i2] = new[j1:j2]


class DotenvDocument:
    """``KEY=value`` lines (a ``.env`` file): comments, blank lines and order are kept."""

    _SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./:@+-")

    def __init__(self, text: str | None, label: str) -> None:
        self.label = label
        self.lines = (text or "").splitlines()
        self.values: dict[str, str] = {}
        for number, line in enumerate(self.lines, start=1):
            key, value = self._split(line, number)
            if key is not None:
                self.values[key] = value

    def _split(self, line: str, number: int) -> tuple[str | None, str]:
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            return None, ""
        body = stripped.removeprefix("export ").strip()
        key, sep, value = body.partition("=")
        if not sep or not key.strip().isidentifier():
            raise ConfigFileError(self.label, "expected KEY=value", number, 1)
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            import json

            try:
                value = str(json.loads(value))
            except ValueError:
                value = value[1:-1]
        elif len(value) >= 2 and value[0] == value[-1] == "'":
            value = value[1:-1]
        return key.strip(), value

    @property
    def data(self) -> dict[str, str]:
        return dict(self.values)

    def _line_of(self, key: str) -> int | None:
        for index, line in enumerate(self.lines):
            if self._split(line, index + 1)[0] == key:
                return index
        return None

    def get(self, path: Sequence[str | int]) -> Any:
        return self.values.get(str(path[0]), ABSENT) if len(path) == 1 else ABSENT

    def set(self, path: Sequence[str | int], value: Any) -> None:
        import json

        key, text = str(path[0]), str(value)
        rendered = text if text and set(text) <= self._SAFE else json.dumps(text)
        index = self._line_of(key)
        if index is None:
            self.lines.append(f"{key}={rendered}")
        elif self.values.get(key) != text:
            self.lines[index] = f"{key}={rendered}"
        self.values[key] = text

    def remove(self, path: Sequence[str | int]) -> None:
        index = self._line_of(str(path[0]))
        if index is not None:
            del self.lines[index]
            self.values.pop(str(path[0]), None)

    def render(self) -> str:
        return "\n".join(self.lines) + "\n" if self.lines else ""
