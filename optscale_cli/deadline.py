"""Run a call that might hang (a desktop keyring, DNS) with a deadline, without blocking exit."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def call_with_deadline(fn: Callable[[], T], timeout: float) -> T:
    """``fn()``, or TimeoutError after ``timeout`` seconds. The worker is a daemon thread, so
    a call that never returns cannot keep the process alive (a thread pool's would)."""
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["value"] = fn()
        except BaseException as exc:
            outcome["error"] = exc

    worker = threading.Thread(target=run, daemon=True, name="optscale-deadline")
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise TimeoutError(f"no answer within {timeout:g} s")
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["value"]  # type: ignore[return-value]
