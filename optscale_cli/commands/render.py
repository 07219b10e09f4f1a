"""Rendering shared by the commands that write client configs: plans, diffs, questions."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from optscale_cli.errors import Refused

if TYPE_CHECKING:
    from optscale_cli.context import AppState
    from optscale_cli.edit.engine import FileChange
    from optscale_cli.flows.connect import PlannedConnection


def confirm(st: AppState, question: str, yes: bool) -> None:
    """Ask before writing; --yes answers yes; no terminal and no --yes is a refusal."""
    if yes:
        return
    if not sys.stdin.isatty():
        raise Refused(
            "not asking on a non-interactive terminal; nothing was written",
            "pass --yes to write, or --dry-run to preview",
        )
    if not st.output.confirm(question, default=True):
        raise Refused("nothing was written")


def show_changes(st: AppState, changes: list[FileChange], secrets: list[str]) -> None:
    if st.output.json_mode:
        return
    for change in changes:
        if change.changed:
            st.output.diff(change.diff(secrets))


def show_plans(st: AppState, planned: list[PlannedConnection]) -> None:
    """Each connection's warnings and diff (both sides redacted)."""
    for item in planned:
        for warning in item.plan.warnings:
            st.output.warn(warning)
        if item.previous_profile and item.previous_profile != item.request.profile.name:
            st.output.warn(
                f"{item.client.title} was connected with profile '{item.previous_profile}'; "
                f"switching it to '{item.request.profile.name}'"
            )
        show_changes(st, item.changes, [item.request.api_key])
