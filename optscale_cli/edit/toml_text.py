"""TOML located as text: where each ``[table]`` header and each ``key = value`` sits.

A small scanner (the file has already been parsed by tomli, so it is valid TOML): it knows
strings of all four kinds, comments, and arrays / inline tables spanning lines, and records
every statement's full key path (its table's path plus its own, dotted, key) and offsets.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, overload

_BARE = re.compile(r"[A-Za-z0-9_-]+")
_ESCAPES = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", '"': '"', "\\": "\\"}


@dataclass(slots=True)
class Statement:
    kind: str  # "header" or "kv"
    line: int  # start of its first line
    end: int  # past the line break of its last line (or the end of the text)
    path: tuple[str, ...]  # full key path (a header: the table's path)
    array: bool = False  # a [[header]], or a key under one
    vstart: int = 0
    vend: int = 0
    table: tuple[str, ...] = ()  # for a kv: the path of the table it sits in
    keystart: int = 0


class ScanError(ValueError):
    pass


_WS = re.compile(r"[ \t]*")
_PLAIN = re.compile(r'[^"\\\r\n]*')  # a basic string's run without quote, escape, line break
_SCALAR = re.compile(r"[^,\]}#\r\n]*")
# what follows a multi-line string's opening quotes, up to and with its closing run, which
# may hold up to two more quotes (`""""` ends a string whose last character is a quote)
_MULTILINE_BASIC_REST = re.compile(r'(?:[^"\\]++|\\[\s\S]|"(?!""))*+"""(?:"{0,2})')
_CLOSING_QUOTES = re.compile(r"'{0,2}")
_GAP = re.compile(r"(?:[ \t\r\n,]+|#[^\n]*)*")
# The common lines, each in one match of _LINE: a bare (maybe dotted) key set to a one-line
# value (a string, a number, a boolean, a date, a flat inline table) or to a flat array (over
# lines or not), and a [header] of bare keys; then spaces, maybe a comment, the line break;
# and runs of blank and comment lines. Each repetition is unrolled (`a*(?:b a*)*`, not
# `(?:a|b)*`) so that the engine takes a run of plain characters in one step. Anything else is
# read by the general code below.
_DOTTED = r"[A-Za-z0-9_-]+(?:[ \t]*\.[ \t]*[A-Za-z0-9_-]+)*"
_LINE_END = r"[ \t]*(?:#[^\n]*)?(?:\r?\n|\Z)"
_ONE_LINE_STR = r"\"[^\"\\\r\n]*(?:\\[^\r\n][^\"\\\r\n]*)*\"(?!\")|'[^'\r\n]*'(?!')"
_FLAT_CHARS = r"[^{}\[\]\"'#\r\n]*"
_FLAT = rf"{_FLAT_CHARS}(?:(?:{_ONE_LINE_STR}){_FLAT_CHARS})*"
_SCALAR_WORD = r"[^,\]}#\r\n \t]+"
# an array may go on over lines, with comments; possessive (`*+`): a comment's text also fits
# _LINES_CHARS, and backtracking into it tried every way to split each comment (exponential
# in their number) and could end the array at a `]` in a comment
_LINES_CHARS = r"[^{}\[\]\"'#]*+"
_FLAT_LINES = rf"{_LINES_CHARS}(?:(?:{_ONE_LINE_STR}|#[^\n]*+){_LINES_CHARS})*+"
_VALUE_TEXT = (
    rf"{_ONE_LINE_STR}|\[{_FLAT_LINES}\]|\{{{_FLAT}\}}"
    rf"|(?![\"'\[{{]){_SCALAR_WORD}(?:[ \t]+{_SCALAR_WORD})*"
)
_LINE = re.compile(  # never fails: an empty match is a line of another kind
    r"(?:[ \t\r]*+(?:#[^\n]*+)?+\n)*+"  # blank and comment lines, then maybe a statement:
    rf"(?:()[ \t]*(?:({_DOTTED})[ \t]*=[ \t]*({_VALUE_TEXT})"  # 1: its line, 2: key, 3: value
    rf"|\[(?!\[)[ \t]*({_DOTTED})[ \t]*\]){_LINE_END})?"  # 4: a table's name
)
_LINE_START, _KEY, _VALUE, _TABLE = 1, 2, 3, 4


