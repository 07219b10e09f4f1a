"""Continue: one entry in ``models`` of ``~/.continue/config.yaml``, matched on its name.

Sources (docs/clients.md): docs.continue.dev/reference (config.yaml: ``name``, ``version``,
``schema``, ``models[]`` with ``provider: openai``, ``model``, ``apiBase``, ``apiKey``,
``roles``, ``capabilities``) and docs.continue.dev secrets: ``${{ secrets.NAME }}`` resolves
from ``~/.continue/.env`` for local configs. The key goes there (0600), not into config.yaml.
"""

from __future__ import annotations

import os
from pathlib import Path

from optscale_cli.clients.base import Client, ClientPlan, ConnectRequest, Edit, home
from optscale_cli.edit.documents import ABSENT
from optscale_cli.edit.engine import ListItem, Op, SetValue, Target
from optscale_cli.edit.stores import FileStore

SECRET_NAME = "OPTSCALE_API_KEY"


def continue_dir() -> Path:
    return Path(os.environ.get("CONTINUE_GLOBAL_DIR") or home() / ".continue")


class Continue(Client):
    name = "continue"
    title = "Continue"
    surface = "openai"
    scopes = ("user",)
    key_modes = ("secrets-env", "plaintext")
    version_command = ("cn", "--version")
    headless = ("cn", "-p", "{prompt}")
    ca_variable = "NODE_EXTRA_CA_CERTS"

    def installed(self) -> bool:
        return continue_dir().is_dir()

    def plan(self, request: ConnectRequest) -> ClientPlan:
        self.require_model(request)
        config = Target(
            FileStore(continue_dir() / "config.yaml"), "yaml", secret=request.plaintext_key
        )
        api_key = request.api_key if request.plaintext_key else f"${{{{ secrets.{SECRET_NAME} }}}}"
        current = config.parse(config.store.read())
        ops: list[Op] = [
            SetValue((k,), v)
            for k, v in (("name", "Local Config"), ("version", "1.0.0"), ("schema", "v1"))
            if current.get((k,)) in (ABSENT, v)
        ]
        ops += [
            ListItem(
                ("models",),
                {
                    "name": f"OptScale {m}",
                    "provider": "openai",
                    "model": m,
                    "apiBase": self.base_url(request),
                    "apiKey": api_key,
                    "roles": ["chat", "edit", "apply"],
                    "capabilities": ["tool_use"],
                },
                key="name",
            )
            for m in request.models
        ]
        edits = [Edit(config, ops)]
        if not request.plaintext_key:
            secrets = Target(FileStore(continue_dir() / ".env"), "dotenv", secret=True)
            edits.append(Edit(secrets, [SetValue((SECRET_NAME,), request.api_key)]))
        return ClientPlan(
            edits,
            details={"key_mode": "plaintext" if request.plaintext_key else "secrets-env"},
            notes=["Reload Continue; pick 'OptScale " + request.model + "'."],
        )
