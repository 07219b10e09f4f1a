"""completion: print a shell completion script."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer


class Shell(str, Enum):
    bash = "bash"
    zsh = "zsh"
    fish = "fish"
    powershell = "powershell"


def completion_script(shell: str) -> str:
    from typer._completion_shared import get_completion_script

    return get_completion_script(
        prog_name="optscale", complete_var="_OPTSCALE_COMPLETE", shell=shell
    )


def completion(shell: Annotated[Shell, typer.Argument(help="Your shell.")]) -> None:
    """Print a completion script for your shell.

    \b
    bash:  optscale completion bash > ~/.local/share/bash-completion/completions/optscale
    zsh:   optscale completion zsh > "${fpath[1]}/_optscale"
    fish:  optscale completion fish > ~/.config/fish/completions/optscale.fish
    pwsh:  optscale completion powershell >> $PROFILE
    """
    typer.echo(completion_script(shell.value))
