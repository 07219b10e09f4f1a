"""env, exec: the gateway as environment variables, for SDK scripts and one-off commands."""

from __future__ import annotations

import os
import sys
from typing import Annotated, Any

import typer

from optscale_cli.complete import env_shells
from optscale_cli.context import state


def env(
    shell: Annotated[
        str,
        typer.Option(help="bash, zsh, fish, powershell or dotenv.", autocompletion=env_shells),
    ] = "bash",
    client: Annotated[
        str | None,
        typer.Option(help="openai or anthropic (default: both families of variables)."),
    ] = None,
) -> None:
    """Print exports for SDK scripts: eval "$(optscale env)".

    Sets OPENAI_BASE_URL / OPENAI_API_KEY (the /v1 base) and ANTHROPIC_BASE_URL /
    ANTHROPIC_AUTH_TOKEN (the /anthropic base). On a terminal the key is redacted; piped
    (as in eval) it is complete.

    \b
    Examples:
      eval "$(optscale env)"
      optscale env --shell fish | source
      optscale env --shell dotenv --client openai > .env
    """
    from optscale_cli.errors import UsageError
    from optscale_cli.redact import redact_key
    from optscale_cli.shell_env import FAMILIES, SHELLS, gateway_env, render_env

    if shell not in SHELLS:
        raise UsageError(f"unknown shell {shell!r}", f"choose one of: {', '.join(SHELLS)}")
    if client not in (None, *FAMILIES):
        raise UsageError(f"unknown client {client!r}", "choose openai or anthropic")
    st = state()
    profile = st.profile()
    values = gateway_env(profile, client)
    if sys.stdout.isatty():
        key = profile.require_key()
        values = {k: redact_key(v) if v == key else v for k, v in values.items()}
        st.output.info('key redacted on a terminal; use: eval "$(optscale env)"')
    if st.output.json_mode:
        st.output.data(values)
        return
    sys.stdout.write(render_env(values, shell))


def exec_command(
    command: Annotated[list[str], typer.Argument(help="The command and its arguments.")],
    client: Annotated[str | None, typer.Option(help="openai or anthropic (default: both).")] = None,
) -> None:
    """Run a command with the gateway's variables set, writing the key nowhere.

    \b
    Examples:
      optscale exec -- python my_agent.py
      optscale exec --client anthropic -- npx my-tool
    """
    import shutil

    from optscale_cli.errors import UsageError
    from optscale_cli.shell_env import gateway_env

    if not command:
        raise UsageError("no command given", "usage: optscale exec -- COMMAND [ARGS...]")
    if shutil.which(command[0]) is None:
        raise UsageError(f"command not found: {command[0]}")
    profile = state().profile()
    # OPTSCALE_API_KEY too: Codex (env_key) and Zed read the key from it
    child_env = {
        **os.environ,
        **gateway_env(profile, client),
        "OPTSCALE_API_KEY": profile.require_key(),
    }
    raise typer.Exit(_exit_status(_run_child(command, child_env)))


# Signals exec passes on to its child instead of acting on them itself.
_FORWARDED = ("SIGINT", "SIGTERM", "SIGHUP", "SIGWINCH")
# Of those, the ones a terminal (or the shell owning it) sends to a whole process group.
_GROUP_SIGNALS = ("SIGINT", "SIGHUP", "SIGWINCH")


def _exit_status(returncode: int) -> int:
    """The child's exit code; 128+N when it died of signal N, as a shell reports it."""
    return 128 - returncode if returncode < 0 else returncode


