"""What this key may use: the gateway's model list, cached briefly, and model name lookup."""

from __future__ import annotations

import contextlib
import difflib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from optscale_cli.edit.atomic import atomic_write
from optscale_cli.errors import (
    GatewayError,
    NetworkError,
    NotFoundError,
    OptscaleError,
    UsageError,
)
from optscale_cli.model_ids import check_model_id, valid_model_ids
from optscale_cli.model_list import Model, models_from_entries
from optscale_cli.paths import config_dir, ensure_private_dir

if TYPE_CHECKING:
    from optscale_cli.gateway import GatewayClient

CACHE_TTL_S = 300.0


@dataclass
class Catalog:
    models: list[Model] | None  # None: this gateway does not serve a model list
    fetched_at: float
    from_cache: bool = False
    stale: bool = False  # served from an old cache because the gateway could not be reached
    rejected: list[str] = field(default_factory=list)  # ids we will not write anywhere
    error: OptscaleError | None = None  # with stale: why the gateway gave no fresh list

    def __post_init__(self) -> None:
        """Only ids that pass the one validator are models; the rest are set aside."""
        if self.models is None:
            return
        valid = valid_model_ids([m.id for m in self.models])
        if not all(valid):
            self.rejected = [m.id for m, ok in zip(self.models, valid, strict=True) if not ok]
            self.models = [m for m, ok in zip(self.models, valid, strict=True) if ok]

    @property
    def available(self) -> bool:
        return self.models is not None

    @property
    def age_s(self) -> float:
        return max(0.0, time.time() - self.fetched_at)

    def ids(self) -> list[str]:
        return [m.id for m in self.models or []]


def _cache_file(base_url: str, api_key: str) -> Path:
    from optscale_cli.digests import sha256_hex

    digest = sha256_hex(f"{base_url}\n{api_key}".encode())[:20]
    return config_dir() / "cache" / f"models-{digest}.json"


def _read_cache(path: Path) -> Catalog | None:
    from optscale_cli.edit.stores import read_if_regular

    data = read_if_regular(path)  # capped; a FIFO there is a miss, not a hang
    if data is None:
        return None
    try:
        raw = json.loads(data)
        models = raw["models"]
        if models is not None and not isinstance(models, list):
            return None
        parsed = None if models is None else models_from_entries(models)
        return Catalog(parsed, float(raw["fetched_at"]), from_cache=True)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_cache(path: Path, catalog: Catalog) -> None:
    entries = (
        None
        if catalog.models is None
        else [{"id": m.id, "owned_by": m.owned_by, **m.extra} for m in catalog.models]
    )
    try:
        ensure_private_dir(path.parent)
        atomic_write(
            path, json.dumps({"fetched_at": catalog.fetched_at, "models": entries}), mode=0o600
        )
    except OSError:
        pass  # a cache is a convenience, never a reason to fail


def fresh_cache(base_url: str, api_key: str) -> Catalog | None:
    """The cached list when it is fresh enough to use without asking the gateway."""
    cached = _read_cache(_cache_file(base_url, api_key))
    return cached if cached and cached.age_s < CACHE_TTL_S else None


def fetch_catalog(client: GatewayClient, api_key: str, *, refresh: bool = False) -> Catalog:
    path = _cache_file(client.location.base_url, api_key)
    cached = None if refresh else _read_cache(path)  # with refresh: read only if needed
    if cached and cached.age_s < CACHE_TTL_S:
        return cached
    try:
        catalog = Catalog(client.list_models(), time.time())
    except NotFoundError:
        catalog = Catalog(None, time.time())
    except GatewayError as exc:
        if exc.status == 405:
            catalog = Catalog(None, time.time())
        elif (cached := cached or _read_cache(path)) is not None:
            cached.stale, cached.error = True, exc
            return cached
        else:
            raise
    except NetworkError as exc:
        if (cached := cached or _read_cache(path)) is None:
            raise
        cached.stale, cached.error = True, exc
        return cached
    _write_cache(path, catalog)
    _index_cache(client.location.base_url, path)
    return catalog


def _index_cache(base_url: str, path: Path) -> None:
    """``cache/index.json``: base URL -> its newest cache file, so shell completion finds
    model ids without the key (optscale_cli/complete.py)."""
    index_path = path.parent / "index.json"
    from optscale_cli.edit.stores import read_if_regular

    try:
        index = json.loads(read_if_regular(index_path) or b"{}")
    except (ValueError, RecursionError):
        index = {}
    if not isinstance(index, dict):
        index = {}
    if index.get(base_url) == path.name:
        return
    index[base_url] = path.name
    with contextlib.suppress(OSError):  # a convenience, like the cache itself
        atomic_write(index_path, json.dumps(index, indent=1), mode=0o600)


def near_matches(name: str, ids: list[str], limit: int = 5) -> list[str]:
    bare = {i.split("/", 1)[-1]: i for i in ids}
    found = difflib.get_close_matches(name, ids, n=limit, cutoff=0.5)
    for hit in difflib.get_close_matches(name.split("/", 1)[-1], list(bare), n=limit, cutoff=0.6):
        if bare[hit] not in found:
            found.append(bare[hit])
    found += [i for i in ids if name.lower() in i.lower() and i not in found]
    return found[:limit]


def resolve_model(catalog: Catalog, name: str) -> str:
    """The gateway's id for ``name``; a bare name is accepted when exactly one provider has it."""
    name = name.strip()
    if not name:
        raise UsageError("empty model name")
    check_model_id(name)
    if not catalog.available:
        return name
    ids = catalog.ids()
    if name in ids:
        return name
    if "/" not in name:
        owners = [i for i in ids if i.split("/", 1)[-1] == name]
        if len(owners) == 1:
            return owners[0]
        if len(owners) > 1:
            raise UsageError(
                f"model '{name}' is offered by several providers: {', '.join(owners)}",
                "name it as provider/model",
            )
    near = near_matches(name, ids)
    hint = f"did you mean: {', '.join(near)}" if near else "see: optscale models list"
    raise UsageError(f"model '{name}' is not available to this key", hint)


def anthropic_model_list(client: GatewayClient) -> list[str] | None:
    """The gateway's Anthropic model list (what Claude Code's gateway model discovery
    reads), or None when it does not serve one in that shape. Never raises."""
    from optscale_cli.errors import OptscaleError

    try:
        return client.list_anthropic_models()
    except OptscaleError:
        return None


def cached_models(base_url: str, api_key: str) -> list[Model]:
    """The model list as last fetched (no network): extra fields such as context sizes."""
    cached = _read_cache(_cache_file(base_url, api_key))
    return (cached.models or []) if cached is not None else []
