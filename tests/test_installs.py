"""The wait on `.ci/run`'s background installs (tests/installs.py), with a real lock held by
another process the way `.ci/run` holds it: the status is written just before the lock is
let go, so a wait that did not block would find no status."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.installs import wait_for_install


def _hold(folder: Path, name: str, status: str) -> subprocess.Popen[str]:
    """A process holding NAME.lock until told to end; it writes NAME.status, then ends."""
    if shutil.which("flock") is None or not Path("/proc/locks").exists():
        pytest.skip("needs flock (util-linux) and Linux's /proc/locks")
    lock = folder / f"{name}.lock"
    lock.touch()
    holder = subprocess.Popen(
        [
            "flock",
            "-x",
            str(lock),
            "sh",
            "-c",
            f'echo held; read _; echo {status} > "$0"',
            str(folder / f"{name}.status"),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline() == "held\n"
    return holder


def _let_go_once_waited_for(holder: subprocess.Popen[str], lock: Path) -> None:
    """Tell the holder to end once another lock request waits on ``lock``: Linux lists a
    blocked request in /proc/locks with ``->``. Nothing signals that moment, so this looks."""
    import threading
    import time

    inode = f":{lock.stat().st_ino} "

    def let_go() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            waiting = Path("/proc/locks").read_text().splitlines()
            if any("->" in line and inode in line for line in waiting):
                break
            time.sleep(0.01)
        assert holder.stdin is not None
        holder.stdin.write("\n")
        holder.stdin.close()

    threading.Thread(target=let_go, daemon=True).start()


@pytest.mark.parametrize(("status", "fails"), [("0", False), ("3", True)])
def test_waits_for_the_install_and_says_why_it_failed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, status: str, fails: bool
) -> None:
    monkeypatch.setenv("OPTSCALE_TEST_INSTALLS", str(tmp_path))
    (tmp_path / "clients.log").write_text("npm error 404 Not Found\n")
    holder = _hold(tmp_path, "clients", status)
    _let_go_once_waited_for(holder, tmp_path / "clients.lock")
    try:
        failed = wait_for_install("clients")  # returns once the lock is let go
        if fails:
            assert failed is not None and "failed (3)" in failed and "404 Not Found" in failed
        else:
            assert failed is None
            assert (tmp_path / "clients.status").read_text().strip() == "0"
    finally:
        holder.wait(timeout=30)


def test_nothing_is_waited_for_without_a_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPTSCALE_TEST_INSTALLS", raising=False)
    assert wait_for_install("clients") is None
    monkeypatch.setenv("OPTSCALE_TEST_INSTALLS", str(tmp_path))
    assert wait_for_install("clients") is None  # no clients.lock: no install under way


def test_a_failed_shells_install_skips_only_the_shells_it_did_not_bring(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """bash is always there: its quoting tests run even when fish/zsh failed to install."""
    from tests.test_shell_quoting import _need_shell

    monkeypatch.setenv("OPTSCALE_TEST_INSTALLS", str(tmp_path))
    (tmp_path / "shells.lock").touch()  # the install has ended: nobody holds it
    (tmp_path / "shells.status").write_text("100\n")
    _need_shell("bash")  # no skip
    with pytest.raises(pytest.skip.Exception, match=r"no-such-shell is not .*failed \(100\)"):
        _need_shell("no-such-shell")
