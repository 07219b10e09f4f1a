"""Per-invocation state: the global options, the output sink, and lazy access to the profile."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from optscale_cli.output import Output

if TYPE_CHECKING:
    from optscale_cli.catalog import Catalog
    from optscale_cli.gateway import GatewayClient
    from optscale_cli.profiles import Profile


@dataclass
class AppState:
    output: Output = field(default_factory=Output)
    profile_name: str | None = None
    ca_bundle: str | None = None
    timeout: float | None = None
    allow_insecure_http: bool = False
    _profile: Profile | None = None

    def profile(self) -> Profile:
        if self._profile is None:
            from optscale_cli.profiles import resolve_profile

            self._profile = resolve_profile(
                self.profile_name,
                ca_bundle=self.ca_bundle,
                allow_insecure_http=self.allow_insecure_http,
            )
            for notice in self._profile.notices:
                self.output.warn(notice)
            if self._profile.location.scheme == "http":
                self.output.warn(
                    "plain http: the API key travels unencrypted (--allow-insecure-http)"
                )
        return self._profile

    def forget_profile(self) -> None:
        """Resolve the profile again on next use (after a login changed it)."""
        self._profile = None

    def client(self, profile: Profile | None = None) -> GatewayClient:
        from optscale_cli.gateway import open_client

        profile = profile or self.profile()
        key = profile.require_key()
        return open_client(profile.location, key, ca_bundle=profile.ca_bundle, timeout=self.timeout)

    def catalog(self, *, refresh: bool = False) -> Catalog:
        """The model list for the active profile, saying when it comes from the cache."""
        from optscale_cli.catalog import fetch_catalog, fresh_cache

        profile = self.profile()
        key = profile.require_key()
        # a fresh cache needs no client: no httpx, no ssl for a listing served locally
        catalog = None if refresh else fresh_cache(profile.location.base_url, key)
        if catalog is None:
            with self.client(profile) as client:
                catalog = fetch_catalog(client, key, refresh=refresh)
        if catalog.stale and refresh:
            reason = catalog.error.message if catalog.error else "gateway unreachable"
            self.output.warn(
                f"could not refresh the model list ({reason}); the list cached "
                f"{_ago(catalog.age_s)} is stale"
            )
        elif catalog.stale:
            self.output.warn(
                f"gateway unreachable; showing the model list cached "
                f"{_ago(catalog.age_s)} (may be stale)"
            )
        elif catalog.from_cache:
            self.output.debug(f"model list cached {_ago(catalog.age_s)}; --refresh to update")
        if not catalog.available:
            self.output.warn("this gateway does not publish a model list (GET /models: 404)")
        if catalog.rejected:
            from optscale_cli.redact import for_terminal

            shown = ", ".join(repr(for_terminal(r)) for r in catalog.rejected[:5])
            more = f" and {len(catalog.rejected) - 5} more" if len(catalog.rejected) > 5 else ""
            self.output.warn(
                f"left out {len(catalog.rejected)} model id(s) with characters optscale does "
                f"not write into client configs: {shown}{more}"
            )
        return catalog


def refresh_failed(catalog: Catalog, refresh: bool) -> None:
    """After showing it: a list that --refresh could not refresh is a failure (exit 4 for
    an unreachable gateway, else the gateway error's code), not stale data passed as new."""
    if refresh and catalog.stale:
        import typer

        from optscale_cli.errors import ExitCode

        code = catalog.error.exit_code if catalog.error else ExitCode.NETWORK
        raise typer.Exit(int(code))


def _ago(seconds: float) -> str:
    if seconds < 90:
        return f"{int(seconds)}s ago"
    if seconds < 5400:
        return f"{int(seconds // 60)} min ago"
    return f"{seconds / 3600:.1f} h ago"


_STATE: AppState | None = None


def set_state(state: AppState) -> None:
    global _STATE
    _STATE = state


def state() -> AppState:
    """The current invocation's state (commands call this instead of taking ctx)."""
    global _STATE
    if _STATE is None:
        _STATE = AppState()
    return _STATE
