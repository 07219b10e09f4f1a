"""sync: bring every connected client in line with the models the gateway allows now.

Each connection is planned again from its record (``replay_request``) with a fresh model
list: lists of models we declared gain the newly allowed ones (``--all-models`` connections
only) and lose the withdrawn ones; a withdrawn default is replaced by the closest allowed
model (only with ``yes``); Claude Code's tiers are filled again. All of it is written in one
transaction, so a second sync finds nothing to do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from optscale_cli.clients import client_names, get_client
from optscale_cli.clients.base import ConnectRequest
from optscale_cli.connections import load_ledger
from optscale_cli.context import AppState
from optscale_cli.errors import OptscaleError, Refused
from optscale_cli.flows.connect import (
    PlannedConnection,
    _file_docs,
    apply_connections,
    plan_connection,
    replay_request,
)


@dataclass
class ClientSync:
    """What sync does to one connected client."""

    client: str
    title: str
    added: list[str] = field(default_factory=list)  # models declared now
    removed: list[str] = field(default_factory=list)  # withdrawn models we had declared
    replaced: dict[str, str] = field(default_factory=dict)  # withdrawn default -> closest
    tiers: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    skipped: str | None = None  # why this client was left as it is
    item: PlannedConnection | None = None

    @property
    def changed(self) -> bool:
        return self.item is not None and self.item.changed

    def to_dict(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "client": self.client,
            "changed": self.changed,
            "added": self.added,
            "removed": self.removed,
            "replaced": [{"from": k, "to": v} for k, v in self.replaced.items()],
            "tiers": {t: {"from": a, "to": b} for t, (a, b) in self.tiers.items()},
        }
        if self.skipped:
            doc["skipped"] = self.skipped
        if self.item is not None:
            doc["files"] = _file_docs(self.item.changes, [self.item.request.api_key])
        return doc


@dataclass
class SyncResult:
    clients: list[ClientSync]
    models: list[str]  # what the key may use now
    dry_run: bool
    written: bool = False
    backups: list[Path] = field(default_factory=list)

    @property
    def planned(self) -> list[PlannedConnection]:
        return [c.item for c in self.clients if c.item is not None]

    @property
    def changed(self) -> list[ClientSync]:
        return [c for c in self.clients if c.changed]

    def to_dict(self) -> dict[str, Any]:
        return {
            "changed": bool(self.changed),
            "dry_run": self.dry_run,
            "written": self.written,
            "models": self.models,
            "clients": [c.to_dict() for c in self.clients],
        }


def _family(model: str) -> str:
    """``anthropic/claude-sonnet-4-0`` -> sonnet; ``openai/gpt-4.1`` -> gpt."""
    from optscale_cli.clients.claude_code import tier_of

    bare = model.split("/", 1)[-1].lower()
    found = re.match(r"[a-z]+", bare)
    return tier_of(bare) or (found.group(0) if found else bare)


def closest_model(model: str, allowed: list[str]) -> str | None:
    """The allowed model nearest to a withdrawn one: same provider and family first, then
    same provider, then anything (``near_matches`` decides within each)."""
    from optscale_cli.catalog import near_matches

    provider = model.split("/", 1)[0] if "/" in model else None
    same = [m for m in allowed if provider and m.startswith(provider + "/")]
    family = [m for m in same if _family(m) == _family(model)]
    for pool in (family, same, allowed):
        if pool:
            near = near_matches(model, pool, limit=1)
            return near[0] if near else sorted(pool)[0]
    return None


def _replace(model: str | None, allowed: set[str], ids: list[str], sync: ClientSync) -> Any:
    if not model or model in allowed:
        return model
    new = closest_model(model, ids)
    if new is not None:
        sync.replaced[model] = new
    return new


def _update_request(request: ConnectRequest, ids: list[str], sync: ClientSync) -> None:
    """The request again, with today's models: what to declare, the default, the tiers."""
    allowed = set(ids)
    old_models = list(request.models)
    request.model = _replace(request.model, allowed, ids, sync)
    request.tiers = {
        tier: new
        for tier, name in request.tiers.items()
        if (new := _replace(name, allowed, ids, sync)) is not None
    }
    models = [m for m in old_models if m in allowed]
    if request.model and request.model not in models and old_models:
        models.insert(0, request.model)
    if request.all_models:
        declared = set(models)  # sets: a list can be 10,000 long
        models += [m for m in ids if m not in declared]
    request.models = models
    request.available = ids
    old = set(old_models)
    sync.added = [m for m in models if m not in old]
    sync.removed = [m for m in old_models if m not in allowed]