def _child_got_it_from_the_terminal(child_pid: int) -> bool:
    """True when a group-wide signal from our terminal has already reached the child.

    That is the case when the child is in our process group and that group is the
    foreground group of our controlling terminal: Ctrl-C (SIGINT) and a resize (SIGWINCH)
    go to every process of that group, and a shell hanging up sends SIGHUP to the whole job.
    We cannot tell such a delivery from a kill() aimed at us alone (siginfo does not say
    whether the group was targeted), so in this one situation we assume the group.
    """
    try:
        if os.getpgid(child_pid) != os.getpgrp():
            return False  # the child made its own group: a terminal signal misses it
        fd = os.open("/dev/tty", os.O_RDONLY | os.O_NOCTTY)
    except OSError:
        return False  # no controlling terminal (or the child is gone)
    try:
        return os.tcgetpgrp(fd) == os.getpgrp()
    except OSError:
        return False
    finally:
        os.close(fd)


def _wait_simply(command: list[str], env: dict[str, str]) -> int:
    """Windows: Ctrl-C goes to every process of the console, the child included; exec just
    keeps waiting for it. (Off the main thread no handler can be installed.)"""
    import subprocess

    child = subprocess.Popen(command, env=env)
    while True:
        try:
            return child.wait()
        except KeyboardInterrupt:
            continue


def _install(forward: Any) -> dict[int, object]:
    """Our forwarding handler for each forwarded signal exec does not ignore; the previous
    handlers, to put back."""
    import signal

    previous: dict[int, object] = {}
    for name in _FORWARDED:
        signum = getattr(signal, name, None)
        # None: a handler set outside Python, which we could not put back; leave it be
        if signum is None or signal.getsignal(signum) in (signal.SIG_IGN, None):
            continue
        previous[signum] = signal.signal(signum, forward)
    return previous


def _run_child(command: list[str], env: dict[str, str]) -> int:
    """Run ``command``, passing signals on to it, and return its (Popen) return code.

    While the child runs, SIGINT, SIGTERM, SIGHUP and SIGWINCH sent to exec are forwarded
    to it and never act on exec itself: a child that handles Ctrl-C (Aider, Codex cancel a
    turn with it) keeps running, and exec waits for it whatever happens.

    Double delivery: pressing Ctrl-C in a terminal signals the whole foreground process
    group, child included, so forwarding that SIGINT would hand the child a second one, and
    for Aider or Codex a second Ctrl-C means "quit". So a SIGINT, SIGHUP or SIGWINCH is not
    forwarded when the child shares our process group and that group is in the terminal's
    foreground (see ``_child_got_it_from_the_terminal``); otherwise (no terminal, running in
    the background, `kill -INT <exec pid>` from a script) it is forwarded. The cost: a
    `kill -INT` aimed at exec alone while it sits in a terminal's foreground is swallowed.
    SIGTERM is always forwarded: it is normally aimed at one process, and when it was sent
    to the group too, a second SIGTERM is harmless to nearly every program. Likewise a
    SIGHUP that comes with the terminal going away may find no terminal to check and be
    forwarded as a second one; programs treat a hangup as "stop", once or twice.

    Signals exec ignores (SIGHUP under nohup, SIGINT in a background job of a script) stay
    ignored, so the child inherits that as it would from a shell.
    """
    import signal
    import subprocess
    import threading

    if sys.platform == "win32" or threading.current_thread() is not threading.main_thread():
        return _wait_simply(command, env)

    child_box: list[subprocess.Popen[bytes]] = []
    pending: list[int] = []

    def forward(signum: int, _frame: object) -> None:
        if not child_box:
            pending.append(signum)  # arrived before the child existed; sent once it does
            return
        child = child_box[0]
        group_wide = signal.Signals(signum).name in _GROUP_SIGNALS
        if group_wide and _child_got_it_from_the_terminal(child.pid):
            return
        child.send_signal(signum)  # a no-op once the child has been reaped

    previous = _install(forward)
    try:
        # Python's handlers are reset to the default by exec(); ignored signals stay ignored.
        child_box.append(subprocess.Popen(command, env=env))
        for signum in pending:  # these came before the child existed: it has not seen them
            child_box[0].send_signal(signum)
        while True:
            try:
                return child_box[0].wait()
            except InterruptedError:  # PEP 475 retries already; belt and braces
                continue
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]
