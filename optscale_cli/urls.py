"""The gateway's addresses: parse what users paste, derive each client's base URL."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from optscale_cli.errors import UsageError

Surface = Literal["openai", "cursor", "anthropic"]
SURFACE_SUFFIX: dict[str, str] = {"openai": "v1", "cursor": "cursor", "anthropic": "anthropic"}

_ORG_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._~-]{0,127}")  # (fullmatch: `$` takes a final \n)
# what we accept in a gateway URL: it is written into client configs and helper scripts
_HOST_RE = re.compile(
    r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
)
_PREFIX_RE = re.compile(r"(?:/[A-Za-z0-9._~-]+)*")
_PROXY_RE = re.compile(r"(?P<prefix>.*?)/llm_proxy/(?P<org>[^/]+)(?:/(?P<rest>.*))?")


@dataclass(frozen=True)
class GatewayLocation:
    """Where one organization's LLM proxy lives: ``{origin}/llm_proxy/{org}/…``."""

    origin: str  # scheme://host[:port][/path-prefix], no trailing slash
    org: str

    @property
    def scheme(self) -> str:
        return urlsplit(self.origin).scheme

    @property
    def host(self) -> str:
        return urlsplit(self.origin).hostname or ""

    @property
    def proxy_root(self) -> str:
        return f"{self.origin}/llm_proxy/{self.org}"

    @property
    def base_url(self) -> str:
        """The Base URL the Chat dialog shows (OpenAI-compatible, ``…/v1``)."""
        return self.surface_url("openai")

    def surface_url(self, surface: Surface) -> str:
        return f"{self.proxy_root}/{SURFACE_SUFFIX[surface]}"

    def surface_urls(self) -> dict[str, str]:
        """Every base URL of this gateway, by surface: the URLs its key belongs to."""
        return {s: f"{self.proxy_root}/{suffix}" for s, suffix in SURFACE_SUFFIX.items()}


def _checked_host(hostname: str, raw: str) -> str:
    """A host name (IDNA-encoded, lower case, a trailing dot dropped) or an IP literal."""
    import ipaddress

    host = hostname.lower().rstrip(".")
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    try:  # an ASCII name is its own IDNA form, and _HOST_RE checks what the codec would
        host = host if host.isascii() else host.encode("idna").decode("ascii")
    except UnicodeError:
        raise UsageError(f"invalid host name in {raw}") from None
    if not _HOST_RE.fullmatch(host):
        raise UsageError(f"invalid host name in {raw}")
    return host


_PASTE_HINT = "pass the Base URL from the Chat dialog, e.g. https://host/llm_proxy/<org>/v1"


def parse_gateway_url(
    url: str, org: str | None = None, *, allow_insecure_http: bool = False
) -> GatewayLocation:
    """Accept the gateway origin (then ``org`` is required) or any pasted proxy URL.

    ``https://host`` + org, ``https://host/llm_proxy/ORG/v1`` (the Chat dialog's Base URL),
    and the ``/cursor`` and ``/anthropic`` forms all give the same location.
    """
    raw = url.strip()
    parts = _split(raw)
    scheme = _checked_scheme(parts.scheme, raw, allow_insecure_http)
    netloc = _checked_netloc(parts, raw)
    prefix, url_org = _proxy_path(parts.path.rstrip("/"), raw)
    if url_org and org and url_org != org:
        raise UsageError(
            f"--org {org} does not match the organization {url_org} in the URL",
            "drop --org, or paste the Base URL for that organization",
        )
    chosen = url_org or org
    if not chosen:
        raise UsageError(
            f"no organization in {raw}",
            "pass --org <organization_id>, or paste the full Base URL "
            "https://host/llm_proxy/<org>/v1 from the Chat dialog",
        )
    if not _ORG_RE.fullmatch(chosen):
        raise UsageError(f"invalid organization id {chosen!r}")
    return GatewayLocation(origin=f"{scheme}://{netloc}{prefix}", org=chosen)


def _split(raw: str) -> Any:
    if "://" not in raw:
        raise UsageError(f"{raw!r} is not a URL", _PASTE_HINT)
    try:
        parts = urlsplit(raw)
    except ValueError as exc:  # e.g. "Invalid IPv6 URL" for an unclosed [
        raise UsageError(f"invalid URL {raw}: {exc}", _PASTE_HINT) from None
    if parts.username or parts.password:
        raise UsageError("the URL must not contain a user name or password", "pass the key apart")
    if parts.query or parts.fragment:
        raise UsageError(f"unexpected query or fragment in {raw}")
    return parts


def _checked_scheme(scheme: str, raw: str, allow_insecure_http: bool) -> str:
    scheme = scheme.lower()
    if scheme == "http" and not allow_insecure_http:
        raise UsageError(
            f"refusing plain http:// URL {raw}: the API key would travel unencrypted",
            "use the https:// URL; to override for a lab gateway pass --allow-insecure-http",
        )
    if scheme not in ("https", "http"):
        raise UsageError(f"unsupported URL scheme {scheme!r} in {raw}", "use https://")
    return scheme


def _checked_netloc(parts: Any, raw: str) -> str:
    """``host[:port]``: a checked host name or IP literal, and a port from 1 to 65535."""
    if not parts.hostname:
        raise UsageError(f"no host in {raw}")
    host = _checked_host(parts.hostname, raw)
    try:
        port = parts.port
    except ValueError:
        port = -1
    if port is not None and not 1 <= port <= 65535:  # 0 would silently become the default
        raise UsageError(f"invalid port in {raw}", "ports are numbers from 1 to 65535")
    netloc = f"[{host}]" if ":" in host else host  # IPv6 literal
    return f"{netloc}:{port}" if port else netloc


def _proxy_path(path: str, raw: str) -> tuple[str, str | None]:
    """The path prefix before ``/llm_proxy/<org>``, and the org if the URL names one."""
    match = _PROXY_RE.fullmatch(path)
    url_org: str | None = None
    prefix = path
    if match:
        prefix, url_org = match.group("prefix"), match.group("org")
        rest = match.group("rest") or ""
        if rest and rest.split("/")[0] not in SURFACE_SUFFIX.values():
            raise UsageError(
                f"unexpected path after the organization in {raw}",
                "expected …/llm_proxy/<org>/v1 (or /cursor, /anthropic)",
            )
    if not _PREFIX_RE.fullmatch(prefix):
        raise UsageError(f"unexpected characters in the path of {raw}", _PASTE_HINT)
    return prefix, url_org
