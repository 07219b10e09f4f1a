"""`optscale doctor --live`: each connected client, run for real, headless, on one tiny prompt.

The proof that counts is the client's own: its CLI started the way the user starts it (their
HOME, so the config connect wrote), in a throwaway working directory, with the CA variable its
runtime reads when the profile has a CA bundle, and the key the way that client gets it
(clients connected in env mode get it in the child's environment only, as ``optscale exec``
gives it). Each run is bounded: at the timeout its whole process group is killed. A failure
shows the client's own last lines of output (the output layer redacts them).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from optscale_cli.flows.doctor import FAIL, PASS, SKIP, Check

LIVE_PROMPT = "Reply with the single word: ok"
DEFAULT_LIVE_TIMEOUT = 60.0
TAIL_LINES = 6
# Aider exits 0 even when the gateway refused it (design.md 2c): its error text decides.
_FAILED_TEXT = re.compile(
    r"litellm\.\w*(Error|Exception)|AuthenticationError|NotFoundError|BadRequestError|"
    r"RateLimitError|APIConnectionError|budget_exceeded|Budget has been exceeded",
)
_BUDGET_TEXT = re.compile(r"budget_exceeded|budget has been exceeded|over budget", re.I)
_RATE_TEXT = re.compile(r"rate.?limit|too many requests|\b429\b", re.I)


def live_checks(ctx: Any, names: list[str], timeout: float) -> list[Check]:
    """One ``live:<client>`` result per client in scope: connected ones are run; those that
    cannot be run (not connected, GUI only, not installed) are skipped with the reason."""
    results = []
    for name in names:
        state = ctx.clients.get(name)
        if state is None or not state.connected:
            if ctx.options.client:
                results.append(Check(f"live:{name}", SKIP, f"{name} is not connected"))
            continue
        results.append(_live_check(ctx, name, state, timeout))
    return results


def _live_check(ctx: Any, name: str, state: Any, timeout: float) -> Check:
    from optscale_cli.clients import get_client
    from optscale_cli.connections import load_ledger

    cid = f"live:{name}"
    client = get_client(name)
    if client.headless is None:
        return Check(
            cid, SKIP, f"{client.title} has no headless mode (app only): try it in the app"
        )
    if shutil.which(client.headless[0]) is None:
        return Check(cid, SKIP, f"`{client.headless[0]}` is not on PATH: not installed here")
    ledger = load_ledger(name)
    scope = ledger.request.get("scope", "user") if ledger else "user"
    if scope != "user":
        return Check(
            cid,
            SKIP,
            f"connected for a project (--scope {scope}): a run elsewhere would not see it",
            f"run it in that project: cd there and `{client.headless[0]}`",
        )
    argv = [LIVE_PROMPT if part == "{prompt}" else part for part in client.headless]
    with tempfile.TemporaryDirectory(prefix="optscale-live-") as scratch:
        env = child_env(ctx.profile, client, state.details.get("key_mode"), Path(scratch))
        run = run_bounded(argv, env, timeout)
    return _judge(cid, client.title, run, timeout)


def child_env(profile: Any, client: Any, key_mode: str | None, scratch: Path) -> dict[str, str]:
    """The environment the client runs with: ours (HOME and all), plus its runtime's CA
    variable for the profile's CA bundle, plus the key for clients connected in env mode."""
    from optscale_cli.shell_env import gateway_env

    env = dict(os.environ)
    env.setdefault("NO_COLOR", "1")
    if profile.ca_bundle and client.ca_variable:
        env[client.ca_variable] = _ca_file(
            str(profile.ca_bundle), env.get(client.ca_variable), scratch
        )
    if key_mode == "env":  # as `optscale exec` hands it over: never written anywhere
        env.update(gateway_env(profile, "openai"))
        env["OPTSCALE_API_KEY"] = profile.require_key()
    return env


