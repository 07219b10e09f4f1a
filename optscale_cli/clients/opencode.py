"""OpenCode: a custom provider ``optscale`` in opencode.json(c).

Sources (see docs/clients.md): opencode.ai/docs/config, opencode.ai/docs/providers, and
packages/opencode/src/config/*.ts. The top level is strict (no marker keys of ours), and
``$schema`` must stay (without it OpenCode rewrites the file itself).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from optscale_cli.clients.base import (
    Client,
    ClientPlan,
    ConnectRequest,
    Edit,
    ExportFile,
    Placement,
    xdg_config_home,
)
from optscale_cli.edit.documents import ABSENT
from optscale_cli.edit.engine import Op, SetValue, Target
from optscale_cli.edit.stores import FileStore, read_if_regular

if TYPE_CHECKING:
    from optscale_cli.connections import Ledger

PROVIDER_ID = "optscale"
SCHEMA_URL = "https://opencode.ai/config.json"
NAMES = ("opencode.jsonc", "opencode.json")
KEY_VARIABLE = "OPTSCALE_API_KEY"
KEY_REFERENCE = "{env:" + KEY_VARIABLE + "}"
# config/managed.ts: macOS is documented (opencode.ai/docs/config); the others only in code
MANAGED_FILES = (
    Placement("macOS", "/Library/Application Support/opencode/opencode.json"),
    Placement("Linux", "/etc/opencode/opencode.json", verified=False),
    Placement("Windows", "%ProgramData%\\opencode\\opencode.json", verified=False),
)


# how OpenCode finds {file:PATH} in the raw config text (config/config.ts), before parsing
FILE_REFERENCE = re.compile(r"\{file:([^}]+)\}")


def file_reference_safe(path: Path) -> bool:
    """Whether ``{file:PATH}``, written as a JSON string, reaches OpenCode's pattern as PATH:
    no ``}`` (it ends the match), and nothing JSON escapes (``"``, ``\\``, control
    characters: the raw text would hold the escape, not the character)."""
    text = str(path)
    return bool(text) and "}" not in text and json.dumps(text, ensure_ascii=False)[1:-1] == text


def resolve_file_reference(raw: str, config: Path) -> Path:
    """Where OpenCode reads ``{file:raw}`` from: ``~/`` is the home folder, a relative path
    is relative to the config file's folder."""
    if raw.startswith("~/"):
        return Path(os.path.expanduser("~")) / raw[2:]
    found = Path(raw)
    return found if found.is_absolute() else config.parent / found


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
        if f'"{PROVIDER_ID}"'.encode() in (read_if_regular(path) or b""):
            return path  # (a FIFO or a directory is not looked into: its read refuses it)
    return existing[0] if existing else folder / "opencode.json"


def provider_config(base_url: str, models: list[str]) -> dict[str, object]:
    """The ``provider.optscale`` block ``connect --key-from-env`` writes."""
    return {
        "npm": "@ai-sdk/openai-compatible",
        "name": "OptScale AI",
        "options": {"baseURL": base_url, "apiKey": KEY_REFERENCE},
        "models": {m: {"name": f"{m} (OptScale)"} for m in models},
    }


def _ours_config(doc: object) -> bool:
    """Our shape: only $schema/provider/model, the one provider ours, its key a reference."""
    from optscale_cli.flows.export import only_keys

    if not only_keys(doc, {"$schema", "provider", "model"}):
        return False
    providers = doc.get("provider")  # type: ignore[union-attr]
    if not only_keys(providers, {PROVIDER_ID}) or PROVIDER_ID not in providers:  # type: ignore[operator]
        return False
    options = providers[PROVIDER_ID].get("options")  # type: ignore[index]
    return isinstance(options, dict) and options.get("apiKey") == KEY_REFERENCE


def managed_export(base_url: str, model: str) -> ExportFile:
    """opencode.json for the managed config directory: it overrides every user's config,
    so it declares the provider and its model but does not force the default model."""
    from optscale_cli.flows.export import json_bytes, json_object

    doc = {"$schema": SCHEMA_URL, "provider": {PROVIDER_ID: provider_config(base_url, [model])}}
    return ExportFile(
        json_bytes(doc),
        "opencode.json",
        lambda data: _ours_config(json_object(data)),
        placements=list(MANAGED_FILES),
        steps=[
            "Copy it to the managed directory for each OS (admin-owned, mode 0644); "
            "it wins over every user and project config",
            f"Each user runs `optscale login` once, then starts OpenCode with "
            f"`optscale exec -- opencode` (it sets ${KEY_VARIABLE}), and picks "
            f"'{PROVIDER_ID}/{model}'",
            "Verify on a machine: `optscale doctor`, then "
            f'`optscale exec -- opencode run -m {PROVIDER_ID}/{model} "hello"`',
        ],
        notes=[
            "The Linux and Windows managed directories are seen only in OpenCode's source "
            "(config/managed.ts), not in its documentation: check them on one machine first",
        ],
    )