def _skip_ws(text: str, i: int) -> int:
    return _WS.match(text, i).end()  # type: ignore[union-attr]


def _basic(text: str, i: int) -> tuple[str, int]:
    """A "basic" string starting at ``i`` (the quote): its value and the offset past it."""
    out, i = [], i + 1
    while True:
        run = _PLAIN.match(text, i).end()  # type: ignore[union-attr]
        if run > i:
            out.append(text[i:run])
            i = run
        ch = text[i]
        if ch == '"':
            return "".join(out), i + 1
        if ch == "\\":
            code = text[i + 1]
            if code in _ESCAPES:
                out.append(_ESCAPES[code])
                i += 2
            elif code in "uU":
                size = 4 if code == "u" else 8
                out.append(chr(int(text[i + 2 : i + 2 + size], 16)))
                i += 2 + size
            else:
                raise ScanError("bad escape")
        elif ch in "\r\n":
            raise ScanError("unterminated string")
        else:
            out.append(ch)
            i += 1


def _key(text: str, i: int) -> tuple[tuple[str, ...], int]:
    parts: list[str] = []
    while True:
        i = _skip_ws(text, i)
        if text.startswith('"', i):
            part, i = _basic(text, i)
        elif text.startswith("'", i):
            end = text.index("'", i + 1)
            part, i = text[i + 1 : end], end + 1
        else:
            match = _BARE.match(text, i)
            if not match:
                raise ScanError("expected a key")
            part, i = match.group(), match.end()
        parts.append(part)
        i = _skip_ws(text, i)
        if not text.startswith(".", i):
            return tuple(parts), i
        i += 1


def _skip_string(text: str, i: int) -> int:
    quote = text[i]
    if text.startswith(quote * 3, i):
        if quote == "'":
            end = text.find("'''", i + 3)
            found = None if end < 0 else _CLOSING_QUOTES.match(text, end + 3)
        else:
            found = _MULTILINE_BASIC_REST.match(text, i + 3)
        if found is None:
            raise ScanError("unterminated string")
        return found.end()
    if quote == "'":
        return text.index("'", i + 1) + 1
    return _basic(text, i)[1]


def _skip_value(text: str, i: int) -> int:
    """The offset just past the value starting at ``i``."""
    ch = text[i]
    if ch in "\"'":
        return _skip_string(text, i)
    if ch in "[{":
        close = "]" if ch == "[" else "}"
        i += 1
        while True:
            i = _GAP.match(text, i).end()  # type: ignore[union-attr]
            if text[i] == close:
                return i + 1
            if ch == "{":
                _, i = _key(text, i)
                i = _skip_ws(text, i)
                if text[i] != "=":
                    raise ScanError("expected '='")
                i = _skip_ws(text, i + 1)
            i = _skip_value(text, i)
    j = _SCALAR.match(text, i).end()  # type: ignore[union-attr]
    if j == i:  # not even a value: nothing the parser read (it never gets here), so no loop
        raise ScanError("expected a value")
    while j > i and text[j - 1] in " \t":
        j -= 1
    return j


def _rest_of_line(text: str, i: int) -> int:
    i = _skip_ws(text, i)
    if i < len(text) and text[i] == "#":
        newline = text.find("\n", i)
        return len(text) if newline < 0 else newline + 1
    if i < len(text) and text[i] == "\r":
        i += 1
    if i < len(text) and text[i] == "\n":
        return i + 1
    if i >= len(text):
        return i
    raise ScanError("unexpected text after a value")


