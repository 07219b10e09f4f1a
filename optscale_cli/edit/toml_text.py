"""TOML located as text: where each ``[table]`` header and each ``key = value`` sits.

A small scanner (the file has already been parsed by tomllib, so it is valid TOML): it knows
strings of all four kinds, comments, and arrays / inline tables spanning lines, and records
every statement's full key path (its table's path plus its own, dotted, key) and offsets.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

_BARE = re.compile(r"[A-Za-z0-9_-]+")
_ESCAPES = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", '"': '"', "\\": "\\"}


@dataclass
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
_GAP = re.compile(r"(?:[ \t\r\n,]+|#[^\n]*)*")
# The common lines in one step each: a bare (maybe dotted) key set to a one-line value (a
# string, a number, a boolean, a date, a flat array or inline table), and a [header] of bare
# keys; then spaces, maybe a comment, the line break; and runs of blank and comment lines.
# Anything else is read by the general code below.
_DOTTED = r"[A-Za-z0-9_-]+(?:[ \t]*\.[ \t]*[A-Za-z0-9_-]+)*"
_LINE_END = r"[ \t]*(?:#[^\n]*)?(?:\r?\n|\Z)"
_ONE_LINE_STR = r"\"(?:[^\"\\\r\n]|\\[^\r\n])*\"(?!\")|'[^'\r\n]*'(?!')"
_FLAT = rf"(?:[^{{}}\[\]\"'#\r\n]|{_ONE_LINE_STR})*"
_FAST_KV = re.compile(
    rf"[ \t]*({_DOTTED})[ \t]*=[ \t]*+"
    rf"({_ONE_LINE_STR}|\[{_FLAT}\]|\{{{_FLAT}\}}|(?![\"'\[{{ \t])[^,\]}}#\r\n]+?)"
    rf"(?=[ \t#\r\n]|\Z){_LINE_END}"
)
_NOTHING = re.compile(r"(?:[ \t\r]*(?:#[^\n]*)?\n)+")  # blank and comment lines
_FAST_HEADER = re.compile(rf"[ \t]*\[(?!\[)[ \t]*({_DOTTED})[ \t]*\]" + _LINE_END)


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
        j = i + 3
        while True:
            if quote == '"' and text[j] == "\\":
                j += 2
                continue
            if text.startswith(quote * 3, j):
                j += 3
                for _ in range(2):  # a closing run may hold up to two more quotes
                    if j < len(text) and text[j] == quote:
                        j += 1
                return j
            j += 1
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
    return _scan(text, 1 if text.startswith("\ufeff") else 0, (), False, {}, len(text))[0]


def _scan(
    text: str,
    i: int,
    table: tuple[str, ...],
    array: bool,
    known: dict[int, Statement],
    after: int,
) -> tuple[list[Statement], int | None]:
    """The statements from ``i`` (a line start, in ``table``), up to the first line at or
    past ``after`` that ``known`` holds a statement for, in the same table: that line's offset
    (None: scanned to the end)."""
    found: list[Statement] = []
    while i < len(text):
        line = i
        if i >= after and i in known:
            old = known[i]
            if old.kind == "header" or (old.table, old.array) == (table, array):
                return found, i
        fast = _NOTHING.match(text, i)
        if fast is not None:
            i = fast.end()
            continue
        quick = _common_line(text, i, table, array, found)
        if quick is not None:
            i, table, array = quick
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


def _common_line(
    text: str, i: int, table: tuple[str, ...], array: bool, found: list[Statement]
) -> tuple[int, tuple[str, ...], bool] | None:
    """A common line (see _FAST_KV, _FAST_HEADER) at line start ``i``, added to ``found``:
    the offset past it, and the table (and whether an array's) that follows; None: another
    kind of line."""
    fast = _FAST_KV.match(text, i)
    if fast is not None:
        key, end = fast.group(1), fast.end()
        path = tuple(part.strip(" \t") for part in key.split(".")) if "." in key else (key,)
        vstart, vend = fast.span(2)
        found.append(
            Statement("kv", i, end, table + path, array, vstart, vend, table, fast.start(1))
        )
        return end, table, array
    fast = _FAST_HEADER.match(text, i)
    if fast is not None:
        key, end = fast.group(1), fast.end()
        table = tuple(part.strip(" \t") for part in key.split("."))
        found.append(Statement("header", i, end, table, False))
        return end, table, False
    return None


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


def rescan(old: str, found: list[Statement], new: str) -> list[Statement]:
    """:func:`scan` of ``new``, made of ``old`` (whose statements are ``found``) by one edit:
    the statements before the changed lines stay, those after them move, and only the lines
    in between are scanned again."""
    import bisect

    from optscale_cli.edit.diffs import common_prefix, common_suffix

    p = common_prefix(old, 0, len(old), new, 0, len(new))
    q_new = len(new) - common_suffix(old, p, len(old), new, p, len(new))
    delta = len(new) - len(old)
    keep = bisect.bisect_right(found, p, key=lambda st: st.end)
    while keep and old[found[keep - 1].end - 1 : found[keep - 1].end] != "\n":
        keep -= 1  # its line break is where the change starts: scan it again
    if not keep:
        return scan(new)
    last = found[keep - 1]
    table = last.path if last.kind == "header" else last.table
    known = {st.line + delta: st for st in found[keep:] if st.line + delta >= q_new}
    fresh, at = _scan(new, last.end, table, last.array, known, q_new)
    if at is not None:
        rest = found[bisect.bisect_left(found, at - delta, key=lambda st: st.line) :]
        fresh += [_moved(st, delta) for st in rest]
    return found[:keep] + fresh


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
