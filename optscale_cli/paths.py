"""Where our own state lives. ``OPTSCALE_CONFIG_DIR`` moves all of it (tests use that)."""

from __future__ import annotations

import os
from pathlib import Path


def config_dir() -> Path:
    override = os.environ.get("OPTSCALE_CONFIG_DIR")
    if override:  # absolute: paths to it are written into client configs and helpers
        return Path(os.path.abspath(Path(override).expanduser()))
    from platformdirs import user_config_dir

    return Path(user_config_dir("optscale", appauthor=False))


def make_dirs(path: Path, mode: int = 0o755) -> Path:
    """Create ``path`` and its missing parents with exactly ``mode`` whatever the umask
    (``mkdir``'s mode is masked by it: under ``umask 000`` a plain mkdir makes a folder anyone
    can write to, and so replace a config in). Existing folders are left as they are."""
    missing = []
    folder = path
    while not folder.exists():
        missing.append(folder)
        if folder.parent == folder:
            break
        folder = folder.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=mode)
        except FileExistsError:
            continue
        os.chmod(folder, mode)
    return path


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) 0700 whatever the umask: our own state, keys, helpers."""
    return make_dirs(path, 0o700)
