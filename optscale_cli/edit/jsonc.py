"""A small, dependency-free, comment-preserving JSON / JSONC editor.

In the spirit of Microsoft's ``jsonc-parser`` ``modify()`` / ``applyEdits()``: the text is parsed
into a tree that knows where every value sits, and each change is a surgical text edit, so
comments, trailing commas, key order, indentation and line endings elsewhere stay byte for byte.
"""

from __future__ import annotations

import bisect
import json
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

PathPart = str | int

_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_STRING_RUN = re.compile(r'[^"\\\x00-\x1f]*')
_ESCAPE = re.compile(r'\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})')
_INDENT = re.compile("\ufeff?([ \t]*)")
_LITERALS = {"true": True, "false": False, "null": None}
_BOM = "\ufeff"
_MAX_DEPTH = 200
_LAX_STRINGS = json.JSONDecoder(strict=False)


class JsoncError(ValueError):
    """A parse error at a 1-based ``line`` and ``column``."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(f"line {line}, column {column}: {message}")
        self.message = message
        self.line = line
        self.column = column


@dataclass(slots=True)  # (slots: a big file has one per member; made and read faster)
class Entry:
    """An object member or array item; ``start`` is where its key (or its value) begins."""

    start: int
    value: Node
    key: str | None = None
    comma: int | None = None  # offset of the comma after it, if any


@dataclass(slots=True)
class Node:
    kind: str  # object, array, string, number, literal
    start: int
    end: int
    value: Any = None
    entries: list[Entry] = field(default_factory=list)
    read: bool = False  # a container whose entries are known
    keys: dict[str, int] | None = None  # an object's members by name (the last of a repeat)


def _position(text: str, offset: int) -> tuple[int, int]:
    from optscale_cli.edit.textlines import line_column

    line, column = line_column(text, offset)
    if line == 1 and offset > 0 and text.startswith(_BOM):
        column -= 1  # editors do not show the byte-order mark as a column
    return line, column


class _Parser:
    def __init__(self, text: str, comments: bool) -> None:
        self.text = text
        self.comments = comments
        self.pos = 1 if text.startswith(_BOM) else 0

    def error(self, message: str, offset: int | None = None) -> JsoncError:
        return JsoncError(message, *_position(self.text, self.pos if offset is None else offset))

    def skip(self) -> None:
        """Skip whitespace and comments."""
        text, n = self.text, len(self.text)
        while self.pos < n:
            char = text[self.pos]
            if char in " \t\r\n":
                self.pos += 1
            elif text.startswith(("//", "/*"), self.pos):
                if not self.comments:
                    raise self.error("comments are not allowed in strict JSON")
                if text[self.pos + 1] == "/":
                    end = text.find("\n", self.pos)
                    self.pos = n if end < 0 else end
                else:
                    end = text.find("*/", self.pos + 2)
                    if end < 0:
                        raise self.error("unterminated /* comment")
                    self.pos = end + 2
            else:
                return

    def document(self) -> Node:
        self.skip()
        if self.pos >= len(self.text):
            raise self.error("empty document")
        node = self.value(0)
        self.skip()
        if self.pos < len(self.text):
            raise self.error("unexpected text after the end of the document")
        return node

    def value(self, depth: int) -> Node:
        self.skip()
        text, start = self.text, self.pos
        if start >= len(text):
            raise self.error("unexpected end of text, expected a value")
        char = text[start]
        if char in "{[":
            if depth >= _MAX_DEPTH:
                raise self.error("the document is nested too deeply")
            return self.container(depth)
        if char == '"':
            value = self.string()
            return Node("string", start, self.pos, value)
        match = _NUMBER.match(text, start)
        if match:
            self.pos = match.end()
            if self.pos < len(text) and (text[self.pos].isalnum() or text[self.pos] in "._"):
                raise self.error("invalid number", start)
            raw = match.group()
            try:
                number = float(raw) if any(c in raw for c in ".eE") else int(raw)
            except ValueError:  # more digits than Python reads as an int (4,300)
                raise self.error("the number has too many digits", start) from None
            return Node("number", start, self.pos, number)
        for word, literal in _LITERALS.items():
            after = start + len(word)
            if text.startswith(word, start) and not text[after : after + 1].isalnum():
                self.pos = after
                return Node("literal", start, after, literal)
        raise self.error(f"unexpected character {char!r}, expected a value")

    def string(self) -> str:
        text, start = self.text, self.pos
        i, plain = start + 1, True
        while True:
            i = _STRING_RUN.match(text, i).end()  # type: ignore[union-attr]
            if i >= len(text) or text[i] in "\r\n":
                raise self.error("unterminated string", start)
            char = text[i]
            if char == '"':
                break
            if char == "\\":
                escape = _ESCAPE.match(text, i)
                if not escape:
                    raise self.error("invalid escape in string", i)
                i, plain = escape.end(), False
            elif self.comments:
                i += 1  # JSONC tolerates a raw tab (or other control character) in a string
            else:
                raise self.error(f"control character {char!r} in string", i)
        self.pos = i + 1
        return text[start + 1 : i] if plain else str(_LAX_STRINGS.decode(text[start : self.pos]))

    def member(self, is_object: bool, depth: int) -> Entry:
        """One member (or item) of a container, its comma, and the space after them."""
        text, close = self.text, "}" if is_object else "]"
        if self.pos >= len(text):
            raise self.error(f"unexpected end of text, expected '{close}'")
        start, key = self.pos, None
        if is_object:
            if text[self.pos] != '"':
                raise self.error("expected a property name in double quotes")
            key = self.string()
            self.skip()
            if not text.startswith(":", self.pos):
                raise self.error("expected ':' after the property name")
            self.pos += 1
        entry = Entry(start, self.value(depth + 1), key)
        self.skip()
        if text.startswith(",", self.pos):
            entry.comma = self.pos
            self.pos += 1
            self.skip()
            if text.startswith(close, self.pos) and not self.comments:
                raise self.error("trailing comma is not allowed in strict JSON", entry.comma)
        elif not text.startswith(close, self.pos):
            what = "a property value" if is_object else "an array element"
            raise self.error(f"expected ',' or '{close}' after {what}")
        return entry

    def container(self, depth: int) -> Node:
        text = self.text
        is_object = text[self.pos] == "{"
        close = "}" if is_object else "]"
        node = Node("object" if is_object else "array", self.pos, self.pos, read=True)
        self.pos += 1
        self.skip()
        while not text.startswith(close, self.pos):
            node.entries.append(self.member(is_object, depth))
        self.pos += 1
        node.end = self.pos
        if is_object:
            node.value = {e.key: e.value.value for e in node.entries}
        else:
            node.value = [e.value.value for e in node.entries]
        return node


# -- the fast path: one scan blanks comments (and JSONC's trailing commas) to spaces of the same
# length, so every offset still points into the user's text, and the C ``json`` decoder reads the
# values. Anything it does not accept goes to the parser above, for its exact error (or value).
_STR = r'"[^"\\\r\n]*+(?:\\.[^"\\\r\n]*+)*+"'
_GAPS = r"(?:[ \t\r\n]++|//[^\n]*+|/\*.*?\*/)*+"  # spaces and comments
_COMMA = (  # a comma that is not a trailing one: the quick test (a value follows), or the full
    rf",(?=[ \t\r\n]*+[^ \t\r\n}}\]/])|,(?!{_GAPS}[}}\]])"
)
_SCAN = re.compile(  # a run of anything else, then a comment, or a trailing comma
    # (unrolled: a run, then each string or comma with the run after it; about a quarter
    # faster than one alternation of the three, which took a loop turn for each run)
    rf"[^\"/,]*+(?:(?:{_STR}|{_COMMA})[^\"/,]*+)*+(?:(//[^\n]*|/\*.*?\*/)|(,)|\Z)",
    re.S,
)
_WS = re.compile(r"[ \t\r\n]*")
_BLANKS = re.compile(r"[ \t]*")


def _no_constant(name: str) -> Any:
    raise ValueError(name)  # NaN / Infinity are not JSON


_DECODER = json.JSONDecoder(strict=False, parse_constant=_no_constant)
_STRICT_DECODER = json.JSONDecoder(parse_constant=_no_constant)


class Blanked:
    """``text`` with its comments and trailing commas turned into spaces (same offsets)."""

    def __init__(self, text: str, comments: bool = True) -> None:
        pieces: list[str] = []
        trailing: list[int] = []
        pos = last = 0
        if text.startswith(_BOM):
            pieces.append(" ")
            pos = last = 1
        scan = _SCAN.match  # match, not finditer: a search would try again at every offset
        while True:
            match = scan(text, pos)
            if match is None:  # an unterminated string or comment, a stray '/'
                raise ValueError(pos)
            group = match.lastindex
            if group is None:  # the end
                break
            if not comments:
                raise ValueError(pos)
            start, pos = match.span(group)
            if group == 2:
                if _last_char(pieces, text[last:start]) in "{[,":
                    raise ValueError(start)  # '{,}': a comma that follows no value
                trailing.append(start)
            pieces += (text[last:start], " " * (pos - start))
            last = pos
        pieces.append(text[last:])
        self.text = text
        self.blank = "".join(pieces) if len(pieces) > 1 else text
        self.trailing = trailing

    @classmethod
    def stretch(cls, text: str, start: int, end: int) -> Blanked:
        """``text[start:end]`` blanked alone, at its offsets in ``text`` (what is before it
        is spaces): for a container, which starts and ends outside any string or comment,
        the same as blanking the whole text, in the time of its own length."""
        part = cls(text[start:end])
        whole = cls.__new__(cls)
        whole.text = text
        whole.blank = " " * start + part.blank
        whole.trailing = [offset + start for offset in part.trailing]
        return whole

    def comma_before(self, start: int, end: int) -> int | None:
        """The (blanked) trailing comma between two offsets, if there is one."""
        i = bisect.bisect_left(self.trailing, start)
        return self.trailing[i] if i < len(self.trailing) and self.trailing[i] < end else None


def _last_char(pieces: list[str], tail: str) -> str:
    """The last character that is not a space in ``pieces`` and then ``tail``."""
    i = len(pieces)
    while True:
        stripped = tail.rstrip(" \t\r\n")
        if stripped:
            return stripped[-1]
        if not i:
            return ","  # nothing before it
        i -= 1
        tail = pieces[i]


def fast_loads(text: str, *, allow_comments: bool = True) -> Any:
    """:func:`loads`, at the speed of the C ``json`` decoder for any text it accepts."""
    try:
        blank = Blanked(text, allow_comments).blank
        decoder = _DECODER if allow_comments else _STRICT_DECODER
        value, end = decoder.raw_decode(blank, _WS.match(blank).end())  # type: ignore[union-attr]
        if _WS.match(blank, end).end() != len(blank):  # type: ignore[union-attr]
            raise ValueError(end)
        return value
    except (ValueError, RecursionError):
        return _Parser(text, allow_comments).document().value


def read_indexed(text: str, *, allow_comments: bool = True) -> tuple[Any, Index | None]:
    """:func:`fast_loads`, and an :class:`Index` of ``text`` whose top two levels were read
    in the same pass (None when the exact parser had to read the text)."""
    try:
        index = Index(text, blanked=Blanked(text, allow_comments), strict=not allow_comments)
    except ValueError:
        return _Parser(text, allow_comments).document().value, None
    root = index.root()  # the exact parser's error, if the fast reading fails
    return root.value, index if index.blanked is not None else None


ABSENT_VALUE: Any = object()
STALE: Any = object()  # a container's value once an edit was made inside it (see node_value)


def node_value(text: str, node: Node) -> Any:
    """The value ``node`` holds in ``text``."""
    return fast_loads(text[node.start : node.end]) if node.value is STALE else node.value


class Index:
    """Where things sit in one version of a text, found lazily: a container's own members are
    read (each member's value decoded by the C decoder, which also finds its end) only when a
    path goes through it, and at most once. After an edit, :meth:`update` moves what is known
    to the new text instead of reading the file again."""

    def __init__(
        self,
        text: str,
        value: Any = ABSENT_VALUE,
        blanked: Blanked | None = None,
        *,
        strict: bool = False,
    ) -> None:
        self.text = text
        self._value = value
        self._strict = strict  # strict JSON: no control characters inside strings
        try:
            self.blanked: Blanked | None = blanked if blanked is not None else Blanked(text)
        except ValueError:
            self.blanked = None
        self._root: Node | None = None

    def root(self) -> Node:
        if self._root is None:
            if self.blanked is None:
                self._root = parse_tree(self.text)
            else:
                b = self.blanked.blank
                start = _WS.match(b).end()  # type: ignore[union-attr]
                end = len(b.rstrip(" \t\r\n"))
                value = self._value
                try:
                    root = Node(_kind(b[start]), start, end, value)
                    if value is ABSENT_VALUE and root.kind in ("object", "array"):
                        self._read(root, self.blanked, deep=True)  # member by member, once
                    elif value is ABSENT_VALUE:
                        root.value, root.end = self._decoder().raw_decode(b, start)
                    if root.end != end:
                        raise ValueError(root.end)  # more after the value
                    self._root = root
                except (ValueError, RecursionError, IndexError):
                    self.blanked = None
                    # its exact error, or its tree
                    self._root = parse_tree(self.text, allow_comments=not self._strict)
        return self._root

    def _blank(self) -> str:
        """The blanked current text (made again after an edit, only when it is needed)."""
        if self.blanked is None:
            raise ValueError("no blanked text")
        if self.blanked.text is not self.text:
            self.blanked = Blanked(self.text)
        return self.blanked.blank

    def _blanked_for(self, node: Node) -> Blanked:
        """The blanked text to read ``node``'s members from. After an edit, only the node's
        own stretch is blanked again (:meth:`Blanked.stretch`), not the whole text."""
        if self.blanked is None:
            raise ValueError("no blanked text")
        if self.blanked.text is self.text or node is self._root:
            self._blank()
            return self.blanked
        return Blanked.stretch(self.text, node.start, node.end)

    def children(self, node: Node) -> Node:
        """``node`` with its members read (containers only). The top level's containers have
        theirs read with it: that finds where each ends without decoding it twice."""
        if node.kind not in ("object", "array") or node.read:
            return node
        self._read(node, self._blanked_for(node), deep=node is self._root)
        return node

    def _decoder(self) -> json.JSONDecoder:
        return _STRICT_DECODER if self._strict else _DECODER

    def _read(self, node: Node, blanked: Blanked, deep: bool) -> None:
        """Read container ``node``'s members from the ``blanked`` text, checking the syntax
        between them (each value is checked by the C decoder that reads it); with ``deep``,
        the members' own containers too. Their values make ``node``'s: each byte is decoded
        once. Malformed text raises ValueError or IndexError."""
        b = blanked.blank
        is_object = node.kind == "object"
        close = "}" if is_object else "]"
        decode, strict, ws = self._decoder().raw_decode, self._strict, _WS.match
        pos = ws(b, node.start + 1).end()  # type: ignore[union-attr]
        entries: list[Entry] = []
        while b[pos] != close:
            start, key = pos, None
            if is_object:
                if b[pos] != '"':
                    raise ValueError(pos)
                key, pos = json.decoder.scanstring(b, pos + 1, strict)  # type: ignore[attr-defined]
                pos = ws(b, pos).end()  # type: ignore[union-attr]
                if b[pos] != ":":
                    raise ValueError(pos)
                pos = ws(b, pos + 1).end()  # type: ignore[union-attr]
            if deep and b[pos] in "{[":
                value = Node(_kind(b[pos]), pos, pos, STALE)
                self._read(value, blanked, False)
            else:
                raw, end = decode(b, pos)
                value = Node(_kind(b[pos]), pos, end, raw)
            entry = Entry(start, value, key)
            entries.append(entry)
            pos = ws(b, value.end).end()  # type: ignore[union-attr]
            if b[pos] == ",":
                entry.comma = pos
                pos = ws(b, pos + 1).end()  # type: ignore[union-attr]
                if b[pos] == close:
                    raise ValueError(pos)  # a trailing comma the blanking did not take
            elif b[pos] == close:
                entry.comma = blanked.comma_before(value.end, pos)
            else:
                raise ValueError(pos)
        node.entries, node.read, node.end = entries, True, pos + 1
        if is_object:
            node.value = {e.key: e.value.value for e in entries}
        else:
            node.value = [e.value.value for e in entries]
        _rekey(node)

    def index(self, node: Node, part: PathPart) -> int | None:
        if node.kind == "object" and isinstance(part, str) and node.keys is not None:
            return node.keys.get(part)
        return _index(node, part)

    def find(self, path: Sequence[PathPart]) -> tuple[list[Node], Node | None]:
        try:
            return self._find(path)
        except (ValueError, RecursionError, IndexError):
            self.blanked, self._root = None, parse_tree(self.text)
            return _find(self._root, path)

    def _find(self, path: Sequence[PathPart]) -> tuple[list[Node], Node | None]:
        chain = [self.children(self.root())]
        for part in path:
            index = self.index(chain[-1], part)
            if index is None:
                return chain, None
            chain.append(self.children(chain[-1].entries[index].value))
        return chain, chain[-1]

    def update(self, text: str) -> None:
        """Follow an edit that made ``text`` of this index's text: the nodes before the
        changed stretch stay, those after it move, and only the members of a container that
        the change touches are read again (from the new text). Anything unusual: start over."""
        from optscale_cli.edit.diffs import common_prefix, common_suffix

        old = self.text
        if text is old:
            return
        p = common_prefix(old, 0, len(old), text, 0, len(text))
        if p == len(old) == len(text):  # the same text, another string: nothing moves
            self.text = text
            return
        s = common_suffix(old, p, len(old), text, p, len(text))
        self.text, self._value = text, ABSENT_VALUE
        root = self._root
        try:
            if root is not None and _Mover(text, p, len(old) - s, len(text) - s).move(root):
                return
        except (JsoncError, RecursionError, IndexError):
            pass
        self.__init__(text)  # type: ignore[misc]


def _rekey(node: Node) -> None:
    if node.kind == "object":
        node.keys = {e.key: i for i, e in enumerate(node.entries)}  # type: ignore[misc]


def _limit(entry: Entry) -> int:
    return entry.value.end if entry.comma is None else entry.comma


class _Mover:
    """Moves known nodes from the old text to the new one, where ``old[p:q_old]`` became
    ``new[p:q_new]`` and everything else is the same."""

    def __init__(self, new: str, p: int, q_old: int, q_new: int) -> None:
        self.new, self.p, self.q_old, self.q_new = new, p, q_old, q_new
        self.delta = q_new - q_old

    def shift(self, entry: Entry) -> None:
        delta = self.delta
        entry.start += delta
        if entry.comma is not None:
            entry.comma += delta
        todo = [entry.value]
        while todo:
            node = todo.pop()
            node.start, node.end = node.start + delta, node.end + delta
            for inner in node.entries if node.read else ():
                inner.start += delta
                inner.comma = None if inner.comma is None else inner.comma + delta
                todo.append(inner.value)

    def move(self, node: Node) -> bool:
        """Move container ``node``, which must hold the change strictly inside its brackets."""
        if node.kind not in ("object", "array") or not node.start < self.p <= self.q_old < node.end:
            return False
        node.end += self.delta
        node.value = STALE
        if not node.read:
            return self._still_one_value(node)
        entries = node.entries
        i = bisect.bisect_left(entries, self.p, key=_limit)
        if i < len(entries) and entries[i].value.start < self.p and self.move(entries[i].value):
            entry = entries[i]  # the change is inside this member's value: only it moves
            if entry.comma is not None:
                entry.comma += self.delta
            for later in entries[i + 1 :]:
                self.shift(later)
            return True
        if i > 0 and entries[i - 1].comma is None:
            i -= 1
        self.reread(node, i)
        return True

    def _still_one_value(self, node: Node) -> bool:
        """Whether unread container ``node`` is still one value, ending where it moved to.
        The change is found by comparing bytes, so a value replaced whole can look like a
        change inside it (``{}`` made ``{"k": 1}, "y": {"m": 2}`` "inside" ``{}``): then
        its end is not where it moved to, and the index starts over."""
        parser = _Rereader(self.new, True)
        parser.pos = node.start
        try:
            return parser.value(0).end == node.end
        except (JsoncError, RecursionError, IndexError):
            return False

    def reread(self, node: Node, i: int) -> None:
        """Read ``node``'s members again from its ``i``-th, until they are the old ones."""
        entries, is_object = node.entries, node.kind == "object"
        parser = _Rereader(self.new, True)
        parser.pos = node.start + 1 if i == 0 else entries[i - 1].comma + 1  # type: ignore[operator]
        parser.skip()
        later = {e.start + self.delta: k for k, e in enumerate(entries) if e.start >= self.q_old}
        fresh = entries[:i]
        close = "}" if is_object else "]"
        while True:
            if parser.pos >= self.q_new and parser.pos in later:
                rest = entries[later[parser.pos] :]
                for entry in rest:
                    self.shift(entry)
                fresh += rest
                break
            if self.new.startswith(close, parser.pos):
                if parser.pos != node.end - 1:
                    raise JsoncError("lost track of the edit", 1, 1)
                break
            fresh.append(parser.member(is_object, 0))
        node.entries = fresh
        _rekey(node)


class _Rereader(_Parser):
    """The exact parser for the members an edit touched, except that a container among them
    that is plain JSON (as everything we write is) is decoded by the C decoder and its own
    members are left to be read when a path goes through it: a new object of 10,000 models
    is not walked character by character."""

    def value(self, depth: int) -> Node:
        self.skip()
        start = self.pos
        if self.text[start : start + 1] in ("{", "["):
            try:
                value, end = _DECODER.raw_decode(self.text, start)
            except (ValueError, RecursionError):  # comments, a trailing comma: read exactly
                pass
            else:
                self.pos = end
                return Node(_kind(self.text[start]), start, end, value)
        return super().value(depth)


_KINDS = {  # a value's kind by its first character (anything else: a number)
    **{"{": "object", "[": "array", '"': "string"},
    **dict.fromkeys("tfn", "literal"),
}


def _kind(char: str) -> str:
    return _KINDS.get(char, "number")


def parse_tree(text: str, *, allow_comments: bool = True) -> Node:
    """Parse ``text`` into a tree of :class:`Node` that records where each value sits."""
    return _Parser(text, allow_comments).document()


def loads(text: str, *, allow_comments: bool = True) -> Any:
    """Parse JSONC (or strict JSON with ``allow_comments=False``) into plain Python values."""
    return parse_tree(text, allow_comments=allow_comments).value


def _index(node: Node, part: PathPart) -> int | None:
    """Which entry of ``node`` ``part`` names (the last one, for a repeated key)."""
    if node.kind == "object" and isinstance(part, str):
        for i in range(len(node.entries) - 1, -1, -1):
            if node.entries[i].key == part:
                return i
    elif node.kind == "array" and isinstance(part, int) and not isinstance(part, bool):
        return part % len(node.entries) if -len(node.entries) <= part < len(node.entries) else None
    return None


def _find(root: Node, path: Sequence[PathPart]) -> tuple[list[Node], Node | None]:
    """The nodes that exist along ``path`` (root first), and the target (None if missing)."""
    chain = [root]
    for part in path:
        index = _index(chain[-1], part)
        if index is None:
            return chain, None
        chain.append(chain[-1].entries[index].value)
    return chain, chain[-1]


def get_value(text: str, path: Sequence[PathPart]) -> Any:
    """The value at ``path``; KeyError if there is none."""
    _, node = _find(parse_tree(text), path)
    if node is None:
        raise KeyError(list(path))
    return node.value


def locate(text: str, path: Sequence[PathPart]) -> tuple[int, int]:
    """1-based line and column where the value at ``path`` is named (its key, for a member)."""
    chain, node = _find(parse_tree(text), path)
    if node is None:
        raise KeyError(list(path))
    if path:
        parent = chain[-2]
        start = parent.entries[_index(parent, path[-1])].start  # type: ignore[index]
        return _position(text, start)
    return _position(text, node.start)


def _line_indent(text: str, offset: int) -> str:
    match = _INDENT.match(text, text.rfind("\n", 0, offset) + 1)
    return match.group(1) if match else ""


def _first_on_line(text: str, offset: int) -> bool:
    return not text[text.rfind("\n", 0, offset) + 1 : offset].strip(" \t" + _BOM)


_OPENER = re.compile(r"[\[{][ \t]*\r?\n([ \t]*)(?=\S)")  # a bracket ending its line
_LEAD = re.compile(r"[ \t]*")


def fast_indent(text: str, blank: str | None = None) -> str:
    """:func:`detect_indent` for a big file: the step after lines that open a container
    (comments blanked), from its first lines."""
    if len(text) <= 65536 or blank is None:
        return detect_indent(text)
    steps: Counter[str] = Counter()
    for n, match in enumerate(_OPENER.finditer(blank, 0, 1 << 18)):
        if n == 40:  # plenty to go by
            break
        line_start = blank.rfind("\n", 0, match.start()) + 1
        base = _LEAD.match(blank, line_start).group()  # type: ignore[union-attr]
        lead = match.group(1)
        if lead.startswith(base) and lead != base:
            steps[lead[len(base) :]] += 1
    return _common_step(steps) if steps else detect_indent(text)


def detect_indent(text: str) -> str:
    """The file's indentation unit: the most common step between nested lines (tabs if the file
    indents with tabs), two spaces when there is nothing to go by."""
    steps: Counter[str] = Counter()
    try:
        todo = [parse_tree(text)]
    except JsoncError:
        todo = []
    while todo:
        node = todo.pop()
        base = _line_indent(text, node.start)
        for entry in node.entries:
            todo.append(entry.value)
            lead = _line_indent(text, entry.start)
            if _first_on_line(text, entry.start) and lead.startswith(base) and lead != base:
                steps[lead[len(base) :]] += 1
    if not steps:  # unparsable or flat: look at the lines themselves
        lines = [line for line in text.splitlines() if line.strip()]
        leads = [line[: len(line) - len(line.lstrip(" \t"))] for line in lines]
        leads = [lead for lead in leads if lead]
        if any(lead.startswith("\t") for lead in leads):
            return "\t"
        return min(leads, key=len, default="  ")
    return _common_step(steps)


def _common_step(steps: Counter[str]) -> str:
    """Tabs if any step between nested lines is one, else the most common step (the shorter
    of two as common)."""
    if any(step.startswith("\t") for step in steps):
        return "\t"
    return max(steps, key=lambda step: (steps[step], -len(step)))


def _newline(text: str) -> str:
    """The file's line ending, judged by its first line."""
    first = text.find("\n")
    return "\r\n" if first > 0 and text[first - 1] == "\r" else "\n"


class _Unusual(Exception):
    """A value :func:`dumps_indented` leaves to json.dumps."""


_ENCODE = json.encoder.encode_basestring  # what json.dumps(ensure_ascii=False) writes


def dumps_indented(value: Any, unit: str, *, allow_nan: bool = False) -> str:
    """``json.dumps(value, indent=unit, ensure_ascii=False, allow_nan=allow_nan)``, the same
    text, several times faster for plain JSON data (a 10,000-model object): the pure-Python
    encoder json.dumps uses whenever it indents is built from generators. Anything but
    dicts with text keys, lists, text, ints, finite floats, booleans and null (a subclass,
    a circular or very deep value, NaN) is left to json.dumps, errors and all."""
    parts: list[str] = []
    try:
        _indented(value, unit, "\n", parts)
    except (_Unusual, RecursionError):
        return json.dumps(value, ensure_ascii=False, indent=unit, allow_nan=allow_nan)
    return "".join(parts)


def _indented(value: Any, unit: str, newline: str, parts: list[str]) -> None:
    """``value`` onto ``parts``; ``newline``: a newline and the indentation of its level."""
    kind = type(value)
    if kind is str:
        parts.append(_ENCODE(value))
    elif kind is dict or kind is list:
        if not value:
            parts.append("{}" if kind is dict else "[]")
            return
        inner = newline + unit
        close = newline + ("}" if kind is dict else "]")
        parts.append("{" if kind is dict else "[")
        lead = inner
        for key in value:
            if kind is dict:
                if type(key) is not str:
                    raise _Unusual
                item = value[key]
                if type(item) is str:  # the common leaf, without a call
                    parts += (lead, _ENCODE(key), ": ", _ENCODE(item))
                else:
                    parts += (lead, _ENCODE(key), ": ")
                    _indented(item, unit, inner, parts)
            else:
                parts.append(lead)
                _indented(key, unit, inner, parts)
            lead = "," + inner
        parts.append(close)
    elif value is None or kind is bool:
        parts.append("null" if value is None else "true" if value else "false")
    elif kind is int:
        parts.append(int.__repr__(value))
    elif kind is float and math.isfinite(value):
        parts.append(float.__repr__(value))
    else:
        raise _Unusual


def _dump(value: Any, unit: str | None = None) -> str:
    try:
        if unit is not None:
            return dumps_indented(value, unit)
        return json.dumps(value, ensure_ascii=False, indent=unit, allow_nan=False)
    except ValueError as exc:
        raise ValueError(f"cannot write {value!r} as JSON: {exc}") from None


def as_written(value: Any) -> Any:
    """``value`` as a file will say it once written (tuples become lists, keys text, ...);
    a value JSON cannot hold (NaN, infinity, an object) raises ValueError or TypeError.
    Plain JSON data (dicts with text keys, lists, text, ints, finite floats, booleans, null:
    what an edit sets) is copied as it is, three times faster than written and read back (a
    connect's 10,000 models: 17 against 6 ms); anything else is written and read back."""
    try:
        return _plain_copy(value, 0)
    except _Unusual:
        return json.loads(_dump(value))


_PLAIN_DEPTH = 100  # deeper: written and read back, refused (RecursionError) where it was
_PLAIN_INT_BITS = 3_000  # longer: written and read back (Python writes no int over 4,300 digits)


def _plain_copy(value: Any, depth: int) -> Any:
    """A copy of plain JSON data, equal to ``json.loads(json.dumps(value))`` (the same types
    and values); anything else (and anything very deep or long) raises _Unusual."""
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return value
    if kind is int:
        if value.bit_length() > _PLAIN_INT_BITS:
            raise _Unusual
        return value
    if depth >= _PLAIN_DEPTH:
        raise _Unusual
    if kind is dict:
        copied = {}
        for key, item in value.items():
            if type(key) is not str:
                raise _Unusual
            copied[key] = item if type(item) is str else _plain_copy(item, depth + 1)
        return copied
    if kind is list:
        return [_plain_copy(item, depth + 1) for item in value]
    if kind is float and math.isfinite(value):
        return value
    raise _Unusual


def _render(value: Any, base: str, unit: str, newline: str, compact: bool) -> str:
    if compact:
        return _dump(value)
    return _dump(value, unit).replace("\n", newline + base)


def _dump_like(text: str, parent: Node, value: Any) -> str:
    """``value`` on one line, spaced like the container it goes into."""
    colon, comma = _separators(text, parent)
    if (colon, comma) == (": ", ", "):
        return _dump(value)
    return json.dumps(value, ensure_ascii=False, separators=(comma, colon), allow_nan=False)


def _same(old: Any, new: Any) -> bool:
    """Equal as JSON values, telling ``true`` from ``1`` and ``1`` from ``1.0``."""
    return json.dumps(old, sort_keys=True) == json.dumps(new, sort_keys=True)


def _describe(path: Sequence[PathPart], node: Node) -> str:
    where = "/".join(str(p) for p in path) or "the top level"
    kind = {"object": "an object", "array": "an array", "number": "a number"}
    return f"{where} is {kind.get(node.kind, 'a ' + node.kind)}"


def _line_rest(text: str, offset: int, *, through_blocks: bool) -> tuple[int, int | None]:
    """Skip spaces and comments from ``offset`` to the end of its line. Returns ``(at, token)``:
    ``at`` is the line break (or the end of the last comment skipped) and ``token`` the offset of
    what follows on the same line, if anything (a multi-line ``/* */`` counts as a token unless
    ``through_blocks``)."""
    i = at = offset
    while i < len(text):
        if text[i] in " \t":
            i += 1
        elif text[i] in "\r\n":
            return i, None
        elif text.startswith("//", i):
            end = text.find("\n", i)
            end = len(text) if end < 0 else end
            return (end - 1 if text[end - 1] == "\r" else end), None
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2) + 2
            if not through_blocks and text.find("\n", i, end) >= 0:
                return at, i
            i = at = end
        else:
            return at, i
    return len(text), None


