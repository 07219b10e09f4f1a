"""Claude Desktop: third-party inference through a gateway.

Documented keys (claude.com/docs/cowork/3p/configuration, …/gateway, …/credential-helper),
all stored as strings in managed preferences: ``inferenceProvider=gateway``,
``inferenceGatewayBaseUrl`` (https), ``inferenceGatewayAuthScheme``, ``inferenceGatewayApiKey``
or ``inferenceCredentialHelper`` (an executable run with no arguments that prints the key),
``inferenceModels``. Managed: macOS domain ``com.anthropic.claudefordesktop`` (a
.mobileconfig), Windows ``HKCU/HKLM\\SOFTWARE\\Policies\\Claude`` (a .reg). The local
``Claude-3p/configLibrary`` files are not documented by Anthropic; their shape here is what
several independent tools agree on, so writing them is best-effort (docs/clients.md). No
official Linux build exists: there, only ``--export`` is offered.
"""

from __future__ import annotations

import json
import os
import plistlib
import sys
import uuid
from pathlib import Path
from typing import Any

from optscale_cli.clients.base import Client, ClientPlan, ConnectRequest, Edit, home
from optscale_cli.clients.claude_code import fill_tiers
from optscale_cli.edit.engine import ListItem, SetValue, Target
from optscale_cli.edit.stores import FileStore

ENTRY_ID = "optscale"
ENTRY_NAME = "OptScale AI Gateway"
DOMAIN = "com.anthropic.claudefordesktop"
REGISTRY_KEY = r"HKEY_CURRENT_USER\SOFTWARE\Policies\Claude"


def library_dir(platform: str = sys.platform, env: dict[str, str] | None = None) -> Path | None:
    """Where the local configuration library lives; None where there is no official app."""
    env = dict(os.environ) if env is None else env
    if platform == "darwin":
        return (
            Path(env.get("HOME") or home()) / "Library/Application Support/Claude-3p/configLibrary"
        )
    if platform == "win32":
        local = env.get("LOCALAPPDATA") or str(
            Path(env.get("USERPROFILE") or home()) / "AppData" / "Local"
        )
        return Path(local) / "Claude-3p" / "configLibrary"
    return None


def gateway_settings(
    request: ConnectRequest, base_url: str, *, helper: str | None
) -> dict[str, Any]:
    """The documented keys, as native values (callers stringify for managed preferences)."""
    tiers = fill_tiers(request.model, request.tiers, request.available)
    models = list(dict.fromkeys([*(m for m in [request.model] if m), *tiers.values()]))
    settings: dict[str, Any] = {
        "inferenceProvider": "gateway",
        "inferenceGatewayBaseUrl": base_url,
        "inferenceGatewayAuthScheme": "bearer",
    }
    if models:
        settings["inferenceModels"] = models
    if helper:
        settings["inferenceCredentialHelper"] = helper
    elif request.plaintext_key:
        settings["inferenceGatewayApiKey"] = request.api_key
    return settings


def as_preference_strings(settings: dict[str, Any]) -> dict[str, str]:
    """Managed preferences hold strings only: arrays and objects JSON-encoded."""
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in settings.items()}


def mobileconfig(settings: dict[str, str]) -> bytes:
    payload = {
        "PayloadType": DOMAIN,
        "PayloadIdentifier": f"{DOMAIN}.optscale",
        "PayloadUUID": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{DOMAIN}/optscale")).upper(),
        "PayloadVersion": 1,
        "PayloadDisplayName": "Claude Desktop: OptScale AI Gateway",
        **settings,
    }
    profile = {
        "PayloadContent": [payload],
        "PayloadType": "Configuration",
        "PayloadIdentifier": "ai.optscale.claude-desktop",
        "PayloadUUID": str(uuid.uuid5(uuid.NAMESPACE_URL, "ai.optscale.claude-desktop")).upper(),
        "PayloadVersion": 1,
        "PayloadDisplayName": "Claude Desktop → OptScale AI Gateway",
        "PayloadScope": "User",
    }
    return plistlib.dumps(profile, fmt=plistlib.FMT_XML)


