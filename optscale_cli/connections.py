"""The ledger: what each `connect` wrote, so `disconnect` can undo exactly that, and so
`clients` and `doctor` can tell whether a client's files still hold what we wrote.

One record per client (``connections/<client>.json``), read and written only here, as a
typed :class:`Ledger` with a schema version; older files are migrated when read. The file
entries inside are the edit engine's own (it alone reads them)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from optscale_cli.paths import config_dir


def ledger_dir() -> Path:
    return config_dir() / "connections"


def lock_dir() -> Path:
    return config_dir() / "locks"


def ledger_path(client: str) -> Path:
    return ledger_dir() / f"{client}.json"


LEDGER_SCHEMA = 2


@dataclass
class Ledger:
    """What one connect wrote for one client."""

    client: str
    profile: str | None = None
    base_url: str | None = None
    model: str | None = None
    tiers: dict[str, str] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)  # key mode, default, config, …
    request: dict[str, Any] = field(default_factory=dict)  # how to plan the same again
    connected_at: str | None = None
    files: dict[str, dict[str, Any]] = field(default_factory=dict)  # engine entries by key
    schema: int = LEDGER_SCHEMA

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": self.schema,
            "client": self.client,
            "profile": self.profile,
            "base_url": self.base_url,
            "model": self.model,
            "tiers": self.tiers,
            "details": self.details,
            "request": self.request,
            "connected_at": self.connected_at,
            "files": self.files,
        }

    @classmethod
    def from_dict(cls, client: str, data: dict[str, Any]) -> Ledger:
        """Read a record of any schema; schema 1 (no version) kept the key mode as two
        flags."""
        request = dict(data.get("request") or {})
        if "key_mode" not in request:
            flags = {"env": request.pop("key_from_env", False)}
            flags["plaintext"] = request.pop("plaintext_key", False)
            request["key_mode"] = next((mode for mode, on in flags.items() if on), None)
        return cls(
            client=client,
            profile=_str_or_none(data.get("profile")),
            base_url=_str_or_none(data.get("base_url")),
            model=_str_or_none(data.get("model")),
            tiers={str(k): str(v) for k, v in (data.get("tiers") or {}).items()},
            details=dict(data.get("details") or {}),
            request=request,
            connected_at=_str_or_none(data.get("connected_at")),
            files=dict(data.get("files") or {}),
        )


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def load_ledger(client: str) -> Ledger | None:
    from optscale_cli.edit.stores import FileStore

    path = ledger_path(client)
    text = FileStore(path).read()  # capped; a FIFO or a directory there is a clear error
    if text is None:
        return None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        data = None
    if not _well_formed(data):
        from optscale_cli.errors import ConfigFileError

        raise ConfigFileError(
            str(path),
            f"our record of the {client} connection is damaged",
            hint=f"forget it with: optscale disconnect {client} --force "
            "(the client's files are left as they are)",
        )
    return Ledger.from_dict(client, data)


def _well_formed(data: Any) -> bool:
    """The shape every reader of a record relies on."""
    if not isinstance(data, dict) or not isinstance(data.get("files", {}), dict):
        return False
    for entry in data.get("files", {}).values():
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
            return False
        if not isinstance(entry.get("records", []), list) or not isinstance(
            entry.get("created", []), list
        ):
            return False
        for record in entry.get("records", []):
            if not (
                isinstance(record, dict)
                and record.get("op") in ("set", "list")
                and isinstance(record.get("path"), list)
                and "after" in record
            ):
                return False
    return (
        isinstance(data.get("details") or {}, dict)
        and isinstance(data.get("tiers") or {}, dict)
        and isinstance(data.get("request") or {}, dict)
    )


def ledger_step(client: str, ledger: Ledger | None) -> Any:
    """Saving (or, with None, deleting) a record, as a step of an edit transaction."""
    from optscale_cli.edit.transaction import Step

    if ledger is None:
        return Step(ledger_path(client), None)
    # our own state, read back by us: one line from the C encoder (an --all-models record
    # holds every model; the indenting encoder is pure Python)
    text = json.dumps(ledger.to_dict(), ensure_ascii=False, allow_nan=True) + "\n"
    return Step(ledger_path(client), text.encode("utf-8"), 0o600)


def delete_ledger(client: str) -> None:
    ledger_path(client).unlink(missing_ok=True)


def clients_using_profile(profile: str) -> dict[str, Ledger]:
    """Every connected client whose connection uses ``profile``, with its record."""
    from optscale_cli.clients import client_names

    found = {}
    for client in client_names():
        try:
            ledger = load_ledger(client)
        except Exception:  # a damaged record belongs to its own client's commands
            continue
        if ledger and ledger.profile == profile:
            found[client] = ledger
    return found


@dataclass
class ConnectionState:
    """What a client's files say now, compared with what we wrote."""

    client: str
    connected: bool
    profile: str | None = None
    base_url: str | None = None
    model: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    drifted: list[str] = field(default_factory=list)  # "file: key" we wrote, changed since
    missing_files: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)  # what the config points at, missing

    @property
    def intact(self) -> bool:
        return self.connected and not (
            self.drifted or self.missing_files or self.errors or self.broken
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "client": self.client,
            "connected": self.connected,
            "intact": self.intact,
            "profile": self.profile,
            "base_url": self.base_url,
            "model": self.model,
            "drifted": self.drifted,
            "missing_files": self.missing_files,
            "errors": self.errors,
            "broken": self.broken,
            **({"details": self.details} if self.details else {}),
        }