def scan(text: str) -> list[Statement]:
    """Every header and key/value statement of ``text``, in order."""
    start = 1 if text.startswith("\ufeff") else 0
    return _scan(text, start, (), False, _nothing_known, len(text))[0]


def _nothing_known(offset: int) -> None:
    """A whole scan knows no statement from before."""
    return None


def _scan(
    text: str,
    i: int,
    table: tuple[str, ...],
    array: bool,
    known: Callable[[int], Statement | None],
    after: int,
) -> tuple[list[Statement], int | None]:
    """The statements from ``i`` (a line start, in ``table``), up to the first line at or
    past ``after`` that ``known`` gives a statement for, in the same table: that line's offset
    (None: scanned to the end)."""
    found: list[Statement] = []
    while i < len(text):
        line = i
        old = known(i) if i >= after else None
        if old is not None and (old.kind == "header" or (old.table, old.array) == (table, array)):
            return found, i
        at = i
        i, table, array = _common_lines(
            text, i, table, array, found, i + 1 if i >= after else after
        )
        if i != at:
            continue
        i = _skip_ws(text, i)
        if i >= len(text):
            break
        if text[i] in "\r\n#":
            newline = text.find("\n", i)
            i = len(text) if newline < 0 else newline + 1
            continue
        if text[i] == "[":
            array = text.startswith("[[", i)
            path, i = _key(text, i + (2 if array else 1))
            close = "]]" if array else "]"
            if not text.startswith(close, i):
                raise ScanError("expected ']'")
            end = _rest_of_line(text, i + len(close))
            table = path
            found.append(Statement("header", line, end, path, array))
            i = end
            continue
        keystart = i
        key, i = _key(text, i)
        if not text.startswith("=", i):
            raise ScanError("expected '='")
        vstart = _skip_ws(text, i + 1)
        vend = _skip_value(text, vstart)
        end = _rest_of_line(text, vend)
        found.append(Statement("kv", line, end, table + key, array, vstart, vend, table, keystart))
        i = end
    return found, None


def _common_lines(
    text: str, i: int, table: tuple[str, ...], array: bool, found: list[Statement], stop: int
) -> tuple[int, tuple[str, ...], bool]:
    """The common lines (see _LINE) from line start ``i`` on, added to ``found``, up to the
    first other line or the first line at or past ``stop``: where that line starts, and the
    table (and whether an array's) it is in."""
    append = found.append
    for common in _LINE.finditer(text, i):
        end, kind = common.end(), common.lastindex
        if end == i:  # the line at i is not a common one
            break
        if kind == _VALUE:
            key = common[_KEY]
            path = _dotted(key) if "." in key else (key,)
            vstart, vend = common.span(_VALUE)
            keystart = common.start(_KEY)
            line = common.start(_LINE_START)
            append(Statement("kv", line, end, table + path, array, vstart, vend, table, keystart))
        elif kind == _TABLE:
            table, array = _dotted(common[_TABLE]), False
            append(Statement("header", common.start(_LINE_START), end, table, False))
        i = end
        if i >= stop:
            break
    return i, table, array


def _dotted(key: str) -> tuple[str, ...]:
    """The parts of a dotted key of bare keys, spaces around the dots or not."""
    parts = key.split(".")
    return tuple(part.strip(" \t") for part in parts) if " " in key or "\t" in key else tuple(parts)


