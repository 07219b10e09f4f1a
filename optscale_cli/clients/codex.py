"""Codex CLI: a ``[model_providers.optscale]`` table in ``$CODEX_HOME/config.toml``.

Sources (docs/clients.md): developers.openai.com/codex/config-sample and config reference.
Recent Codex accepts only ``wire_api = "responses"``, so the gateway must serve
``/v1/responses`` (``doctor`` probes it when Codex is connected). The key is never in the
file: ``env_key`` names the variable Codex reads it from.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from optscale_cli.clients.base import (
    Client,
    ClientPlan,
    ConnectRequest,
    Edit,
    ExportFile,
    Placement,
    home,
)
from optscale_cli.edit.engine import Op, SetValue, Target
from optscale_cli.edit.stores import FileStore

PROVIDER_ID = "optscale"
KEY_VARIABLE = "OPTSCALE_API_KEY"
MANAGED_MARKER = "# written by: optscale export codex --format managed"
MANAGED_FILES = (  # developers.openai.com/codex/enterprise/managed-configuration
    Placement("macOS", "/etc/codex/managed_config.toml"),
    Placement("Linux", "/etc/codex/managed_config.toml"),
    Placement("Windows", "%USERPROFILE%\\.codex\\managed_config.toml"),
)


def codex_home() -> Path:
    return Path(os.environ.get("CODEX_HOME") or home() / ".codex")


def managed_config(base_url: str, model: str) -> ExportFile:
    """managed_config.toml: defaults Codex re-applies at each start. A comment line marks it
    ours (TOML allows comments; nothing else in it is ours alone)."""
    import tomlkit

    doc = tomlkit.document()
    doc.add(tomlkit.comment(MANAGED_MARKER.removeprefix("# ")))
    doc.add(tomlkit.comment(f"the key comes from ${KEY_VARIABLE} (optscale exec -- codex)"))
    doc["model"] = model
    doc["model_provider"] = PROVIDER_ID
    doc["model_providers"] = {
        PROVIDER_ID: {
            "name": "OptScale AI",
            "base_url": base_url,
            "env_key": KEY_VARIABLE,
            "wire_api": "responses",
        }
    }

    def ours(data: bytes) -> bool:
        return MANAGED_MARKER in data.decode("utf-8", errors="replace").splitlines()

    return ExportFile(
        tomlkit.dumps(doc).encode("utf-8"),
        "managed_config.toml",
        ours,
        placements=list(MANAGED_FILES),
        steps=[
            "Copy it to the path for each OS (admin-owned, mode 0644; on macOS MDM can "
            "instead push it base64-encoded as config_toml_base64 in com.openai.codex)",
            f"Each user runs `optscale login` once, then starts Codex with "
            f"`optscale exec -- codex` (it sets ${KEY_VARIABLE})",
            'Verify on a machine: `optscale doctor`, then `optscale exec -- codex exec "hello"`',
        ],
        notes=[
            "Unverified: whether Codex takes [model_providers] from managed defaults (its "
            "docs show them in config.toml); if it ignores the provider, run `optscale "
            "connect codex` on each machine instead",
        ],
    )


class Codex(Client):
    name = "codex"
    title = "Codex CLI"
    surface = "openai"
    key_modes = ("env",)
    exports = ("managed",)
    probes = ("responses",)
    version_command = ("codex", "--version")
    headless = ("codex", "exec", "--skip-git-repo-check", "{prompt}")
    ca_variable = "CODEX_CA_CERTIFICATE"

    def installed(self) -> bool:
        return shutil.which("codex") is not None or codex_home().is_dir()

    def render_export(self, request: ConnectRequest, kind: str) -> ExportFile:
        return managed_config(self.base_url(request), self.require_export_model(request, kind))

    def plan(self, request: ConnectRequest) -> ClientPlan:
        self.require_model(request)
        folder = Path.cwd() / ".codex" if request.scope == "project" else codex_home()
        target = Target(FileStore(folder / "config.toml"), "toml")
        table = ("model_providers", PROVIDER_ID)
        ops: list[Op] = [
            SetValue((*table, "name"), "OptScale AI"),
            SetValue((*table, "base_url"), self.base_url(request)),
            SetValue((*table, "env_key"), KEY_VARIABLE),
            SetValue((*table, "wire_api"), "responses"),
        ]
        set_default = self.make_default(request)
        if set_default:
            ops += [SetValue(("model_provider",), PROVIDER_ID), SetValue(("model",), request.model)]
        notes = [
            f"Codex reads the key from ${KEY_VARIABLE}: run `optscale exec -- codex`, or "
            f'export it (eval "$(optscale env)" sets OPENAI_API_KEY; Codex needs {KEY_VARIABLE})',
        ]
        if request.scope == "project":
            notes.append("project .codex/config.toml is read only in trusted projects")
        return ClientPlan(
            [Edit(target, ops)], details={"key_mode": "env", "default": set_default}, notes=notes
        )
