"""A unified diff of two versions of a (possibly very big) file, in time that grows with the
file only at the speed of string comparison: the changed stretches are found by comparing
large slices (common prefix and suffix, then anchors), and difflib only sees the lines around
each change. The output is an ordinary unified diff with three lines of context."""

from __future__ import annotations

import difflib
import re

_CHUNK = 1 << 16
_PROBE = 512
_BIG = 1 << 14  # a changed stretch longer than this on both sides is split at an anchor
_DIFFLIB_LINES = 2000  # bigger windows are shown as removed then added, without difflib
_HUNK = re.compile(r"@@ -(\d+)((?:,\d+)?) \+(\d+)((?:,\d+)?) @@")


def common_prefix(a: str, a0: int, a1: int, b: str, b0: int, b1: int) -> int:
    """How many characters ``a[a0:a1]`` and ``b[b0:b1]`` have in common at their start."""
    n, i = min(a1 - a0, b1 - b0), 0
    while i < n:
        k = min(_CHUNK, n - i)
        if a[a0 + i : a0 + i + k] == b[b0 + i : b0 + i + k]:
            i += k
            continue
        lo, hi = 0, k  # the first difference is in this chunk: a[..lo] equal, a[..hi] not
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if a[a0 + i : a0 + i + mid] == b[b0 + i : b0 + i + mid]:
                lo = mid
            else:
                hi = mid
        return i + lo
    return n


def common_suffix(a: str, a0: int, a1: int, b: str, b0: int, b1: int) -> int:
    """How many characters ``a[a0:a1]`` and ``b[b0:b1]`` have in common at their end."""
    n, i = min(a1 - a0, b1 - b0), 0
    while i < n:
        k = min(_CHUNK, n - i)
        if a[a1 - i - k : a1 - i] == b[b1 - i - k : b1 - i]:
            i += k
            continue
        lo, hi = 0, k
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if a[a1 - i - mid : a1 - i] == b[b1 - i - mid : b1 - i]:
                lo = mid
            else:
                hi = mid
        return i + lo
    return n


def changed_regions(a: str, b: str) -> list[tuple[int, int, int, int]]:
    """Stretches ``(a_start, a_end, b_start, b_end)``, in order, outside of which ``a`` and
    ``b`` are the same text."""
    out: list[tuple[int, int, int, int]] = []
    todo = [(0, len(a), 0, len(b))]
    while todo:
        a0, a1, b0, b1 = todo.pop()
        p = common_prefix(a, a0, a1, b, b0, b1)
        a0, b0 = a0 + p, b0 + p
        s = common_suffix(a, a0, a1, b, b0, b1)
        a1, b1 = a1 - s, b1 - s
        if a0 == a1 and b0 == b1:
            continue
        if a1 - a0 > _BIG and b1 - b0 > _BIG:
            mid = (a0 + a1) // 2
            at = b.find(a[mid : mid + _PROBE], b0, b1)
            if at >= 0:  # equal text on both sides: diff what is left and right of it
                todo.append((mid + _PROBE, a1, at + _PROBE, b1))
                todo.append((a0, mid, b0, at))
                continue
        out.append((a0, a1, b0, b1))
    return out


def _line_end(text: str, offset: int) -> int:
    found = text.find("\n", offset)
    return len(text) if found < 0 else found + 1


def _back(text: str, pos: int, lines: int) -> int:
    for _ in range(lines):
        if pos <= 0:
            break
        pos = text.rfind("\n", 0, pos - 1) + 1
    return pos


def _forward(text: str, pos: int, lines: int) -> int:
    for _ in range(lines):
        if pos >= len(text):
            break
        pos = _line_end(text, pos)
    return pos


def _windows(a: str, b: str, context: int) -> list[tuple[int, int, int, int]]:
    """Line-aligned stretches of ``a`` and ``b`` holding the changes and their context."""
    windows: list[list[int]] = []
    shift = 0
    for a0, a1, b0, b1 in changed_regions(a, b):
        wa0 = _back(a, a.rfind("\n", 0, a0) + 1, context)
        wa1 = _forward(a, _line_end(a, a1), context)
        before, shift = shift, shift + (b1 - b0) - (a1 - a0)
        if windows and wa0 <= windows[-1][1]:
            windows[-1][1], windows[-1][3] = wa1, wa1 + shift
        else:
            windows.append([wa0, wa1, wa0 + before, wa1 + shift])
    return [(w[0], w[1], w[2], w[3]) for w in windows]


def _hunk(old: list[str], new: list[str], a_line: int, b_line: int, context: int) -> list[str]:
    if len(old) > _DIFFLIB_LINES and len(new) > _DIFFLIB_LINES:  # bounded: one replace hunk
        header = f"@@ -{a_line + 1},{len(old)} +{b_line + 1},{len(new)} @@\n"
        return [header, *("-" + line for line in old), *("+" + line for line in new)]
    lines = list(difflib.unified_diff(old, new, n=context))[2:]

    def moved(match: re.Match[str]) -> str:
        a, b = int(match.group(1)) + a_line, int(match.group(3)) + b_line
        return f"@@ -{a}{match.group(2)} +{b}{match.group(4)} @@"

    return [_HUNK.sub(moved, line, 1) if line.startswith("@@") else line for line in lines]


def _lines(text: str) -> list[str]:
    """``text`` split after each line break (``\n`` only: line numbers are the file's)."""
    parts = text.split("\n")
    return [part + "\n" for part in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def unified_diff(a: str, b: str, old_name: str, new_name: str, context: int = 3) -> list[str]:
    """The lines of a unified diff from ``a`` to ``b`` (as :func:`difflib.unified_diff`
    gives them for the lists of the texts' lines)."""
    if not a and b:  # a new file: one hunk of added lines (difflib would index them all first)
        added = _lines(b)
        span = "1" if len(added) == 1 else f"1,{len(added)}"
        return [f"--- {old_name}\n", f"+++ {new_name}\n", f"@@ -0,0 +{span} @@\n"] + [
            "+" + line for line in added
        ]
    lines: list[str] = []
    for wa0, wa1, wb0, wb1 in _windows(a, b, context):
        old, new = _lines(a[wa0:wa1]), _lines(b[wb0:wb1])
        a_line, b_line = a.count("\n", 0, wa0), b.count("\n", 0, wb0)
        lines += _hunk(old, new, a_line, b_line, context)
    return [f"--- {old_name}\n", f"+++ {new_name}\n", *lines] if lines else []


def unified_diff_text(a: str, b: str, old_name: str, new_name: str) -> str:
    """:func:`unified_diff` as one text, every line ending in a line break. A new file (a
    connect with 10,000 models writes one of 30,000 lines) is its text with a ``+`` before
    each line, made at C speed rather than line by line."""
    if not a and b:
        body = b if b.endswith("\n") else b + "\n"
        count = body.count("\n")
        span = "1" if count == 1 else f"1,{count}"
        head = f"--- {old_name}\n+++ {new_name}\n@@ -0,0 +{span} @@\n"
        return head + "+" + body[:-1].replace("\n", "\n+") + "\n"
    lines = unified_diff(a, b, old_name, new_name)
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)
