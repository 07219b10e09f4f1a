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
import sys
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from optscale_cli.clients.base import (
    Client,
    ClientPlan,
    ConnectRequest,
    Edit,
    ExportFile,
    Placement,
    home,
)
from optscale_cli.clients.claude_code import fill_tiers
from optscale_cli.edit.engine import ListItem, SetValue, Target
from optscale_cli.edit.stores import FileStore

if TYPE_CHECKING:
    from optscale_cli.connections import Ledger

ENTRY_ID = "optscale"
ENTRY_NAME = "OptScale AI Gateway"
DOMAIN = "com.anthropic.claudefordesktop"
REGISTRY_KEY = r"HKEY_CURRENT_USER\SOFTWARE\Policies\Claude"
PROFILE_ID = "ai.optscale.claude-desktop"
REG_MARKER = "; written by: optscale connect claude-desktop --export reg"
MOBILECONFIG_PLACEMENT = Placement(
    "macOS", f"a configuration profile pushed by MDM (payload {DOMAIN}), user scope"
)
REG_PLACEMENT = Placement("Windows", f"registry {REGISTRY_KEY} (HKLM works too)")


def library_dir(platform: str = sys.platform, env: dict[str, str] | None = None) -> Path | None:
    """Where the local configuration library lives; None where there is no official app.

    Desktop's own rule (as ported by independent tools from its bundle): CLAUDE_USER_DATA_DIR
    first; on Windows %LOCALAPPDATA%\\Claude-3p; else the app's user-data dir plus "-3p". The
    MSIX build on Windows may keep its copy in the package's private LocalCache: when that
    copy exists it shadows the real one, so it is the one to edit.
    """
    env = dict(os.environ) if env is None else env
    if platform not in ("darwin", "win32"):
        return None
    if env.get("CLAUDE_USER_DATA_DIR"):
        return Path(env["CLAUDE_USER_DATA_DIR"]).expanduser() / "configLibrary"
    if platform == "darwin":
        return (
            Path(env.get("HOME") or home()) / "Library/Application Support/Claude-3p/configLibrary"
        )
    local = Path(
        env.get("LOCALAPPDATA") or Path(env.get("USERPROFILE") or home()) / "AppData" / "Local"
    )
    packaged = sorted((local / "Packages").glob("Claude_*/LocalCache/Local/Claude-3p"))
    return (packaged[0] if packaged else local / "Claude-3p") / "configLibrary"


def managed_sources(
    platform: str = sys.platform, env: dict[str, str] | None = None, root: Path = Path("/")
) -> list[str]:
    """Managed preferences already present: they win over the local library."""
    env = dict(os.environ) if env is None else env
    found: list[str] = []
    if platform == "darwin":
        folder = root / "Library" / "Managed Preferences"
        user = env.get("USER") or env.get("LOGNAME") or ""
        candidates = [folder / user / f"{DOMAIN}.plist"] if user else []
        candidates.append(folder / f"{DOMAIN}.plist")
        found += [str(path) for path in candidates if path.exists()]
    elif platform == "win32" and sys.platform == "win32":  # pragma: no cover - Windows only
        import winreg

        for hive, label in (
            (winreg.HKEY_LOCAL_MACHINE, "HKLM"),
            (winreg.HKEY_CURRENT_USER, "HKCU"),
        ):
            try:
                with winreg.OpenKey(hive, r"SOFTWARE\Policies\Claude") as key:
                    if winreg.QueryInfoKey(key)[1]:
                        found.append(rf"{label}\SOFTWARE\Policies\Claude")
            except OSError:
                continue
    return found


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


def windows_helper_text(command: list[str], config_dir_override: str | None) -> str:
    """A .cmd that prints the key: every argument double-quoted (cmd.exe knows no POSIX
    quoting; quotes also shield & ^ and spaces), percent signs doubled."""
    lines = ["@echo off"]
    if config_dir_override:
        lines.append(f'set "OPTSCALE_CONFIG_DIR={config_dir_override}"')
    lines.append(" ".join(f'"{part}"' for part in command))
    return "\r\n".join(line.replace("%", "%%") for line in lines) + "\r\n"


def as_preference_strings(settings: dict[str, Any]) -> dict[str, str]:
    """Managed preferences hold strings only: arrays and objects JSON-encoded."""
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in settings.items()}


def export_identity(base_url: str, profile_name: str) -> tuple[str, str, str]:
    """(PayloadIdentifier, profile PayloadUUID, payload PayloadUUID) for one export.

    An MDM server treats equal UUIDs as one profile, so they differ per organization (its
    gateway URL) and profile; they are stable (uuid5), so re-exporting gives the same bytes.
    The identifier is stable per organization and starts with PROFILE_ID (written_by_us)."""
    from optscale_cli.digests import sha256_hex

    short = sha256_hex(base_url.encode())[:12]
    seed = f"{PROFILE_ID}/{base_url}/{profile_name}"
    return (
        f"{PROFILE_ID}.{short}",
        str(uuid.uuid5(uuid.NAMESPACE_URL, seed)).upper(),
        str(uuid.uuid5(uuid.NAMESPACE_URL, f"{seed}/{DOMAIN}")).upper(),
    )


def mobileconfig(settings: dict[str, str], profile_name: str = "default") -> bytes:
    identifier, profile_uuid, payload_uuid = export_identity(
        settings.get("inferenceGatewayBaseUrl", ""), profile_name
    )
    payload = {
        "PayloadType": DOMAIN,
        "PayloadIdentifier": f"{identifier}.{DOMAIN}",
        "PayloadUUID": payload_uuid,
        "PayloadVersion": 1,
        "PayloadDisplayName": "Claude Desktop: OptScale AI Gateway",
        **settings,
    }
    profile = {
        "PayloadContent": [payload],
        "PayloadType": "Configuration",
        "PayloadIdentifier": identifier,
        "PayloadUUID": profile_uuid,
        "PayloadVersion": 1,
        "PayloadDisplayName": "Claude Desktop → OptScale AI Gateway",
        "PayloadScope": "User",
    }
    import plistlib

    return plistlib.dumps(profile, fmt=plistlib.FMT_XML)


