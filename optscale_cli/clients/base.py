"""The one small interface every client module implements.

A client says where its files are, what a connection writes (as engine operations on
targets), and how to tell the user what is left to do. The engine does all reading,
writing, backups, diffs and undo; the commands never know a client's format.
"""

from __future__ import annotations

import os
import shlex
import sys
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from optscale_cli.edit.engine import Op, Target
from optscale_cli.profiles import Profile
from optscale_cli.urls import Surface

if TYPE_CHECKING:
    from optscale_cli.connections import Ledger

KeyMode = Literal["file", "env", "helper", "plaintext", "secrets-env", "manual"]
KEY_MODE_TEXT: dict[str, str] = {
    "file": "a reference to optscale's 0600 key file",
    "env": "an environment variable (--key-from-env)",
    "helper": "a key-helper command that runs optscale token",
    "plaintext": "the key itself in its config file, 0600 (--plaintext-key)",
    "secrets-env": "its own 0600 .env secrets file",
    "manual": "pasted by you into the app",
}
KEY_MODE_FLAG: dict[str, str] = {"env": "--key-from-env", "plaintext": "--plaintext-key"}


@dataclass
class ConnectRequest:
    profile: Profile
    model: str | None  # the gateway's model id, checked against the key's list
    models: list[str] = field(default_factory=list)  # every model to declare (incl. model)
    all_models: bool = False  # --all-models: declare every model the key may use (sync adds)
    available: list[str] = field(default_factory=list)  # what the key may use (may be empty)
    scope: str = "user"  # "user" or "project"
    set_default: bool | None = None  # None: the client's own default
    key_mode: str | None = None  # one the client declares; None: its default (the first)
    previous: Ledger | None = None  # the client's connection record, if connected
    tiers: dict[str, str] = field(default_factory=dict)  # claude: opus/sonnet/haiku -> model
    options: dict[str, Any] = field(default_factory=dict)  # client-specific flags

    @property
    def api_key(self) -> str:
        return self.profile.require_key()

    @property
    def key_from_env(self) -> bool:
        return self.key_mode == "env"

    @property
    def plaintext_key(self) -> bool:
        return self.key_mode == "plaintext"

    def _require_saved_profile(self, what: str) -> None:
        if self.profile.source != "profile":
            from optscale_cli.errors import UsageError

            raise UsageError(
                f"{what} needs a saved login: the key now comes only from OPTSCALE_API_KEY, "
                "which the client will not have when it starts",
                "run `optscale login` first, or use --key-from-env where the client "
                "supports it (see: optscale clients)",
            )

    def key_file(self) -> Path:
        from optscale_cli.secrets import key_file_path

        self._require_saved_profile("a key-file reference")
        return key_file_path(self.profile.name)

    def key_helper_argv(self, for_url: str) -> list[str]:
        """The command that prints this profile's key, and only to a client aimed at
        ``for_url`` (the gateway that key belongs to)."""
        self._require_saved_profile("a key helper")
        return [
            *_optscale_executable(),
            "--profile",
            self.profile.name,
            "token",
            "--for-url",
            for_url,
        ]

    def key_helper_command(self, for_url: str) -> str:
        """``key_helper_argv`` as one POSIX shell command (Claude Code's apiKeyHelper)."""
        argv = self.key_helper_argv(for_url)
        prefix = "".join(
            f"{name}={shlex.quote(value)} " for name, value in key_helper_env().items()
        )
        return prefix + " ".join(shlex.quote(p) for p in argv)


def key_helper_env() -> dict[str, str]:
    """What a key helper needs from our environment: where our state is, as an absolute
    path, when it is not the default."""
    if not os.environ.get("OPTSCALE_CONFIG_DIR"):
        return {}
    from optscale_cli.paths import config_dir

    return {"OPTSCALE_CONFIG_DIR": str(config_dir())}


def _optscale_executable() -> list[str]:
    import shutil

    running = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if running is not None and running.name == "optscale" and running.exists():
        return [str(running.resolve())]  # the very optscale that is running now
    found = shutil.which("optscale")
    if found:
        return [str(Path(found).resolve())]
    return [sys.executable, "-m", "optscale_cli"]


@dataclass
class Edit:
    target: Target
    ops: list[Op]


@dataclass
class ClientPlan:
    edits: list[Edit]
    details: dict[str, Any] = field(default_factory=dict)  # kept in the ledger (key mode, …)
    notes: list[str] = field(default_factory=list)  # what the user still has to do
    warnings: list[str] = field(default_factory=list)
    uses_key_file: bool = False  # the config points at our 0600 key file
    owned_files: dict[Path, str] = field(default_factory=dict)  # our helper scripts (0700)


@dataclass
class Placement:
    """Where an admin puts an exported file on one OS (or how it is served)."""

    os: str  # "macOS", "Linux/WSL", "Windows", "web", …
    where: str
    verified: bool = True  # False: seen only in the client's code, not its documentation


