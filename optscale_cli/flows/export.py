"""export: write a client's managed (system-level) config for an admin to deploy to a team.

Plain functions returning an :class:`ExportResult`; ``commands/export.py`` renders it. Each
client declares its formats in ``exports`` and builds the bytes in ``render_export``; this
module checks the request, refuses to overwrite a file that is not ours, and writes
atomically. No format carries a personal key: each user's key comes from ``optscale login``
through the client's key helper, the environment or the client's own credential store.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from optscale_cli.clients import client_names, get_client
from optscale_cli.clients.base import Client, ConnectRequest, ExportFile, Placement
from optscale_cli.context import AppState
from optscale_cli.errors import Refused, UsageError


@dataclass
class ExportResult:
    client: str
    title: str
    format: str
    path: Path
    changed: bool  # False: the file already held exactly these bytes
    base_url: str
    model: str | None
    placements: list[Placement] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    holds_key: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "client": self.client,
            "format": self.format,
            "path": str(self.path),
            "changed": self.changed,
            "base_url": self.base_url,
            "model": self.model,
            "holds_key": self.holds_key,
            "install": [
                {"os": p.os, "path": p.where, "verified": p.verified} for p in self.placements
            ],
            "next_steps": self.steps,
            "notes": self.notes,
        }


def exporting_clients() -> dict[str, tuple[str, ...]]:
    """Every client that declares admin exports, and its formats (registry order)."""
    found = {name: get_client(name).exports for name in client_names()}
    return {name: formats for name, formats in found.items() if formats}


def check_format(client: Client, fmt: str) -> None:
    """A format the client does not declare is a usage error naming the ones it has."""
    if fmt in client.exports:
        return
    if not client.exports:
        others = ", ".join(exporting_clients())
        raise UsageError(
            f"{client.title} has no admin export formats",
            f"clients with exports: {others}",
        )
    raise UsageError(
        f"{client.title} has no export format {fmt!r}",
        f"{client.title} exports: {', '.join(client.exports)}",
    )


def build_export_request(st: AppState, client: Client, model: str | None) -> ConnectRequest:
    """The admin's own login names the gateway; the model is checked against its list."""
    from optscale_cli.catalog import resolve_model

    profile = st.profile()
    profile.require_key()
    catalog = st.catalog()
    resolved = resolve_model(catalog, model) if model else None
    if resolved and not catalog.available:
        st.output.warn("cannot check model names (no model list); using them as given")
    return ConnectRequest(
        profile=profile,
        model=resolved,
        models=[resolved] if resolved else [],
        available=catalog.ids(),
        options={"export": True},
    )


def export_for_request(
    client: Client, request: ConnectRequest, fmt: str, output: Path
) -> ExportResult:
    check_format(client, fmt)
    export = client.render_export(request, fmt)
    changed = write_export(export, output)
    return ExportResult(
        client=client.name,
        title=client.title,
        format=fmt,
        path=output,
        changed=changed,
        base_url=client.base_url(request),
        model=request.model,
        placements=export.placements,
        steps=export.steps,
        notes=export.notes,
        holds_key=export.holds_key,
    )


def run_export(
    st: AppState, client_name: str, fmt: str, output: str, model: str | None
) -> ExportResult:
    client = get_client(client_name)
    check_format(client, fmt)  # before any network: a usage error stays a usage error
    request = build_export_request(st, client, model)
    return export_for_request(client, request, fmt, Path(output).expanduser())


def write_export(export: ExportFile, output: Path) -> bool:
    """Write ``export`` to ``output`` atomically; False when it already holds these bytes.
    An existing file is replaced only when it is one of ours (``export.ours``)."""
    from optscale_cli.edit.atomic import atomic_write
    from optscale_cli.edit.stores import read_capped, refuse_special

    if output.is_dir():
        raise Refused(
            f"--output {output} is a directory; it names the file to write",
            f"e.g. --output {output / export.filename}",
        )
    refuse_special(output)
    if output.exists():
        current = read_capped(output)  # more than 64 MiB is no export of ours
        if current == export.data:
            return False
        if not export.ours(current):
            raise Refused(
                f"{output} exists and was not written by optscale; not overwriting it",
                "choose another --output, or move that file away first",
            )
    output.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(output, export.data, mode=export.mode)
    return True


def json_bytes(doc: dict[str, Any]) -> bytes:
    """How every JSON export is written: two-space indent, UTF-8, a final newline."""
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def json_object(data: bytes) -> dict[str, Any] | None:
    """``data`` as a JSON object, or None when it is not one."""
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


def only_keys(doc: Any, allowed: set[str]) -> bool:
    """Whether ``doc`` is an object holding no key outside ``allowed``: our exports are
    recognised by their shape, since strict formats (OpenCode) allow no marker key."""
    return isinstance(doc, dict) and set(doc) <= allowed
