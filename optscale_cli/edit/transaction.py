"""All or nothing across files: an intent journal, rollback on any error or signal, and
recovery of an interrupted run.

Before the first write, the journal (``<our dir>/journal/``, 0700) records every file about
to change with a copy of its original bytes (or that it did not exist) and the digest of
what will be written. Then the files are written one by one. On any error, Ctrl-C, SIGTERM
or SIGHUP, what was written is put back from memory and the journal removed. If the process
dies anyway (SIGKILL, power loss), the next optscale run finds the journal and puts the files
back (:func:`recover`), leaving alone any file changed since, and says which.

A test seam, ``OPTSCALE_FAULT=<step>:<action>``, makes a run fail on purpose after ``step``
writes (``sigint``, ``sigkill``, ``enospc``): the fault-injection tests use it on real
processes and files.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import signal
import stat
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from optscale_cli.edit.atomic import atomic_write, resolve_target


def _digest(data: bytes | None) -> str | None:
    return None if data is None else hashlib.sha256(data).hexdigest()


@dataclass
class Step:
    """One file to change: its path (through symlinks), what it held, what it will hold."""

    path: Path
    new: bytes | None  # None: delete it
    mode: int | None = None  # for the new content; None keeps the file's mode
    original: bytes | None = None  # read when the journal is first written with this step
    original_mode: int | None = None
    done: bool = False
    journaled: dict[str, object] | None = None  # its entry in the journal, once written


@dataclass
class Journal:
    folder: Path
    steps: list[Step] = field(default_factory=list)

    @property
    def intent(self) -> Path:
        return self.folder / "intent.json"

    def write(self) -> None:
        from optscale_cli.paths import ensure_private_dir

        ensure_private_dir(self.folder)
        entries = []
        for n, step in enumerate(self.steps):
            if step.journaled is None:  # once: read again after writing, it is our content
                step.journaled = self._entry(n, step)
            entries.append(step.journaled)
        atomic_write(self.intent, json.dumps({"files": entries}, indent=1), mode=0o600)

    def _entry(self, n: int, step: Step) -> dict[str, object]:
        target = resolve_target(step.path)
        try:
            step.original = target.read_bytes()
            step.original_mode = stat.S_IMODE(target.stat().st_mode)
        except FileNotFoundError:
            step.original = None
        copy = None
        if step.original is not None:
            copy = f"original-{n}"
            atomic_write(self.folder / copy, step.original, mode=0o600)
        return {
            "path": str(target),
            "original": copy,
            "original_mode": step.original_mode,
            "new_sha256": _digest(step.new),
        }

    def clear(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.intent.unlink()
        for leftover in self.folder.glob("original-*"):
            with contextlib.suppress(OSError):
                leftover.unlink()

    def roll_back(self) -> None:
        """Put back every file written so far, newest first."""
        for step in reversed(self.steps):
            if step.done:
                _restore(resolve_target(step.path), step.original, step.original_mode)
        self.clear()


def _restore(path: Path, original: bytes | None, mode: int | None) -> None:
    if original is None:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    else:
        atomic_write(path, original, mode=mode)


class Interrupted(BaseException):
    """SIGTERM or SIGHUP during a transaction (SIGINT arrives as KeyboardInterrupt)."""


@contextlib.contextmanager
def _signals_as_exceptions() -> Iterator[None]:
    """Turn SIGTERM/SIGHUP into an exception while files are being written, so the
    rollback runs; the previous handlers come back afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def raise_interrupted(signum: int, frame: object) -> None:
        raise Interrupted(signum)

    previous = {}
    for name in ("SIGTERM", "SIGHUP"):
        sig = getattr(signal, name, None)
        if sig is not None:
            previous[sig] = signal.signal(sig, raise_interrupted)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _fault(written: int) -> None:
    """The test seam: fail on purpose once ``written`` files are written."""
    spec = os.environ.get("OPTSCALE_FAULT")
    if not spec:
        return
    step, _, action = spec.partition(":")
    if not step.isdigit() or int(step) != written:
        return
    if action == "sigint":
        os.kill(os.getpid(), signal.SIGINT)
    elif action == "sigkill":
        os.kill(os.getpid(), signal.SIGKILL)
    elif action == "enospc":
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    elif action == "pause":  # parked until a signal arrives (at most 30 s)
        import sys
        import time

        sys.stderr.write("optscale: paused (OPTSCALE_FAULT)\n")
        sys.stderr.flush()
        time.sleep(30)


def run(
    folder: Path,
    steps: list[Step],
    write: Callable[[Step], None],
    then: Callable[[], list[Step]] | None = None,
) -> None:
    """Journal ``steps``, apply each with ``write``, then the steps ``then`` returns (our
    own records, which depend on what was written); all of them or none."""
    journal = Journal(folder, list(steps))
    journal.write()
    try:
        with _signals_as_exceptions():
            for step in journal.steps:
                step.done = True  # before: a failure half-way through is put back too
                write(step)
                _fault(sum(s.done for s in journal.steps))
            if then is not None:
                more = then()
                extra = Journal(folder, more)
                journal.steps += extra.steps
                journal.write()
                for step in more:
                    step.done = True
                    write(step)
                    _fault(sum(s.done for s in journal.steps))
    except BaseException:
        journal.roll_back()
        raise
    journal.clear()


def recover(folder: Path) -> list[str]:
    """After a run that died mid-way: put back each file it changed (unless it was
    changed again since), drop the journal, and return what was put back or left."""
    intent = folder / "intent.json"
    try:
        entries = json.loads(intent.read_text(encoding="utf-8"))["files"]
    except FileNotFoundError:
        return []
    except (OSError, ValueError, KeyError, TypeError):
        entries = []
    said = []
    for entry in entries if isinstance(entries, list) else []:
        try:
            said.append(_recover_one(folder, entry))
        except (OSError, KeyError, TypeError, ValueError) as exc:
            said.append(f"could not check {entry!r}: {exc}")
    Journal(folder).clear()
    return [s for s in said if s]


def _recover_one(folder: Path, entry: dict[str, object]) -> str:
    path = Path(str(entry["path"]))
    original = (folder / str(entry["original"])).read_bytes() if entry.get("original") else None
    try:
        current: bytes | None = path.read_bytes()
    except FileNotFoundError:
        current = None
    if current == original:
        return ""
    if _digest(current) != entry.get("new_sha256"):
        return f"left {path} as it is: it changed after the interrupted run"
    mode = entry.get("original_mode")
    _restore(path, original, int(mode) if isinstance(mode, int) else None)
    return f"put back {path}"