def _ca_file(bundle: str, already: str | None, scratch: Path) -> str:
    """The profile's CA bundle; joined with a different one the variable already names
    (each of these variables takes one file), so neither trust is lost."""
    from optscale_cli.edit.stores import read_if_regular

    try:
        if not already or Path(already).resolve() == Path(bundle).resolve():
            return bundle
    except (OSError, RuntimeError):  # a symlink loop
        return bundle
    theirs, ours = read_if_regular(Path(already)), read_if_regular(Path(bundle))
    if theirs is None or ours is None:
        return bundle
    joined = theirs.rstrip() + b"\n" + ours
    path = scratch / "ca-bundle.pem"
    path.write_bytes(joined)
    return str(path)


@dataclass
class Run:
    code: int | None  # None: killed at the timeout, or did not start
    out: str
    err: str
    elapsed: float
    error: str = ""  # why it did not start


def run_bounded(argv: list[str], env: dict[str, str], timeout: float) -> Run:
    """Run ``argv`` in a temporary directory, stdin closed, in its own process group; at
    ``timeout`` the whole group is killed (agents start helpers that would outlive it)."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="optscale-live-") as cwd:
        env = {**env, "PWD": cwd}  # OpenCode takes its project dir from PWD
        group: dict[str, Any] = (
            {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}  # type: ignore[attr-defined]
            if sys.platform == "win32"
            else {"start_new_session": True}
        )
        try:
            child = subprocess.Popen(
                argv,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                **group,
            )
        except OSError as exc:
            return Run(None, "", "", time.monotonic() - started, f"{type(exc).__name__}: {exc}")
        try:
            out, err = child.communicate(timeout=timeout)
            code: int | None = child.returncode
        except subprocess.TimeoutExpired:
            _kill_group(child)
            try:
                out, err = child.communicate(timeout=5)
            except subprocess.TimeoutExpired:  # a helper left its own group, holding a pipe
                out, err = b"", b""
            code = None
    text = lambda raw: raw.decode("utf-8", errors="replace")  # noqa: E731
    return Run(code, text(out or b""), text(err or b""), time.monotonic() - started)


def _kill_group(child: subprocess.Popen[bytes]) -> None:
    try:
        if sys.platform == "win32":
            child.kill()
        else:
            os.killpg(child.pid, signal.SIGKILL)
    except OSError:
        pass
    child.wait()


def _tail(text: str, lines: int = TAIL_LINES) -> str:
    from optscale_cli.redact import clean_text

    kept = [line.strip() for line in clean_text(text, 20000).splitlines() if line.strip()]
    return " | ".join(kept[-lines:])


def _judge(cid: str, title: str, run: Run, timeout: float) -> Check:
    took = f"{run.elapsed:.1f} s"
    said = _tail(run.err) or _tail(run.out)
    if run.error:
        return Check(cid, FAIL, f"{title} did not start: {run.error}")
    if run.code is None:
        return Check(
            cid,
            FAIL,
            f"{title} did not finish within {timeout:g} s (killed)"
            + (f"; it said: {said}" if said else ""),
            "a client that cannot verify the gateway's certificate may retry silently: "
            "see the TLS check; or raise --live-timeout",
        )
    failed_text = _FAILED_TEXT.search(run.out + "\n" + run.err)
    if run.code != 0 or failed_text or not run.out.strip():
        why = f"exit {run.code}" if run.code != 0 else "no answer" if not run.out.strip() else ""
        why = why or "it reported an error"
        return Check(
            cid, FAIL, f"{title} failed after {took} ({why}): {said or '(no output)'}", _hint(said)
        )
    answer = _tail(run.out, 1)
    return Check(cid, PASS, f"{title} answered in {took}: {answer[:80]}")


def _hint(said: str) -> str | None:
    from optscale_cli.gateway import BUDGET_HINT, RATE_LIMIT_HINT

    if _BUDGET_TEXT.search(said):
        return BUDGET_HINT
    if _RATE_TEXT.search(said):
        return RATE_LIMIT_HINT
    return "that is the client's own error text; `optscale doctor` without --live checks the rest"
