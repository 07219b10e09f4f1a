"""The one HTTP client for the gateway, with the one error handler.

Every request has a timeout, follows no redirects (a redirect could carry the key to another
origin, or downgrade to http), and maps failures onto our exit codes: 401/403 -> auth (3),
network and TLS -> 4, everything else the gateway says -> 1 with its own message.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from optscale_cli.errors import (
    AuthError,
    GatewayError,
    NetworkError,
    NotFoundError,
    TlsError,
)
from optscale_cli.redact import clean_text
from optscale_cli.tls import ssl_context
from optscale_cli.urls import GatewayLocation, Surface

if TYPE_CHECKING:
    import httpx

DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_READ_TIMEOUT = 30.0
USER_AGENT = "optscale-cli"

# Gateways (LiteLLM among them) sometimes answer a bad key with 400/500: recognise the body.
_AUTH_BODY_RE = re.compile(
    r"invalid.{0,20}(api[ _-]?key|token)|api[ _-]?key.{0,20}(invalid|not valid|expired)|"
    r"unauthori[sz]ed|authentication|no connected db",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Model:
    id: str
    provider: str
    owned_by: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def tool_calling(self) -> bool | None:
        """What the gateway says about tool calling, if it says anything."""
        caps = self.extra.get("capabilities")
        if isinstance(caps, dict):
            for key in ("tool_calling", "function_calling", "tools"):
                if isinstance(caps.get(key), bool):
                    return bool(caps[key])
        for key in ("supports_tool_calling", "supports_function_calling"):
            if isinstance(self.extra.get(key), bool):
                return bool(self.extra[key])
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "provider": self.provider,
            "owned_by": self.owned_by,
            "tool_calling": self.tool_calling,
        }


def model_from_entry(entry: dict[str, Any]) -> Model | None:
    model_id = entry.get("id")
    if not isinstance(model_id, str) or not model_id:
        return None
    owned_by = entry.get("owned_by") if isinstance(entry.get("owned_by"), str) else None
    provider = model_id.split("/", 1)[0] if "/" in model_id else (owned_by or "unknown")
    extra = {k: v for k, v in entry.items() if k not in ("id", "object", "owned_by", "created")}
    return Model(
        id=model_id,  # exact: the one validator (model_ids) decides, never a cleaned copy
        provider=clean_text(provider, 100),
        owned_by=owned_by,
        extra=extra,
    )


def gateway_message(response: httpx.Response) -> str | None:
    """The human message inside an OpenAI- or Anthropic-style error body, cleaned."""
    try:
        body = response.json()
    except ValueError:
        text = response.text.strip()
        return clean_text(text, 300) if text and len(text) < 300 else None
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict):
            for key in ("message", "reason", "detail"):
                if isinstance(err.get(key), str):
                    return clean_text(err[key], 300)
        elif isinstance(err, str):
            return clean_text(err, 300)
        if isinstance(body.get("detail"), str):
            return clean_text(body["detail"], 300)
    return None


def error_for_response(response: httpx.Response, what: str) -> Exception:
    """The one error handler: an HTTP answer that is not 2xx becomes one of our errors."""
    status = response.status_code
    message = gateway_message(response)
    said = f": {message}" if message else ""
    if 300 <= status < 400:
        location = clean_text(response.headers.get("location", "?"), 200)
        return GatewayError(
            f"{what}: the gateway redirected to {location}; refusing to follow",
            "use the final https:// URL directly",
            status,
        )
    if status == 401 or (status in (400, 500) and message and _AUTH_BODY_RE.search(message)):
        return AuthError(
            f"{what}: the gateway rejected the API key ({status}){said}",
            "check the key in the Chat dialog (AI Access) and run: optscale login",
        )
    if status == 403:
        return AuthError(
            f"{what}: forbidden by the gateway (403){said}",
            "your key's policy does not allow this; ask your OptScale admin",
        )
    if status == 404:
        return NotFoundError(f"{what}: not found (404){said}", None, status)
    if status == 429:
        return GatewayError(
            f"{what}: rate or budget limit reached (429){said}",
            "wait, or ask about your budget",
            status,
        )
    return GatewayError(f"{what}: the gateway answered {status}{said}", None, status)


def error_for_transport(exc: Exception, url: str, what: str) -> Exception:
    """Map an httpx transport failure to NetworkError/TlsError with a concrete fix."""
    import httpx

    host = httpx.URL(url).host
    text = f"{exc} {exc.__cause__ or ''} {exc.__context__ or ''}"
    if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text:
        if "expired" in text:
            return TlsError(
                f"{what}: the certificate of {host} has expired",
                "the gateway's admin must renew its certificate",
            )
        if "Hostname mismatch" in text or "IP address mismatch" in text or "doesn't match" in text:
            return TlsError(
                f"{what}: the certificate presented by {host} is not valid for {host}",
                "use the gateway's real host name, or have its certificate fixed",
            )
        return TlsError(
            f"{what}: certificate for {host} is not trusted",
            "pass --ca-bundle PATH (or set OPTSCALE_CA_BUNDLE / SSL_CERT_FILE) "
            "to your company's CA certificate; `optscale doctor` shows the issuer",
        )
    if isinstance(exc, httpx.TimeoutException):
        return NetworkError(
            f"{what}: {host} did not answer in time ({type(exc).__name__})",
            "check the URL and your network or proxy (HTTPS_PROXY); raise --timeout if slow",
        )
    if isinstance(exc, httpx.ProxyError):
        return NetworkError(f"{what}: proxy error: {exc}", "check HTTPS_PROXY / NO_PROXY")
    if "SSL" in text or "TLS" in text:
        return TlsError(f"{what}: TLS handshake with {host} failed: {clean_text(exc, 200)}")
    return NetworkError(
        f"{what}: cannot connect to {host}: {clean_text(exc, 200)}",
        "check the URL, DNS and your network or proxy (HTTPS_PROXY / NO_PROXY)",
    )


class GatewayClient:
    """Talks to one organization's proxy with one key."""

    def __init__(
        self,
        location: GatewayLocation,
        api_key: str,
        *,
        ca_bundle: str | None = None,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        read_timeout: float = DEFAULT_READ_TIMEOUT,
    ) -> None:
        import httpx

        self.location = location
        verify: Any = ssl_context(ca_bundle) if location.scheme == "https" else False
        self._http = httpx.Client(
            headers={"Authorization": f"Bearer {api_key}", "User-Agent": USER_AGENT},
            timeout=httpx.Timeout(read_timeout, connect=connect_timeout),
            verify=verify,
            follow_redirects=False,
            trust_env=True,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> GatewayClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def url(self, surface: Surface, path: str) -> str:
        return f"{self.location.surface_url(surface)}/{path.lstrip('/')}"

    def request(
        self, method: str, url: str, *, what: str, json: Any = None, headers: Any = None
    ) -> httpx.Response:
        import httpx

        try:
            response = self._http.request(method, url, json=json, headers=headers)
        except httpx.HTTPError as exc:
            raise error_for_transport(exc, url, what) from None
        if not response.is_success:
            raise error_for_response(response, what)
        return response

    @contextmanager
    def stream(
        self, method: str, url: str, *, what: str, json: Any = None, headers: Any = None
    ) -> Iterator[httpx.Response]:
        import httpx

        try:
            with self._http.stream(method, url, json=json, headers=headers) as response:
                if not response.is_success:
                    response.read()
                    raise error_for_response(response, what)
                yield response
        except httpx.HTTPError as exc:
            raise error_for_transport(exc, url, what) from None

    def list_models(self, surface: Surface = "openai") -> list[Model]:
        response = self.request("GET", self.url(surface, "models"), what="listing models")
        try:
            body = response.json()
        except ValueError:
            raise GatewayError("listing models: the gateway did not answer with JSON") from None
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list):
            raise GatewayError("listing models: unexpected answer (no 'data' list)")
        models = [m for m in (model_from_entry(e) for e in data if isinstance(e, dict)) if m]
        return sorted(models, key=lambda m: m.id)
