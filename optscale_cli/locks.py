"""Process locks on files in our own folder: one optscale at a time edits client configs
(``edit.lock``) and our own state (``state.lock``: config.toml, credentials.toml). Each lock is
re-entrant within a process, so a locked flow may call another that takes the same lock."""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

_local = threading.local()


@contextlib.contextmanager
def file_lock(
    path: Path, busy: str, timeout_s: float = 10.0, *, reentrant: bool = False
) -> Iterator[None]:
    """Hold an exclusive lock on ``path``; another holder (process or thread) makes this
    wait up to ``timeout_s``, then a Refused error says ``busy``. ``reentrant``: the thread
    that holds it may take it again."""
    from optscale_cli.errors import Refused
    from optscale_cli.paths import ensure_private_dir

    key = str(path)
    held: dict[str, int] = _local.__dict__.setdefault("held", {})
    if reentrant and held.get(key):
        held[key] += 1
        try:
            yield
        finally:
            held[key] -= 1
        return
    ensure_private_dir(path.parent)
    with open(path, "a+") as handle:
        deadline = time.monotonic() + timeout_s
        while not _try_lock(handle.fileno()):
            if time.monotonic() > deadline:
                raise Refused(busy, "wait for it to finish, then run this again")
            time.sleep(0.02)
        held[key] = 1
        try:
            yield
        finally:
            held[key] = 0
            _unlock(handle.fileno())


def state_lock() -> contextlib.AbstractContextManager[None]:
    """Our own state (profiles, stored keys) is read, merged and written under this lock."""
    from optscale_cli.paths import config_dir

    return file_lock(
        config_dir() / "locks" / "state.lock",
        "another optscale is changing its profiles",
        reentrant=True,
    )


def _try_lock(fd: int) -> bool:
    try:
        if sys.platform == "win32":
            import msvcrt

            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:  # BlockingIOError on POSIX, PermissionError on Windows
        return False
    return True


def _unlock(fd: int) -> None:
    if sys.platform == "win32":
        import msvcrt

        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
    else:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_UN)
