"""The issue "any terminal": non-UTF-8 streams, NO_COLOR on a real terminal, examples in
every --help, and per-organization .mobileconfig identities."""

from __future__ import annotations

import json
import os
import plistlib
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from optscale_cli.clients.claude_desktop import PROFILE_ID, mobileconfig, written_by_us
from tests.conftest import Cli
from tests.gateway import GatewayStandIn


def _settings(org: str) -> dict[str, str]:
    return {
        "inferenceProvider": "gateway",
        "inferenceGatewayBaseUrl": f"https://gw.example/llm_proxy/{org}/anthropic",
        "inferenceGatewayAuthScheme": "bearer",
    }


def _ids(data: bytes) -> tuple[str, str, str, str]:
    profile = plistlib.loads(data)
    payload = profile["PayloadContent"][0]
    return (
        profile["PayloadIdentifier"],
        profile["PayloadUUID"],
        payload["PayloadIdentifier"],
        payload["PayloadUUID"],
    )


def test_mobileconfig_identity_differs_per_organization() -> None:
    """An MDM server treats equal PayloadUUIDs as one profile: two orgs must not collide."""
    one, two = _ids(mobileconfig(_settings("acme"))), _ids(mobileconfig(_settings("globex")))
    assert all(a != b for a, b in zip(one, two, strict=True))
    assert len({one[1], one[3], two[1], two[3]}) == 4
    for data in (mobileconfig(_settings("acme")), mobileconfig(_settings("globex"))):
        assert written_by_us(data)  # our own exports are still recognised (by prefix)
        assert _ids(data)[0].startswith(f"{PROFILE_ID}.")
    # the same org, another profile: other UUIDs, same identifier (it replaces on install)
    other = _ids(mobileconfig(_settings("acme"), "work"))
    assert other[0] == one[0] and other[1] != one[1] and other[3] != one[3]
    # an export from an older version (fixed identifier) is still ours to replace
    assert written_by_us(plistlib.dumps({"PayloadIdentifier": PROFILE_ID}))
    assert not written_by_us(plistlib.dumps({"PayloadIdentifier": f"{PROFILE_ID}evil"}))


def test_mobileconfig_same_org_is_byte_identical(
    cli: Cli, logged_in: GatewayStandIn, tmp_path: Path
) -> None:
    args = ["connect", "claude-desktop", "-m", "anthropic/claude-sonnet-4-0"]
    first, second = tmp_path / "a.mobileconfig", tmp_path / "b.mobileconfig"
    for out in (first, second):
        result = cli(*args, "--export", "mobileconfig", "--output", str(out))
        assert result.code == 0, result.all
    assert first.read_bytes() == second.read_bytes()
    assert mobileconfig(_settings("acme")) == mobileconfig(_settings("acme"))


# 1. a stream that cannot encode our symbols (Windows cp1252 when redirected, or ascii) ----

ENTRY = "from optscale_cli.main import main; main()"
COMMANDS = [
    ["doctor", "--offline"],
    ["status", "--offline"],
    ["status", "--offline", "--json"],
    ["profiles", "list"],
    ["clients"],
    ["--help"],
    ["models", "list"],
    ["models", "list", "--json"],
    ["connection", "show", "--client", "opencode", "--model", "openai/gpt-4.1"],
    ["connect", "opencode", "--model", "openai/gpt-4.1", "--dry-run"],
    ["env"],
    ["no-such-command"],
]


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-c", ENTRY, *args],
        capture_output=True,
        env={**os.environ, **env},
        timeout=120,
    )


