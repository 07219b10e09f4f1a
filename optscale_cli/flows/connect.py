"""The logic behind connect / disconnect / clients, as plain functions over the engine."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from optscale_cli.clients import client_names, get_client
from optscale_cli.clients.base import Client, ClientPlan, ConnectRequest
from optscale_cli.connections import (
    ConnectionState,
    Ledger,
    delete_ledger,
    load_ledger,
    lock_dir,
)
from optscale_cli.context import AppState
from optscale_cli.edit.engine import FileChange, Target, commit, plan_edit, plan_revert, unbox
from optscale_cli.errors import OptscaleError, Refused, UsageError
from optscale_cli.profiles import Profile


@dataclass
class ConnectOptions:
    model: str | None = None
    scope: str = "user"
    all_models: bool = False
    set_default: bool | None = None
    key_from_env: bool = False
    plaintext_key: bool = False
    tiers: dict[str, str] = field(default_factory=dict)
    manual: bool = False
    export: str | None = None
    output_path: str | None = None
    dry_run: bool = False
    yes: bool = False
    key_in_git: bool = False  # the loud flag: a plaintext key may go into a git work tree


def requested_key_mode(opts: ConnectOptions) -> str | None:
    if opts.key_from_env and opts.plaintext_key:
        raise UsageError("--key-from-env and --plaintext-key exclude each other")
    return "env" if opts.key_from_env else "plaintext" if opts.plaintext_key else None


def check_supported(client: Client, opts: ConnectOptions) -> str:
    """Refuse (exit 2) any flag the client does not honour, naming what it does honour;
    return the key mode to use."""
    if opts.scope not in client.scopes:
        if opts.scope not in ("user", "project"):
            raise UsageError(f"--scope must be user or project, not {opts.scope!r}")
        raise UsageError(
            f"{client.title} has no {opts.scope}-level configuration",
            f"{client.title} takes --scope {' or '.join(client.scopes)}",
        )
    if opts.export and opts.export not in client.exports:
        raise UsageError(
            f"{client.title} has no --export {opts.export}",
            f"{client.title} exports: {', '.join(client.exports)}"
            if client.exports
            else f"{client.title} has no admin exports",
        )
    return client.key_mode_for(requested_key_mode(opts))


def build_request(st: AppState, opts: ConnectOptions, client: Client) -> ConnectRequest:
    from optscale_cli.catalog import resolve_model

    key_mode = check_supported(client, opts)
    profile = st.profile()
    profile.require_key()
    catalog = st.catalog()
    model = resolve_model(catalog, opts.model) if opts.model else None
    tiers = {tier: resolve_model(catalog, name) for tier, name in opts.tiers.items()}
    if not catalog.available and (model or tiers):
        st.output.warn("cannot check model names (no model list); using them as given")
    models = [model] if model else []
    if opts.all_models:
        models += [m for m in catalog.ids() if m not in models]
    discovery: dict[str, Any] = {}
    if "anthropic:models" in client.probes:  # Claude Code's gateway model discovery
        from optscale_cli.catalog import anthropic_model_list

        with st.client(profile) as gateway:
            discovery["anthropic_models"] = anthropic_model_list(gateway)
    return ConnectRequest(
        profile=profile,
        model=model,
        models=models,
        all_models=opts.all_models,
        available=catalog.ids(),
        scope=opts.scope,
        set_default=opts.set_default,
        key_mode=key_mode,
        previous=load_ledger(client.name),
        tiers=tiers,
        options={
            "export": opts.export,
            "output": opts.output_path,
            "key_in_git": opts.key_in_git,
            **discovery,
        },
    )


def _file_docs(
    changes: list[FileChange], secrets: list[str], written: bool = False
) -> list[dict[str, Any]]:
    return [
        {
            "path": c.target.label,
            "changed": c.changed,
            "diff": c.diff(secrets),
            "backup": c.backup if written and c.changed else None,
            "drifted": c.drifted,
        }
        for c in changes
    ]


@dataclass
class PlannedConnection:
    """One client's connection, planned: what it writes, nothing written yet."""

    client: Client
    request: ConnectRequest
    plan: ClientPlan
    changes: list[FileChange]
    previous_profile: str | None = None

    @property
    def changed(self) -> bool:
        return any(c.changed for c in self.changes)

    @property
    def planned_keys(self) -> set[str]:
        return {e.target.key for e in self.plan.edits}


