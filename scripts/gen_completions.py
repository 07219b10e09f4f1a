"""Regenerate completions/ from the CLI (a test checks they are current)."""

from __future__ import annotations

from pathlib import Path

from optscale_cli.commands.completion import completion_script

NAMES = {
    "bash": "optscale.bash",
    "zsh": "_optscale",
    "fish": "optscale.fish",
    "powershell": "optscale.ps1",
}

if __name__ == "__main__":
    out = Path(__file__).resolve().parent.parent / "completions"
    for shell, name in NAMES.items():
        (out / name).write_text(completion_script(shell).rstrip() + "\n")
        print(f"wrote completions/{name}")
