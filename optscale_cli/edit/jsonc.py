"""A small comment-preserving JSON / JSONC editor.

Like Microsoft's ``jsonc-parser`` ``modify()``: we parse into a tree that knows each value's
position, and change a document by surgical text edits, so comments, trailing commas,
indentation, key order and line endings outside the edited value stay byte for byte.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

PathPart = str | int

_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_LITERALS = {"true": True, "false": False, "null": None}


class JsoncError(ValueError):
    """A parse error; ``line`` and ``column`` are 1-based."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(f"line {line}, column {column}: {message}")
        self.message = message
        self.line = line
        self.column = column


@dataclass
class Node:
    kind: str  # object, array, string, number, literal
    start: int
    end: int
    value: Any = None
    members: list[Member] = field(default_factory=list)  # objects
    items: list[Item] = field(default_factory=list)  # arrays


@dataclass
class Member:
    key: str
    key_start: int
    value: Node
    comma: int | None = None  # offset of the comma after the value


@dataclass
class Item:
    value: Node
    comma: int | None = None


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


class _Parser:
    def __init__(self, text: str, allow_comments: bool) -> None:
        self.text = text
        self.comments = allow_comments
        self.pos = 1 if text.startswith("\ufeff") else 0

    def fail(self, message: str, offset: int | None = None) -> JsoncError:
        return JsoncError(message, *_position(self.text, self.pos if offset is None else offset))

    def skip(self) -> None:
        text = self.text
        while self.pos < len(text):
            char = text[self.pos]
            if char in " \t\r\n":
                self.pos += 1
            elif char == "/" and text.startswith("//", self.pos):
                if not self.comments:
                    raise self.fail("comments are not allowed in JSON")
                end = text.find("\n", self.pos)
                self.pos = len(text) if end < 0 else end
            elif char == "/" and text.startswith("/*", self.pos):
                if not self.comments:
                    raise self.fail("comments are not allowed in JSON")
                end = text.find("*/", self.pos + 2)
                if end < 0:
                    raise self.fail("unterminated comment")
                self.pos = end + 2
            else:
                return

    def document(self) -> Node:
        self.skip()
        if self.pos >= len(self.text):
            raise self.fail("empty document")
        node = self.value()
        self.skip()
        if self.pos < len(self.text):
            raise self.fail("unexpected text after the end of the document")
        return node

    def value(self) -> Node:
        self.skip()
        if self.pos >= len(self.text):
            raise self.fail("unexpected end of document: a value was expected")
        char = self.text[self.pos]
        if char == "{":
            return self.object()
        if char == "[":
            return self.array()
        if char == '"':
            start = self.pos
            return Node("string", start, self.string_end(), self.string_value(start))
        match = _NUMBER.match(self.text, self.pos)
        if match and match.end() > self.pos:
            start, self.pos = self.pos, match.end()
            raw = match.group()
            number = float(raw) if any(c in raw for c in ".eE") else int(raw)
            return Node("number", start, self.pos, number)
        for word, literal in _LITERALS.items():
            if self.text.startswith(word, self.pos):
                start, self.pos = self.pos, self.pos + len(word)
                return Node("literal", start, self.pos, literal)
        raise self.fail(f"unexpected character {char!r}")

    def string_end(self) -> int:
        text = self.text
        i = self.pos + 1
        while i < len(text):
            char = text[i]
            if char == "\\":
                i += 2
                continue
            if char == '"':
                self.pos = i + 1
                return self.pos
            if char in "\n\r" or ord(char) < 0x20:
                raise self.fail("unterminated string (or a control character in it)", self.pos)
            i += 1
        raise self.fail("unterminated string", self.pos)

    def string_value(self, start: int) -> str:
        try:
            return str(json.loads(self.text[start : self.pos]))
        except ValueError:
            raise self.fail("invalid escape in string", start) from None

    def object(self) -> Node:
        node = Node("object", self.pos, self.pos)
        self.pos += 1
        self.skip()
        if self.text.startswith("}", self.pos):
            self.pos += 1
            node.end = self.pos
            node.value = {}
            return node
        while True:
            self.skip()
            if self.pos >= len(self.text) or self.text[self.pos] != '"':
                raise self.fail("expected a property name in double quotes")
            key_start = self.pos
            self.string_end()
            key = self.string_value(key_start)
            self.skip()
            if not self.text.startswith(":", self.pos):
                raise self.fail("expected ':' after the property name")
            self.pos += 1
            member = Member(key, key_start, self.value())
            node.members.append(member)
            self.skip()
            if self.text.startswith(",", self.pos):
                member.comma = self.pos
                self.pos += 1
                self.skip()
                if self.text.startswith("}", self.pos):
                    if not self.comments:
                        raise self.fail("trailing comma is not allowed in JSON", member.comma)
                    break
                continue
            if self.text.startswith("}", self.pos):
                break
            raise self.fail("expected ',' or '}' after a property value")
        self.pos += 1
        node.end = self.pos
        node.value = {m.key: m.value.value for m in node.members}
        return node

    def array(self) -> Node:
        node = Node("array", self.pos, self.pos)
        self.pos += 1
        self.skip()
        if self.text.startswith("]", self.pos):
            self.pos += 1
            node.end = self.pos
            node.value = []
            return node
        while True:
            item = Item(self.value())
            node.items.append(item)
            self.skip()
            if self.text.startswith(",", self.pos):
                item.comma = self.pos
                self.pos += 1
                self.skip()
                if self.text.startswith("]", self.pos):
                    if not self.comments:
                        raise self.fail("trailing comma is not allowed in JSON", item.comma)
                    break
                continue
            if self.text.startswith("]", self.pos):
                break
            raise self.fail("expected ',' or ']' after an array element")
        self.pos += 1
        node.end = self.pos
        node.value = [i.value.value for i in node.items]
        return node


