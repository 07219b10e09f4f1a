"""The OS keyring path, and a keyring that hangs: real subprocesses, real backends."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from tests.gateway import GatewayStandIn

ROOT = Path(__file__).resolve().parent.parent


def optscale(args: list[str], env: dict[str, str], key: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "optscale_cli", *args],
        input=key,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def base_env(tmp_path: Path, gw: GatewayStandIn, backend: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "OPTSCALE_NO_KEYRING"}
    env.update(
        PYTHON_KEYRING_BACKEND=f"tests.keyrings.{backend}",
        PYTHONPATH=str(ROOT),
        OPTSCALE_CONFIG_DIR=str(tmp_path / "cfg"),
        OPTSCALE_CA_BUNDLE=gw.ca_pem_path,
        TEST_KEYRING_FILE=str(tmp_path / "keyring.json"),
    )
    return env


def test_key_goes_to_the_keyring_when_one_works(tmp_path: Path, gateway: GatewayStandIn) -> None:
    env = base_env(tmp_path, gateway, "FileKeyring")
    login = optscale(
        ["login", "--url", gateway.base_url, "--api-key-stdin", "--json"], env, gateway.GOOD_KEY
    )
    assert login.returncode == 0, login.stderr
    assert '"key_storage": "keyring"' in login.stdout
    assert gateway.GOOD_KEY in (tmp_path / "keyring.json").read_text()
    assert not (tmp_path / "cfg" / "credentials.toml").exists()
    listed = optscale(["models", "list", "--json"], env, "")
    assert listed.returncode == 0, listed.stderr


def test_hanging_keyring_neither_hangs_nor_crashes(tmp_path: Path, gateway: GatewayStandIn) -> None:
    env = base_env(tmp_path, gateway, "HangingKeyring")
    started = time.monotonic()
    login = optscale(
        ["login", "--url", gateway.base_url, "--api-key-stdin", "--json"], env, gateway.GOOD_KEY
    )
    assert login.returncode == 0, login.stderr
    assert time.monotonic() - started < 20
    assert '"key_storage": "file"' in login.stdout
    assert gateway.GOOD_KEY in (tmp_path / "cfg" / "credentials.toml").read_text()
