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
from hypothesis import given, settings
from hypothesis import strategies as st

from optscale_cli.clients import claude_code
from optscale_cli.clients.claude_code import top_level_key_in
from optscale_cli.edit.stores import MAX_CONFIG_BYTES, file_holds, read_if_regular
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


def test_file_holds_finds_bytes_across_its_reads_at_any_size(tmp_path: Path) -> None:
    path = tmp_path / "f"
    mib = 1 << 20
    for size in (0, 5, mib - 3, mib + 10, 3 * mib):
        path.write_bytes(b"x" * size)
        assert file_holds(path, b"NEEDLE") is False
        for at in {0, size // 2, size - 6, mib - 3, mib - 1, 2 * mib - 2}:
            if 0 <= at <= size - 6:
                data = bytearray(b"x" * size)
                data[at : at + 6] = b"NEEDLE"
                path.write_bytes(bytes(data))
                assert file_holds(path, b"NEEDLE") is True, (size, at)
    assert file_holds(tmp_path, b"x") is None
    assert file_holds(tmp_path / "missing", b"x") is None
    os.mkfifo(tmp_path / "fifo")
    assert file_holds(tmp_path / "fifo", b"x") is None


NAMES = st.sampled_from(
    ["primaryApiKey", "a", 'x"primaryApiKey', '[{"primaryApiKey', "primaryApiKey\\", "\\", '"', "{"]
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | NAMES | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(NAMES, inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(JSON_VALUES, st.sampled_from([None, 0, 2, "\t"]), st.booleans())
def test_a_top_level_key_is_found_where_json_reads_it(
    value: object, indent: object, ascii_only: bool
) -> None:
    raw = json.dumps(value, indent=indent, ensure_ascii=ascii_only).encode()  # type: ignore[arg-type]
    expected = isinstance(value, dict) and "primaryApiKey" in value
    assert top_level_key_in(raw, b'"primaryApiKey"') is expected, raw
    assert top_level_key_in(b"\xef\xbb\xbf \n" + raw, b'"primaryApiKey"') is expected
    stretch = claude_code._STRETCH
    try:  # strings with brackets cut out a few bytes at a time, as a big file's are
        claude_code._STRETCH = 5
        assert top_level_key_in(raw, b'"primaryApiKey"') is expected, raw
    finally:
        claude_code._STRETCH = stretch


def test_a_name_written_too_often_is_not_looked_at_one_place_at_a_time() -> None:
    """Past 1,000 places the answer is "not decided" (said as "may hold"), not minutes of
    looking; a file full of strings holding brackets is read in stretches, in C."""
    values = b'{"v": [' + b'"primaryApiKey", ' * 1001 + b'0], "primaryApiKey": 1}'
    assert top_level_key_in(values, b'"primaryApiKey"') is None
    brackets = b'{"v": [' + b'"[", ' * 1_000_000 + b'0], "primaryApiKey": 1}'
    assert top_level_key_in(brackets, b'"primaryApiKey"') is True


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
    # over the cap, the name is still searched for (1 MiB at a time), and said with care
    assert ("may hold" in connected.stdout + connected.stderr) is (kind == "huge")
    assert (LOGIN_WARNING in connected.stdout + connected.stderr) is (kind == "not utf-8")


def test_a_big_claude_state_is_looked_into_without_being_parsed(
    logged_in: GatewayStandIn, isolated_home: Path
) -> None:
    """16 MiB of history with the login's key at the end: found, in bounded memory (parsed,
    such a file took 100 MiB and more)."""
    history = [{"display": 'fix the "parser" \\ {[', "pastedContents": {}}] * 120_000
    state = {"numStartups": 3, "projects": {"/p": {"history": history}}, "primaryApiKey": "x"}
    (isolated_home / ".claude.json").write_text(json.dumps(state, indent=2))
    done = optscale("connect", "claude-code", "-m", "openai/gpt-4.1", "--yes")
    assert done.returncode == 0, done.stderr
    assert LOGIN_WARNING in done.stdout + done.stderr
    assert own_peak_mib(done.stderr) < 80


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


# --- logout: a client file left connected, looked into for the key ------------------------------


@pytest.mark.parametrize("kind", ["grown past the cap", "fifo"])
def test_logout_force_says_what_it_could_not_look_into(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path, kind: str
) -> None:
    """The key written in plain text is found in a file of any size (searched 1 MiB at a
    time); a file that cannot be looked into is named as not checked."""
    connect = ("connect", "claude-code", "-m", "openai/gpt-4.1", "--plaintext-key", "--yes")
    assert cli(*connect).code == 0
    settings = isolated_home / ".claude" / "settings.json"
    if kind == "fifo":
        settings.unlink()
        os.mkfifo(settings)
    else:
        with open(settings, "r+b") as handle:
            handle.truncate(MAX_CONFIG_BYTES + 4096)  # zeros after the JSON: no disk written
    out = cli("logout", "--force", "--json")
    assert out.code == 0, out.all
    result = out.json()
    held = [str(settings)] if kind != "fifo" else []
    assert result["still_holding_key"] == held  # type: ignore[index]
    assert result["not_checked"] == ([str(settings)] if kind == "fifo" else [])  # type: ignore[index]
    assert logged_in.GOOD_KEY not in out.all


# --- our own state, where something else was put -------------------------------------------------


@pytest.mark.parametrize(
    ("where", "args"),
    [
        ("connections/opencode.json", ("disconnect", "opencode", "--yes")),
        ("config.toml", ("status", "--offline")),
    ],
)
def test_a_fifo_in_our_own_state_is_a_clear_error_not_a_hang(
    logged_in: GatewayStandIn, tmp_path: Path, where: str, args: tuple[str, ...]
) -> None:
    odd = tmp_path / "optscale-config" / where
    odd.parent.mkdir(parents=True, exist_ok=True)
    odd.unlink(missing_ok=True)
    os.mkfifo(odd)
    done = optscale(*args)
    assert done.returncode == 1, done.stderr
    assert str(odd) in done.stderr and "FIFO" in done.stderr
    assert "internal error" not in done.stderr and "Traceback" not in done.stderr


def test_a_fifo_in_the_model_cache_is_a_miss_not_a_hang(
    cli: Cli, logged_in: GatewayStandIn, tmp_path: Path
) -> None:
    assert cli("models", "list").code == 0  # the list is cached, and indexed for completion
    cache = tmp_path / "optscale-config" / "cache"
    for path in cache.iterdir():
        path.unlink()
        os.mkfifo(path)
    listed = optscale("models", "list", "--json")
    assert listed.returncode == 0, listed.stderr  # fetched again from the gateway
    completed = subprocess.run(
        [sys.executable, "-c", "from optscale_cli.complete import *; print(cached_model_ids())"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
