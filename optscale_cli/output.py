"""The one output sink: data to stdout (a table, or one JSON document), messages to stderr."""

from __future__ import annotations

import codecs
import itertools
import json
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from optscale_cli.errors import OptscaleError


# Streams that cannot encode every character (Windows cp1252 when output is redirected,
# PYTHONIOENCODING=ascii): our symbols become ASCII, accented letters lose the accent, anything
# else becomes "?". Nothing we print may crash on the way out.
ASCII_SYMBOLS = {
    "✓": "ok",
    "✗": "x",
    "…": "...",
    "→": "->",
    "←": "<-",
    "─": "-",
    "━": "-",
    "│": "|",
    "•": "*",
    "—": "-",
    "–": "-",
    "‘": "'",
    "’": "'",
    "“": '"',
    "”": '"',
}
ERRORS = "optscale-ascii"


def _fallback(exc: UnicodeError) -> tuple[str | bytes, int]:
    """Codec error handler: one unencodable character at a time."""
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    char = exc.object[exc.start]
    if "\udc80" <= char <= "\udcff":  # a byte surrogateescape kept from a file name
        return bytes([ord(char) - 0xDC00]), exc.start + 1
    text = ASCII_SYMBOLS.get(char)
    if text is None:
        import unicodedata

        text = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode() or "?"
    return text, exc.start + 1


def guard_streams() -> None:
    """Make stdout and stderr fall back to ASCII instead of raising UnicodeEncodeError when
    their encoding is not a Unicode one. UTF-8 streams are left exactly as they are."""
    codecs.register_error(ERRORS, _fallback)
    for stream in (sys.stdout, sys.stderr):
        encoding = getattr(stream, "encoding", None)
        reconfigure = getattr(stream, "reconfigure", None)
        if not encoding or reconfigure is None or getattr(stream, "errors", None) == ERRORS:
            continue
        try:
            if codecs.lookup(encoding).name.startswith("utf"):
                continue
            reconfigure(errors=ERRORS)
        except (LookupError, ValueError, OSError):
            continue


def can_encode(stream: object, text: str) -> bool:
    """Whether ``text`` reaches ``stream`` exactly (no fallback needed)."""
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        return False
    except LookupError:
        return True
    return True


class Terminal:
    """One of our two streams, with just what we need of a terminal: colour only on a
    terminal that can show it (never with NO_COLOR or --no-color; FORCE_COLOR forces it),
    its width, and a few styles. Writes go to whatever sys.stdout/sys.stderr is now."""

    def __init__(self, *, stderr: bool, color: bool) -> None:
        self._stderr = stderr
        self._color = color
        self._colored: bool | None = None

    @property
    def file(self) -> Any:
        return sys.stderr if self._stderr else sys.stdout

    @property
    def colored(self) -> bool:
        if self._colored is None:
            self._colored = self._color and _shows_color(self.file)
        return self._colored

    @property
    def width(self) -> int:
        columns = os.environ.get("COLUMNS", "")
        if columns.isdigit() and int(columns) > 0:
            return int(columns)
        try:
            if self.file.isatty():
                return os.get_terminal_size(self.file.fileno()).columns or 80
        except (AttributeError, OSError, ValueError):
            pass
        return 80

    def style(self, text: str, *styles: str) -> str:
        if not self.colored or not styles:
            return text
        return f"\x1b[{';'.join(_STYLES[s] for s in styles)}m{text}\x1b[0m"

    def line(self, text: str = "") -> None:
        self.file.write(text + "\n")


_STYLES = {
    "bold": "1",
    "dim": "2",
    "red": "31",
    "green": "32",
    "yellow": "33",
    "blue": "34",
    "cyan": "36",
}


