"""Saved profiles (``config.toml``) and how the active one is chosen.

Precedence: flag > environment > saved profile > default. ``OPTSCALE_URL`` (+ ``OPTSCALE_ORG``)
and ``OPTSCALE_API_KEY`` act as a profile of their own when no profile is named.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from optscale_cli import secrets
from optscale_cli.edit.atomic import atomic_write
from optscale_cli.errors import AuthError, UsageError
from optscale_cli.paths import config_dir, ensure_private_dir
from optscale_cli.urls import GatewayLocation, parse_gateway_url

DEFAULT_PROFILE = "default"
ENV_PROFILE = "env"
_PROFILE_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}")


def check_profile_name(name: str, source: str = "--profile") -> str:
    """A profile name becomes part of file names (key files, helper scripts): one rule,
    ``[A-Za-z0-9._-]{1,64}`` not starting with a dot, so no name can leave our folder."""
    if not _PROFILE_NAME.fullmatch(name):
        from optscale_cli.redact import for_terminal

        raise UsageError(
            f"{source}: {for_terminal(name)!r} is not a valid profile name",
            "use 1-64 letters, digits, '.', '_' or '-', not starting with '.'",
        )
    return name


@dataclass
class Profile:
    name: str
    location: GatewayLocation
    api_key: str | None
    source: str  # "profile" or "env"
    key_storage: str | None = None
    ca_bundle: str | None = None
    allow_insecure_http: bool = False
    notices: list[str] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return self.location.base_url

    def require_key(self) -> str:
        if not self.api_key:
            hint = (
                f"run: optscale login --profile {self.name}"
                if self.source == "profile"
                else "set OPTSCALE_API_KEY"
            )
            raise AuthError(f"no API key for profile '{self.name}'", hint)
        return self.api_key


def config_path() -> Path:
    return config_dir() / "config.toml"


def load_config() -> Any:
    """Our config as an editable document (tomlkit keeps its layout when saved)."""
    import tomlkit

    path = config_path()
    if not path.exists():
        return tomlkit.document()
    return parse_own_toml(path)


def read_config() -> dict[str, Any]:
    """Our config, to read only: parsed by the standard library, far cheaper to load."""
    return read_own_toml(config_path())


def read_own_toml(path: Path) -> dict[str, Any]:
    """One of our own TOML files as plain data ({} when missing), or a clear error."""
    text = _read_own(path)
    if not text:
        return {}
    import tomllib

    try:
        return tomllib.loads(text)
    except RecursionError:  # nested deeper than the parser can follow
        raise _damaged(path, None, None) from None
    except tomllib.TOMLDecodeError as exc:
        import re

        where = re.search(r"at line (\d+), column (\d+)", str(exc))
        line, col = (int(where[1]), int(where[2])) if where else (None, None)
        raise _damaged(path, line, col) from None


def parse_own_toml(path: Path) -> Any:
    """One of our own TOML files as an editable document, or a clear error naming it
    (never a traceback)."""
    import tomlkit

    text = _read_own(path)
    try:
        return tomlkit.parse(text)
    except RecursionError:  # nested deeper than the parser can follow
        raise _damaged(path, None, None) from None
    except Exception as exc:  # tomlkit raises several types
        raise _damaged(path, getattr(exc, "line", None), getattr(exc, "col", None)) from None


def _read_own(path: Path) -> str:
    """One of our own files, read as a client's config is: capped, anything but a regular
    file refused (a FIFO would hang every command), not UTF-8 a clear error."""
    from optscale_cli.edit.stores import FileStore

    return FileStore(path).read() or ""


def _damaged(path: Path, line: int | None, col: int | None) -> Exception:
    from optscale_cli.errors import ConfigFileError

    return ConfigFileError(
        str(path),
        "our own file is damaged and cannot be parsed",
        line,
        col,
        hint="fix it by hand, or move it away and log in again",
    )


def save_config(doc: Any) -> None:
    import tomlkit

    ensure_private_dir(config_dir())
    atomic_write(config_path(), tomlkit.dumps(doc), mode=0o600)


def saved_profiles(doc: Any | None = None) -> dict[str, dict[str, Any]]:
    doc = read_config() if doc is None else doc
    return {str(k): dict(v) for k, v in doc.get("profiles", {}).items()}


def active_profile_name(doc: Any | None = None) -> str | None:
    doc = read_config() if doc is None else doc
    value = doc.get("active")
    return str(value) if value else None


def _save_profile_unlocked(
    name: str,
    location: GatewayLocation,
    api_key: str,
    *,
    ca_bundle: str | None,
    allow_insecure_http: bool,
    make_active: bool,
) -> str:
    """Store the profile and its key; return where the key went (keyring or file)."""
    import tomlkit

    check_profile_name(name)
    doc = load_config()
    old = saved_profiles(doc).get(name)
    if old and old.get("origin") and old.get("org"):
        old_base = GatewayLocation(str(old["origin"]), str(old["org"])).base_url
        if old_base != location.base_url:
            secrets.delete_key(name, old_base)
    storage = secrets.store_key(name, location.base_url, api_key)
    if "profiles" not in doc:
        doc["profiles"] = tomlkit.table(is_super_table=True)
    entry = tomlkit.table()
    entry["origin"] = location.origin
    entry["org"] = location.org
    entry["key_storage"] = storage
    if ca_bundle:
        entry["ca_bundle"] = str(Path(ca_bundle).expanduser().resolve())
    if allow_insecure_http:
        entry["allow_insecure_http"] = True
    doc["profiles"][name] = entry
    if make_active or not doc.get("active"):
        doc["active"] = name
    save_config(doc)
    return storage


def _remove_profile_unlocked(name: str) -> bool:
    check_profile_name(name, "profile")
    doc = load_config()
    profiles = doc.get("profiles")
    if profiles is None or name not in profiles:
        return False
    entry = dict(profiles[name])
    secrets.delete_key(name, GatewayLocation(str(entry["origin"]), str(entry["org"])).base_url)
    del profiles[name]
    if doc.get("active") == name:
        remaining = list(profiles.keys())
        if remaining:
            doc["active"] = remaining[0]
        else:
            del doc["active"]
    save_config(doc)
    return True


def _set_active_unlocked(name: str) -> None:
    check_profile_name(name, "profile")
    doc = load_config()
    if name not in saved_profiles(doc):
        raise _unknown_profile(name, doc)
    doc["active"] = name
    save_config(doc)


class UnknownProfile(UsageError):
    """A profile named by --profile or OPTSCALE_PROFILE that is not saved (yet)."""


def _unknown_profile(name: str, doc: Any) -> UsageError:
    known = ", ".join(sorted(saved_profiles(doc))) or "none saved"
    return UnknownProfile(
        f"unknown profile '{name}' (profiles: {known})",
        f"run: optscale login --profile {name}",
    )


def resolve_profile(
    name: str | None = None,
    *,
    ca_bundle: str | None = None,
    allow_insecure_http: bool = False,
) -> Profile:
    """The profile a command should use, after flags and environment variables."""
    env = os.environ
    explicit = name or env.get("OPTSCALE_PROFILE") or None
    if explicit:
        check_profile_name(explicit, "--profile" if name else "OPTSCALE_PROFILE")
    env_ca = env.get("OPTSCALE_CA_BUNDLE") or None
    if explicit is None and env.get("OPTSCALE_URL"):
        return _environment_profile(ca_bundle or env_ca, allow_insecure_http)
    doc = read_config()
    profiles = saved_profiles(doc)
    chosen = explicit or active_profile_name(doc) or DEFAULT_PROFILE
    if chosen not in profiles:
        if explicit:
            raise _unknown_profile(chosen, doc)
        raise AuthError(
            "not logged in",
            "run: optscale login --url https://<host>/llm_proxy/<org>/v1 "
            "(or set OPTSCALE_URL and OPTSCALE_API_KEY)",
        )
    return _saved_profile(chosen, profiles[chosen], ca_bundle, env_ca, allow_insecure_http)


def _environment_profile(ca_bundle: str | None, allow_insecure_http: bool) -> Profile:
    """``OPTSCALE_URL`` (+ ``OPTSCALE_ORG``, ``OPTSCALE_API_KEY``): a profile of its own."""
    env = os.environ
    location = parse_gateway_url(
        env["OPTSCALE_URL"],
        env.get("OPTSCALE_ORG") or None,
        allow_insecure_http=allow_insecure_http,
    )
    return Profile(
        name=ENV_PROFILE,
        location=location,
        api_key=secrets.normalize_key(env.get("OPTSCALE_API_KEY"), "OPTSCALE_API_KEY"),
        source="env",
        ca_bundle=ca_bundle,
        allow_insecure_http=allow_insecure_http,
    )


def _saved_profile(
    chosen: str,
    entry: dict[str, Any],
    ca_bundle: str | None,
    env_ca: str | None,
    allow_insecure_http: bool,
) -> Profile:
    env = os.environ
    insecure = allow_insecure_http or bool(entry.get("allow_insecure_http", False))
    location = parse_gateway_url(
        str(entry["origin"]), str(entry["org"]), allow_insecure_http=insecure
    )
    storage = str(entry.get("key_storage", "file"))
    notices: list[str] = []
    key = secrets.load_key(chosen, location.base_url, storage)
    env_key = secrets.normalize_key(env.get("OPTSCALE_API_KEY"), "OPTSCALE_API_KEY")
    if env_key:
        key = env_key
        notices.append(f"OPTSCALE_API_KEY overrides the key saved for profile '{chosen}'")
    if env.get("OPTSCALE_URL"):
        notices.append(f"OPTSCALE_URL is ignored: profile '{chosen}' was named explicitly")
    saved_ca = str(entry["ca_bundle"]) if entry.get("ca_bundle") else None
    if env_ca and not ca_bundle and saved_ca and Path(env_ca).resolve() != Path(saved_ca):
        notices.append("OPTSCALE_CA_BUNDLE overrides the profile's CA bundle")
    return Profile(
        name=chosen,
        location=location,
        api_key=key,
        source="profile",
        key_storage=storage,
        ca_bundle=ca_bundle or env_ca or saved_ca,
        allow_insecure_http=insecure,
        notices=notices,
    )


def save_profile(*args: Any, **kwargs: Any) -> str:
    """Store the profile and its key under the state lock (a read-merge-write: parallel
    logins each keep their profile); return where the key went."""
    from optscale_cli.locks import state_lock

    with state_lock():
        return _save_profile_unlocked(*args, **kwargs)


def remove_profile(name: str) -> bool:
    from optscale_cli.locks import state_lock

    with state_lock():
        return _remove_profile_unlocked(name)


def set_active(name: str) -> None:
    from optscale_cli.locks import state_lock

    with state_lock():
        _set_active_unlocked(name)
