"""The one place TLS trust is decided. Verification is always on.

Trusted: the operating system's store (so corporate CAs work), certifi's bundle, the
``SSL_CERT_FILE`` bundle, and ``--ca-bundle`` / ``OPTSCALE_CA_BUNDLE``.
"""

from __future__ import annotations

import functools
import os
import ssl
import sys

from optscale_cli.errors import UsageError


def extra_bundles(ca_bundle: str | None) -> list[str]:
    bundles = [b for b in (ca_bundle, os.environ.get("SSL_CERT_FILE")) if b]
    for bundle in bundles:
        if not os.path.isfile(bundle):
            raise UsageError(
                f"CA bundle {bundle} does not exist", "check --ca-bundle / SSL_CERT_FILE"
            )
    return bundles


def ssl_context(ca_bundle: str | None = None) -> ssl.SSLContext:
    """A verifying client context: system store + certifi + any extra bundles.

    Built once per set of bundles (loading certifi costs a few milliseconds, and doctor
    needs the same context for several probes)."""
    return _cached_context(tuple(extra_bundles(ca_bundle)))


@functools.lru_cache(maxsize=8)
def _cached_context(extras: tuple[str, ...]) -> ssl.SSLContext:
    import certifi

    ctx: ssl.SSLContext
    if sys.platform in ("darwin", "win32") and not extras:
        # the OS verifier: the keychain / Windows store hold company CAs that OpenSSL's
        # default paths do not
        import truststore

        ctx = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # type: ignore[assignment]
    else:
        # Linux: OpenSSL's default paths are the system store. (truststore would reload the
        # whole system bundle on every handshake: ~35 ms each, measured here.)
        ctx = ssl.create_default_context()
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_verify_locations(cafile=certifi.where())
    for bundle in extras:
        try:
            ctx.load_verify_locations(cafile=bundle)
        except (ssl.SSLError, OSError) as exc:
            raise UsageError(f"cannot load CA bundle {bundle}: {exc}") from None
    return ctx