def _tier_changes(before: ConnectRequest, after: ConnectRequest) -> dict[str, Any]:
    from optscale_cli.clients.claude_code import TIERS, fill_tiers

    old = fill_tiers(before.model, before.tiers, before.available)
    new = fill_tiers(after.model, after.tiers, after.available)
    return {t: (old.get(t), new.get(t)) for t in TIERS if old.get(t) != new.get(t)}


def _plan_client(name: str, profile: Any, ids: list[str]) -> ClientSync | None:
    import copy

    client = get_client(name)
    sync = ClientSync(name, client.title)
    try:
        ledger = load_ledger(name)
    except OptscaleError as exc:
        sync.skipped = exc.message
        return sync
    if ledger is None:
        return None
    if ledger.profile != profile.name:
        sync.skipped = (
            f"connected with profile '{ledger.profile}'; run: optscale --profile "
            f"{ledger.profile} sync"
        )
        return sync
    request = replay_request(ledger, profile)
    before = copy.copy(request)
    _update_request(request, ids, sync)
    if name == "claude-code":
        sync.tiers = _tier_changes(before, request)
    try:
        item = plan_connection(client, request)
    except OptscaleError as exc:
        sync.skipped = exc.message
        return sync
    if request.scope == "project" and set(ledger.files) != item.planned_keys:
        sync.skipped = "connected for another project folder; run sync there"
        return sync
    sync.item = item
    return sync


def plan_sync(st: AppState) -> SyncResult:
    """Plan every connected client against a freshly fetched model list (nothing written)."""
    profile = st.profile()
    profile.require_key()
    catalog = st.catalog(refresh=True)
    if not catalog.available:
        raise Refused(
            "the gateway does not publish a model list (GET /models), so there is "
            "nothing to compare the clients with",
            "set models by hand: optscale connect CLIENT --model MODEL",
        )
    ids = catalog.ids()
    found = [_plan_client(name, profile, ids) for name in client_names()]
    return SyncResult([c for c in found if c is not None], ids, dry_run=False)


def sync(st: AppState, *, dry_run: bool, yes: bool, approve: Any) -> SyncResult:
    """Plan, let ``approve`` see it, then write every client's change in one commit.
    A withdrawn default model is replaced only with ``yes``; without it, refused."""
    result = plan_sync(st)
    result.dry_run = dry_run
    changed = result.changed
    if not changed or dry_run:
        return result
    replaced = [c for c in changed if c.replaced]
    if replaced and not yes:
        said = "; ".join(
            f"{c.title}: {old} -> {new}" for c in replaced for old, new in c.replaced.items()
        )
        raise Refused(
            f"a model a client uses is no longer allowed ({said}); nothing was written",
            "run `optscale sync --yes` to switch to the closest allowed model, or "
            "`optscale connect CLIENT --model MODEL` to choose",
        )
    approve(result)
    result.backups = apply_connections([c.item for c in changed if c.item is not None])
    result.written = True
    return result


def model_drift(ledger: Any, ids: list[str]) -> tuple[list[str], list[str]]:
    """(configured models no longer allowed, allowed models an --all-models connection does
    not declare yet): what ``sync`` would change, from a record and a model list alone."""
    from optscale_cli.flows.connect import recorded_all_models

    saved = ledger.request
    declared = list(saved.get("models") or [])
    configured = [ledger.model, *ledger.tiers.values(), *declared]
    if ledger.client == "claude-code":
        from optscale_cli.clients.claude_code import fill_tiers

        filled = fill_tiers(ledger.model, ledger.tiers, list(saved.get("available") or []))
        configured += filled.values()
    allowed = set(ids)
    withdrawn = list(dict.fromkeys(m for m in configured if m and m not in allowed))
    undeclared = [m for m in ids if m not in declared] if recorded_all_models(saved) else []
    return withdrawn, undeclared