@dataclass
class ExportFile:
    """One file for an admin to deploy: its bytes, where it goes, and what users then do.
    It holds no key unless the caller asked for one (Claude Desktop's --plaintext-key)."""

    data: bytes
    filename: str  # its usual name, for hints
    ours: Callable[[bytes], bool]  # whether an existing file is one we wrote (may replace)
    placements: list[Placement] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)  # what admins and users do next
    notes: list[str] = field(default_factory=list)  # caveats (unverified behaviour, …)
    mode: int = 0o644
    holds_key: bool = False


class Client(ABC):
    """What a client is and supports, declared once; everything else (choices, help,
    refusals, doctor's probes and version checks, setup) derives from these."""

    name: str  # the CLI name: "opencode"
    title: str  # for people: "OpenCode"
    surface: Surface  # which gateway base URL it talks to
    scopes: tuple[str, ...] = ("user", "project")  # --scope values it has config for
    key_modes: tuple[KeyMode, ...] = ("env",)  # how it can get the key; the first is default
    exports: tuple[str, ...] = ()  # --export formats for admins
    probes: tuple[str, ...] = ()  # gateway surfaces doctor checks for it: anthropic, …
    version_command: tuple[str, ...] | None = None  # prints its version, if it has a CLI
    headless: tuple[str, ...] | None = None  # runs one prompt ("{prompt}") without a UI
    ca_variable: str | None = None  # where its runtime takes an extra CA bundle from

    @property
    def project_scope(self) -> bool:
        return "project" in self.scopes

    def key_mode_for(self, requested: str | None) -> str:
        """The key mode to use: the one asked for by flag, if this client honours it."""
        if requested is None:
            return self.key_modes[0]
        if requested not in self.key_modes:
            from optscale_cli.errors import UsageError

            honoured = "; ".join(KEY_MODE_TEXT[m] for m in self.key_modes)
            raise UsageError(
                f"{self.title} does not take the key through "
                f"{KEY_MODE_FLAG.get(requested, requested)}",
                f"{self.title} gets the key by: {honoured}",
            )
        return requested

    @abstractmethod
    def installed(self) -> bool:
        """Whether the client seems present (its config dir or app exists)."""

    @abstractmethod
    def plan(self, request: ConnectRequest) -> ClientPlan:
        """What connecting writes. Raises OptscaleError for what cannot be done."""

    def after_disconnect(self) -> list[str]:
        """Anything to tell the user once our changes are removed."""
        return []

    def require_model(self, request: ConnectRequest) -> str:
        from optscale_cli.errors import UsageError

        if not request.model:
            raise UsageError(f"connect {self.name} needs --model", "see: optscale models list")
        return request.model

    def make_default(self, request: ConnectRequest) -> bool:
        """Whether to make the model the client's default: --set-default/--no-set-default,
        else on for a first connect, and afterwards whatever the first connect did."""
        if request.set_default is not None:
            return request.set_default
        previous = request.previous
        return previous is None or bool(previous.details.get("default"))

    def base_url(self, request: ConnectRequest) -> str:
        return request.profile.location.surface_url(self.surface)

    def render_export(self, request: ConnectRequest, kind: str) -> ExportFile:
        """The file an admin deploys for ``kind`` (only called with a kind in ``exports``)."""
        raise NotImplementedError

    def export(self, request: ConnectRequest, kind: str, output: Path) -> Path:
        """Write a file for an admin to deploy instead of editing this machine's config
        (only called with a kind in ``exports``)."""
        from optscale_cli.flows.export import write_export

        write_export(self.render_export(request, kind), output)
        return output

    def require_export_model(self, request: ConnectRequest, kind: str) -> str:
        from optscale_cli.errors import UsageError

        if not request.model:
            raise UsageError(
                f"export {self.name} --format {kind} needs --model", "see: optscale models list"
            )
        return request.model

    def reference_problems(self, ledger: Ledger) -> list[str]:
        """What this connection's config points at that does not resolve: our key file
        (key mode ``file``) when it is missing."""
        from optscale_cli.secrets import key_file_path

        if ledger.details.get("key_mode") != "file" or not ledger.profile:
            return []
        path = key_file_path(ledger.profile)
        return [] if path.is_file() else [f"the key file it reads is missing: {path}"]

    def doctor_problems(self, key_mode: str | None, warnings: list[str]) -> list[str]:
        """Client-specific problems doctor should report for a connected client."""
        return []

    def reachability_warning(self, host: str) -> tuple[str, str] | None:
        """(message, hint) when this client cannot reach a gateway on ``host``."""
        return None

    def manual_steps(self, request: ConnectRequest) -> list[tuple[str, str]] | None:
        """For clients we cannot (fully) configure by file: the values and steps to do by hand."""
        return None


def home() -> Path:
    return Path(os.environ.get("HOME") or Path.home())


def xdg_config_home() -> Path:
    return Path(os.environ.get("XDG_CONFIG_HOME") or home() / ".config")