def set_value(
    text: str,
    path: Sequence[PathPart],
    value: Any,
    *,
    indent: str | None = None,
    index: Index | None = None,
    written: bool = False,
) -> str:
    """Return ``text`` with the value at ``path`` set to ``value``; missing objects on the way are
    created, and everything else is left byte for byte. ``index``: positions in ``text``, when
    the caller has them already; ``written``: ``value`` is :func:`as_written`'s already (not
    written and read again: a connect's 10,000 models took 16 ms)."""
    path = list(path)
    index = index if index is not None and index.text == text else Index(text)
    root = index.root()
    wanted = value if written else as_written(value)
    unit = detect_indent(text) if indent is None else indent
    newline = _newline(text)
    chain, node = index.find(path)
    if node is not None:
        if _same(node_value(text, node), wanted):
            return text
        container = chain[-2] if len(chain) > 1 else root
        compact = text.find("\n", container.start, container.end) < 0
        rendered = _render(wanted, _line_indent(text, node.start), unit, newline, compact)
        return "".join((text[: node.start], rendered, text[node.end :]))
    depth = len(chain) - 1
    parent, part, rest = chain[-1], path[depth], path[depth + 1 :]
    for later in reversed(rest):
        if not isinstance(later, str):
            raise TypeError(f"cannot create item {later!r} in a list that does not exist")
        wanted = {later: wanted}
    index_ok = isinstance(part, int) and not isinstance(part, bool)
    if parent.kind == "object" and isinstance(part, str):
        prefix = _dump(part) + _separators(text, parent)[0]
    elif parent.kind == "array" and index_ok:
        if part != len(parent.entries):
            raise IndexError(f"{_describe(path[:depth], parent)} without an item {part!r}")
        prefix = ""  # appending: the index is the array's length
    else:
        raise TypeError(
            f"{_describe(path[:depth], parent)}, not {'an array' if index_ok else 'an object'}"
        )
    enclosing = chain[-2] if len(chain) > 1 else None
    return _insert(text, parent, enclosing, prefix, wanted, unit, newline)