def _shows_color(stream: Any) -> bool:
    if os.environ.get("TERM", "") in ("dumb", "unknown"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    try:
        if not stream.isatty():
            return False
    except (AttributeError, ValueError, OSError):
        return False
    return sys.platform != "win32" or _windows_escape_codes(stream)


def _windows_escape_codes(stream: Any) -> bool:
    """Turn on escape-code processing of a Windows console (Windows Terminal has it on; an
    old console may not): colour only where it will show as colour, not as ``←[31m``."""
    try:
        import ctypes
        import msvcrt

        kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
        handle = msvcrt.get_osfhandle(stream.fileno())  # type: ignore[attr-defined]
        mode = ctypes.c_uint32()
        if not kernel32.GetConsoleMode(handle, ctypes.byref(mode)):
            return False
        return bool(kernel32.SetConsoleMode(handle, mode.value | 0x0004))  # VT processing
    except (AttributeError, ImportError, OSError, ValueError):
        return False


class Output:
    def __init__(self, *, json_mode: bool = False, color: bool = True, verbose: bool = False):
        self.json_mode = json_mode
        self.color = color and "NO_COLOR" not in os.environ
        self.verbose = verbose
        self.out = Terminal(stderr=False, color=self.color)
        self.err = Terminal(stderr=True, color=self.color)

    # messages (stderr) -------------------------------------------------------------
    def info(self, text: str) -> None:
        self.err.line(safe_text(text))

    def success(self, text: str) -> None:
        self.err.line(f"{self.err.style('✓', 'green')} {safe_text(text)}")

    def warn(self, text: str) -> None:
        self.err.line(f"{self.err.style('warning:', 'yellow')} {safe_text(text)}")

    def debug(self, text: str) -> None:
        if self.verbose:
            self.err.line(self.err.style(safe_text(text), "dim"))

    def error(self, exc: OptscaleError) -> None:
        self.err.line(f"{self.err.style('error:', 'red')} {safe_text(exc.message)}")
        if exc.hint:
            self.err.line(f"{self.err.style('hint:', 'dim')} {safe_text(exc.hint)}")
        if self.json_mode:
            self.json({"ok": False, "error": exc.to_dict()})

    def diff(self, text: str) -> None:
        """A unified diff, both sides redacted; on a terminal each line coloured by its
        first character (a whole-file highlighter costs seconds on a long diff)."""
        text = safe_text(text)
        write = self.out.file.write
        if not self.out.colored:
            write(text if text.endswith("\n") or not text else text + "\n")
            return
        colours = {"+": "green", "-": "red", "@": "cyan"}
        lines = text.splitlines()
        heads = next((i for i, line in enumerate(lines) if line.startswith("@@")), 0)
        write("".join(self.out.style(line, "bold") + "\n" for line in lines[:heads]))
        for start in range(heads, len(lines), _BATCH):
            write(
                "".join(
                    self.out.style(line, colours[line[0]]) + "\n"
                    if line[:1] in colours
                    else line + "\n"
                    for line in lines[start : start + _BATCH]
                )
            )

    # data (stdout) -----------------------------------------------------------------
    def json(self, payload: Any, *, reveal: bool = False) -> None:
        """The one JSON document, secrets redacted (unless the user asked to ``reveal``
        the key), exact otherwise."""
        from optscale_cli.redact import redact_data

        if isinstance(payload, list) and payload:
            self._json_list(payload, reveal=reveal)
            return
        doc = payload if reveal else redact_data(payload)
        sys.stdout.write(_dumps(doc) + "\n")

    def _json_list(self, items: list[Any], *, reveal: bool) -> None:
        """A list written a batch of items at a time (a model list can be 100,000 long):
        the same bytes as one ``json.dumps(items, indent=2)``, never one giant string."""
        from optscale_cli.redact import redact_text

        redact = None if reveal else redact_text
        memos: tuple[dict[str, str], dict[str, str]] = ({}, {})  # text -> encoded, redacted
        sys.stdout.write("[\n")
        for start in range(0, len(items), _BATCH):
            batch = items[start : start + _BATCH]
            text = _batch(batch, redact, memos[0], False)
            if not can_encode(sys.stdout, text):  # e.g. an ascii or cp1252 stdout
                text = _batch(batch, redact, memos[1], True)
            last = start + _BATCH >= len(items)
            sys.stdout.write(text + ("\n]\n" if last else ",\n"))

    def data(
        self, payload: Any, render: Callable[[], None] | None = None, *, reveal: bool = False
    ) -> None:
        """One JSON document in ``--json`` mode, otherwise whatever ``render`` prints."""
        if self.json_mode or render is None:
            self.json(payload, reveal=reveal)
        else:
            render()

    def table(
        self, columns: Sequence[str], rows: Sequence[Sequence[object]], title: str | None = None
    ) -> None:
        """Aligned columns three spaces apart under a bold header and a rule, written a
        batch of lines at a time (a model table can be 100,000 rows). Cells are one line,
        redacted and made visible; a table wider than the terminal is folded instead."""
        cells = _cells(rows)
        widths = [len(c) for c in columns]
        if cells:
            widths = [
                max(w, *map(len, column))
                for w, column in zip(widths, zip(*cells, strict=True), strict=True)
            ]
        if sum(widths) + 3 * (len(columns) - 1) > self.out.width:
            self._folded(columns, cells, title)  # too narrow: never break a value (a model id)
            return
        out = self.out
        if title:
            out.line(out.style(safe_text(title), "bold"))
        header = "   ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))
        out.line(out.style(header, "bold"))
        out.line("─" * (sum(widths) + 3 * (len(widths) - 1)))
        write = out.file.write
        line = "   ".join(f"%-{w}s" for w in widths)  # each cell ljust to its width
        for start in range(0, len(cells), _BATCH):
            batch = cells[start : start + _BATCH]
            write("\n".join([line % tuple(row) for row in batch]) + "\n")
        out.file.flush()

    def _folded(
        self, columns: Sequence[str], cells: Sequence[Sequence[str]], title: str | None
    ) -> None:
        """A table too wide for the terminal, one ``column  value`` line per cell, each row
        a block: values stay whole (the terminal may wrap a line, but no word is split)."""
        width = max(len(c) for c in columns)
        out = self.out
        if title:
            out.line(out.style(safe_text(title), "bold"))
        for n, row in enumerate(cells):
            if n:
                out.line()
            for column, value in zip(columns, row, strict=True):
                if value:
                    out.line(f"{out.style(column.ljust(width), 'bold')}  {value}")

    def fields(self, pairs: Sequence[tuple[str, object]], *, reveal: bool = False) -> None:
        """Aligned ``name  value`` lines, for one object (``reveal``: the key the user
        asked to see is shown; controls are still made visible)."""
        from optscale_cli.redact import for_terminal

        width = max((len(k) for k, _ in pairs), default=0)
        for key, value in pairs:
            shown = for_terminal(value) if reveal else _cell(value)
            self.out.line(f"{self.out.style(key.ljust(width), 'bold')}  {shown}")

    def confirm(self, question: str, default: bool = False) -> bool:
        if not sys.stdin.isatty():
            return False
        import typer

        return bool(typer.confirm(question, default=default, err=True))


_BATCH = 1000  # items per write when streaming a JSON list; rows per write of a long table


_Redact = Callable[[str], str]
_LITERALS: dict[type, Callable[[Any], str]] = {
    type(None): lambda _: "null",
    bool: lambda v: "true" if v else "false",
    int: int.__repr__,
    float: json.dumps,  # as json.dumps writes it (1e+16, not 1e16)
}
_FLAT = {str, *_LITERALS}  # exact types: a subclass (an enum) goes the general way
_STRING_ENCODERS = (json.encoder.encode_basestring, json.encoder.encode_basestring_ascii)


def _dumps(doc: Any) -> str:
    text = json.dumps(doc, indent=2, ensure_ascii=False, default=str)
    if not can_encode(sys.stdout, text):  # e.g. an ascii or cp1252 stdout: \u escapes
        text = json.dumps(doc, indent=2, ensure_ascii=True, default=str)
    return text


def _batch(items: list[Any], redact: _Redact | None, memo: dict[str, str], ascii: bool) -> str:
    """``items`` as the elements of a list dumped with ``indent=2`` (joined, no brackets)."""
    encode = _STRING_ENCODERS[ascii]
    uniform = _uniform(items, redact, memo, encode)
    if uniform is not None:
        return uniform
    pairs = (pair for item in items if type(item) is dict for pair in item.items())
    _prime((t for pair in pairs for t in pair), redact, memo, encode)
    return ",\n".join([_element(item, redact, memo, ascii) for item in items])


def _uniform(
    items: list[Any], redact: _Redact | None, memo: dict[str, str], encode: _Redact
) -> str | None:
    """:func:`_batch` of objects that all have the same text keys and flat values (rows of
    a listing), a column at a time into one template; None for any other batch."""
    first = items[0] if items else None
    if type(first) is not dict or not first or not all(type(k) is str for k in first):
        return None
    keys = first.keys()
    if not all(type(item) is dict and item.keys() == keys for item in items):
        return None
    columns = list(zip(*(item.values() for item in items), strict=True))
    if any(not set(map(type, column)) <= _FLAT for column in columns):
        return None
    _prime(itertools.chain(keys, *columns), redact, memo, encode)
    names = [memo[k].replace("%", "%%") for k in keys]
    template = "  {\n" + ",\n".join(f"    {name}: %s" for name in names) + "\n  }"
    shown = [
        [memo[v] if type(v) is str else _LITERALS[type(v)](v) for v in column] for column in columns
    ]
    return ",\n".join([template % row for row in zip(*shown, strict=True)])


def _element(item: Any, redact: _Redact | None, memo: dict[str, str], ascii: bool) -> str:
    """``item`` redacted, as an element of a list dumped with ``indent=2``. A flat object
    (a row: text keys, values text, numbers, true/false/null) is put together from its
    scalars, the strings already redacted and encoded in ``memo`` (:func:`_prime`): several
    times faster than the pure-Python indenting encoder, same bytes."""
    if type(item) is not dict or not item or not all(type(v) in _FLAT for v in item.values()):
        return "  " + _plain_element(item, redact, ascii)
    try:
        parts = [
            f"    {memo[k]}: {memo[v] if type(v) is str else _LITERALS[type(v)](v)}"
            for k, v in item.items()
        ]
    except KeyError:  # a key that is not text (never primed)
        return "  " + _plain_element(item, redact, ascii)
    return "  {\n" + ",\n".join(parts) + "\n  }"


def _prime(
    candidates: Iterable[object], redact: _Redact | None, memo: dict[str, str], encode: _Redact
) -> None:
    """Put the strings among ``candidates`` that ``memo`` lacks into it, redacted and
    encoded; redacted together (:func:`~optscale_cli.redact.redact_texts`): a model list's
    ids are all distinct, and one test of them all is far cheaper than one per id."""
    from optscale_cli.redact import redact_texts

    texts = list(dict.fromkeys(t for t in candidates if type(t) is str and t not in memo))
    shown = redact_texts(texts) if redact is not None else texts
    memo.update(zip(texts, map(encode, shown), strict=True))


def _plain_element(item: Any, redact: Callable[[str], str] | None, ascii: bool) -> str:
    from optscale_cli.redact import redact_data

    doc = redact_data(item) if redact else item
    return json.dumps(doc, indent=2, ensure_ascii=ascii, default=str).replace("\n", "\n  ")


def _cells(rows: Sequence[Sequence[object]]) -> Sequence[Sequence[str]]:
    """Every row's cells as :func:`_cell` makes them (None is empty). The distinct texts are
    redacted and made visible together (:func:`~optscale_cli.redact.redact_texts`): a long
    table is mostly model ids that need neither, and repeats its providers and yes/no.
    Rows of text that needs nothing come back as they are."""
    from optscale_cli.redact import for_terminal_all, redact_texts

    flat = [v for row in rows for v in row]
    plain = set(map(type, flat)) <= {str}
    texts = list(dict.fromkeys(flat if plain else (v for v in flat if type(v) is str)))
    shown = for_terminal_all(redact_texts(texts))
    if plain and shown == texts:
        return rows
    memo = dict(zip(texts, shown, strict=True))
    return [
        [
            memo[v] if type(v) is str else "" if v is None else _cell(v)  # True, 1: not memo keys
            for v in row
        ]
        for row in rows
    ]


def _cell(value: object) -> str:
    """One table cell or field value: one line, secrets redacted, controls visible."""
    from optscale_cli.redact import for_terminal, redact_text

    return for_terminal(redact_text(str(value)))


def safe_text(text: str) -> str:
    """What may reach a terminal: secrets redacted, controls and bidi overrides visible
    (a newline inside a message is ours and kept)."""
    from optscale_cli.redact import for_terminal, redact_text

    text = redact_text(text)
    if text.replace("\n", "").isprintable():  # one test for a long diff that needs nothing
        return text
    return "\n".join(for_terminal(line) for line in text.split("\n"))
