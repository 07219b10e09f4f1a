"""Cursor: "Override OpenAI Base URL" and the custom model, in Cursor's SQLite state DB.

Best-effort (docs/clients.md): Cursor does not document this storage; several independent
tools agree on the row and its fields. The key is not written: current builds keep it
encrypted with Electron safeStorage (the OS keychain), which we must not forge, so the user
pastes it once (``optscale connection show --client cursor --reveal``). Cursor's servers call
the base URL, so a loopback or private gateway cannot work; and Cursor rewrites this DB
while it runs, so we refuse to write until it is closed.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from optscale_cli.clients.base import Client, ClientPlan, ConnectRequest, Edit, home
from optscale_cli.edit.engine import ListItem, Op, SetValue, Target
from optscale_cli.edit.stores import SqliteRowStore

ROW_KEY = (
    "src.vs.platform.reactivestorage.browser.reactiveStorageServiceImpl.persistentStorage"
    ".applicationUser"
)


def user_dir(platform: str = sys.platform) -> Path:
    if platform == "darwin":
        return home() / "Library" / "Application Support" / "Cursor" / "User"
    if platform == "win32":
        return Path(os.environ.get("APPDATA") or home() / "AppData" / "Roaming") / "Cursor" / "User"
    return Path(os.environ.get("XDG_CONFIG_HOME") or home() / ".config") / "Cursor" / "User"


def state_db(platform: str = sys.platform) -> Path:
    return user_dir(platform) / "globalStorage" / "state.vscdb"


def unreachable_from_internet(host: str, resolve: Callable[..., list[Any]] | None = None) -> bool:
    """Whether ``host`` is loopback, private, link-local or otherwise not global: a literal
    address is judged as is, a name by every address it resolves to (all non-global: True).
    A name that does not resolve is not judged (False): the gateway check reports that."""
    name = host.strip("[]").rstrip(".").lower()
    if name == "localhost" or name.endswith((".localhost", ".local")):
        return True
    try:
        return not ipaddress.ip_address(name).is_global
    except ValueError:
        pass
    import socket

    try:
        infos = (resolve or socket.getaddrinfo)(name, None, type=socket.SOCK_STREAM)
        found = {ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos}
    except (OSError, UnicodeError, ValueError):
        return False
    return bool(found) and not any(address.is_global for address in found)


def cursor_running() -> bool:
    """Whether a Cursor process runs now (best effort, per OS)."""
    if sys.platform.startswith("linux"):
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                name = (entry / "comm").read_text().strip().lower()
            except OSError:
                continue
            if name in ("cursor", "cursor.exe") or name.startswith("cursor-"):
                return True
        return False
    command = (
        ["pgrep", "-x", "Cursor"]
        if sys.platform == "darwin"
        else ["tasklist", "/FI", "IMAGENAME eq Cursor.exe"]
    )
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=3, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0 and ("Cursor" in done.stdout or sys.platform == "darwin")


class Cursor(Client):
    name = "cursor"
    title = "Cursor"
    surface = "cursor"
    scopes = ("user",)
    key_modes = ("manual",)
    probes = ("cursor",)

    def installed(self) -> bool:
        return state_db().exists() or shutil.which("cursor") is not None

    def plan(self, request: ConnectRequest) -> ClientPlan:
        from optscale_cli.errors import ConfigFileError, Refused

        self.require_model(request)
        db = state_db()
        if not db.exists():
            raise ConfigFileError(
                str(db),
                "does not exist: is Cursor installed and started once?",
                hint="or use: optscale connect cursor --manual",
            )
        if cursor_running():
            raise Refused(
                "Cursor is running; it rewrites its settings database while open",
                "quit Cursor, run this again, then start Cursor",
            )
        target = Target(SqliteRowStore(db, ROW_KEY), "json")
        current = target.parse(target.store.read())
        ai = ("aiSettings",)
        # reverted together: a base URL the user has changed since keeps the key switch on
        # and our model listed; modelOverrideDisabled is not in it (any edit to that list
        # would otherwise keep our base URL)
        group = "override"
        ops: list[Op] = [
            SetValue(("openAIBaseUrl",), self.base_url(request), group=group),
            SetValue(("useOpenAIKey",), True, group=group),
            ListItem((*ai, "userAddedModels"), request.model, group=group),
            ListItem((*ai, "modelOverrideEnabled"), request.model, group=group),
        ]
        disabled = current.get((*ai, "modelOverrideDisabled"))
        if isinstance(disabled, list):  # always planned, so a reconnect keeps our record
            ops.append(
                SetValue(
                    (*ai, "modelOverrideDisabled"), [m for m in disabled if m != request.model]
                )
            )
        warnings = []
        if unreachable_from_internet(request.profile.location.host):
            warnings.append(
                f"{request.profile.location.host} is a loopback or private address:"
                " Cursor's servers call the base URL, so it must be reachable from the"
                " internet; they cannot reach it"
            )
        return ClientPlan(
            [Edit(target, ops)],
            details={"key_mode": "manual"},
            notes=[
                "Paste the API key once in Cursor → Settings → Models → OpenAI API Key "
                "(see it with: optscale connection show --client cursor --reveal), then Verify",
                "Cursor's Agent mode may not use a custom OpenAI key; Ask/Chat do",
                "This DB write is best-effort: if Cursor syncs settings from your account, "
                "check Settings → Models after it starts",
            ],
            warnings=warnings,
        )

    def manual_steps(self, request: ConnectRequest) -> list[tuple[str, str]]:
        from optscale_cli.redact import redact_key

        return [
            ("Where", "Cursor → Settings → Models"),
            ("Override OpenAI Base URL", self.base_url(request)),
            (
                "OpenAI API Key",
                f"{redact_key(request.api_key)} (full key: optscale connection "
                "show --client cursor --reveal)",
            ),
            ("Add model", request.model or "(pass --model)"),
            ("Then", "turn the override on, Verify, and select the model"),
        ]

    def reachability_warning(self, host: str) -> tuple[str, str] | None:
        if not unreachable_from_internet(host):
            return None
        return (
            f"{host} is a loopback or private address: Cursor's servers call the base URL "
            "and cannot reach it",
            "Cursor needs a gateway reachable from the internet",
        )
