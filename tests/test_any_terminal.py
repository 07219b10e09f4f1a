"""The issue "any terminal": non-UTF-8 streams, NO_COLOR on a real terminal, examples in
every --help, and per-organization .mobileconfig identities."""

from __future__ import annotations

import plistlib
from pathlib import Path

from optscale_cli.clients.claude_desktop import PROFILE_ID, mobileconfig, written_by_us
from tests.conftest import Cli
from tests.gateway import GatewayStandIn


def _settings(org: str) -> dict[str, str]:
    return {
        "inferenceProvider": "gateway",
        "inferenceGatewayBaseUrl": f"https://gw.example/llm_proxy/{org}/anthropic",
        "inferenceGatewayAuthScheme": "bearer",
    }


def _ids(data: bytes) -> tuple[str, str, str, str]:
    profile = plistlib.loads(data)
    payload = profile["PayloadContent"][0]
    return (
        profile["PayloadIdentifier"],
        profile["PayloadUUID"],
        payload["PayloadIdentifier"],
        payload["PayloadUUID"],
    )


def test_mobileconfig_identity_differs_per_organization() -> None:
    """An MDM server treats equal PayloadUUIDs as one profile: two orgs must not collide."""
    one, two = _ids(mobileconfig(_settings("acme"))), _ids(mobileconfig(_settings("globex")))
    assert all(a != b for a, b in zip(one, two, strict=True))
    assert len({one[1], one[3], two[1], two[3]}) == 4
    for data in (mobileconfig(_settings("acme")), mobileconfig(_settings("globex"))):
        assert written_by_us(data)  # our own exports are still recognised (by prefix)
        assert _ids(data)[0].startswith(f"{PROFILE_ID}.")
    # the same org, another profile: other UUIDs, same identifier (it replaces on install)
    other = _ids(mobileconfig(_settings("acme"), "work"))
    assert other[0] == one[0] and other[1] != one[1] and other[3] != one[3]
    # an export from an older version (fixed identifier) is still ours to replace
    assert written_by_us(plistlib.dumps({"PayloadIdentifier": PROFILE_ID}))
    assert not written_by_us(plistlib.dumps({"PayloadIdentifier": f"{PROFILE_ID}evil"}))


def test_mobileconfig_same_org_is_byte_identical(
    cli: Cli, logged_in: GatewayStandIn, tmp_path: Path
) -> None:
    args = ["connect", "claude-desktop", "-m", "anthropic/claude-sonnet-4-0"]
    first, second = tmp_path / "a.mobileconfig", tmp_path / "b.mobileconfig"
    for out in (first, second):
        result = cli(*args, "--export", "mobileconfig", "--output", str(out))
        assert result.code == 0, result.all
    assert first.read_bytes() == second.read_bytes()
    assert mobileconfig(_settings("acme")) == mobileconfig(_settings("acme"))