def well_known_export(base_url: str, model: str) -> ExportFile:
    """The ``/.well-known/opencode`` document ``opencode auth login <url>`` fetches: it runs
    ``auth.command``, keeps its output as the token, sets ``auth.env`` to it at each start,
    and merges ``config`` as the lowest layer (cli/cmd/auth.ts, config/config.ts)."""
    from optscale_cli.flows.export import json_bytes, json_object, only_keys

    command = ["optscale", "token", "--for-url", base_url]
    config = {"provider": {PROVIDER_ID: provider_config(base_url, [model])}}
    config["model"] = f"{PROVIDER_ID}/{model}"  # org default: users may still choose another
    doc = {"auth": {"command": command, "env": KEY_VARIABLE}, "config": config}

    def ours(data: bytes) -> bool:
        found = json_object(data)
        auth = (found or {}).get("auth")
        return (
            only_keys(found, {"auth", "config"})
            and only_keys(auth, {"command", "env"})
            and auth.get("env") == KEY_VARIABLE  # type: ignore[union-attr]
            and auth.get("command", [])[:3] == command[:3]  # type: ignore[union-attr]
            and _ours_config(found.get("config", {}))  # type: ignore[union-attr]
        )

    return ExportFile(
        json_bytes(doc),
        "opencode",
        ours,
        placements=[Placement("web", "https://SERVER/.well-known/opencode (any HTTPS server)")],
        steps=[
            "Serve it as JSON at https://SERVER/.well-known/opencode, on any HTTPS server "
            "your team reaches",
            "Each user runs `optscale login` once, then `opencode auth login https://SERVER`: "
            f"OpenCode runs `{' '.join(command)}` and keeps the key it prints",
            "After a key rotation, users run `opencode auth login https://SERVER` again",
            "Verify on a machine: `optscale doctor`, then "
            f'`opencode run -m {PROVIDER_ID}/{model} "hello"`',
        ],
        notes=[
            "OpenCode stores the key printed at `opencode auth login` in its own auth.json "
            "and fetches this document again at each start",
        ],
    )


class OpenCode(Client):
    name = "opencode"
    title = "OpenCode"
    surface = "openai"
    key_modes = ("file", "env", "plaintext")
    exports = ("managed", "well-known")
    version_command = ("opencode", "--version")
    headless = ("opencode", "run", "{prompt}")
    ca_variable = "NODE_EXTRA_CA_CERTS"

    def installed(self) -> bool:
        return shutil.which("opencode") is not None or config_dir().is_dir()

    def render_export(self, request: ConnectRequest, kind: str) -> ExportFile:
        model = self.require_export_model(request, kind)
        build = managed_export if kind == "managed" else well_known_export
        return build(self.base_url(request), model)

    def plan(self, request: ConnectRequest) -> ClientPlan:
        self.require_model(request)
        path = config_file(request.scope)
        target = Target(FileStore(path), "jsonc", secret=request.plaintext_key)
        base = ("provider", PROVIDER_ID)
        warnings: list[str] = []
        if request.key_from_env:
            api_key, key_mode = "{env:OPTSCALE_API_KEY}", "env"
        elif request.plaintext_key:
            api_key, key_mode = request.api_key, "plaintext"
        elif file_reference_safe(request.key_file()):
            api_key, key_mode = f"{{file:{request.key_file()}}}", "file"
        else:
            api_key, key_mode = KEY_REFERENCE, "env"
            warnings.append(
                f"the key file's path ({request.key_file()}) has a character OpenCode's "
                '{file:…} cannot hold (}, ", \\ or a control character): using '
                f"{KEY_REFERENCE} instead"
            )
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
        # the model object in one op: one edit of the file for 10,000 models, not 10,000
        models = {m: {"name": f"{m} (OptScale)"} for m in request.models}
        ops.append(SetValue((*base, "models"), models, merge=True))  # the user's own stay
        set_default = self.make_default(request)
        if set_default:
            ops.append(SetValue(("model",), f"{PROVIDER_ID}/{request.model}"))
        notes = [
            f"Start OpenCode and pick '{PROVIDER_ID}/{request.model}' (or run: opencode run "
            f'-m {PROVIDER_ID}/{request.model} "hello")'
        ]
        if key_mode == "env":
            notes.append(
                "export OPTSCALE_API_KEY in the shell that starts OpenCode, or start it "
                "with: optscale exec -- opencode"
            )
        return ClientPlan(
            edits=[Edit(target, ops)],
            details={"key_mode": key_mode, "default": bool(set_default), "config": str(path)},
            notes=notes,
            warnings=warnings,
            uses_key_file=key_mode == "file",
        )

    def reference_problems(self, ledger: Ledger) -> list[str]:
        """Besides the key file itself: the {file:…} text in the config, read by OpenCode's
        own rule, must lead to it."""
        problems = super().reference_problems(ledger)
        config = ledger.details.get("config")
        if ledger.details.get("key_mode") != "file" or problems or not config or not ledger.profile:
            return problems
        from optscale_cli.secrets import key_file_path

        raw = read_if_regular(Path(config))
        if raw is None:
            return problems  # a missing or unreadable config is reported as such
        text = raw.decode("utf-8", errors="replace")
        wanted = os.path.normpath(key_file_path(ledger.profile))
        found = [resolve_file_reference(m, Path(config)) for m in FILE_REFERENCE.findall(text)]
        if not any(os.path.normpath(p) == wanted for p in found):
            read = ", ".join(str(p) for p in found) or "nothing"
            problems.append(
                f"OpenCode reads its {{file:…}} key reference as {read}, not the key file {wanted}"
            )
        return problems
