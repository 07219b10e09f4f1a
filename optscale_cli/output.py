"""The one output sink: data to stdout (a table, or one JSON document), messages to stderr."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

    from optscale_cli.errors import OptscaleError


class Output:
    def __init__(self, *, json_mode: bool = False, color: bool = True, verbose: bool = False):
        self.json_mode = json_mode
        self.color = color and "NO_COLOR" not in os.environ
        self.verbose = verbose
        self._out: Console | None = None
        self._err: Console | None = None

    @property
    def out(self) -> Console:
        if self._out is None:
            from rich.console import Console

            self._out = Console(no_color=not self.color, highlight=False, soft_wrap=True)
        return self._out

    @property
    def err(self) -> Console:
        if self._err is None:
            from rich.console import Console

            self._err = Console(
                stderr=True, no_color=not self.color, highlight=False, soft_wrap=True
            )
        return self._err

    # messages (stderr) -------------------------------------------------------------
    def info(self, text: str) -> None:
        self.err.print(text, markup=False)

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
            print(json.dumps({"ok": False, "error": exc.to_dict()}, indent=2))

    # data (stdout) -----------------------------------------------------------------
    def data(self, payload: Any, render: Callable[[], None] | None = None) -> None:
        """One JSON document in ``--json`` mode, otherwise whatever ``render`` prints."""
        if self.json_mode or render is None:
            print(json.dumps(payload, indent=2, ensure_ascii=False, default=str))
        else:
            render()

    def table(
        self, columns: Sequence[str], rows: Sequence[Sequence[object]], title: str | None = None
    ) -> None:
        from rich import box
        from rich.table import Table

        table = Table(title=title, box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
        for column in columns:
            table.add_column(column, overflow="fold")
        for row in rows:
            table.add_row(*("" if v is None else str(v) for v in row))
        self.out.print(table)

    def fields(self, pairs: Sequence[tuple[str, object]]) -> None:
        """Aligned ``name  value`` lines, for one object."""
        width = max((len(k) for k, _ in pairs), default=0)
        for key, value in pairs:
            self.out.print(f"[bold]{_esc(key.ljust(width))}[/bold]  {_esc(str(value))}")

    def confirm(self, question: str, default: bool = False) -> bool:
        if not sys.stdin.isatty():
            return False
        import typer

        return bool(typer.confirm(question, default=default, err=True))


def _esc(text: str) -> str:
    from rich.markup import escape

    return escape(text)
