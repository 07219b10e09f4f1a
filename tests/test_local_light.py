"""Local commands stay light: served from what is on disk, they import no HTTP, TLS or
keyring module (startup is most of their cost)."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from optscale_cli.catalog import _cache_file

URL = "https://gateway.invalid/llm_proxy/org/v1"
KEY = "sk-light-0123456789abcdef0123456789"
# network, TLS and keyring; and what a local command has no use for: pydantic (typer 0.29
# builds a TypeAdapter per parameter), rich (we write our own lines), tomlkit, tomli,
# ruamel and libyaml (only to edit TOML/YAML files), the gateway client and the other commands;
# OpenSSL's hashes (hashlib loads libcrypto: 3-5 ms, for a digest of a few bytes) and the IDNA
# codec (4 ms with stringprep and unicodedata, for an ASCII host name that is its own IDNA form)
HEAVY = (
    "httpx",
    "ssl",
    "hashlib",
    "_hashlib",
    "encodings.idna",
    "truststore",
    "keyring",
    "pydantic",
    "rich",
    "tomlkit",
    "tomli",
    "ruamel",
    "_ruamel_yaml",
    "optscale_cli.gateway",
    "optscale_cli.flows.doctor",
    "optscale_cli.flows.login",
)
SHARED_COMMAND_MODULES = {"optscale_cli.commands.options", "optscale_cli.commands.render"}
PROBE = (
    "import sys, json\n"
    "from optscale_cli.app import run\n"
    "try:\n"
    "    rc = run(json.loads(sys.argv[1]))\n"
    "finally:\n"
    "    print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {heavy} or m in "
    "{heavy} or m.startswith('optscale_cli.commands.'))), file=sys.stderr)\n"
)


@pytest.fixture
def env_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    """An env-var profile with a fresh model-list cache (dated ahead: it reads as new)."""
    monkeypatch.setenv("OPTSCALE_URL", URL)
    monkeypatch.setenv("OPTSCALE_API_KEY", KEY)
    path = _cache_file(URL, KEY)
    path.parent.mkdir(parents=True, exist_ok=True)
    models = [{"id": "openai/gpt-4.1", "owned_by": "openai"}]
    path.write_text(json.dumps({"fetched_at": time.time() + 3600, "models": models}))


@pytest.mark.parametrize(
    ("args", "own_module"),
    [
        (["models", "list"], "models"),
        (["models", "list", "--json"], "models"),
        (["clients"], "connect"),
        (["status", "--offline"], "auth"),
        (["profiles", "list"], "profiles"),
        (["completion", "bash"], "completion"),
        (["connect", "opencode", "--model", "openai/gpt-4.1", "--dry-run"], "connect"),
    ],
)
def test_local_command_imports_only_what_it_uses(
    env_profile: None, args: list[str], own_module: str
) -> None:
    code = PROBE.replace("{heavy}", repr(set(HEAVY)))
    result = subprocess.run(
        [sys.executable, "-c", code, json.dumps(args)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    loaded = set(json.loads(result.stderr.strip().splitlines()[-1]))
    commands = {m for m in loaded if m.startswith("optscale_cli.commands.")}
    assert commands - SHARED_COMMAND_MODULES == {f"optscale_cli.commands.{own_module}"}, commands
    assert sorted(loaded - commands) == [], f"{' '.join(args)} imported {loaded - commands}"


@pytest.mark.parametrize("size", [0, 1, 55, 56, 64, 1000, (1 << 21) - 1, 1 << 21, (1 << 21) + 7])
def test_our_sha256_is_hashlibs(size: int) -> None:
    """CPython's own sha256 (short inputs) and OpenSSL's (long ones) give one digest: the
    journals and ledgers written before still match."""
    import hashlib
    import random

    from optscale_cli.digests import sha256_hex

    data = random.Random(size).randbytes(size)
    assert sha256_hex(data) == hashlib.sha256(data).hexdigest()


@settings(max_examples=300, deadline=None)
@example("a" * 63 + ".b")
@example("a" * 64 + ".b")
@example("a..b")
@example(".a")
@example("xn--nxasmq6b.example")
@example("-a.b")
@given(st.text(alphabet="ab0-.", max_size=70) | st.text(alphabet="aé.-", max_size=12))
def test_an_ascii_host_is_taken_as_the_idna_codec_takes_it(host: str) -> None:
    """An ASCII host name skips the IDNA codec (its own IDNA form): it is accepted, and as
    what, exactly when the codec and then our host pattern accepted it before."""
    from optscale_cli.errors import UsageError
    from optscale_cli.urls import _HOST_RE, parse_gateway_url

    try:
        idna = host.lower().rstrip(".").encode("idna").decode("ascii")
        before = idna if _HOST_RE.fullmatch(idna) else None
    except UnicodeError:
        before = None
    try:
        origin = parse_gateway_url(f"https://{host}/llm_proxy/org/v1").origin
        now = origin.removeprefix("https://")
    except UsageError:
        now = None
    assert now == before, host
