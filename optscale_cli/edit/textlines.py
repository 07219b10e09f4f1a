"""Whole-line text edits that undo exactly: what :func:`insert_lines` adds,
:func:`remove_lines` takes away byte for byte (also at the end of a file without a final
line break), so an edit and its revert give the user's bytes back."""

from __future__ import annotations


def newline_of(text: str) -> str:
    """The file's line ending, judged by its first line."""
    first = text.find("\n")
    return "\r\n" if first > 0 and text[first - 1] == "\r" else "\n"


def line_start(text: str, offset: int) -> int:
    return text.rfind("\n", 0, offset) + 1


def line_column(text: str, offset: int) -> tuple[int, int]:
    """The line and column (both from 1) of ``offset``, as an error names a place."""
    return text.count("\n", 0, offset) + 1, offset - line_start(text, offset) + 1


def line_end(text: str, offset: int) -> int:
    """The offset just past the line break of the line holding ``offset`` (or the end)."""
    found = text.find("\n", offset)
    return len(text) if found < 0 else found + 1


def insert_lines(text: str, at: int, block: str) -> str:
    """Insert ``block`` (whole lines, each ending in a line break) at ``at``, a line start or
    the end of the text. At the end of a text without a final line break the break goes first."""
    if at == len(text) and text and not text.endswith("\n"):
        nl = "\r\n" if block.endswith("\r\n") else "\n"
        return text + nl + block[: -len(nl)]
    return text[:at] + block + text[at:]


def remove_lines(text: str, start: int, end: int) -> str:
    """Remove the whole lines ``[start, end)`` (``end`` a line start or the end of the text):
    the exact inverse of :func:`insert_lines`."""
    if end == len(text) and start > 0 and not text.endswith("\n"):
        start -= 2 if text[start - 2 : start] == "\r\n" else 1
    return text[:start] + text[end:]


def blank_or_comment(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


def content_end(text: str, start: int, end: int) -> int:
    """Back from ``end`` (a line start, or the end of the text) over blank and comment-only
    lines, never before ``start``'s line: the end (past its line break) of the last line
    that holds something."""
    at = end
    while at > start:
        prev = line_start(text, at - 1)
        if prev <= line_start(text, start) or not blank_or_comment(text[prev:at]):
            break
        at = prev
    return at