def plan_connection(client: Client, request: ConnectRequest) -> PlannedConnection:
    """Plan a connect: the client's edits on top of what an earlier connect recorded, plus
    undoing what that earlier connect wrote to files this one no longer touches."""
    if request.scope not in client.scopes:
        raise UsageError(f"{client.title} has no {request.scope}-level configuration")
    request.key_mode = client.key_mode_for(request.key_mode)
    ledger = request.previous if request.previous is not None else load_ledger(client.name)
    request.previous = ledger
    plan = client.plan(request)
    _refuse_keys_in_git(plan, request)
    previous_files: dict[str, Any] = ledger.files if ledger else {}
    changes = [
        plan_edit(e.target, e.ops, previous_files.get(e.target.key), secrets=[request.api_key])
        for e in plan.edits
    ]
    planned = {e.target.key for e in plan.edits}
    changes += [
        plan_revert(Target.from_entry(entry), entry)
        for key, entry in previous_files.items()
        if key not in planned
    ]
    return PlannedConnection(client, request, plan, changes, ledger.profile if ledger else None)


def _refuse_keys_in_git(plan: ClientPlan, request: ConnectRequest) -> None:
    """A file that will hold the key in plain text must not be one git would commit."""
    from optscale_cli.edit.stores import FileStore
    from optscale_cli.git_guard import committable

    if request.options.get("key_in_git"):
        return
    for edit in plan.edits:
        store = edit.target.store
        if edit.target.secret and isinstance(store, FileStore):
            root = committable(store.path)
            if root is not None:
                raise Refused(
                    f"{store.path} would hold the API key in plain text, inside the git work "
                    f"tree {root}, and git does not ignore it: a `git add` would commit the key",
                    f"add it to {root / '.gitignore'}, use a key reference instead of "
                    "--plaintext-key, or pass --plaintext-key-in-git if you really mean it",
                )


def apply_connections(planned: list[PlannedConnection], extra: Sequence[Any] = ()) -> list[Path]:
    """Write every planned connection, our key file and helper scripts, ``extra`` files of
    ours (a rotation's key store), and each client's record, in one locked transaction:
    all of it, or none."""
    from optscale_cli.connections import ledger_step
    from optscale_cli.edit.transaction import Step
    from optscale_cli.secrets import key_file_path

    own: list[Step] = list(extra)
    for item in planned:
        if item.plan.uses_key_file:
            path = key_file_path(item.request.profile.name)
            own.append(Step(path, item.request.api_key.encode("utf-8"), 0o600))
        own += [Step(p, t.encode("utf-8"), 0o700) for p, t in item.plan.owned_files.items()]
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")

    def records() -> list[Step]:
        return [ledger_step(item.client.name, _record_of(item, now)) for item in planned]

    changes = [c for item in planned for c in item.changes]
    return commit(changes, lock_dir(), own=own, then=records)


def _record_of(item: PlannedConnection, now: str) -> Ledger:
    request = item.request
    return Ledger(
        client=item.client.name,
        profile=request.profile.name,
        base_url=item.client.base_url(request),
        model=request.model,
        tiers=request.tiers,
        details=item.plan.details,
        request=request_record(request),
        connected_at=now,
        files={
            c.target.key: c.ledger_entry()
            for c in item.changes
            if c.target.key in item.planned_keys
        },
    )


def write_owned_files(files: dict[Path, str]) -> None:
    """Our own helper scripts (0700, in our private folder); rewritten only when changed."""
    from optscale_cli.edit.atomic import atomic_write
    from optscale_cli.paths import ensure_private_dir

    for path, text in files.items():
        ensure_private_dir(path.parent)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            atomic_write(path, text, mode=0o700)


def request_record(request: ConnectRequest) -> dict[str, Any]:
    """What is needed to plan the same connection again (key rotation, setup)."""
    return {
        "model": request.model,
        "models": request.models,
        "all_models": request.all_models,
        "available": request.available,
        "scope": request.scope,
        "key_mode": request.key_mode,
        "tiers": request.tiers,
    }


