"""Console entry point. Kept tiny: ``--version`` answers without importing Typer."""

from __future__ import annotations

import gc
import os
import sys


def main(argv: list[str] | None = None) -> None:
    # A command is short and every read it makes is capped, while its data (a parsed config,
    # a model list) is many small objects: the cyclic collector would walk them again and
    # again as they grow (half the time of reading a 10 MB config), and once more at exit
    # (a fifth of a small command's time). Reference counting still frees everything that is
    # not a cycle, and exit still runs every finalizer.
    gc.disable()
    try:
        _main(argv)
    finally:
        gc.freeze()  # what exists now is not walked by the collection Python makes at exit


def _main(argv: list[str] | None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args in (["--version"], ["-V"]):
        from optscale_cli import __version__

        sys.stdout.write(f"optscale {__version__}\n")
        return
    if "_OPTSCALE_COMPLETE" in os.environ:  # a shell asking: data answers skip Typer
        from optscale_cli.complete import fast_complete

        done = fast_complete(os.environ)
        if done is not None:
            sys.stdout.write(done[0] + ("\n" if done[0] else ""))
            sys.exit(done[1])
    from optscale_cli.app import run

    sys.exit(run(args))
