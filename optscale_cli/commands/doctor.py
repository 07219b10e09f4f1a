"""doctor: check the whole path to the gateway and every connected client."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from optscale_cli.context import state

SYMBOL = {
    "pass": "[green]✓[/green]",
    "warn": "[yellow]![/yellow]",
    "fail": "[red]✗[/red]",
    "info": "[blue]i[/blue]",
    "skip": "[dim]-[/dim]",
}


def doctor(
    model: Annotated[str | None, typer.Option("--model", "-m", help="Check this model.")] = None,
    client: Annotated[
        str | None, typer.Option(help="Only this client (and its gateway surface).")
    ] = None,
    offline: Annotated[bool, typer.Option(help="Only the local checks; no network.")] = False,
) -> None:
    """Check TLS, the key, model access, tool calling and each client's config.

    Exit 0 when nothing failed (warnings allowed), 1 when a check failed.

    \b
    Examples:
      optscale doctor
      optscale doctor --model ollama/qwen3:32b
      optscale doctor --client claude-code --json
    """
    from rich.markup import escape

    from optscale_cli.clients import get_client
    from optscale_cli.doctor import DoctorOptions, run_doctor

    st = state()
    if client:
        get_client(client)  # an unknown name is a usage error
    started = time.monotonic()
    checks = run_doctor(
        st, DoctorOptions(model=model, client=client, offline=offline, timeout=st.timeout or 10.0)
    )
    elapsed = time.monotonic() - started
    failed = [c for c in checks if c.status == "fail"]
    warned = [c for c in checks if c.status == "warn"]
    doc = {
        "ok": not failed,
        "checks": [c.to_dict() for c in checks],
        "elapsed_s": round(elapsed, 3),
    }

    def render() -> None:
        out = st.output.out
        for c in checks:
            out.print(f"{SYMBOL[c.status]} [bold]{escape(c.title)}[/bold]  {escape(c.message)}")
            if c.hint and c.status in ("fail", "warn"):
                out.print(f"    [dim]→ {escape(c.hint)}[/dim]")
        if failed:
            many = "s" if len(failed) > 1 else ""
            out.print(f"[red]✗ {len(failed)} problem{many} found[/red] ({elapsed:.1f} s)")
        elif warned:
            many = "s" if len(warned) > 1 else ""
            out.print(
                f"[yellow]✓ No problems, {len(warned)} warning{many}[/yellow] ({elapsed:.1f} s)"
            )
        else:
            out.print(f"[green]✓ All checks passed[/green] ({elapsed:.1f} s)")

    st.output.data(doc, render)
    if failed:
        raise typer.Exit(1)
