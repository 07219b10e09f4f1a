"""OpenCode: a custom provider ``optscale`` in opencode.json(c).

Sources (see docs/clients.md): opencode.ai/docs/config, opencode.ai/docs/providers, and
packages/opencode/src/config/*.ts. The top level is strict (no marker keys of ours), and
``$schema`` must stay (without it OpenCode rewrites the file itself).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from optscale_cli.clients.base import Client, ClientPlan, ConnectRequest, Edit, xdg_config_home
from optscale_cli.edit.documents import ABSENT
from optscale_cli.edit.engine import Op, SetValue, Target
from optscale_cli.edit.stores import FileStore

PROVIDER_ID = "optscale"
SCHEMA_URL = "https://opencode.ai/config.json"
NAMES = ("opencode.jsonc", "opencode.json")


def config_dir() -> Path:
    return xdg_config_home() / "opencode"


def config_file(scope: str) -> Path:
    """The file to edit: $OPENCODE_CONFIG, else an existing opencode.json(c), else a new
    opencode.json (never a second file beside an existing one)."""
    if scope == "user" and os.environ.get("OPENCODE_CONFIG"):
        return Path(os.environ["OPENCODE_CONFIG"]).expanduser()
    folder = Path.cwd() if scope == "project" else config_dir()
    existing = [folder / name for name in NAMES if (folder / name).exists()]
    for path in existing:  # prefer the one that already holds our provider
        if f'"{PROVIDER_ID}"' in path.read_text(encoding="utf-8", errors="replace"):
            return path
    return existing[0] if existing else folder / "opencode.json"


class OpenCode(Client):
    name = "opencode"
    title = "OpenCode"
    surface = "openai"
    key_modes = ("file", "env", "plaintext")
    version_command = ("opencode", "--version")
    headless = ("opencode", "run", "{prompt}")
    ca_variable = "NODE_EXTRA_CA_CERTS"

    def installed(self) -> bool:
        return shutil.which("opencode") is not None or config_dir().is_dir()

    def plan(self, request: ConnectRequest) -> ClientPlan:
        self.require_model(request)
        path = config_file(request.scope)
        target = Target(FileStore(path), "jsonc", secret=request.plaintext_key)
        base = ("provider", PROVIDER_ID)
        if request.key_from_env:
            api_key, key_mode = "{env:OPTSCALE_API_KEY}", "env"
        elif request.plaintext_key:
            api_key, key_mode = request.api_key, "plaintext"
        else:
            api_key, key_mode = f"{{file:{request.key_file()}}}", "file"
        ops: list[Op] = []
        current = target.parse(target.store.read())
        if current.get(("$schema",)) in (ABSENT, SCHEMA_URL):  # keep it in our record
            ops.append(SetValue(("$schema",), SCHEMA_URL))
        ops += [
            SetValue((*base, "npm"), "@ai-sdk/openai-compatible"),
            SetValue((*base, "name"), "OptScale AI"),
            SetValue((*base, "options", "baseURL"), self.base_url(request)),
            SetValue((*base, "options", "apiKey"), api_key),
        ]
        ops += [SetValue((*base, "models", m), {"name": f"{m} (OptScale)"}) for m in request.models]
        set_default = self.make_default(request)
        if set_default:
            ops.append(SetValue(("model",), f"{PROVIDER_ID}/{request.model}"))
        notes = [
            f"Start OpenCode and pick '{PROVIDER_ID}/{request.model}' (or run: opencode run "
            f'-m {PROVIDER_ID}/{request.model} "hello")'
        ]
        if key_mode == "env":
            notes.append("export OPTSCALE_API_KEY in the shell that starts OpenCode")
        return ClientPlan(
            edits=[Edit(target, ops)],
            details={"key_mode": key_mode, "default": bool(set_default), "config": str(path)},
            notes=notes,
            uses_key_file=key_mode == "file",
        )
