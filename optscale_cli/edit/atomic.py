"""Atomic file replacement: a crash leaves the old file or the new one, never half of one."""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path


def resolve_target(path: Path) -> Path:
    """Write through a symlink to its target, so the link itself survives."""
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def atomic_write(path: Path, data: str | bytes, *, mode: int | None = None) -> None:
    """Replace ``path`` with ``data``: temp file in the same directory, fsync, rename.

    The file keeps its current mode unless ``mode`` is given; a new file gets ``mode`` or
    0644 (0600 callers pass it explicitly for anything holding a secret).
    """
    target = resolve_target(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        current_mode: int | None = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        current_mode = None
    final_mode = mode if mode is not None else (current_mode if current_mode is not None else 0o644)
    import tempfile

    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, final_mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    fsync_dir(target.parent)


def fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
