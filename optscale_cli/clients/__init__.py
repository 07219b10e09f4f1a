"""The client registry. Adding a client = one module + one line here."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from optscale_cli.clients.base import Client

REGISTRY: dict[str, str] = {
    "opencode": "optscale_cli.clients.opencode:OpenCode",
    "claude-code": "optscale_cli.clients.claude_code:ClaudeCode",
    "claude-desktop": "optscale_cli.clients.claude_desktop:ClaudeDesktop",
    "cursor": "optscale_cli.clients.cursor:Cursor",
    "codex": "optscale_cli.clients.codex:Codex",
    "continue": "optscale_cli.clients.continue_dev:Continue",
    "zed": "optscale_cli.clients.zed:Zed",
    "aider": "optscale_cli.clients.aider:Aider",
    "goose": "optscale_cli.clients.goose:Goose",
}


def client_names() -> list[str]:
    return list(REGISTRY)


def get_client(name: str) -> Client:
    from optscale_cli.errors import UsageError

    if name not in REGISTRY:
        raise UsageError(f"unknown client '{name}'", f"choose one of: {', '.join(REGISTRY)}")
    module_name, class_name = REGISTRY[name].split(":")
    return getattr(importlib.import_module(module_name), class_name)()