def recorded_all_models(saved: dict[str, Any]) -> bool:
    """Whether a connection was made with --all-models; records from before the flag was
    kept tell by their list: every model the key could use, and more than one."""
    if "all_models" in saved:
        return bool(saved["all_models"])
    models, available = saved.get("models") or [], saved.get("available") or []
    return len(models) > 1 and set(available) <= set(models)


def replay_request(ledger: Ledger, profile: Profile) -> ConnectRequest:
    saved = ledger.request
    return ConnectRequest(
        profile=profile,
        model=saved.get("model", ledger.model),
        models=list(saved.get("models") or ([ledger.model] if ledger.model else [])),
        all_models=recorded_all_models(saved),
        available=list(saved.get("available") or []),
        scope=saved.get("scope", "user"),
        key_mode=saved.get("key_mode"),
        previous=ledger,
        tiers=dict(saved.get("tiers") or ledger.tiers),
    )


Approve = Callable[[Any], None]  # sees the planned result, asks; raises Refused for "no"


@dataclass
class ConnectResult:
    """What ``connect`` did (or would do, with --dry-run)."""

    item: PlannedConnection
    dry_run: bool
    written: bool = False
    backups: list[Path] = field(default_factory=list)

    @property
    def client(self) -> Client:
        return self.item.client

    def to_dict(self) -> dict[str, Any]:
        request = self.item.request
        return {
            "client": self.client.name,
            "profile": request.profile.name,
            "base_url": self.client.base_url(request),
            "model": request.model,
            "changed": self.item.changed,
            "dry_run": self.dry_run,
            "notes": self.item.plan.notes,
            "warnings": self.item.plan.warnings,
            "files": _file_docs(self.item.changes, [request.api_key], written=self.written),
        }


def connect(st: AppState, client_name: str, opts: ConnectOptions, approve: Approve) -> Any:
    """Plan the connection, let ``approve`` see it, then write it all or nothing. Returns a
    ConnectResult, or the manual steps / export result for --manual / --export."""
    client = get_client(client_name)
    request = build_request(st, opts, client)
    if opts.manual:
        return ManualSteps(client.name, manual_steps(client, request))
    if opts.export:
        return _export_alias(client, request, opts)
    item = plan_connection(client, request)
    result = ConnectResult(item, opts.dry_run)
    if not item.changed:
        _refresh_own_files(item)
        return result
    if opts.dry_run:
        return result
    approve(result)
    result.backups = apply_connections([item])
    result.written = True
    return result


def _refresh_own_files(item: PlannedConnection) -> None:
    """Connected already: our key file or helper may still be gone (logout, another
    machine); put them back."""
    if item.plan.uses_key_file:
        from optscale_cli.secrets import write_key_file

        write_key_file(item.request.profile.name, item.request.api_key)
    write_owned_files(item.plan.owned_files)


@dataclass
class ManualSteps:
    client: str
    steps: list[tuple[str, str]]

    def to_dict(self) -> dict[str, Any]:
        return {"client": self.client, "manual": [{"step": k, "value": v} for k, v in self.steps]}


def manual_steps(client: Client, request: ConnectRequest) -> list[tuple[str, str]]:
    from optscale_cli.redact import redact_key

    own = client.manual_steps(request)
    if own:
        return own
    return [
        ("Base URL", client.base_url(request)),
        (
            "API key",
            redact_key(request.api_key) + "  (full key: optscale connection show --reveal)",
        ),
        ("Model name", request.model or "(pass --model)"),
    ]


def _export_alias(client: Client, request: ConnectRequest, opts: ConnectOptions) -> Any:
    """``connect CLIENT --export KIND --output F``: the same flow as ``optscale export``."""
    from optscale_cli.flows.export import export_for_request

    if not opts.output_path:
        raise UsageError("--export needs --output FILE")
    output = Path(opts.output_path).expanduser()
    return export_for_request(client, request, opts.export or "", output)


