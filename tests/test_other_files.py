"""Files we only look into, never edit (Claude Code's ~/.claude.json, an OpenCode config
beside the one we edit, a CA bundle, a key file), and a key handed over on stdin: each is read
only when it is a regular file, and only up to a cap. A FIFO there never hangs a command, a
directory never makes an internal error, and a huge file is not read at all.

Every command here runs in its own process, under a timeout: a read that blocks fails the
test instead of hanging the suite."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from optscale_cli.edit.stores import MAX_CONFIG_BYTES, read_if_regular
from tests.conftest import Cli
from tests.gateway import GatewayStandIn

# the child's own peak memory (see test_bounded.py for why VmHWM)
_REPORT_OWN_PEAK = (
    "import atexit, sys; atexit.register(lambda: sys.stderr.write(''.join("
    "'own-peak-' + line for line in open('/proc/self/status') if line.startswith('VmHWM:')))); "
)
HUGE = MAX_CONFIG_BYTES + 4096  # a sparse file: no disk written, but larger than the cap


def optscale(*args: str, stdin: int | None = subprocess.DEVNULL) -> subprocess.CompletedProcess:  # type: ignore[type-arg]
    """``optscale ARGS`` in its own process (the test's HOME, config dir and CA are inherited:
    they are in os.environ), reporting its own peak memory on stderr."""
    code = _REPORT_OWN_PEAK + "from optscale_cli.main import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        stdin=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def own_peak_mib(stderr: str) -> float:
    found = re.search(r"^own-peak-VmHWM:\s+(\d+) kB$", stderr, re.MULTILINE)
    assert found, stderr
    return int(found.group(1)) / 1024


def huge_file(path: Path, head: bytes) -> None:
    """``head``, then nothing but zeros up to HUGE bytes, without writing them."""
    with open(path, "wb") as handle:
        handle.write(head)
        handle.truncate(HUGE)


# --- the reader -----------------------------------------------------------------------------


def test_read_if_regular_reads_only_a_regular_file_within_the_cap(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.write_bytes(b"\xff\x00 any bytes")
    assert read_if_regular(plain) == b"\xff\x00 any bytes"
    assert read_if_regular(plain, cap=len(b"\xff\x00 any bytes")) is not None
    assert read_if_regular(plain, cap=3) is None  # larger than the cap
    assert read_if_regular(tmp_path / "missing") is None
    assert read_if_regular(tmp_path) is None  # a directory
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    assert read_if_regular(fifo) is None  # returns at once: nobody ever writes to it
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    assert read_if_regular(loop) is None
    assert read_if_regular(Path("/dev/zero")) is None  # a device that never ends
    assert read_if_regular(tmp_path / "nul\0name") is None
    link = tmp_path / "link"
    link.symlink_to(plain)
    assert read_if_regular(link) == plain.read_bytes()  # a symlink to a file is that file


# --- OpenCode: which of its configs to edit --------------------------------------------------


@pytest.mark.parametrize("kind", ["fifo", "directory"])
def test_something_odd_where_opencode_keeps_its_config_is_a_clear_error(
    logged_in: GatewayStandIn, isolated_home: Path, kind: str
) -> None:
    folder = isolated_home / ".config/opencode"
    folder.mkdir(parents=True)
    odd = folder / "opencode.json"
    os.mkfifo(odd) if kind == "fifo" else odd.mkdir()
    done = optscale("connect", "opencode", "-m", "openai/gpt-4.1", "--yes")
    assert done.returncode == 1, done.stderr
    assert str(odd) in done.stderr
    assert ("FIFO" if kind == "fifo" else "directory") in done.stderr
    assert "internal error" not in done.stderr and "Traceback" not in done.stderr


def test_opencode_config_that_holds_our_provider_is_preferred_whatever_its_bytes(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path
) -> None:
    """Of two configs, the one that already names our provider is edited, even when the
    other is not UTF-8 (looked into as bytes, not decoded)."""
    folder = isolated_home / ".config/opencode"
    folder.mkdir(parents=True)
    (folder / "opencode.json").write_bytes(b'{"theme": "\xff"}')
    ours = folder / "opencode.jsonc"
    ours.write_text('{"provider": {"optscale": {}}}\n')
    result = cli("connect", "opencode", "-m", "openai/gpt-4.1", "--yes", "--json")
    assert result.code == 0, result.all
    assert "openai/gpt-4.1" in ours.read_text()
    assert (folder / "opencode.json").read_bytes() == b'{"theme": "\xff"}'


# --- Claude Code's own state file, looked into for a login's key -----------------------------

LOGIN_WARNING = "holds a primaryApiKey from an Anthropic login"


@pytest.mark.parametrize(
    ("content", "warned"),
    [
        ({"primaryApiKey": "sk-ant-xxxx", "numStartups": 3}, True),
        ({"projects": {"/p": {"primaryApiKey": "nested, not a login"}}}, False),
        ({"numStartups": 3}, False),
        (["primaryApiKey"], False),
    ],
)
def test_claude_code_login_key_is_warned_about_only_at_the_top_level(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path, content: object, warned: bool
) -> None:
    (isolated_home / ".claude.json").write_text(json.dumps(content))
    result = cli("connect", "claude-code", "-m", "openai/gpt-4.1", "--yes")
    assert result.code == 0, result.all
    assert (LOGIN_WARNING in result.all) is warned


@pytest.mark.parametrize("kind", ["fifo", "directory", "not utf-8", "huge"])
def test_claude_codes_state_file_never_hangs_fails_or_fills_memory(
    logged_in: GatewayStandIn, isolated_home: Path, kind: str
) -> None:
    state = isolated_home / ".claude.json"
    if kind == "fifo":
        os.mkfifo(state)
    elif kind == "directory":
        state.mkdir()
    elif kind == "not utf-8":
        state.write_bytes(b'{"primaryApiKey": "\xff\xfe"}')
    else:
        huge_file(state, b'{"primaryApiKey": "sk-ant-xxxx", "pad": "')
    connected = optscale("connect", "claude-code", "-m", "openai/gpt-4.1", "--yes")
    assert connected.returncode == 0, connected.stderr
    doctor = optscale("doctor", "--offline", "--client", "claude-code", "--json")
    assert doctor.returncode in (0, 1), doctor.stderr
    for done in (connected, doctor):
        assert "internal error" not in done.stderr and "Traceback" not in done.stderr
        assert own_peak_mib(done.stderr) < 80, kind  # read whole: 159 MiB; now 32


# --- a key handed over ------------------------------------------------------------------------


def test_a_key_on_stdin_that_never_ends_is_refused(
    logged_in: GatewayStandIn, isolated_home: Path
) -> None:
    with open("/dev/zero", "rb") as zeros:
        done = optscale(
            "login", "--url", logged_in.base_url, "--api-key-stdin", stdin=zeros.fileno()
        )
    assert done.returncode == 2, done.stderr
    assert "API key" in done.stderr and "Traceback" not in done.stderr
    assert own_peak_mib(done.stderr) < 80


def test_a_key_file_that_never_ends_is_refused(
    logged_in: GatewayStandIn, isolated_home: Path
) -> None:
    done = optscale("setup", "--url", logged_in.base_url, "--api-key-file", "/dev/zero", "--yes")
    assert done.returncode == 2, done.stderr
    assert "/dev/zero" in done.stderr and "Traceback" not in done.stderr
    assert own_peak_mib(done.stderr) < 80


@pytest.mark.parametrize("given", [b"sk-\xff\n", b""], ids=["not utf-8", "closed"])
def test_a_key_on_stdin_that_is_not_text_or_not_there_is_a_usage_error(
    logged_in: GatewayStandIn, isolated_home: Path, given: bytes
) -> None:
    """Under a strict UTF-8 stdin (what a UTF-8 locale gives) and with stdin closed."""
    code = _REPORT_OWN_PEAK + "from optscale_cli.main import main; main()"
    args = ["login", "--url", logged_in.base_url, "--api-key-stdin"]
    env = {**os.environ, "PYTHONIOENCODING": "utf-8:strict"}
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        input=given if given else None,
        stdin=None if given else subprocess.DEVNULL,
        capture_output=True,
        env=env,
        timeout=60,
        check=False,
        # closed: the child starts with no file descriptor 0 at all
        preexec_fn=None if given else (lambda: os.close(0)),
    )
    stderr = done.stderr.decode()
    assert done.returncode == 2, stderr
    assert "internal error" not in stderr and "Traceback" not in stderr


# --- our own files, where something else was put ----------------------------------------------


def test_a_fifo_in_place_of_our_key_file_is_refused_not_waited_on(
    logged_in: GatewayStandIn, isolated_home: Path, tmp_path: Path
) -> None:
    """Our own files are checked as the client's are before the run journals them: a FIFO
    where the key file goes is named and refused, and nothing is written."""
    from optscale_cli.secrets import key_file_path

    key_file = key_file_path("default")
    key_file.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(key_file)
    done = optscale("connect", "opencode", "-m", "openai/gpt-4.1", "--yes")
    assert done.returncode == 1, done.stderr
    assert str(key_file) in done.stderr and "FIFO" in done.stderr
    assert not (isolated_home / ".config/opencode/opencode.json").exists()
    assert not (tmp_path / "optscale-config" / "journal" / "intent.json").exists()


def test_a_fifo_where_an_interrupted_run_wrote_is_left_and_nothing_hangs(
    logged_in: GatewayStandIn, isolated_home: Path, tmp_path: Path
) -> None:
    """The next command's recovery looks at each file the journal names: one that is now a
    FIFO is not what the run wrote, so it is left as it is, and the command goes on."""
    folder = isolated_home / ".continue"
    folder.mkdir()
    config, dotenv = folder / "config.yaml", folder / ".env"
    config.write_text("name: mine\nversion: 1.0.0\nschema: v1\nmodels: []\n")
    dotenv.write_text("OTHER=1\n")
    killed = optscale_with_env(
        {"OPTSCALE_FAULT": "2:sigkill"}, "connect", "continue", "-m", "openai/gpt-4.1", "--yes"
    )
    assert killed.returncode == -9, killed.stderr
    config.unlink()
    os.mkfifo(config)
    after = optscale("clients", "--json")
    assert after.returncode == 0, after.stderr
    assert f"left {config} as it is" in after.stderr
    assert not (tmp_path / "optscale-config" / "journal" / "intent.json").exists()


def optscale_with_env(extra: dict[str, str], *args: str) -> subprocess.CompletedProcess:  # type: ignore[type-arg]
    code = _REPORT_OWN_PEAK + "from optscale_cli.main import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        env={**os.environ, **extra},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
