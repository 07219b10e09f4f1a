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

from optscale_cli.clients.base import Client, ClientPlan, ConnectRequest, Edit, home
from optscale_cli.edit.engine import Op, SetValue, Target
from optscale_cli.edit.stores import FileStore

PROVIDER_ID = "optscale"
KEY_VARIABLE = "OPTSCALE_API_KEY"


def codex_home() -> Path:
    return Path(os.environ.get("CODEX_HOME") or home() / ".codex")


class Codex(Client):
    name = "codex"
    title = "Codex CLI"
    surface = "openai"
    key_modes = ("env",)
    probes = ("responses",)
    version_command = ("codex", "--version")
    headless = ("codex", "exec", "--skip-git-repo-check", "{prompt}")
    ca_variable = "CODEX_CA_CERTIFICATE"

    def installed(self) -> bool:
        return shutil.which("codex") is not None or codex_home().is_dir()

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
