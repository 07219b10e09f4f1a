"""connect, disconnect, clients: write a client's config safely, undo it, show state."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from optscale_cli.commands.options import ClientArg, DryRun, Yes
from optscale_cli.commands.render import confirm, show_changes, show_plans
from optscale_cli.complete import model_ids
from optscale_cli.context import state

ModelOption = Annotated[
    str | None,
    typer.Option(
        "--model",
        "-m",
        help="Model to use, e.g. openai/gpt-4.1 (checked against your key).",
        autocompletion=model_ids,
    ),
]
ScopeOption = Annotated[str, typer.Option(help="user (global config) or project (./ files).")]
AllModelsOption = Annotated[
    bool, typer.Option("--all-models", help="Declare every model the key may use (OpenCode).")
]
SetDefaultOption = Annotated[
    bool | None,
    typer.Option(
        "--set-default/--no-set-default",
        help="Make the model the client's default (OpenCode: on for a first connect).",
    ),
]
KeyFromEnvOption = Annotated[
    bool,
    typer.Option("--key-from-env", help="Reference $OPTSCALE_API_KEY instead of our stored key."),
]
PlaintextKeyOption = Annotated[
    bool,
    typer.Option(
        "--plaintext-key",
        help="Write the key itself into the client's file (0600), "
        "instead of a key helper or reference.",
    ),
]
KeyInGitOption = Annotated[
    bool,
    typer.Option(
        "--plaintext-key-in-git",
        help="DANGEROUS: allow --plaintext-key to write into a file git would commit.",
    ),
]


def _tier_option(tier: str) -> Any:
    return typer.Option(help=f"Claude: model for the {tier} tier.", autocompletion=model_ids)


OpusOption = Annotated[str | None, _tier_option("opus")]
SonnetOption = Annotated[str | None, _tier_option("sonnet")]
HaikuOption = Annotated[str | None, _tier_option("haiku")]
ManualOption = Annotated[
    bool,
    typer.Option("--manual", help="Print the values and steps to enter by hand; write nothing."),
]
ExportOption = Annotated[
    str | None,
    typer.Option(
        help="Write an admin file instead (same as: optscale export CLIENT --format KIND)."
    ),
]
OutputOption = Annotated[str | None, typer.Option("--output", "-o", help="Where --export writes.")]


def connect(
    client: ClientArg,
    model: ModelOption = None,
    scope: ScopeOption = "user",
    all_models: AllModelsOption = False,
    set_default: SetDefaultOption = None,
    key_from_env: KeyFromEnvOption = False,
    plaintext_key: PlaintextKeyOption = False,
    key_in_git: KeyInGitOption = False,
    opus: OpusOption = None,
    sonnet: SonnetOption = None,
    haiku: HaikuOption = None,
    manual: ManualOption = False,
    export: ExportOption = None,
    output_path: OutputOption = None,
    dry_run: DryRun = False,
    yes: Yes = False,
) -> None:
    """Point a client at the gateway: write its config, safely.

    Shows a diff and asks first (--yes skips, --dry-run stops there). Your content is
    backed up (FILE.optscale-TIMESTAMP.bak, 0600, newest three kept), every file is
    replaced atomically and all together or not at all, and the change is recorded, so
    `optscale disconnect CLIENT` removes exactly what was added. Running it twice
    changes nothing. A flag the client does not honour is refused, naming what it does.

    \b
    Examples:
      optscale connect opencode --model openai/gpt-4.1
      optscale connect claude-code --sonnet anthropic/claude-sonnet-4-0 --yes
      optscale connect cursor --model openai/gpt-4.1 --dry-run
    """
    from optscale_cli.flows.connect import ConnectOptions

    _run_connect(
        client.value,
        ConnectOptions(
            model=model,
            scope=scope,
            all_models=all_models,
            set_default=set_default,
            key_from_env=key_from_env,
            plaintext_key=plaintext_key,
            tiers={k: v for k, v in {"opus": opus, "sonnet": sonnet, "haiku": haiku}.items() if v},
            manual=manual,
            export=export,
            output_path=output_path,
            dry_run=dry_run,
            yes=yes,
            key_in_git=key_in_git,
        ),
    )


def disconnect(
    client: ClientArg,
    dry_run: DryRun = False,
    yes: Yes = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Drop a damaged connection record without touching the client's files.",
        ),
    ] = False,
) -> None:
    """Remove what `connect` added to a client, restoring the values it replaced.

    Values you have edited since are left alone and named. No backup is made: what comes
    back is your own content.

    \b
    Examples:
      optscale disconnect opencode --dry-run
      optscale disconnect claude-code --yes
      optscale disconnect codex --force    # its record is damaged: forget it
    """
    from optscale_cli.flows.connect import disconnect as disconnect_flow

    st = state()
    shown: list[bool] = []

    def approve(result: Any) -> None:
        _show_disconnect(st, result)
        shown.append(True)
        confirm(st, f"Remove optscale's settings from {result.client.title}?", yes)

    result = disconnect_flow(client.value, dry_run=dry_run, approve=approve, force=force)
    if not shown:
        _show_disconnect(st, result)
    _render_disconnect(st, result)


def _show_disconnect(st: Any, result: Any) -> None:
    show_changes(st, result.changes, [])
    for item in result.left_alone:
        st.output.warn(f"left as you edited it: {item}")


def _render_disconnect(st: Any, result: Any) -> None:
    out = st.output
    title = result.client.title

    def render() -> None:
        if result.forgotten:
            out.success(f"forgot the damaged record of {title}; its files were not touched")
        elif not result.connected:
            out.info(f"{title} is not connected by optscale; nothing to undo")
        elif result.dry_run:
            out.info("--dry-run: nothing was written")
        else:
            for c in result.changed:
                out.success(f"{'removed' if c.delete_file else 'restored'} {c.target.label}")
            for note in result.notes:
                out.info(f"→ {note}")
            out.success(f"{title} disconnected")

    out.data(result.to_dict() if out.json_mode else None, render)


def _run_connect(client: str, opts: Any) -> None:
    from optscale_cli.flows.connect import ConnectResult, ManualSteps, connect

    st = state()
    shown: list[bool] = []

    def approve(result: ConnectResult) -> None:
        show_plans(st, [result.item])
        shown.append(True)
        confirm(st, f"Write these changes to {result.client.title}?", opts.yes)

    result = connect(st, client, opts, approve)
    if isinstance(result, ManualSteps):
        st.output.data(result.to_dict(), lambda: st.output.fields(result.steps))
        return
    if not isinstance(result, ConnectResult):  # --export: the export command renders it
        from optscale_cli.commands.export import render_result

        render_result(st, result)
        return
    if not shown:
        show_plans(st, [result.item])
    _render_connect(st, result)


def _render_connect(st: Any, result: Any) -> None:
    out = st.output
    title, name = result.client.title, result.client.name

    def render() -> None:
        if not result.item.changed:
            out.success(f"{title} is already connected; nothing to change")
            return
        if result.dry_run:
            out.info("--dry-run: nothing was written")
            return
        for c in result.item.changes:
            if c.changed:
                out.success(f"wrote {c.target.label}")
        for backup in result.backups:
            out.info(f"  backup: {backup}")
        for note in result.item.plan.notes:
            out.info(f"→ {note}")
        out.info(f"Undo with: optscale disconnect {name}")

    out.data(result.to_dict() if out.json_mode else None, render)


def clients() -> None:
    """List known clients: installed, connected, and whether their files still match.

    \b
    Examples:
      optscale clients
      optscale clients --json
    """
    from optscale_cli.flows.connect import client_overview

    st = state()
    rows: list[dict[str, Any]] = client_overview(st)

    def render() -> None:
        st.output.table(
            ["client", "installed", "connected", "profile", "model", "state"],
            [
                (
                    r["client"],
                    "yes" if r["installed"] else "no",
                    "yes" if r["connected"] else "no",
                    r.get("profile") or "",
                    r.get("model") or "",
                    r["summary"],
                )
                for r in rows
            ],
        )

    st.output.data(rows, render)