def _insert(
    text: str,
    parent: Node,
    enclosing: Node | None,
    prefix: str,
    value: Any,
    unit: str,
    newline: str,
) -> str:
    """Add ``prefix + value`` as the last entry of ``parent``."""
    entries = parent.entries
    last = entries[-1] if entries else None
    one_line = text.find("\n", parent.start, parent.end) < 0
    if one_line and (last or (enclosing and text.find("\n", enclosing.start, enclosing.end) < 0)):
        item = prefix + _dump_like(text, parent, value)  # a one-line object stays on one line
        comma = _separators(text, parent)[1]
        if last and last.comma is not None:
            return "".join((text[: last.comma + 1], comma[1:], item, ",", text[last.comma + 1 :]))
        if last:
            return "".join((text[: last.value.end], comma, item, text[last.value.end :]))
        inner = text[parent.start + 1 : parent.end - 1]
        at = parent.start + 1
        if not inner.strip():
            return "".join((text[:at], item, text[parent.end - 1 :]))
        return "".join((text[:at], item, " ", text[at:]))
    base = _line_indent(text, parent.start)
    if last:
        first = _first_on_line(text, last.start)
        child = _line_indent(text, last.start) if first else base + unit
        after = last.value.end if last.comma is None else last.comma + 1
    else:
        child, after = base + unit, parent.start + 1
    trailing = last is not None and last.comma is not None  # keep the file's comma style
    rendered = _render(value, child, unit, newline, compact=False)
    new = f"{newline}{child}{prefix}{rendered}" + ("," if trailing else "")
    at, token = _line_rest(text, after, through_blocks=True)
    # the closing bracket on this line gets a line of its own
    rest = (text[at:],) if token is None else (newline, base, text[token:])
    if last and not trailing:  # a comma after the last value, which ends at or before `at`
        end = last.value.end
        return "".join((text[:end], ",", text[end:at], new, *rest))
    return "".join((text[:at], new, *rest))  # one copy of the text, not one per piece