def parse_tree(text: str, *, allow_comments: bool = True) -> Node:
    return _Parser(text, allow_comments).document()


def loads(text: str, *, allow_comments: bool = True) -> Any:
    """Parse JSON (``allow_comments=False``) or JSONC into plain Python values."""
    return parse_tree(text, allow_comments=allow_comments).value


def _child(node: Node, part: PathPart) -> Node | None:
    if node.kind == "object" and isinstance(part, str):
        found = [m for m in node.members if m.key == part]
        return found[-1].value if found else None
    if (
        node.kind == "array"
        and isinstance(part, int)
        and -len(node.items) <= part < len(node.items)
    ):
        return node.items[part].value
    return None


def _find(root: Node, path: Sequence[PathPart]) -> tuple[list[Node], Node | None]:
    """The chain of existing nodes along ``path``, and the target node (None if missing)."""
    chain = [root]
    node: Node | None = root
    for part in path:
        assert node is not None
        node = _child(node, part)
        if node is None:
            return chain, None
        chain.append(node)
    return chain, node


def get_value(text: str, path: Sequence[PathPart]) -> Any:
    _, node = _find(parse_tree(text), path)
    if node is None:
        raise KeyError(list(path))
    return node.value


def locate(text: str, path: Sequence[PathPart]) -> tuple[int, int]:
    """1-based line and column where the value at ``path`` is named (its key, if a member)."""
    root = parse_tree(text)
    chain, node = _find(root, path)
    if node is None:
        raise KeyError(list(path))
    if path and isinstance(path[-1], str) and len(chain) >= 2:
        parent = chain[-2]
        member = [m for m in parent.members if m.key == path[-1]][-1]
        return _position(text, member.key_start)
    return _position(text, node.start)


def detect_indent(text: str) -> str:
    """The file's indentation unit: a tab, or the smallest run of leading spaces (default 2)."""
    widths = []
    for line in text.splitlines():
        stripped = line.lstrip(" \t")
        if not stripped or len(stripped) == len(line):
            continue
        lead = line[: len(line) - len(stripped)]
        if lead.startswith("\t"):
            return "\t"
        widths.append(len(lead))
    return " " * min(widths) if widths else "  "


