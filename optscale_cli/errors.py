"""One error type per exit code; every command failure is one of these.

The top-level handler in :mod:`optscale_cli.app` turns them into one clear line on stderr
(plus a hint), and into an ``{"error": …}`` document on stdout in ``--json`` mode.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1  # a check failed or the operation was refused
    USAGE = 2
    AUTH = 3  # 401 / 403
    NETWORK = 4  # network or TLS


class OptscaleError(Exception):
    """An error we expect and can explain. ``hint`` says how to fix it."""

    exit_code: ExitCode = ExitCode.FAILED
    kind: str = "error"

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def to_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "message": self.message,
            "hint": self.hint,
            "exit_code": int(self.exit_code),
        }


class UsageError(OptscaleError):
    exit_code = ExitCode.USAGE
    kind = "usage"


class AuthError(OptscaleError):
    exit_code = ExitCode.AUTH
    kind = "auth"


class NetworkError(OptscaleError):
    exit_code = ExitCode.NETWORK
    kind = "network"


class TlsError(NetworkError):
    kind = "tls"


class GatewayError(OptscaleError):
    """The gateway answered, but not with what we asked for (404, 429, 5xx, bad JSON)."""

    kind = "gateway"

    def __init__(self, message: str, hint: str | None = None, status: int | None = None) -> None:
        super().__init__(message, hint)
        self.status = status


class NotFoundError(GatewayError):
    kind = "not_found"


class BudgetError(GatewayError):
    """The key (or its user, team or organization) has spent its budget on the gateway."""

    kind = "budget"


class RateLimitError(GatewayError):
    """The gateway limits how fast this key may send requests, and it sent too many."""

    kind = "rate_limit"


class ConfigFileError(OptscaleError):
    """A user's file we were asked to edit cannot be read safely. Nothing was written."""

    kind = "config_file"

    def __init__(
        self,
        path: str,
        message: str,
        line: int | None = None,
        column: int | None = None,
        hint: str | None = None,
    ) -> None:
        where = path if line is None else f"{path}:{line}" + (f":{column}" if column else "")
        super().__init__(f"{where}: {message}", hint or "fix the file by hand; it was not changed")
        self.path = path
        self.line = line
        self.column = column


class InternalError(OptscaleError):
    """A bug of ours, reported like any other error (one line, ``--json`` included)."""

    kind = "internal"


class Refused(OptscaleError):
    """We chose not to do something (a running app, a concurrent edit, a user 'no')."""

    kind = "refused"
