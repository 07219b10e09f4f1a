"""Options several commands share, declared once."""

from __future__ import annotations

from typing import Annotated

import typer

ApiKeyStdin = Annotated[
    bool, typer.Option("--api-key-stdin", help="Read the API key from standard input.")
]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Show the diff; write nothing.")]
Yes = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask before writing.")]
