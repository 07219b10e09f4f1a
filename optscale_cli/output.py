"""The one output sink: data to stdout (a table, or one JSON document), messages to stderr."""

from __future__ import annotations

import codecs
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

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


class Output:
    def __init__(self, *, json_mode: bool = False, color: bool = True, verbose: bool = False):
        self.json_mode = json_mode
        self.color = color and "NO_COLOR" not in os.environ
        self.verbose = verbose
        self._out: Console | None = None
        self._err: Console | None = None

    def _colors(self) -> Any:
        """No colour means no escape codes at all (bold and dim too): NO_COLOR, --no-color."""
        return "auto" if self.color else None

    @property
    def out(self) -> Console:
        if self._out is None:
            from rich.console import Console

            self._out = Console(
                color_system=self._colors(),
                no_color=not self.color,
                highlight=False,
                soft_wrap=True,
            )
        return self._out

    @property
    def err(self) -> Console:
        if self._err is None:
            from rich.console import Console

            self._err = Console(
                stderr=True,
                color_system=self._colors(),
                no_color=not self.color,
                highlight=False,
                soft_wrap=True,
            )
        return self._err

    # messages (stderr) -------------------------------------------------------------
    def info(self, text: str) -> None:
        self.err.print(_safe(text), markup=False)

    def success(self, text: str) -> None:
        self.err.print(f"[green]✓[/green] {_esc(text)}")

    def warn(self, text: str) -> None:
        self.err.print(f"[yellow]warning:[/yellow] {_esc(text)}")

    def debug(self, text: str) -> None:
        if self.verbose:
            self.err.print(f"[dim]{_esc(text)}[/dim]")

    def error(self, exc: OptscaleError) -> None:
        self.err.print(f"[red]error:[/red] {_esc(exc.message)}")
        if exc.hint:
            self.err.print(f"[dim]hint:[/dim] {_esc(exc.hint)}")
        if self.json_mode:
            self.json({"ok": False, "error": exc.to_dict()})

    def diff(self, text: str) -> None:
        """A unified diff, both sides redacted, coloured on a terminal."""
        from rich.syntax import Syntax

        self.out.print(Syntax(_safe(text), "diff", theme="ansi_dark", background_color="default"))

    # data (stdout) -----------------------------------------------------------------
    def json(self, payload: Any, *, reveal: bool = False) -> None:
        """The one JSON document, secrets redacted (unless the user asked to ``reveal``
        the key), exact otherwise."""
        from optscale_cli.redact import redact_data

        doc = payload if reveal else redact_data(payload)
        text = json.dumps(doc, indent=2, ensure_ascii=False, default=str)
        if not can_encode(sys.stdout, text):  # e.g. an ascii or cp1252 stdout: \u escapes
            text = json.dumps(doc, indent=2, ensure_ascii=True, default=str)
        sys.stdout.write(text + "\n")

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
        from rich import box
        from rich.table import Table

        cells = [["" if v is None else _cell(v) for v in row] for row in rows]
        widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]
        if sum(widths) + 3 * (len(columns) - 1) > self.out.width:
            self._folded(columns, cells, title)  # too narrow: never break a value (a model id)
            return
        table = Table(title=title, box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
        for column in columns:
            table.add_column(column, overflow="fold")
        for row in cells:
            table.add_row(*row)
        self.out.print(table)

    def _folded(self, columns: Sequence[str], cells: list[list[str]], title: str | None) -> None:
        """A table too wide for the terminal, one ``column  value`` line per cell, each row
        a block: values stay whole (the terminal may wrap a line, but no word is split)."""
        width = max(len(c) for c in columns)
        if title:
            self.out.print(f"[bold]{_esc(title)}[/bold]")
        for n, row in enumerate(cells):
            if n:
                self.out.print()
            for column, value in zip(columns, row, strict=True):
                if value:
                    line = f"[bold]{_esc(column.ljust(width))}[/bold]  {escape(value)}"
                    self.out.print(line, soft_wrap=True)

    def fields(self, pairs: Sequence[tuple[str, object]], *, reveal: bool = False) -> None:
        """Aligned ``name  value`` lines, for one object (``reveal``: the key the user
        asked to see is shown; controls are still made visible)."""
        from optscale_cli.redact import for_terminal

        width = max((len(k) for k, _ in pairs), default=0)
        for key, value in pairs:
            shown = for_terminal(value) if reveal else _cell(value)
            self.out.print(f"[bold]{_esc(key.ljust(width))}[/bold]  {escape(shown)}")

    def confirm(self, question: str, default: bool = False) -> bool:
        if not sys.stdin.isatty():
            return False
        import typer

        return bool(typer.confirm(question, default=default, err=True))


def _cell(value: object) -> str:
    """One table cell or field value: one line, secrets redacted, controls visible."""
    from optscale_cli.redact import for_terminal, redact_text

    return for_terminal(redact_text(str(value)))


def escape(text: str) -> str:
    from rich.markup import escape as rich_escape

    return rich_escape(text)


def _safe(text: str) -> str:
    """What may reach a terminal: secrets redacted, controls and bidi overrides visible
    (a newline inside a message is ours and kept)."""
    from optscale_cli.redact import for_terminal, redact_text

    return "\n".join(for_terminal(line) for line in redact_text(text).split("\n"))


def _esc(text: str) -> str:
    return escape(_safe(text))
