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


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) with mode 0700 for the leaf."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path