def remove_value(text: str, path: Sequence[PathPart], index: Index | None = None) -> str:
    """Return ``text`` without the member or item at ``path`` (unchanged if there is none)."""
    path = list(path)
    if not path:
        raise TypeError("cannot remove the whole document")
    while True:  # a repeated key is removed everywhere
        index = index if index is not None and index.text == text else Index(text)
        chain, node = index.find(path)
        if node is None:
            return text
        parent = chain[-2]
        text = _remove(text, parent, _index(parent, path[-1]))  # type: ignore[arg-type]
        if sum(entry.key == path[-1] for entry in parent.entries) < 2:  # (always, in an array)
            return text
        index = None


def _remove(text: str, parent: Node, index: int) -> str:
    entries = parent.entries
    entry = entries[index]
    start = entry.start
    end = entry.value.end if entry.comma is None else entry.comma + 1
    edits = []
    if entry.comma is None and index > 0:  # the one before becomes the last: drop its comma
        comma = entries[index - 1].comma
        assert comma is not None
        edits.append((comma, comma + 1))
    at, token = _line_rest(text, end, through_blocks=False)
    first = _first_on_line(text, start)
    before = parent.start + 1 if index == 0 else entries[index - 1].comma + 1  # type: ignore[operator]
    if first and token is None:
        # alone on its line(s): drop them (with a comment on its last line), from the line break
        end, start = at, text.rfind("\n", 0, start)
        start -= 1 if start > 0 and text[start - 1] == "\r" else 0
    elif first and text[token] in "}]" and not text[before:start].strip():  # type: ignore[index]
        start = before  # the closing bracket moves up to the line before
    elif first or index == 0:
        while end < len(text) and text[end] in " \t":
            end += 1
    else:
        while text[start - 1] in " \t":
            start -= 1
    edits.append((start, end))
    removed = 0
    for cut_start, cut_end in sorted(edits, reverse=True):
        text = text[:cut_start] + text[cut_end:]
        removed += cut_end - cut_start
    close = parent.end - removed - 1
    if len(entries) == 1 and not text[parent.start + 1 : close].strip():
        text = text[: parent.start + 1] + text[close:]  # the emptied container becomes {} or []
    return text


