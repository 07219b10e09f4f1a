"""Goose: the OpenAI provider settings in ``~/.config/goose/config.yaml``.

Sources (docs/clients.md): block.github.io/goose/docs/getting-started/providers
(``GOOSE_PROVIDER``, ``GOOSE_MODEL``, ``OPENAI_HOST``, ``OPENAI_BASE_PATH``). The key comes
from the keyring Goose manages, or ``OPENAI_API_KEY`` in its environment.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from urllib.parse import urlsplit

from optscale_cli.clients.base import Client, ClientPlan, ConnectRequest, Edit, xdg_config_home
from optscale_cli.edit.engine import Op, SetValue, Target
from optscale_cli.edit.stores import FileStore


def config_file() -> Path:
    if sys.platform == "win32" and os.environ.get("APPDATA"):
        return Path(os.environ["APPDATA"]) / "Block" / "goose" / "config" / "config.yaml"
    return xdg_config_home() / "goose" / "config.yaml"


class Goose(Client):
    name = "goose"
    title = "Goose"
    surface = "openai"
    scopes = ("user",)
    key_modes = ("env",)
    version_command = ("goose", "--version")
    headless = ("goose", "run", "--text", "{prompt}")
    ca_variable = "SSL_CERT_FILE"

    def installed(self) -> bool:
        return shutil.which("goose") is not None or config_file().parent.is_dir()

    def plan(self, request: ConnectRequest) -> ClientPlan:
        self.require_model(request)
        url = urlsplit(self.base_url(request))
        ops: list[Op] = [
            SetValue(("GOOSE_PROVIDER",), "openai"),
            SetValue(("GOOSE_MODEL",), request.model),
            SetValue(("OPENAI_HOST",), f"{url.scheme}://{url.netloc}"),
            SetValue(("OPENAI_BASE_PATH",), url.path.lstrip("/") + "/chat/completions"),
        ]
        return ClientPlan(
            [Edit(Target(FileStore(config_file()), "yaml"), ops)],
            details={"key_mode": "env"},
            notes=[
                "Goose reads the key from its keyring (`goose configure`) or $OPENAI_API_KEY:"
                " run `optscale exec -- goose session`"
            ],
        )
