"""completion: print a shell completion script."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer


class Shell(str, Enum):  # noqa: UP042 (typer shows and matches its values as they are)
    bash = "bash"
    zsh = "zsh"
    fish = "fish"
    powershell = "powershell"


# Typer's PowerShell script also rebinds Tab for the whole shell (Set-PSReadLineKeyHandler);
# ours only registers a completer for optscale. Same protocol as the other shells: the
# completer runs optscale with _OPTSCALE_COMPLETE=complete_powershell, the line so far in
# _TYPER_COMPLETE_ARGS and the word under the cursor in _TYPER_COMPLETE_WORD_TO_COMPLETE; each
# answer line is "value:::help". The variables are restored afterwards.
POWERSHELL_SCRIPT = r"""# optscale completion: optscale completion powershell >> $PROFILE
# Registers a completer for optscale only; no key bindings are changed.
Register-ArgumentCompleter -Native -CommandName optscale -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)
    $line = $commandAst.ToString()
    $upTo = $cursorPosition - $commandAst.Extent.StartOffset
    if ($upTo -ge 0 -and $upTo -lt $line.Length) { $line = $line.Substring(0, $upTo) }
    $saved = @($Env:_OPTSCALE_COMPLETE, $Env:_TYPER_COMPLETE_ARGS,
        $Env:_TYPER_COMPLETE_WORD_TO_COMPLETE)
    try {
        $Env:_OPTSCALE_COMPLETE = "complete_powershell"
        $Env:_TYPER_COMPLETE_ARGS = $line
        $Env:_TYPER_COMPLETE_WORD_TO_COMPLETE = $wordToComplete
        & optscale 2>$null | ForEach-Object {
            $value, $help = $_ -split ":::", 2
            if ([string]::IsNullOrWhiteSpace($help)) { $help = $value }
            [System.Management.Automation.CompletionResult]::new(
                $value, $value, 'ParameterValue', $help)
        }
    } finally {
        $Env:_OPTSCALE_COMPLETE = $saved[0]
        $Env:_TYPER_COMPLETE_ARGS = $saved[1]
        $Env:_TYPER_COMPLETE_WORD_TO_COMPLETE = $saved[2]
    }
}
"""


def completion_script(shell: str) -> str:
    if shell in ("powershell", "pwsh"):
        return POWERSHELL_SCRIPT
    from typer._completion_shared import get_completion_script

    return get_completion_script(
        prog_name="optscale", complete_var="_OPTSCALE_COMPLETE", shell=shell
    )


def completion(
    shell: Annotated[
        Shell,
        typer.Argument(help=f"Your shell: {', '.join(s.value for s in Shell)}.", metavar="SHELL"),
    ],
) -> None:
    """Print a completion script for your shell.

    \b
    Examples:
      optscale completion bash > ~/.local/share/bash-completion/completions/optscale
      optscale completion zsh > "${fpath[1]}/_optscale"
      optscale completion fish > ~/.config/fish/completions/optscale.fish
      optscale completion powershell >> $PROFILE
    """
    typer.echo(completion_script(shell.value))
