"""Console entry point. Kept tiny: ``--version`` answers without importing Typer."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args in (["--version"], ["-V"]):
        from optscale_cli import __version__

        sys.stdout.write(f"optscale {__version__}\n")
        return
    from optscale_cli.app import run

    sys.exit(run(args))
