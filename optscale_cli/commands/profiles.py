"""profiles list | use | remove."""

from __future__ import annotations

from typing import Annotated

import typer

from optscale_cli.context import state

app = typer.Typer(
    help="""Manage saved profiles (one per gateway / organization / key).

    \b
    Examples:
      optscale profiles list
      optscale profiles use work
      optscale --profile work models list
    """,
    no_args_is_help=True,
    rich_markup_mode=None,
)


@app.command("list")
def list_profiles() -> None:
    """List saved profiles; * marks the active one.

    \b
    Examples:
      optscale profiles list
      optscale profiles list --json
    """
    from optscale_cli.profiles import (
        active_profile_name,
        read_config,
        saved_profiles,
    )
    from optscale_cli.urls import GatewayLocation

    out = state().output
    doc = read_config()
    active = active_profile_name(doc)
    rows = [
        {
            "name": name,
            "active": name == active,
            "base_url": GatewayLocation(str(p["origin"]), str(p["org"])).base_url,
            "org": p.get("org"),
            "key_storage": p.get("key_storage"),
        }
        for name, p in sorted(saved_profiles(doc).items())
    ]

    def render() -> None:
        if not rows:
            out.info("No saved profiles. Run: optscale login")
            return
        out.table(
            ["", "profile", "base url", "key"],
            [
                ("*" if r["active"] else "", r["name"], r["base_url"], r["key_storage"])
                for r in rows
            ],
        )

    out.data(rows, render)


@app.command("use")
def use(name: Annotated[str, typer.Argument(help="Profile to make active.")]) -> None:
    """Make a saved profile the active one.

    \b
    Examples:
      optscale profiles use work
      optscale profiles list
    """
    from optscale_cli.profiles import set_active

    set_active(name)
    out = state().output
    out.data({"active": name}, lambda: out.success(f"Active profile: {name}"))


@app.command("remove")
def remove(
    name: Annotated[str, typer.Argument(help="Profile to remove.")],
    disconnect: Annotated[
        bool,
        typer.Option("--disconnect", help="Also disconnect every client that uses it."),
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Remove it even though clients still use it.")
    ] = False,
) -> None:
    """Remove a saved profile and every copy of its key (like logout for that profile).

    \b
    Examples:
      optscale profiles remove old-gateway
      optscale profiles remove work --disconnect
    """
    from optscale_cli.commands.auth import forget_profile_flow, render_forget

    render_forget(forget_profile_flow(name, disconnect, force))