def reg_file(settings: dict[str, str]) -> bytes:
    def quote(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = ["Windows Registry Editor Version 5.00", "", f"[{REGISTRY_KEY}]"]
    lines += [f"{quote(k)}={quote(v)}" for k, v in settings.items()]
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-16-le")


class ClaudeDesktop(Client):
    name = "claude-desktop"
    title = "Claude Desktop"
    surface = "anthropic"
    project_scope = False

    def __init__(self, platform: str = sys.platform) -> None:
        self.platform = platform

    def installed(self) -> bool:
        folder = library_dir(self.platform)
        return folder is not None and folder.parent.is_dir()

    def helper_script(self, request: ConnectRequest) -> Path:
        """A 0700 script we own that prints the key (the app runs it with no arguments)."""
        from optscale_cli.edit.atomic import atomic_write
        from optscale_cli.paths import config_dir, ensure_private_dir

        folder = ensure_private_dir(config_dir() / "bin")
        if self.platform == "win32":
            path = folder / f"claude-desktop-key-{request.profile.name}.cmd"
            text = f"@{request.key_helper_command()}\r\n"
        else:
            path = folder / f"claude-desktop-key-{request.profile.name}"
            text = f"#!/bin/sh\n{request.key_helper_command()}\n"
        if not path.exists() or path.read_text() != text:
            atomic_write(path, text, mode=0o700)
        return path

    def plan(self, request: ConnectRequest) -> ClientPlan:
        from optscale_cli.errors import OptscaleError

        folder = library_dir(self.platform)
        if folder is None:
            raise OptscaleError(
                "Claude Desktop has no official Linux build, so there is nothing to configure "
                "on this machine",
                "for a Mac or Windows machine, write a managed-preferences file: optscale "
                "connect claude-desktop --export mobileconfig|reg --output FILE",
            )
        helper = None if request.plaintext_key else str(self.helper_script(request))
        settings = gateway_settings(request, self.base_url(request), helper=helper)
        entry = Target(FileStore(folder / f"{ENTRY_ID}.json"), "json", secret=request.plaintext_key)
        meta = Target(FileStore(folder / "_meta.json"), "json")
        return ClientPlan(
            [
                Edit(entry, [SetValue((k,), v) for k, v in settings.items()]),
                Edit(
                    meta,
                    [
                        SetValue(("appliedId",), ENTRY_ID),
                        ListItem(("entries",), {"id": ENTRY_ID, "name": ENTRY_NAME}, key="id"),
                    ],
                ),
            ],
            details={
                "key_mode": "plaintext" if request.plaintext_key else "helper",
                "tiers": fill_tiers(request.model, request.tiers, request.available),
            },
            notes=[
                "Quit and restart Claude Desktop: it reads this configuration at launch",
                "This local configuration file is best-effort (its format is not documented); "
                "if the app ignores it, use Help → Troubleshooting → Enable Developer Mode, "
                "then Developer → Configure third-party inference, or an admin-deployed "
                "--export file",
            ],
        )

    def export(self, request: ConnectRequest, kind: str, output: Path) -> Path:
        """Write a managed-preferences file an admin can deploy (mobileconfig or reg)."""
        from optscale_cli.edit.atomic import atomic_write
        from optscale_cli.errors import Refused, UsageError

        if kind not in ("mobileconfig", "reg"):
            raise UsageError(f"--export takes mobileconfig or reg, not {kind!r}")
        settings = as_preference_strings(
            gateway_settings(request, self.base_url(request), helper=None)
        )
        data = mobileconfig(settings) if kind == "mobileconfig" else reg_file(settings)
        if output.exists() and output.read_bytes() != data:
            raise Refused(f"{output} exists; not overwriting it", "choose another --output")
        output.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(output, data, mode=0o600 if request.plaintext_key else 0o644)
        return output