def insert_before(
    text: str, path: Sequence[PathPart], value: Any, following: str, raw: str | None = None
) -> str:
    """Return ``text`` with member ``path`` (absent now) put back just before its sibling
    ``following``, where it was before it was removed; ``raw`` is its value as written then.
    KeyError when there is no such sibling."""
    path = list(path)
    _chain, node = _find(parse_tree(text), path[:-1])
    if node is None or node.kind != "object" or not isinstance(path[-1], str):
        raise KeyError(path)
    index = _index(node, following)
    if index is None or _index(node, path[-1]) is not None:
        raise KeyError(path)
    entry = node.entries[index]
    newline = _newline(text)
    indent = _line_indent(text, entry.start)
    if raw is None:
        compact = text.find("\n", node.start, node.end) < 0
        raw = _render(as_written(value), indent, detect_indent(text), newline, compact)
    colon, comma = _separators(text, node)
    item = _dump(path[-1]) + colon + raw
    glue = f",{newline}{indent}" if _first_on_line(text, entry.start) else comma
    return "".join((text[: entry.start], item, glue, text[entry.start :]))


def _separators(text: str, node: Node) -> tuple[str, str]:
    """How this object writes ``key: value`` and ``, `` between members on one line: as its
    own members do (a compact file stays compact), else the common ``": "`` and ``", "``."""
    colon, comma = ": ", ", "
    for entry in node.entries:
        if entry.key is not None:
            between = text[entry.start : entry.value.start]
            colon = between[between.rfind('"') + 1 :] or colon
            break
    # a comma between two members (not a trailing one); the first members show the style
    for entry in node.entries[: min(len(node.entries) - 1, 64)]:
        if entry.comma is not None:
            after = entry.comma + 1
            gap = _BLANKS.match(text, after).end() - after  # type: ignore[union-attr]
            if text[after + gap : after + gap + 1] not in ("\n", "\r", "/"):
                comma = "," + text[after : after + gap]
                break
    return colon, comma
