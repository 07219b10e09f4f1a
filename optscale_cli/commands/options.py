"""Options several commands share, declared once."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer

from optscale_cli.clients import client_names

# the one list of clients: the registry (Typer shows and completes these choices)
ClientName = Enum("ClientName", {name: name for name in client_names()}, type=str)  # type: ignore[misc]
ClientArg = Annotated[
    ClientName,
    typer.Argument(
        help=f"One of: {', '.join(client_names())} (see: optscale clients).",
        show_default=False,
        metavar="CLIENT",
    ),
]

ApiKeyStdin = Annotated[
    bool, typer.Option("--api-key-stdin", help="Read the API key from standard input.")
]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Show the diff; write nothing.")]
Yes = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask before writing.")]