def reg_file(settings: dict[str, str]) -> bytes:
    def quote(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = ["Windows Registry Editor Version 5.00", "", REG_MARKER, f"[{REGISTRY_KEY}]"]
    lines += [f"{quote(k)}={quote(v)}" for k, v in settings.items()]
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-16-le")


def written_by_us(data: bytes) -> bool:
    """Whether an existing export file is one of ours (so a re-export may replace it)."""
    import plistlib

    try:
        if data.startswith(b"\xff\xfe"):
            return REG_MARKER in data.decode("utf-16").splitlines()
        profile = plistlib.loads(data)
    except (ValueError, UnicodeError, plistlib.InvalidFileException):
        return False
    if not isinstance(profile, dict):
        return False
    identifier = profile.get("PayloadIdentifier")
    return isinstance(identifier, str) and (
        identifier == PROFILE_ID or identifier.startswith(f"{PROFILE_ID}.")
    )


class ClaudeDesktop(Client):
    name = "claude-desktop"
    title = "Claude Desktop"
    surface = "anthropic"
    scopes = ("user",)
    key_modes = ("helper", "plaintext")
    exports = ("mobileconfig", "reg")
    probes = ("anthropic",)

    def __init__(self, platform: str | None = None) -> None:
        self.platform = platform or sys.platform  # read now, not when the module loaded

    def installed(self) -> bool:
        folder = library_dir(self.platform)  # Claude-3p/configLibrary; Claude/ beside it
        return folder is not None and (
            folder.parent.is_dir() or folder.parent.with_name("Claude").is_dir()
        )

    def reference_problems(self, ledger: Ledger) -> list[str]:
        """The helper script the app runs must exist (gone after `logout --force`)."""
        from optscale_cli.paths import config_dir

        if ledger.details.get("key_mode") != "helper" or not ledger.profile:
            return []
        suffix = ".cmd" if self.platform == "win32" else ""
        path = config_dir() / "bin" / f"claude-desktop-key-{ledger.profile}{suffix}"
        return [] if path.is_file() else [f"the key-helper script it runs is missing: {path}"]

    def helper_script(self, request: ConnectRequest) -> tuple[Path, str]:
        """A 0700 script of ours that prints the key (the app runs it with no arguments):
        its path and text. It is written when the connection is applied, never by a plan."""
        from optscale_cli.clients.base import key_helper_env
        from optscale_cli.paths import config_dir

        folder = config_dir() / "bin"
        argv = request.key_helper_argv(self.base_url(request))
        if self.platform == "win32":
            path = folder / f"claude-desktop-key-{request.profile.name}.cmd"
            return path, windows_helper_text(argv, key_helper_env().get("OPTSCALE_CONFIG_DIR"))
        path = folder / f"claude-desktop-key-{request.profile.name}"
        return path, f"#!/bin/sh\n{request.key_helper_command(self.base_url(request))}\n"

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
        script = None if request.plaintext_key else self.helper_script(request)
        helper = str(script[0]) if script else None
        settings = gateway_settings(request, self.base_url(request), helper=helper)
        entry = Target(FileStore(folder / f"{ENTRY_ID}.json"), "json", secret=request.plaintext_key)
        warnings = [
            f"managed settings for Claude Desktop exist ({where}); they win over this local "
            "configuration, which the app then ignores"
            for where in managed_sources(self.platform)
        ]
        notes = [
            "Quit and restart Claude Desktop: it reads this configuration at launch",
            "This local configuration file is best-effort (its format is not documented); "
            "if the app ignores it, use Help → Troubleshooting → Enable Developer Mode, "
            "then Developer → Configure third-party inference, or an admin-deployed "
            "--export file",
        ]
        if self.platform == "win32" and helper:
            notes.append(
                f"The key comes from {helper}; if the app cannot run a .cmd helper, reconnect "
                "with --plaintext-key"
            )
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
            notes=notes,
            warnings=warnings,
            owned_files={script[0]: script[1]} if script else {},
        )

    def render_export(self, request: ConnectRequest, kind: str) -> ExportFile:
        """A managed-preferences file an admin can deploy (mobileconfig or reg)."""
        settings = as_preference_strings(
            gateway_settings(request, self.base_url(request), helper=None)
        )
        if kind == "mobileconfig":
            data, name = mobileconfig(settings, request.profile.name), "claude-desktop.mobileconfig"
            placements = [MOBILECONFIG_PLACEMENT]
            deploy = (
                "Upload it to your MDM as a custom configuration profile (Jamf Pro: "
                "Configuration Profiles → Upload; Intune: macOS → Templates → Custom)"
            )
        else:
            data, name, placements = reg_file(settings), "claude-desktop.reg", [REG_PLACEMENT]
            deploy = (
                "Import it on each machine: `reg import claude-desktop.reg` (Intune: a "
                "script or Win32 app that runs it; Group Policy: Registry preferences)"
            )
        key = request.plaintext_key
        return ExportFile(
            data,
            name,
            written_by_us,
            placements=placements,
            steps=[
                deploy,
                "Quit and restart Claude Desktop: it reads managed preferences at launch",
            ],
            notes=[]
            if key
            else [
                "The key is not in it: each user enters it in the app, or runs `optscale "
                "login` and `optscale connect claude-desktop` for a credential helper"
            ],
            mode=0o600 if key else 0o644,
            holds_key=key,
        )