@pytest.mark.parametrize("encoding", ["ascii", "cp1252"])
def test_narrow_encoding_never_crashes(cli: Cli, logged_in: GatewayStandIn, encoding: str) -> None:
    """Every command answers with its usual exit code, no traceback, and only bytes the
    stream's encoding can carry; JSON stays exact (\\u escapes where needed)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(6) as pool:
        gots = list(pool.map(lambda a: _run(a, {"PYTHONIOENCODING": encoding}), COMMANDS))
    for args, got in zip(COMMANDS, gots, strict=True):
        shown = " ".join(args)
        want = 2 if args == ["no-such-command"] else 0
        assert got.returncode == want, (shown, got.stderr.decode(encoding, "replace"))
        for stream in (got.stdout, got.stderr):
            text = stream.decode(encoding)  # strict: every byte is valid in the encoding
            assert "Traceback" not in text and "UnicodeEncodeError" not in text, (shown, text)
            assert "internal error" not in text, (shown, text)
        if "--json" in args:
            assert json.loads(got.stdout.decode(encoding)) == cli(*args).json(), shown
    status = gots[COMMANDS.index(["status", "--offline"])]
    doctor = gots[COMMANDS.index(["doctor", "--offline"])]
    assert b"sk-" in status.stdout and doctor.stdout.strip()
    if encoding == "ascii":  # our symbols, in ASCII
        assert b"sk-...abcd" in status.stdout
        assert b"ok All checks passed" in doctor.stdout


def test_fallback_text(monkeypatch: pytest.MonkeyPatch) -> None:
    """What a narrow stream receives: our symbols in ASCII, accents dropped, the rest '?';
    a UTF-8 stream is left alone."""
    import io

    from optscale_cli.output import guard_streams

    raw = io.BytesIO()
    narrow = io.TextIOWrapper(raw, encoding="ascii")
    wide = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    monkeypatch.setattr(sys, "stdout", narrow)
    monkeypatch.setattr(sys, "stderr", wide)
    guard_streams()
    assert wide.errors == "strict"
    narrow.write("✓ ✗ … → ─── Müller 日\n")
    narrow.flush()
    assert raw.getvalue() == b"ok x ... -> --- Muller ?\n"


# 2. no colour means no escape codes at all, on a real terminal -----------------------------


def _on_a_terminal(args: list[str], env: dict[str, str]) -> tuple[int, bytes]:
    """Run the CLI with stdin, stdout and stderr on a pseudo-terminal; all it wrote."""
    import pty

    master, slave = pty.openpty()
    full_env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "100", **env}
    for name in ("NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE"):
        if name not in env:
            full_env.pop(name, None)
    child = subprocess.Popen(
        [sys.executable, "-c", ENTRY, *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=full_env,
        close_fds=True,
    )
    os.close(slave)
    chunks: list[bytes] = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    return child.wait(timeout=120), b"".join(chunks)


TERMINAL_COMMANDS = [
    ["status"],
    ["doctor", "--offline"],
    ["clients"],
    ["models", "list"],
    ["connect", "opencode", "--model", "openai/gpt-4.1", "--dry-run"],
    ["status", "-v"],
    ["--help"],
    ["no-such-command"],
    ["models", "show", "no/such-model"],
]


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
@pytest.mark.parametrize(
    ("env", "flag"),
    [
        ({"NO_COLOR": "1"}, []),
        ({}, ["--no-color"]),
        ({"NO_COLOR": "1", "FORCE_COLOR": "1", "TTY_COMPATIBLE": "1"}, []),
    ],
    ids=["NO_COLOR", "--no-color", "NO_COLOR+FORCE_COLOR"],
)
def test_no_color_means_no_escape_codes_on_a_terminal(
    logged_in: GatewayStandIn, env: dict[str, str], flag: list[str]
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(lambda a: _on_a_terminal([*a, *flag], env), TERMINAL_COMMANDS))
    for args, (code, written) in zip(TERMINAL_COMMANDS, results, strict=True):
        assert written.strip(), args
        assert b"Traceback" not in written, (args, written)
        assert b"\x1b[" not in written, (args, code, written)
    # the control: the same terminal does get colour when nobody asked for none
    code, written = _on_a_terminal(["status"], {})
    assert code == 0 and b"\x1b[" in written, written


# 3. every --help page has examples, and the examples only use options that exist -------


def _command_paths() -> list[list[str]]:
    import typer

    from optscale_cli.app import app

    paths: list[list[str]] = []

    def walk(command: Any, path: list[str]) -> None:
        paths.append(path)
        if not hasattr(command, "list_commands"):
            return
        for name in sorted(command.list_commands(None)):  # the root loads them lazily
            walk(command.get_command(None, name), [*path, name])

    walk(typer.main.get_command(app), [])
    return paths


def _examples(help_text: str) -> list[list[str]]:
    """Each example's optscale invocation, without the shell around it (pipes, redirects)."""
    import shlex

    lines = help_text.split("Examples:", 1)[1].splitlines()[1:]
    found: list[list[str]] = []
    for line in lines:
        if not line.strip():
            break
        words = shlex.split(line.replace('"$(', " ").replace(')"', " "))
        if "optscale" not in words:
            continue
        args = words[words.index("optscale") + 1 :]
        for i, word in enumerate(args):
            if word in ("|", ">", ">>", "<", ";", "&&"):
                args = args[:i]
                break
        found.append(args)
    return found


def test_every_command_help_has_examples_that_parse(cli: Cli) -> None:
    paths = _command_paths()
    assert len(paths) >= 24 and ["profiles", "use"] in paths and ["models", "show"] in paths
    for path in paths:
        result = cli(*path, "--help")
        assert result.code == 0, (path, result.all)
        assert "Examples:" in result.out, f"optscale {' '.join(path)} --help has no examples"
        examples = _examples(result.out)
        assert examples, path
        for args in examples:
            # --help before any "--": click still rejects an unknown option or a bad choice
            cut = args.index("--") if "--" in args else len(args)
            parsed = cli(*args[:cut], "--help")
            assert parsed.code == 0, (path, args, parsed.all)
