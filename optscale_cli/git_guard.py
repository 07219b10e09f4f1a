"""Never write a key where git would commit it."""

from __future__ import annotations

import subprocess
from pathlib import Path


def work_tree_of(path: Path) -> Path | None:
    """The git work tree ``path`` lies in, if any (found by its ``.git``, file or folder)."""
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def committable(path: Path) -> Path | None:
    """The work tree that would commit ``path`` (not ignored by git, or already tracked);
    None when ``path`` is outside any work tree or git ignores it. When git cannot answer,
    the file counts as committable: a key is only written where we know it is safe."""
    root = work_tree_of(path)
    if root is None:
        return None
    try:
        done = subprocess.run(
            ["git", "-C", str(root), "check-ignore", "-q", "--", str(path.absolute())],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return root
    return None if done.returncode == 0 else root
