"""Zed: ``language_models.openai_compatible.OptScale`` in Zed's settings.json (JSONC).

Sources (docs/clients.md): zed.dev/docs/ai/use-api-access (OpenAI-compatible endpoints).
Zed never reads a key from settings: it uses its keychain or the variable derived from the
provider name, ``OPTSCALE_API_KEY`` for "OptScale".
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from optscale_cli.clients.base import Client, ClientPlan, ConnectRequest, Edit, xdg_config_home
from optscale_cli.edit.engine import Op, SetValue, Target
from optscale_cli.edit.stores import FileStore

PROVIDER_NAME = "OptScale"
KEY_VARIABLE = "OPTSCALE_API_KEY"


def settings_file() -> Path:
    if sys.platform == "win32" and os.environ.get("APPDATA"):
        return Path(os.environ["APPDATA"]) / "Zed" / "settings.json"
    return xdg_config_home() / "zed" / "settings.json"


def model_entry(model: str) -> dict[str, object]:
    return {
        "name": model,
        "display_name": f"{model} (OptScale)",
        "max_tokens": 128000,
        "capabilities": {
            "tools": True,
            "images": False,
            "parallel_tool_calls": False,
            "prompt_cache_key": False,
        },
    }


class Zed(Client):
    name = "zed"
    title = "Zed"
    surface = "openai"
    key_modes = ("env",)

    def installed(self) -> bool:
        return shutil.which("zed") is not None or settings_file().parent.is_dir()

    def plan(self, request: ConnectRequest) -> ClientPlan:
        self.require_model(request)
        path = (
            Path.cwd() / ".zed" / "settings.json" if request.scope == "project" else settings_file()
        )
        target = Target(FileStore(path), "jsonc")
        provider = ("language_models", "openai_compatible", PROVIDER_NAME)
        ops: list[Op] = [
            SetValue((*provider, "api_url"), self.base_url(request)),
            SetValue((*provider, "available_models"), [model_entry(m) for m in request.models]),
        ]
        set_default = self.make_default(request)
        if set_default:
            ops.append(
                SetValue(
                    ("agent", "default_model"), {"provider": PROVIDER_NAME, "model": request.model}
                )
            )
        notes = [
            f"Zed reads the key from ${KEY_VARIABLE} (start Zed from a shell where "
            "`optscale exec` or an export set it), or paste it once in Agent settings → "
            f"LLM Providers → {PROVIDER_NAME} (kept in the system keychain)"
        ]
        return ClientPlan(
            [Edit(target, ops)], details={"key_mode": "env", "default": set_default}, notes=notes
        )