@dataclass
class DisconnectResult:
    client: Client
    changes: list[FileChange] = field(default_factory=list)
    dry_run: bool = False
    connected: bool = True
    forgotten: bool = False  # --force dropped a damaged record
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> list[FileChange]:
        return [c for c in self.changes if c.changed]

    @property
    def left_alone(self) -> list[str]:
        return [f"{c.target.label}: {key}" for c in self.changes for key in c.drifted]

    def to_dict(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"client": self.client.name, "changed": bool(self.changed)}
        if self.forgotten or not self.connected:
            return {**doc, "connected": self.connected, "forgotten": self.forgotten}
        return {
            **doc,
            "dry_run": self.dry_run,
            "files": _file_docs(self.changes, []),
            "left_alone": self.left_alone,
            "notes": self.notes,
        }


def disconnect(
    client_name: str, *, dry_run: bool, approve: Approve, force: bool = False
) -> DisconnectResult:
    """Undo what connect wrote, all or nothing; with ``force``, drop a damaged record."""
    client = get_client(client_name)
    if force:
        try:
            load_ledger(client.name)
        except OptscaleError:
            if not dry_run:
                delete_ledger(client.name)
            return DisconnectResult(client, dry_run=dry_run, forgotten=not dry_run)
    ledger = load_ledger(client.name)
    if not ledger:
        return DisconnectResult(client, connected=False)
    changes = [plan_revert(Target.from_entry(entry), entry) for entry in ledger.files.values()]
    result = DisconnectResult(client, changes, dry_run)
    if dry_run:
        return result
    if result.changed:
        approve(result)
    from optscale_cli.connections import ledger_step

    commit(changes, lock_dir(), then=lambda: [ledger_step(client.name, None)])
    result.notes = client.after_disconnect()
    return result


def connection_state(client_name: str) -> ConnectionState:
    """Compare what the ledger says we wrote with what the client's files hold now. A
    damaged record is this client's error alone, never the whole listing's."""
    try:
        ledger = load_ledger(client_name)
    except OptscaleError as exc:
        return ConnectionState(client_name, connected=True, errors=[exc.message])
    if not ledger:
        return ConnectionState(client_name, connected=False)
    state = ConnectionState(
        client_name,
        connected=True,
        profile=ledger.profile,
        base_url=ledger.base_url,
        model=ledger.model,
        details={"tiers": ledger.tiers, **ledger.details},
    )
    for entry in ledger.files.values():
        target = Target.from_entry(entry)
        try:
            text = target.store.read()
            if text is None:
                state.missing_files.append(target.label)
                continue
            doc = target.parse(text)
        except OptscaleError as exc:
            state.errors.append(exc.message)
            continue
        for record in entry.get("records", []):
            path = tuple(record["path"])
            after = unbox(record["after"])
            current = doc.get(path)
            ok = (
                (after in current)
                if record["op"] == "list" and isinstance(current, list)
                else current == after
            )
            if not ok:
                state.drifted.append(f"{target.label}: {'.'.join(map(str, path))}")
    state.broken = get_client(client_name).reference_problems(ledger)
    return state


def client_overview(st: AppState) -> list[dict[str, Any]]:
    profile_base: dict[str, str] = {}
    try:
        profile = st.profile()
        profile_base = profile.location.surface_urls()
        profile_name: str | None = profile.name
    except OptscaleError:
        profile_name = None
    rows = []
    for name in client_names():
        client = get_client(name)
        cs = connection_state(name)
        row = {
            "client": name,
            "title": client.title,
            "installed": client.installed(),
            **cs.to_dict(),
        }
        matches = cs.base_url == profile_base.get(client.surface) and cs.profile == profile_name
        row["matches_profile"] = cs.connected and matches
        if not cs.connected:
            row["summary"] = "not connected"
        elif cs.broken and not (cs.drifted or cs.missing_files or cs.errors):
            row["summary"] = "BROKEN: " + "; ".join(cs.broken)
        elif not cs.intact:
            row["summary"] = "CHANGED since connect: " + "; ".join(
                cs.drifted + cs.missing_files + cs.errors + cs.broken
            )
        elif not matches:
            row["summary"] = "connected to another profile or gateway"
        else:
            row["summary"] = "ok"
        rows.append(row)
    return rows
