"""Keep secrets and hostile server text out of the terminal."""

from __future__ import annotations

import re

_CONTROL = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def redact_key(key: str | None) -> str:
    """``sk-abc…wxyz`` style: enough to recognise a key, never enough to use it."""
    if not key:
        return "(none)"
    tail = key[-4:] if len(key) >= 12 else ""
    head = key[:3] if key.startswith("sk-") and len(key) >= 12 else ""
    return f"{head}…{tail}" if tail else "…"


def clean_text(text: object, limit: int = 500) -> str:
    """Strip terminal control sequences from text a server sent us, and cap its length."""
    cleaned = _CONTROL.sub("", str(text)).strip()
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"
