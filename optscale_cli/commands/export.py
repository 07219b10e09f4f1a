"""export: managed (system-level) config files for admins rolling a client out to a team."""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, Annotated

import typer

from optscale_cli.commands.options import ClientArg
from optscale_cli.complete import model_ids
from optscale_cli.context import AppState, state

if TYPE_CHECKING:
    from optscale_cli.flows.export import ExportResult


def _declared() -> dict[str, tuple[str, ...]]:
    from optscale_cli.flows.export import exporting_clients

    return exporting_clients()


_DECLARED = _declared()
# the one list of formats: what the clients declare (Typer shows and completes these)
FormatName = Enum(  # type: ignore[misc]
    "FormatName", {f: f for fs in _DECLARED.values() for f in fs}, type=str
)
_FORMAT_HELP = "The file to write: " + "; ".join(
    f"{client}: {', '.join(formats)}" for client, formats in _DECLARED.items()
)


def export(
    client: ClientArg,
    fmt: Annotated[FormatName, typer.Option("--format", "-f", help=_FORMAT_HELP)],
    output: Annotated[
        str, typer.Option("--output", "-o", help="The file to write (not a directory).")
    ],
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            "-m",
            help="Model to configure (checked against your key's list).",
            autocompletion=model_ids,
        ),
    ] = None,
) -> None:
    """Write a client's managed (system-level) config for admins to deploy to a team.

    No personal key goes into the file: each user runs `optscale login` once, and the
    client gets that user's key through a key helper or the environment. Prints where to
    copy the file on each OS and what users do next. A file at --output that optscale did
    not write is refused, unless it already holds exactly these bytes.

    \b
    Examples:
      optscale export claude-code -f managed-settings -m anthropic/claude-sonnet-4-0 -o ms.json
      optscale export opencode --format well-known --model openai/gpt-4.1 --output opencode
      optscale export codex --format managed --model openai/gpt-4.1 --output managed_config.toml
      optscale export claude-desktop --format mobileconfig --output claude.mobileconfig --json
    """
    from optscale_cli.flows.export import run_export

    st = state()
    render_result(st, run_export(st, client.value, fmt.value, output, model))


def render_result(st: AppState, result: ExportResult) -> None:
    """The human form of an export: what was written, where it goes, what happens next."""
    out = st.output

    def render() -> None:
        if result.changed:
            held = " (it holds the key: 0600)" if result.holds_key else "; no key in it"
            out.success(f"wrote {result.path}{held}")
        else:
            out.success(f"{result.path} already holds this export; nothing to change")
        out.info("Where it goes:")
        for place in result.placements:
            mark = "" if place.verified else "  (unverified)"
            out.info(f"  {place.os}: {place.where}{mark}")
        for step in result.steps:
            out.info(f"→ {step}")
        for note in result.notes:
            out.info(f"Note: {note}")

    out.data(result.to_dict(), render)
