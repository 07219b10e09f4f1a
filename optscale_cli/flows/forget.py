"""Forgetting a profile (``logout``, ``profiles remove``): every copy of its key we made goes.

What optscale makes from a key: the keyring entry or ``credentials.toml`` entry, the 0600 key
file that OpenCode's ``{file:}`` points at, key-helper scripts, and plaintext copies inside
client configs (``--plaintext-key``, Continue's ``.env``). Clients still connected with the
profile are listed first: ``--disconnect`` undoes them in the same run, ``--force`` leaves
them (and says which files still hold the key); neither refuses.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path

from optscale_cli.errors import Refused, UsageError


@dataclass
class ForgetResult:
    profile: str
    removed: list[str] = field(default_factory=list)  # files and entries that held the key
    disconnected: list[str] = field(default_factory=list)
    left_connected: list[str] = field(default_factory=list)  # --force
    still_holding_key: list[str] = field(default_factory=list)  # files of those clients
    not_checked: list[str] = field(default_factory=list)  # theirs, not a file to look into

    def to_dict(self) -> dict[str, object]:
        return {
            "profile": self.profile,
            "removed": self.removed,
            "disconnected": self.disconnected,
            "left_connected": self.left_connected,
            "still_holding_key": self.still_holding_key,
            "not_checked": self.not_checked,
        }


def forget_profile(name: str, *, disconnect: bool = False, force: bool = False) -> ForgetResult:
    from optscale_cli.connections import clients_using_profile
    from optscale_cli.profiles import check_profile_name, saved_profiles

    check_profile_name(name, "profile")
    entry = saved_profiles().get(name)
    if entry is None:
        raise UsageError(f"no saved profile '{name}'", "see: optscale profiles list")
    key = _saved_key(name, entry)
    users = clients_using_profile(name)
    result = ForgetResult(name)
    if users and not (disconnect or force):
        raise Refused(
            f"profile '{name}' is used by connected clients: {', '.join(sorted(users))}",
            "add --disconnect to undo them in the same run, or --force to forget the "
            "profile anyway (those clients then stop working)",
        )
    if users and disconnect:
        result.disconnected = _disconnect_all(sorted(users))
    elif users:
        result.left_connected = sorted(users)
        result.still_holding_key, result.not_checked = _files_holding(key, users.values())
    result.removed += _remove_key_copies(name, key, users.values())
    from optscale_cli.profiles import remove_profile

    remove_profile(name)
    result.removed.append(f"saved key of profile '{name}' ({entry.get('key_storage', 'file')})")
    return result


def _saved_key(name: str, entry: dict[str, object]) -> str | None:
    from optscale_cli import secrets
    from optscale_cli.errors import OptscaleError
    from optscale_cli.urls import GatewayLocation

    base = GatewayLocation(str(entry["origin"]), str(entry["org"])).base_url
    with contextlib.suppress(OptscaleError):
        return secrets.load_key(name, base, str(entry.get("key_storage", "file")))
    return None


def _disconnect_all(clients: list[str]) -> list[str]:
    """Undo every client's connection in one locked commit, then drop their records."""
    from optscale_cli.connections import ledger_step, load_ledger, lock_dir
    from optscale_cli.edit.engine import Target, commit, plan_revert

    changes = []
    for client in clients:
        ledger = load_ledger(client)
        changes += [
            plan_revert(Target.from_entry(entry), entry)
            for entry in (ledger.files.values() if ledger else [])
        ]
    commit(changes, lock_dir(), then=lambda: [ledger_step(c, None) for c in clients])
    return clients


def _ledger_paths(ledgers: object) -> list[Path]:
    paths = []
    for ledger in ledgers:  # type: ignore[attr-defined]
        for entry in ledger.files.values():
            if entry.get("store", "file") == "file":
                paths.append(Path(entry["path"]))
    return paths


def _holds(path: Path, key: str) -> bool | None:
    """Whether the file holds the key (searched at any size); None: it is there but cannot
    be looked into (a FIFO, a directory, unreadable)."""
    from optscale_cli.edit.stores import file_holds

    found = file_holds(path, key.encode())
    if found is not None:
        return found
    try:
        path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return False  # nothing there (a dangling symlink too): nothing holds the key
    except OSError:
        return None  # a folder we may not enter, a symlink loop
    return None


def _files_holding(key: str | None, ledgers: object) -> tuple[list[str], list[str]]:
    """The files of the clients left connected that hold the key, and those that could not
    be checked."""
    if not key:
        return [], []
    found = {str(p): _holds(p, key) for p in _ledger_paths(ledgers)}
    return [p for p, v in found.items() if v], [p for p, v in found.items() if v is None]


def _remove_key_copies(name: str, key: str | None, ledgers: object) -> list[str]:
    """Our key file and helper scripts for ``name``, and any backup beside a client file
    that holds the key (older versions backed up our own content)."""
    from optscale_cli.edit.stores import BACKUP_SUFFIX, backups_of
    from optscale_cli.paths import config_dir
    from optscale_cli.secrets import key_file_path

    removed = []
    candidates = [key_file_path(name)]
    bin_dir = config_dir() / "bin"
    if bin_dir.is_dir():
        ours = (f"-key-{name}", f"-key-{name}.cmd")
        candidates += [p for p in bin_dir.iterdir() if p.name.endswith(ours)]
    for path in _ledger_paths(ledgers):
        backups = [*backups_of(path), path.with_name(path.name + BACKUP_SUFFIX)]
        candidates += [b for b in backups if key and _holds(b, key)]
    for path in candidates:
        if path.exists() or path.is_symlink():
            path.unlink()
            removed.append(str(path))
    return removed
