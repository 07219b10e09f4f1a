"""The Typer app: global options, command registration, and the one error handler."""

from __future__ import annotations

import functools
import math
import os
import sys
from typing import Annotated, Any

import typer

from optscale_cli import __version__
from optscale_cli.commands import LazyGroup
from optscale_cli.complete import profile_names
from optscale_cli.context import AppState, set_state, state
from optscale_cli.output import Output, guard_streams

HELP = """Connect AI coding clients to your company's OptScale AI Gateway.

\b
Examples:
  optscale login --url https://HOST/llm_proxy/ORG/v1
  optscale models list
  optscale connection show --client opencode --model openai/gpt-4.1

Global options work anywhere on the line, e.g. `optscale models list --json`.
"""

MAX_TIMEOUT = 86400  # seconds (a day)

app = typer.Typer(
    name="optscale",
    cls=LazyGroup,  # each command's module is imported only when that command runs
    help=HELP,
    rich_markup_mode=None,
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"optscale {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    profile: Annotated[
        str | None,
        typer.Option(
            "--profile",
            help="Profile to use (env: OPTSCALE_PROFILE).",
            autocompletion=profile_names,
        ),
    ] = None,
    json_mode: Annotated[
        bool, typer.Option("--json", help="Print one JSON document on stdout, nothing else.")
    ] = False,
    no_color: Annotated[
        bool, typer.Option("--no-color", help="No colours (env: NO_COLOR).")
    ] = False,
    verbose: Annotated[
        bool, typer.Option("-v", "--verbose", help="More detail; tracebacks.")
    ] = False,
    ca_bundle: Annotated[
        str | None,
        typer.Option(
            "--ca-bundle",
            help="Extra CA certificate(s) to trust (PEM). Env: OPTSCALE_CA_BUNDLE, SSL_CERT_FILE.",
        ),
    ] = None,
    timeout: Annotated[
        float | None,
        typer.Option(
            "--timeout",
            help="Seconds for each whole network operation (default 30; doctor probes 10).",
        ),
    ] = None,
    allow_insecure_http: Annotated[
        bool,
        typer.Option(
            "--allow-insecure-http",
            help="DANGEROUS: allow a plain http:// gateway; the key travels unencrypted.",
        ),
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", "-V", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    current = state()
    current.output = Output(json_mode=json_mode, color=not no_color, verbose=verbose)
    if profile is not None:
        from optscale_cli.profiles import check_profile_name

        check_profile_name(profile)
    _check_timeout(timeout)
    _recover_interrupted(current.output)
    current.profile_name = profile
    current.ca_bundle = ca_bundle
    current.timeout = timeout
    current.allow_insecure_http = allow_insecure_http


_GLOBAL_FLAGS = {"--json", "--no-color", "-v", "--verbose", "--allow-insecure-http"}
_GLOBAL_VALUES = {"--profile", "--ca-bundle", "--timeout"}


def _check_timeout(timeout: float | None) -> None:
    if timeout is not None and not (math.isfinite(timeout) and 0 < timeout <= MAX_TIMEOUT):
        from optscale_cli.errors import UsageError

        raise UsageError(  # huge values overflow the timers and socket timeouts
            f"--timeout must be a number of seconds greater than 0 and at most {MAX_TIMEOUT}, "
            f"not {timeout:g}",
            "e.g. --timeout 60",
        )


def _recover_interrupted(output: Output) -> None:
    """An earlier run died while writing files: put them back before anything else."""
    from optscale_cli.paths import config_dir

    journal = config_dir() / "journal"
    if not (journal / "intent.json").exists():
        return
    from optscale_cli.edit.transaction import recover
    from optscale_cli.locks import file_lock

    with file_lock(config_dir() / "locks" / "edit.lock", "another optscale is editing"):
        said = recover(journal)
    output.warn(
        "an earlier optscale run was interrupted while writing files; it was rolled back"
        + "".join(f"\n  {line}" for line in said)
    )


def hoist_global_options(args: list[str]) -> list[str]:
    """Move global options to the front so they work anywhere (``models list --json``)."""
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest.extend(args[i:])
            break
        name = arg.split("=", 1)[0]
        if arg in _GLOBAL_FLAGS or (name in _GLOBAL_VALUES and "=" in arg):
            front.append(arg)
        elif arg in _GLOBAL_VALUES and i + 1 < len(args):
            front.extend(args[i : i + 2])
            i += 1
        else:
            rest.append(arg)
        i += 1
    return front + rest


def _json_requested(args: list[str]) -> bool:
    """Whether hoisted ``args`` ask for --json (not as the value of --profile or the like)."""
    i = 0
    while i < len(args) and args[i] != "--":
        if args[i] == "--json":
            return True
        i += 2 if args[i] in _GLOBAL_VALUES else 1
    return False


@functools.cache
def click_command() -> Any:
    """The click command ``app`` makes, built once per process. ``app(...)`` would build it
    again on every call, reading every global option's annotations anew: about 5 ms of each
    run when the CLI runs many times in one process (the tests do). The loaded commands stay
    with it (``LazyGroup``)."""
    import typer.main

    return typer.main.get_command(app)


def run(args: list[str]) -> int:
    """Run the CLI; return the exit code. Every failure path ends here as one clear line.

    Typer handles ``--help`` and Ctrl-C; click's usage errors (exit 2; a JSON document too
    under ``--json``), our own errors and any bug surface here.
    """
    from optscale_cli.errors import ExitCode, OptscaleError

    guard_streams()  # a non-UTF-8 stdout/stderr gets ASCII, never UnicodeEncodeError
    set_state(AppState())
    if "_OPTSCALE_COMPLETE" in os.environ:  # a shell asking for completions
        from typer._completion_classes import completion_init

        completion_init()
    try:
        from typer._click.exceptions import ClickException  # typer that vendors click
    except ImportError:  # pragma: no cover - older typer, on click itself
        from click.exceptions import ClickException

    args = hoist_global_options(args)
    try:
        # not standalone: click's usage errors come back here, to be shown in --json too
        result = click_command()(args=args, prog_name="optscale", standalone_mode=False)
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except ClickException as exc:  # a bad flag or value: click's own message, exit 2
        return _click_error(exc, args)
    except typer.Abort:
        sys.stderr.write("Aborted!\n")
        return int(ExitCode.FAILED)
    except OptscaleError as exc:
        state().output.error(exc)
        _traceback_if_verbose()
        return int(exc.exit_code)
    except KeyboardInterrupt:
        sys.stderr.write("interrupted; nothing was left half-written\n")
        return 130
    except Exception as exc:  # a bug of ours: say so in one line (a traceback with -v)
        from optscale_cli.errors import InternalError

        _traceback_if_verbose()
        error = InternalError(
            f"internal error: {type(exc).__name__}: {exc}",
            "run again with -v for a traceback, and report it",
        )
        state().output.error(error)
        return int(ExitCode.FAILED)
    except BaseException as exc:  # SIGTERM/SIGHUP during an edit (already rolled back)
        return _interrupted(exc)
    return result if isinstance(result, int) else 0  # typer.Exit(code) returns its code


def _click_error(exc: Any, args: list[str]) -> int:
    """Click's own message on stderr, and under --json the one JSON document too."""
    from optscale_cli.errors import ExitCode, OptscaleError, UsageError

    exc.show()
    if _json_requested(args):
        ctx = getattr(exc, "ctx", None)
        error = (UsageError if exc.exit_code == ExitCode.USAGE else OptscaleError)(
            exc.format_message(), f"see: {ctx.command_path if ctx else 'optscale'} --help"
        )
        Output(json_mode=True).json({"ok": False, "error": error.to_dict()})
    return int(exc.exit_code)


def _interrupted(exc: BaseException) -> int:
    from optscale_cli.edit.transaction import Interrupted

    if not isinstance(exc, Interrupted):
        raise exc
    sys.stderr.write("interrupted; every file was put back as it was\n")
    return 128 + int(exc.args[0])


def _traceback_if_verbose() -> None:
    """With -v, the traceback, redacted like everything else we print."""
    if not state().output.verbose:
        return
    import traceback

    from optscale_cli.redact import redact_text

    sys.stderr.write(redact_text(traceback.format_exc()))
