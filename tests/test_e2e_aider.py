"""Aider, opt-in: it is ~700 MB from PyPI, so CI never installs it. Skipped unless
OPTSCALE_E2E_AIDER names an aider binary (README, Development):

    python -m venv .cache/aider && .cache/aider/bin/pip install aider-chat
    OPTSCALE_E2E_AIDER=.cache/aider/bin/aider python -m pytest -m aider

`optscale connect aider` writes ~/.aider.conf.yml (openai-api-base, model ``openai/<id>``); the
key reaches Aider only through `optscale exec` (OPENAI_API_KEY). Aider edits through text, not
tool calls, so the proof is the request the stand-in records.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import Cli
from tests.gateway import GatewayStandIn
from tests.test_e2e import requests_to

pytestmark = pytest.mark.aider

# resolved now: the tests run from a temporary cwd
_AIDER = os.environ.get("OPTSCALE_E2E_AIDER")
AIDER = Path(_AIDER).expanduser().resolve() if _AIDER else None


@pytest.mark.timeout(180)  # in-process `optscale exec` has no timeout of its own
def test_aider_through_optscale_exec(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path, tmp_path: Path
) -> None:
    if AIDER is None:
        pytest.skip("set OPTSCALE_E2E_AIDER to an aider binary to run it (see README)")
    assert AIDER.exists(), f"OPTSCALE_E2E_AIDER={_AIDER}: no such file"
    result = cli("connect", "aider", "-m", "openai/gpt-4.1", "--yes")
    assert result.code == 0, result.all
    assert "openai/openai/gpt-4.1" in (isolated_home / ".aider.conf.yml").read_text()
    before = len(requests_to(logged_in, "/v1/chat/completions"))
    result = cli(
        "exec",
        "--",
        str(AIDER),
        "--message",
        "say hi",
        "--yes-always",
        "--no-git",
        "--no-show-model-warnings",
        "--no-check-update",
        "--analytics-disable",
        "--no-pretty",
        "--no-stream",
        env={
            # Aider is Python (litellm, httpx, requests): it trusts what these name
            "SSL_CERT_FILE": logged_in.ca_pem_path,
            "REQUESTS_CA_BUNDLE": logged_in.ca_pem_path,
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",  # no fetch of the cost map from GitHub
            "TERM": "dumb",
        },
    )
    # Aider exits 0 even on 401/404 (design.md 2c): the requests are the proof
    sent = requests_to(logged_in, "/v1/chat/completions")[before:]
    assert sent, "Aider never called the gateway: " + result.all
    assert all(r.path.startswith(f"/llm_proxy/{logged_in.ORG}/v1/") for r in sent)
    assert {r.body["model"] for r in sent} == {"openai/gpt-4.1"}
    assert {r.headers["authorization"] for r in sent} == {f"Bearer {logged_in.GOOD_KEY}"}
    assert result.code == 0, result.all
