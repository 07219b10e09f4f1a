"""Where API keys are kept: the OS keyring where one works, else a 0600 file.

Keys are stored per profile *and* bound to the base URL they were issued for, so a key is
never sent to a gateway it was not meant for. Keyring calls run with a deadline: a locked or
absent desktop keyring must not hang or crash the CLI.
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path
from typing import Any

from optscale_cli.deadline import call_with_deadline
from optscale_cli.edit.atomic import atomic_write
from optscale_cli.paths import config_dir, ensure_private_dir

KEYRING_SERVICE = "optscale"
_KEY_CHARS = re.compile(r"[\x21-\x7e]{1,4096}")
_KEYRING_DEADLINE_S = 3.0
KEY_INPUT_CAP = 64 * 1024  # bytes read for a key: a key is at most 4,096, with space around
_KEY_INPUT_KIB = f"{KEY_INPUT_CAP // 1024} KiB"  # as the refusals say it


def read_key_line(stream: Any, source: str) -> str | None:
    """The key on the first line of ``stream`` (standard input), read as bytes up to
    KEY_INPUT_CAP: a stream that never ends (/dev/zero) is refused, not read forever, and
    bytes that are not UTF-8, or a closed stream, are a usage error, not a crash."""
    from optscale_cli.errors import UsageError

    if stream is None:  # started with standard input closed
        raise UsageError(f"{source} is closed: nothing to read the key from")
    binary = getattr(stream, "buffer", None)
    try:
        line = (binary or stream).readline(KEY_INPUT_CAP + 1)
    except (OSError, ValueError) as exc:  # ValueError: a text stream's undecodable bytes
        raise UsageError(f"cannot read the key from {source}: {exc}") from None
    if len(line) > KEY_INPUT_CAP:
        raise UsageError(
            f"{source} holds more than {_KEY_INPUT_KIB} before its first line break: "
            "not an API key",
            "pass the key alone, on one line",
        )
    if isinstance(line, bytes):
        line = line.decode("utf-8", errors="replace")  # not ASCII: normalize_key refuses it
    return normalize_key(line, source)


def read_key_file(path: str) -> str | None:
    """The key in the file at ``path`` (``~`` expanded), read up to KEY_INPUT_CAP bytes: a file
    that never ends (/dev/zero) or is not text is refused, not read forever or crashed on."""
    from optscale_cli.errors import UsageError

    try:
        with open(os.path.expanduser(path), "rb") as handle:
            raw = handle.read(KEY_INPUT_CAP + 1)
    except OSError as exc:
        raise UsageError(f"--api-key-file: cannot read {path}: {exc.strerror}") from None
    if len(raw) > KEY_INPUT_CAP:
        raise UsageError(
            f"--api-key-file: {path} holds more than {_KEY_INPUT_KIB}: not an API key file",
            "the file should hold the key alone",
        )
    return normalize_key(raw.decode("utf-8", errors="replace"), path)


def normalize_key(raw: str | None, source: str) -> str | None:
    """Every key, from any source, the same way: surrounding whitespace (a Windows file's CR,
    a pasted newline, a BOM) stripped; what is left must be printable ASCII without spaces,
    as an HTTP header needs. Anything else is a usage error that shows only the redacted
    form. The key is registered, so no output of this process can show it."""
    from optscale_cli.redact import redact_key, register_secret

    if raw is None:
        return None
    register_secret(raw)
    key = raw.strip().strip("\ufeff").strip()
    if not key:
        return None
    register_secret(key)
    if not _KEY_CHARS.fullmatch(key):
        from optscale_cli.errors import UsageError

        raise UsageError(
            f"the API key from {source} ({redact_key(key)}) has characters an API key "
            "cannot hold (spaces, control characters or non-ASCII)",
            "copy the key again from the Chat dialog (AI Access)",
        )
    return key


def credentials_path() -> Path:
    return config_dir() / "credentials.toml"


def key_file_path(profile: str) -> Path:
    """A 0600 file holding only the key, for clients that read a key from a file."""
    from optscale_cli.profiles import check_profile_name

    return config_dir() / "keys" / f"{check_profile_name(profile, 'profile')}.key"


def _keyring_enabled() -> bool:
    return os.environ.get("OPTSCALE_NO_KEYRING", "") not in ("1", "true", "yes")


def _keyring_call(fn_name: str, *args: str) -> object:
    """Call a keyring function with a deadline; any failure means 'no keyring'."""
    if not _keyring_enabled():
        raise RuntimeError("keyring disabled")

    def call() -> object:
        import keyring
        from keyring.backends import fail

        backend = keyring.get_keyring()
        if isinstance(backend, fail.Keyring) or backend.priority <= 0:  # type: ignore[operator]
            raise RuntimeError("no usable keyring backend")
        return getattr(keyring, fn_name)(*args)

    return call_with_deadline(call, _KEYRING_DEADLINE_S)


def _account(profile: str, base_url: str) -> str:
    return f"{profile}@{base_url}"


def store_key(profile: str, base_url: str, key: str) -> str:
    """Save the key; return where it went: ``"keyring"`` or ``"file"``."""
    try:
        _keyring_call("set_password", KEYRING_SERVICE, _account(profile, base_url), key)
        _remove_file_entry(profile)
        return "keyring"
    except Exception:
        _write_file_entry(profile, base_url, key)
        return "file"


def load_key(profile: str, base_url: str, storage: str) -> str | None:
    if storage == "keyring":
        try:
            value = _keyring_call("get_password", KEYRING_SERVICE, _account(profile, base_url))
            return normalize_key(value, "the OS keyring") if isinstance(value, str) else None
        except Exception:
            return None
    entry = _read_file_entries().get(profile)
    if not isinstance(entry, dict) or entry.get("base_url") != base_url:
        return None  # bound to another URL: never send it elsewhere
    key = entry.get("api_key")
    return normalize_key(str(key), str(credentials_path())) if key else None


def delete_key(profile: str, base_url: str) -> None:
    with contextlib.suppress(Exception):
        _keyring_call("delete_password", KEYRING_SERVICE, _account(profile, base_url))
    _remove_file_entry(profile)
    key_file = key_file_path(profile)
    if key_file.exists():
        key_file.unlink()


def write_key_file(profile: str, key: str) -> Path:
    """Write the key alone to a 0600 file (for ``{file:…}`` references); idempotent."""
    path = key_file_path(profile)
    ensure_private_dir(path.parent)
    if not holds_only(path, key):  # a FIFO there is replaced
        atomic_write(path, key, mode=0o600)
    else:
        os.chmod(path, 0o600)
    return path


def holds_only(path: Path, key: str) -> bool:
    """Whether the file at ``path`` holds ``key`` and nothing else (a key file as we write
    it); looked into only as a regular file, up to KEY_INPUT_CAP bytes."""
    from optscale_cli.edit.stores import read_if_regular

    return read_if_regular(path, KEY_INPUT_CAP) == key.encode()


def _read_file_entries() -> dict[str, object]:
    path = credentials_path()
    if not path.exists():
        return {}
    from optscale_cli.profiles import read_own_toml

    profiles = read_own_toml(path).get("profiles", {})
    if not isinstance(profiles, dict):
        return {}
    return {str(k): dict(v) for k, v in profiles.items() if isinstance(v, dict)}


def _write_file_entry(profile: str, base_url: str, key: str) -> None:
    import tomlkit

    from optscale_cli.locks import state_lock
    from optscale_cli.profiles import parse_own_toml

    path = credentials_path()
    ensure_private_dir(path.parent)
    with state_lock():
        doc = parse_own_toml(path)
        _merge_entry(doc, profile, base_url, key)
        atomic_write(path, tomlkit.dumps(doc), mode=0o600)


def credentials_step(profile: str, base_url: str, key: str) -> Any:
    """Saving ``key`` in ``credentials.toml``, as a step of an edit transaction (so it is
    written with client files, all or none). The caller holds the state lock."""
    import tomlkit

    from optscale_cli.edit.transaction import Step
    from optscale_cli.profiles import parse_own_toml

    doc = parse_own_toml(credentials_path())
    _merge_entry(doc, profile, base_url, key)
    return Step(credentials_path(), tomlkit.dumps(doc).encode("utf-8"), 0o600)


def _merge_entry(doc: Any, profile: str, base_url: str, key: str) -> None:
    import tomlkit

    if "profiles" not in doc:
        doc["profiles"] = tomlkit.table(is_super_table=True)
    entry = tomlkit.table()
    entry["base_url"] = base_url
    entry["api_key"] = key
    doc["profiles"][profile] = entry  # type: ignore[index]


def _remove_file_entry(profile: str) -> None:
    path = credentials_path()
    if not path.exists():
        return
    import tomlkit

    from optscale_cli.locks import state_lock
    from optscale_cli.profiles import parse_own_toml

    with state_lock():
        doc = parse_own_toml(path)
        profiles = doc.get("profiles")
        if profiles is not None and profile in profiles:
            del profiles[profile]
            atomic_write(path, tomlkit.dumps(doc), mode=0o600)
