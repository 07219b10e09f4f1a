"""Local commands stay light: served from what is on disk, they import no HTTP, TLS or
keyring module (startup is most of their cost)."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from optscale_cli.catalog import _cache_file

URL = "https://gateway.invalid/llm_proxy/org/v1"
KEY = "sk-light-0123456789abcdef0123456789"
HEAVY = ("httpx", "ssl", "truststore", "keyring")
PROBE = (
    "import sys, json\n"
    "from optscale_cli.app import run\n"
    "try:\n"
    "    rc = run(json.loads(sys.argv[1]))\n"
    "finally:\n"
    "    print(json.dumps(sorted(m for m in sys.modules if m in {heavy})), file=sys.stderr)\n"
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
    "args",
    [
        ["models", "list"],
        ["models", "list", "--json"],
        ["clients"],
        ["status", "--offline"],
        ["profiles", "list"],
        ["completion", "bash"],
        ["connect", "opencode", "--model", "openai/gpt-4.1", "--dry-run"],
    ],
)
def test_local_command_imports_no_network_or_keyring(env_profile: None, args: list[str]) -> None:
    code = PROBE.replace("{heavy}", repr(set(HEAVY)))
    result = subprocess.run(
        [sys.executable, "-c", code, json.dumps(args)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stderr.strip().splitlines()[-1])
    assert loaded == [], f"{' '.join(args)} imported {loaded}"
