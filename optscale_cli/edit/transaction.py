"""All or nothing across files: an intent journal, rollback on any error or signal, and
recovery of an interrupted run.

Before the first write, the journal (``<our dir>/journal/``, 0700) records every file about
to change with a copy of its original bytes (or that it did not exist) and the digest of
what will be written. A backup that holds exactly the original bytes of another file in the
run is made as a hard link to the journal's copy of them (one write of the bytes, not two),
and its entry names that copy instead of a digest. Then the files are written one by one.
On any error, Ctrl-C, SIGTERM or SIGHUP, what was written is put back from memory and the
journal removed. If the process dies anyway (SIGKILL, power loss), the next optscale run
finds the journal and puts the files back (:func:`recover`), leaving alone any file changed
since, and says which.

A test seam, ``OPTSCALE_FAULT=<step>:<action>``, makes a run fail on purpose after ``step``
writes (``sigint``, ``sigkill``, ``enospc``): the fault-injection tests use it on real
processes and files.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import signal
import stat
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from optscale_cli.digests import sha256_hex
from optscale_cli.edit.atomic import atomic_write, fsync_dir, resolve_target


def _digest(data: bytes | None) -> str | None:
    # sha256, as every journal has said: an older optscale that finds this journal after a
    # crash can still tell our writes from the user's
    return None if data is None else sha256_hex(data)


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
    # a backup: the step whose original bytes ``new`` may be (then made as a link to them)
    copy_of: Step | None = None
    link_from: Path | None = None  # the journal's copy of those bytes, once found equal


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
        # once each: read again after writing, a file is our content; a backup's entry
        # after the entry of the file it copies (whose original it may link to)
        new = [(n, s) for n, s in enumerate(self.steps) if s.journaled is None]
        from optscale_cli.edit.stores import refuse_special

        for _, step in new:  # before any copy: a FIFO there would hang the read of it
            refuse_special(resolve_target(step.path))
        for n, step in sorted(new, key=lambda item: item[1].copy_of is not None):
            step.journaled = self._entry(n, step)
        entries = [step.journaled for step in self.steps]
        atomic_write(self.intent, json.dumps({"files": entries}, indent=1), mode=0o600)

    def _entry(self, n: int, step: Step) -> dict[str, object]:
        from optscale_cli.edit.stores import read_capped

        target = resolve_target(step.path)
        try:
            step.original = read_capped(target)
            step.original_mode = stat.S_IMODE(target.stat().st_mode)
        except FileNotFoundError:
            step.original = None
        copy = None
        if step.original is not None:
            copy = f"original-{n}"
            atomic_write(self.folder / copy, step.original, mode=0o600)
        entry: dict[str, object] = {
            "path": str(target),
            "original": copy,
            "original_mode": step.original_mode,
        }
        source = step.copy_of
        if source is not None and source.original is not None and source.original == step.new:
            copied = source.journaled["original"]  # type: ignore[index]
            step.link_from = self.folder / str(copied)
            entry["new_as"] = copied  # what it will hold: that copy's bytes
        else:
            entry["new_sha256"] = _digest(step.new)
        return entry

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
    from optscale_cli.edit.stores import read_if_regular

    original = (folder / str(entry["original"])).read_bytes() if entry.get("original") else None
    try:
        path.stat()
    except FileNotFoundError:
        current = None
    else:  # not a regular file now, or grown past the cap: not what the run wrote
        current = read_if_regular(path)
        if current is None:
            return f"left {path} as it is: it changed after the interrupted run"
    if current == original:
        return ""
    if not _is_what_was_written(folder, entry, current):
        return f"left {path} as it is: it changed after the interrupted run"
    mode = entry.get("original_mode")
    _restore(path, original, int(mode) if isinstance(mode, int) else None)
    return f"put back {path}"


def _is_what_was_written(folder: Path, entry: dict[str, object], current: bytes | None) -> bool:
    if entry.get("new_as"):
        return current == (folder / str(entry["new_as"])).read_bytes()
    return _digest(current) == entry.get("new_sha256")


def link_or_write(step: Step) -> None:
    """A new file of ours holding ``step.new``: a hard link to the journal's copy of the
    same bytes when there is one (no second write), else written. The link never replaces
    a file (a backup's name is new); any failure to link (another file system, no links
    there) writes the bytes instead."""
    if step.link_from is not None:
        try:
            os.link(step.link_from, step.path)
        except OSError:
            pass
        else:
            fsync_dir(step.path.parent)
            return
    atomic_write(step.path, step.new or b"", mode=step.mode or 0o600)
