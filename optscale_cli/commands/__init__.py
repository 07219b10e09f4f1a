"""The commands, one module per verb or noun group, registered lazily.

``COMMANDS`` is the one list of what ``optscale`` can do, in the order ``--help`` shows it.
A command's module (and what it imports) is loaded only when that command runs, or when
``--help`` lists them all: ``optscale clients`` never imports the code of ``doctor``.
"""

from __future__ import annotations

import importlib
from typing import Any, NamedTuple

from typer.core import TyperGroup


class Entry(NamedTuple):
    module: str  # under optscale_cli.commands
    attribute: str  # a command function, or a typer.Typer noun group
    context_settings: dict[str, Any] | None = None


COMMANDS: dict[str, Entry] = {
    "setup": Entry("setup", "setup"),
    "login": Entry("auth", "login"),
    "logout": Entry("auth", "logout"),
    "status": Entry("auth", "status"),
    "profiles": Entry("profiles", "app"),
    "providers": Entry("models", "providers_app"),
    "models": Entry("models", "models_app"),
    "connection": Entry("connection", "app"),
    "token": Entry("auth", "token"),
    "connect": Entry("connect", "connect"),
    "disconnect": Entry("connect", "disconnect"),
    "export": Entry("export", "export"),
    "clients": Entry("connect", "clients"),
    "sync": Entry("sync", "sync"),
    "doctor": Entry("doctor", "doctor"),
    "env": Entry("env", "env"),
    "exec": Entry("env", "exec_command", {"ignore_unknown_options": True}),
    "completion": Entry("completion", "completion"),
}


def load_command(name: str) -> Any:
    """The click command for ``name``, built from its module on first use."""
    import typer.main
    from typer.models import CommandInfo

    entry = COMMANDS[name]
    target = getattr(importlib.import_module(f"{__name__}.{entry.module}"), entry.attribute)
    if isinstance(target, typer.Typer):
        group = typer.main.get_group(target)
        group.name = name
        return group
    info = CommandInfo(name=name, callback=target, context_settings=entry.context_settings)
    return typer.main.get_command_from_info(
        info, pretty_exceptions_short=False, rich_markup_mode=None
    )


class LazyGroup(TyperGroup):
    """The root group: it knows the names of its commands and builds one when asked."""

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in COMMANDS:
            return None
        if cmd_name not in self.commands:
            self.commands[cmd_name] = load_command(cmd_name)
        return self.commands[cmd_name]
