"""Programs `.ci/run` installs in the background while the tests run: the npm clients
(`npm`) and the fish and zsh shells (`shells`).

For each, `.ci/run` takes an exclusive lock on `$OPTSCALE_TEST_INSTALLS/<name>.lock` before it
starts the install and writes the exit status to `<name>.status` before it lets go. A test
that needs the program takes a shared lock on the same file, which blocks until the install
has ended, then reads the status: an event awaited, not a poll. The tests that need these
programs are ordered last (`conftest.pytest_collection_modifyitems`), so the rest run first.

Without `OPTSCALE_TEST_INSTALLS`, or without that lock file, nothing is waited for: a
developer's machine has the programs already or skips those tests with the reason.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


def wait_for_install(name: str) -> str | None:
    """Block until `.ci/run`'s background install `name` has ended. Return why it failed,
    for the skip message of a test whose program is then missing (None: it did not fail, or
    there was none); a program that is there anyway is used."""
    folder = os.environ.get("OPTSCALE_TEST_INSTALLS")
    if not folder or not (Path(folder) / f"{name}.lock").exists():
        return None
    lock = os.open(Path(folder) / f"{name}.lock", os.O_RDONLY)
    try:
        fcntl.flock(lock, fcntl.LOCK_SH)  # pytest-timeout ends a wait that never ends
    finally:
        os.close(lock)
    status = Path(folder) / f"{name}.status"
    said = status.read_text().strip() if status.exists() else "no status"
    if said == "0":
        return None
    log = Path(folder) / f"{name}.log"
    tail = log.read_text(errors="replace")[-600:] if log.exists() else ""
    return f"the background {name} install failed ({said}): {tail}"
