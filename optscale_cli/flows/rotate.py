"""``login --rotate``: a new key for a profile, and every copy of it, in one transaction.

Only clients holding a copy of the key in their own files (``--plaintext-key``, Continue's
``.env``) are planned and rewritten; clients reading our key file, a key helper or the
environment follow by themselves, and Cursor (whose key we never write) gets a manual step.
The client files, our key file and ``credentials.toml`` are written in one all-or-nothing
commit; an OS keyring entry (not a file) is switched last, after that commit. Whatever
stops a rotation half-way, running it again with the same key finishes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from optscale_cli.errors import OptscaleError, Refused, UsageError
from optscale_cli.profiles import Profile

HOLDS_COPY = ("plaintext", "secrets-env")  # key modes that put the key in a client's files


@dataclass
class Rotation:
    old: Profile
    new: Profile
    planned: list[Any] = field(default_factory=list)  # PlannedConnection, changed
    key_file: bool = False  # our key file must hold the new key
    following: list[str] = field(default_factory=list)  # clients that need no write
    manual: list[tuple[str, str]] = field(default_factory=list)  # (client, what to do)

    @property
    def key(self) -> str:
        return self.new.require_key()

    @property
    def nothing_to_do(self) -> bool:
        return self.new.api_key == self.old.api_key and not self.planned and not self.key_file


def plan_rotation(old: Profile, key: str) -> Rotation:
    """Every client file the new key goes into, planned (nothing written). A client that
    cannot be planned stops the rotation before anything changes."""
    from optscale_cli.clients import get_client
    from optscale_cli.connections import clients_using_profile
    from optscale_cli.flows.connect import plan_connection, replay_request
    from optscale_cli.secrets import holds_only, key_file_path

    rotation = Rotation(old, replace(old, api_key=key, notices=[]))
    key_file = key_file_path(old.name)
    for name, ledger in sorted(clients_using_profile(old.name).items()):
        client = get_client(name)
        mode = ledger.details.get("key_mode") or ledger.request.get("key_mode")
        if mode == "manual":  # Cursor: we never write its key
            rotation.manual.append((client.title, manual_step(name)))
            continue
        if mode not in HOLDS_COPY:
            rotation.key_file = rotation.key_file or mode == "file"
            rotation.following.append(name)
            continue
        try:
            item = plan_connection(client, replay_request(ledger, rotation.new))
        except OptscaleError as exc:
            raise Refused(
                f"{client.title} holds a copy of the key and cannot be updated: "
                f"{exc.message}; nothing was changed (the profile keeps its current key)",
                exc.hint or "fix it, then run `optscale login --rotate` again",
            ) from None
        if item.changed:
            rotation.planned.append(item)
    if key_file.exists() or rotation.key_file:
        rotation.key_file = not holds_only(key_file, key)
    return rotation


def manual_step(client: str) -> str:
    if client == "cursor":
        return (
            "paste the new key in Cursor Settings → Models → OpenAI API Key "
            "(see it with: optscale connection show --client cursor --reveal)"
        )
    return f"give {client} the new key (optscale connection show --client {client} --reveal)"


def refuse_if_done(rotation: Rotation) -> None:
    if rotation.nothing_to_do:
        raise UsageError(
            "that is the key the profile already has, and every client holding a copy "
            "has it too; nothing to rotate"
        )


def apply_rotation(rotation: Rotation) -> None:
    """Client files, key file and ``credentials.toml`` in one commit; the keyring last."""
    from optscale_cli.edit.transaction import Step
    from optscale_cli.flows.connect import apply_connections
    from optscale_cli.locks import state_lock
    from optscale_cli.profiles import save_profile
    from optscale_cli.secrets import credentials_step, key_file_path

    old, key = rotation.old, rotation.key
    own = []
    if rotation.key_file:
        own.append(Step(key_file_path(old.name), key.encode("utf-8"), 0o600))
    in_file = old.key_storage != "keyring"
    with state_lock():
        if in_file:
            own.append(credentials_step(old.name, old.base_url, key))
        apply_connections(rotation.planned, own)
        if in_file:
            return
        try:
            save_profile(
                old.name,
                old.location,
                key,
                ca_bundle=old.ca_bundle,
                allow_insecure_http=old.allow_insecure_http,
                make_active=False,
            )
        except OptscaleError as exc:
            raise Refused(
                f"the client files hold the new key, but saving it failed: {exc.message}",
                "run the same `optscale login --rotate` with the same key again to finish",
            ) from None
