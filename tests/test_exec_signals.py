"""exec and signals, with real processes: forwarding to the child, and 128+N exit statuses.

``optscale exec`` runs as a real subprocess in a session of its own (no controlling
terminal, its own process group), so a signal the test sends reaches exec alone and only
forwarding can get it to the child. The child reports on stdout; the test waits for those
lines, never for a fixed time, and every wait is bounded.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Cli
from tests.gateway import GatewayStandIn

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

TIMEOUT = 20.0

TRAPS_SIGINT = """
import signal, sys, time
def caught(signum, frame):
    print("caught", flush=True)
    time.sleep(1)
    sys.exit(0)
signal.signal(signal.SIGINT, caught)
print("ready", flush=True)
time.sleep(15)
sys.exit(3)
"""

TRAPS_SIGTERM = """
import signal, sys, time
def caught(signum, frame):
    print("caught", flush=True)
    sys.exit(7)
signal.signal(signal.SIGTERM, caught)
print("ready", flush=True)
time.sleep(15)
sys.exit(3)
"""


class Exec:
    """``optscale exec -- python -c CHILD`` as a real process, env-only profile."""

    def __init__(self, gateway: GatewayStandIn, child: str) -> None:
        env = {
            **os.environ,
            "OPTSCALE_URL": gateway.base_url,
            "OPTSCALE_API_KEY": GatewayStandIn.GOOD_KEY,
            "OPTSCALE_CA_BUNDLE": gateway.ca_pem_path,
        }
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "optscale_cli", "exec", "--", sys.executable, "-c", child],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        self._buffer = b""

    def read_line(self, timeout: float = TIMEOUT) -> str:
        """The next line of the child's stdout (through exec's inherited stdout)."""
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([fd], [], [], max(left, 0))
            if not ready:
                raise AssertionError(f"no line within {timeout}s; got {self._buffer!r}")
            chunk = os.read(fd, 4096)
            if not chunk:
                raise AssertionError(f"stdout closed; got {self._buffer!r}")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line.decode()

    def finish(self, timeout: float = TIMEOUT) -> tuple[int, str, str]:
        """Exit code, rest of stdout, stderr."""
        out, err = self.proc.communicate(timeout=timeout)
        return self.proc.returncode, (self._buffer + out).decode(), err.decode()

    def kill_all(self) -> None:
        # exec and anything it left behind: the session's process group id is exec's pid
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=TIMEOUT)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture
def run_exec(gateway: GatewayStandIn) -> Iterator[object]:
    started: list[Exec] = []

    def start(child: str) -> Exec:
        started.append(Exec(gateway, child))
        return started[-1]

    yield start
    for each in started:
        each.kill_all()


def test_sigint_is_forwarded_and_a_child_that_handles_it_keeps_running(run_exec) -> None:
    ex = run_exec(TRAPS_SIGINT)
    assert ex.read_line() == "ready"
    os.kill(ex.proc.pid, signal.SIGINT)
    assert ex.read_line() == "caught"
    code, _, err = ex.finish()
    # the child finished on its own a second later, and its code is exec's
    assert code == 0, err
    assert "Traceback" not in err and "internal error" not in err


def test_sigterm_is_forwarded_and_the_childs_code_is_exits(run_exec) -> None:
    ex = run_exec(TRAPS_SIGTERM)
    assert ex.read_line() == "ready"
    os.kill(ex.proc.pid, signal.SIGTERM)
    assert ex.read_line() == "caught"
    code, _, err = ex.finish()
    assert code == 7, err


@pytest.mark.parametrize(("signame", "expected"), [("SIGKILL", 128 + 9), ("SIGTERM", 128 + 15)])
def test_child_killed_by_a_signal_exits_128_plus_n(run_exec, signame: str, expected: int) -> None:
    ex = run_exec(f"import os, signal; os.kill(os.getpid(), signal.{signame})")
    code, _, err = ex.finish()
    assert code == expected, err
    assert "Traceback" not in err and "internal error" not in err


def test_plain_exit_code_passes_through(run_exec) -> None:
    code, _, err = run_exec("raise SystemExit(5)").finish()
    assert code == 5, err


def test_in_process_exit_status_and_handlers_restored(
    cli: Cli, logged_in: GatewayStandIn, tmp_path: Path
) -> None:
    """Through ``app.run`` (as the ``cli`` fixture calls it): 128+N, handlers put back."""
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGWINCH)}
    kill_self = "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"
    result = cli("exec", "--", sys.executable, "-c", kill_self)
    assert result.code == 137, result.all
    assert "internal error" not in result.all
    assert {s: signal.getsignal(s) for s in before} == before
