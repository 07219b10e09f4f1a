"""sha256, without loading OpenSSL for a small input.

``hashlib`` loads OpenSSL's libcrypto (``_hashlib``: 3-5 ms, in every command that names its
model cache or a ledger's secret). CPython's own sha256 (``_sha2``; ``_sha256`` before 3.12)
gives the same digest and loads in well under a millisecond; OpenSSL's is faster on long
inputs (a 10 MB file: 26 against 46 ms), so from ``_LONG`` bytes (2 MB) on, hashlib does it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_LONG = 1 << 21  # bytes: a command digests a file once or twice; OpenSSL loads in 3-5 ms


def _builtin() -> Callable[[bytes], Any] | None:
    try:
        from _sha2 import sha256  # type: ignore[import-not-found]  # CPython 3.12+
    except ImportError:
        try:
            from _sha256 import sha256  # type: ignore[import-not-found,no-redef]  # 3.11
        except ImportError:  # a Python built with OpenSSL's hashes only
            return None
    return sha256  # type: ignore[no-any-return]


_SHORT_SHA256 = _builtin()


def sha256_hex(data: bytes) -> str:
    """The sha256 digest of ``data``, in hex."""
    if _SHORT_SHA256 is not None and len(data) < _LONG:
        return _SHORT_SHA256(data).hexdigest()  # type: ignore[no-any-return]
    import hashlib

    return hashlib.sha256(data).hexdigest()
