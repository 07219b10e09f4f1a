"""sync: keep every connected client's models in line with what the gateway allows."""

from __future__ import annotations

from typing import Any

from optscale_cli.commands.options import DryRun, Yes
from optscale_cli.context import state


def sync(dry_run: DryRun = False, yes: Yes = False) -> None:
    """Re-read the gateway's models and bring every connected client in line.

    Models you were given since are added to clients connected with --all-models; models
    withdrawn are removed from the lists optscale wrote (your own entries are never
    touched); Claude Code's tiers are filled again. A client whose model was withdrawn is
    switched to the closest allowed one only with --yes. One diff, one all-or-nothing
    write; running it again changes nothing.

    \b
    Examples:
      optscale sync --dry-run
      optscale sync --yes
      optscale sync --json --yes
    """
    from optscale_cli.commands.render import confirm
    from optscale_cli.flows.sync import SyncResult
    from optscale_cli.flows.sync import sync as sync_flow

    st = state()
    shown: list[bool] = []

    def approve(result: SyncResult) -> None:
        _show(st, result)
        shown.append(True)
        titles = ", ".join(c.title for c in result.changed)
        confirm(st, f"Update {titles}?", yes)

    result = sync_flow(st, dry_run=dry_run, yes=yes, approve=approve)
    if not shown:
        _show(st, result)
    st.output.data(result.to_dict(), lambda: _render(st, result))


def _show(st: Any, result: Any) -> None:
    from optscale_cli.commands.render import show_plans

    show_plans(st, [c.item for c in result.changed])
    if st.output.json_mode:
        return
    for c in result.clients:
        for old, new in c.replaced.items():
            st.output.warn(f"{c.title}: {old} is no longer allowed; closest allowed: {new}")
        for tier, (old, new) in c.tiers.items():
            st.output.info(f"{c.title}: {tier} tier {old or '(none)'} -> {new or '(none)'}")


def _render(st: Any, result: Any) -> None:
    out = st.output
    for c in result.clients:
        if c.skipped:
            out.warn(f"{c.title}: left as it is: {c.skipped}")
        elif not c.changed:
            out.info(f"{c.title}: up to date")
        else:
            parts = [f"+{m}" for m in c.added] + [f"-{m}" for m in c.removed]
            out.success(f"{c.title}: {' '.join(parts) or 'updated'}")
    if not result.clients:
        out.info("No client is connected; nothing to sync")
    elif result.dry_run and result.changed:
        out.info("--dry-run: nothing was written")
    elif not result.changed:
        out.success("Every connected client is up to date")
    for backup in result.backups:
        out.info(f"  backup: {backup}")
