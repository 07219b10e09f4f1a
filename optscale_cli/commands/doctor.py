"""doctor: check the whole path to the gateway and every connected client."""

from __future__ import annotations

import time
from typing import Annotated, Any

import typer

from optscale_cli.complete import model_ids
from optscale_cli.context import state

SYMBOL = {
    "pass": ("✓", "green"),
    "warn": ("!", "yellow"),
    "fail": ("✗", "red"),
    "info": ("i", "blue"),
    "skip": ("-", "dim"),
}


def doctor(
    model: Annotated[
        str | None,
        typer.Option("--model", "-m", help="Check this model.", autocompletion=model_ids),
    ] = None,
    client: Annotated[
        str | None, typer.Option(help="Only this client (and its gateway surface).")
    ] = None,
    offline: Annotated[bool, typer.Option(help="Only the local checks; no network.")] = False,
    live: Annotated[
        bool,
        typer.Option(
            help="Also run each connected client's CLI for real on a one-word prompt "
            "(spends a few tokens)."
        ),
    ] = False,
    live_timeout: Annotated[
        float, typer.Option(help="Seconds each client may take with --live.", min=1)
    ] = 60.0,
) -> None:
    """Check TLS, the key, model access, tool calling and each client's config.

    Exit 0 when nothing failed (warnings allowed), 1 when a check failed. With --live,
    each connected client that has a CLI (OpenCode, Claude Code, Codex, Continue, Aider,
    Goose) answers "Reply with the single word: ok" through the gateway, as you would run it.

    \b
    Examples:
      optscale doctor
      optscale doctor --model ollama/qwen3:32b
      optscale doctor --client claude-code --json
      optscale doctor --live
      optscale doctor --live --client codex --live-timeout 120
    """
    from optscale_cli.clients import get_client
    from optscale_cli.flows.doctor import DoctorOptions, run_doctor

    st = state()
    if client:
        get_client(client)  # an unknown name is a usage error
    if live:
        _announce_live(st, offline)
    started = time.monotonic()
    options = DoctorOptions(model=model, client=client, offline=offline, timeout=st.timeout or 10.0)
    options.live, options.live_timeout = live, live_timeout
    checks = run_doctor(st, options)
    elapsed = time.monotonic() - started
    failed = [c for c in checks if c.status == "fail"]
    doc = {
        "ok": not failed,
        "checks": [c.to_dict() for c in checks],
        "elapsed_s": round(elapsed, 3),
    }

    st.output.data(doc, lambda: _render(st.output.out, checks, elapsed))
    if failed:
        raise typer.Exit(1)


def _announce_live(st: object, offline: bool) -> None:
    from optscale_cli.errors import UsageError

    if offline:
        raise UsageError("--live runs the clients against the gateway: it cannot be --offline")
    output = st.output  # type: ignore[attr-defined]
    if not output.json_mode:
        output.info("--live: running each connected client for real; this spends a few tokens")


def _render(out: Any, checks: list[Any], elapsed: float) -> None:
    """One line per check (the hint under a failure or warning), then the verdict."""
    from optscale_cli.output import safe_text

    failed = [c for c in checks if c.status == "fail"]
    warned = [c for c in checks if c.status == "warn"]
    for c in checks:
        mark = out.style(*SYMBOL[c.status])
        out.line(f"{mark} {out.style(safe_text(c.title), 'bold')}  {safe_text(c.message)}")
        if c.hint and c.status in ("fail", "warn"):
            out.line("    " + out.style(f"→ {safe_text(c.hint)}", "dim"))
    if failed:
        many = "s" if len(failed) > 1 else ""
        verdict = out.style(f"✗ {len(failed)} problem{many} found", "red")
    elif warned:
        many = "s" if len(warned) > 1 else ""
        verdict = out.style(f"✓ No problems, {len(warned)} warning{many}", "yellow")
    else:
        verdict = out.style("✓ All checks passed", "green")
    out.line(f"{verdict} ({elapsed:.1f} s)")