class Statements(Sequence[Statement]):
    """The statements of a text, in order. Those after an edit's change are the text's before
    it (``tail``), each moved by the change in length (``delta``) when it is first read: a
    walk that stops early (a top-level key is near the start) leaves the rest unmade, which
    in a big file is most of the time an edit takes. Random access makes them all."""

    __slots__ = ("_delta", "_made", "_tail", "_taken")

    def __init__(
        self, made: list[Statement], tail: Sequence[Statement] = (), delta: int = 0
    ) -> None:
        self._made, self._tail, self._delta, self._taken = made, tail, delta, 0

    def __iter__(self) -> Iterator[Statement]:
        if self._taken >= len(self._tail):  # all made: the list's own iterator
            return iter(self._made)
        return self._walk()

    def _walk(self) -> Iterator[Statement]:
        made = self._made
        yield from made  # a list's iterator also takes what another walk makes meanwhile
        at = len(made)
        while True:
            if at < len(made):
                yield made[at]
                at += 1
            elif not self._make(_BATCH):
                return

    def _make(self, count: int) -> bool:
        """Move ``count`` more of the tail into the made ones; False when none was left."""
        start = self._taken
        if start >= len(self._tail):
            return False
        self._taken = min(start + count, len(self._tail))
        delta = self._delta
        self._made += [_moved(st, delta) for st in self._tail[start : self._taken]]
        return True

    def __len__(self) -> int:
        return len(self._made) + len(self._tail) - self._taken

    @overload
    def __getitem__(self, index: int) -> Statement: ...
    @overload
    def __getitem__(self, index: slice) -> list[Statement]: ...
    def __getitem__(self, index: int | slice) -> Statement | list[Statement]:
        self._make(len(self._tail))
        return self._made[index]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]


_BATCH = 64  # statements of a tail moved at a time, as a walk reaches them


def _moved(st: Statement, delta: int) -> Statement:
    if st.kind == "header":
        return Statement("header", st.line + delta, st.end + delta, st.path, st.array)
    return Statement(
        "kv",
        st.line + delta,
        st.end + delta,
        st.path,
        st.array,
        st.vstart + delta,
        st.vend + delta,
        st.table,
        st.keystart + delta,
    )


def rescan(old: str, found: Sequence[Statement], new: str) -> Statements:
    """:func:`scan` of ``new``, made of ``old`` (whose statements are ``found``) by one edit:
    the statements before the changed lines stay, those after them move (when read), and
    only the lines in between are scanned again."""
    import bisect

    from optscale_cli.edit.diffs import common_prefix, common_suffix

    p = common_prefix(old, 0, len(old), new, 0, len(new))
    q_new = len(new) - common_suffix(old, p, len(old), new, p, len(new))
    delta = len(new) - len(old)
    keep = bisect.bisect_right(found, p, key=lambda st: st.end)
    while keep and old[found[keep - 1].end - 1 : found[keep - 1].end] != "\n":
        keep -= 1  # its line break is where the change starts: scan it again
    if keep:
        last = found[keep - 1]
        start, table, array = (
            last.end,
            last.path if last.kind == "header" else last.table,
            last.array,
        )
    else:  # the change is in the first statement: scan from the start, and only so far
        start, table, array = (1 if new.startswith("\ufeff") else 0), (), False

    def known(offset: int) -> Statement | None:
        """The statement after the change whose line starts at ``offset`` in ``new``."""
        at = bisect.bisect_left(found, offset - delta, keep, key=lambda st: st.line)
        return found[at] if at < len(found) and found[at].line == offset - delta else None

    fresh, at = _scan(new, start, table, array, known, q_new)
    if at is None:
        return Statements(found[:keep] + fresh)
    rest = found[bisect.bisect_left(found, at - delta, key=lambda st: st.line) :]
    return Statements(found[:keep] + fresh, rest, delta)


def key_text(key: str) -> str:
    return key if _BARE.fullmatch(key) else string(key)


def string(value: str) -> str:
    quoted = json.dumps(value, ensure_ascii=False)
    return quoted.replace("\x7f", "\\u007F")


def value_text(value: Any) -> str:
    """``value`` written as a TOML value (inline tables and arrays for collections)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return string(value)
    if isinstance(value, list):
        return "[" + ", ".join(value_text(v) for v in value) + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{key_text(k)} = {value_text(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"TOML has no way to write {value!r}")