def _newline(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def _line_indent(text: str, offset: int) -> str:
    line_start = text.rfind("\n", 0, offset) + 1
    lead = re.match(r"[ \t]*", text[line_start:offset])
    return lead.group() if lead else ""


def _first_on_line(text: str, offset: int) -> bool:
    line_start = text.rfind("\n", 0, offset) + 1
    return text[line_start:offset].strip(" \t\ufeff") == ""


def _render(value: Any, indent: str, unit: str, newline: str, compact: bool) -> str:
    if compact:
        return json.dumps(value, ensure_ascii=False)
    rendered = json.dumps(value, ensure_ascii=False, indent=unit)
    return rendered.replace("\n", newline + indent)


def _nest(path: Sequence[PathPart], value: Any) -> Any:
    for part in reversed(path):
        if not isinstance(part, str):
            raise TypeError("cannot create a list element that does not exist")
        value = {part: value}
    return value


def _end_of_line_after(text: str, offset: int) -> int:
    """Skip spaces and comments that start on this line; return where a new line may begin:
    the offset of the newline (or of the next token if it is on the same line)."""
    i = offset
    while i < len(text):
        if text[i] in " \t\r":
            i += 1
        elif text.startswith("//", i):
            end = text.find("\n", i)
            return len(text) if end < 0 else (end - 1 if text[end - 1] == "\r" else end)
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = len(text) if end < 0 else end + 2
        else:
            return i - 1 if i > offset and text[i - 1] == "\r" else i
    return i


def set_value(text: str, path: Sequence[PathPart], value: Any, *, indent: str | None = None) -> str:
    """Return ``text`` with the value at ``path`` set to ``value`` (intermediate objects are
    created); everything else is left as it was."""
    root = parse_tree(text)
    unit = indent or detect_indent(text)
    newline = _newline(text)
    chain, node = _find(root, path)
    if node is not None:
        if node.value == value and type(node.value) is type(value):
            return text
        base = _line_indent(text, node.start)
        compact = "\n" not in text[root.start : root.end]
        rendered = _render(value, base, unit, newline, compact)
        return text[: node.start] + rendered + text[node.end :]
    parent = chain[-1]
    depth = len(chain) - 1
    if parent.kind != "object":
        where = "/".join(str(p) for p in path[:depth]) or "the top level"
        raise TypeError(f"{where} is not an object")
    key = path[depth]
    if not isinstance(key, str):
        raise TypeError("cannot create a list element that does not exist")
    new_value = _nest(path[depth + 1 :], value)
    return _insert_member(text, parent, key, new_value, unit, newline)


def _insert_member(text: str, parent: Node, key: str, value: Any, unit: str, newline: str) -> str:
    body = text[parent.start : parent.end]
    key_json = json.dumps(key, ensure_ascii=False)
    if not parent.members:
        base = _line_indent(text, parent.start)
        child = base + unit
        inner = text[parent.start + 1 : parent.end - 1]
        rendered = _render(value, child, unit, newline, compact=False)
        insert = f"{newline}{child}{key_json}: {rendered}"
        if "\n" not in inner:
            insert += newline + base
            return text[: parent.start + 1] + insert + text[parent.end - 1 :]
        return text[: parent.start + 1] + insert + text[parent.start + 1 :]
    last = parent.members[-1]
    if "\n" not in body:  # a one-line object stays on one line
        rendered = json.dumps(value, ensure_ascii=False)
        if last.comma is not None:
            at = last.comma + 1
            return text[:at] + f" {key_json}: {rendered}," + text[at:]
        at = last.value.end
        return text[:at] + f", {key_json}: {rendered}" + text[at:]
    child = (
        _line_indent(text, last.key_start)
        if _first_on_line(text, last.key_start)
        else _line_indent(text, parent.start) + unit
    )
    rendered = _render(value, child, unit, newline, compact=False)
    trailing = last.comma is not None  # keep the file's trailing-comma style
    after = last.comma + 1 if trailing else last.value.end
    line_end = _end_of_line_after(text, after)
    member_text = f"{newline}{child}{key_json}: {rendered}" + ("," if trailing else "")
    if line_end < len(text) and text[line_end] in "}":
        # the closing brace sits on the last member's line: put it on a line of its own
        member_text += newline + _line_indent(text, parent.start)
    out = text[:line_end] + member_text + text[line_end:]
    if not trailing:
        out = out[: last.value.end] + "," + out[last.value.end :]
    return out


def remove_value(text: str, path: Sequence[PathPart]) -> str:
    """Return ``text`` without the member or element at ``path`` (unchanged if missing)."""
    if not path:
        raise TypeError("cannot remove the whole document")
    root = parse_tree(text)
    chain, node = _find(root, path)
    if node is None:
        return text
    parent = chain[-2]
    if parent.kind == "object":
        members = [m for m in parent.members if m.key == path[-1]]
        target = members[-1]
        entries = [(m.key_start, m.value, m.comma) for m in parent.members]
        index = parent.members.index(target)
    else:
        entries = [(i.value.start, i.value, i.comma) for i in parent.items]
        index = (
            path[-1]
            if isinstance(path[-1], int) and path[-1] >= 0
            else len(entries) + int(path[-1])
        )
    start, value_node, comma = entries[index]
    end = comma + 1 if comma is not None else value_node.end
    previous_comma = entries[index - 1][2] if index > 0 else None
    edits: list[tuple[int, int]] = []
    if _first_on_line(text, start):
        line_end = _end_of_line_after(text, end)
        only_space_after = line_end >= len(text) or text[line_end] in "\r\n"
        rest = text[end:line_end]
        if only_space_after and "/" not in rest:
            # the member has its line(s) to itself: drop them, with the newline before
            line_start = text.rfind("\n", 0, start)
            cut_from = line_start if line_start >= 0 else 0
            if cut_from > 0 and text[cut_from - 1] == "\r":
                cut_from -= 1
            edits.append((cut_from, line_end))
        else:
            edits.append((start, end))
    else:
        cut_from = start
        while cut_from > 0 and text[cut_from - 1] in " \t":
            cut_from -= 1
        edits.append((cut_from, end))
    if comma is None and previous_comma is not None:
        edits.append((previous_comma, previous_comma + 1))  # the new last member has none
    for cut_start, cut_end in sorted(edits, reverse=True):
        text = text[:cut_start] + text[cut_end:]
    return text
