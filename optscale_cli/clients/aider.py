"""Aider: ``.aider.conf.yml`` (home, or the project with --scope project).

Sources (docs/clients.md): aider.chat/docs/config/aider_conf.html and
aider.chat/docs/llms/openai-compat.html: an OpenAI-compatible endpoint needs
``openai-api-base`` and the model prefixed ``openai/`` (so ``openai/openai/gpt-4.1``).
The key stays out of the file unless --plaintext-key: Aider reads ``OPENAI_API_KEY``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from optscale_cli.clients.base import Client, ClientPlan, ConnectRequest, Edit, home
from optscale_cli.edit.engine import Op, SetValue, Target
from optscale_cli.edit.stores import FileStore


class Aider(Client):
    name = "aider"
    title = "Aider"
    surface = "openai"
    key_modes = ("env", "plaintext")
    version_command = ("aider", "--version")
    headless = ("aider", "--message", "{prompt}", "--yes-always", "--no-git")

    def installed(self) -> bool:
        return shutil.which("aider") is not None or (home() / ".aider.conf.yml").exists()

    def plan(self, request: ConnectRequest) -> ClientPlan:
        self.require_model(request)
        folder = Path.cwd() if request.scope == "project" else home()
        target = Target(FileStore(folder / ".aider.conf.yml"), "yaml", secret=request.plaintext_key)
        ops: list[Op] = [
            SetValue(("openai-api-base",), self.base_url(request)),
            SetValue(("model",), f"openai/{request.model}"),
        ]
        notes = []
        if request.plaintext_key:
            ops.append(SetValue(("openai-api-key",), request.api_key))
        else:
            notes.append(
                "Aider reads the key from $OPENAI_API_KEY: run `optscale exec -- aider`"
                ' or eval "$(optscale env --client openai)"'
            )
        return ClientPlan(
            [Edit(target, ops)],
            details={"key_mode": "plaintext" if request.plaintext_key else "env"},
            notes=notes,
        )
