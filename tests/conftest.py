"""Shared fixtures: an isolated HOME and config dir, the HTTPS gateway stand-in, and `cli`."""

from __future__ import annotations

import io
import json
import os
import signal
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import trustme

from optscale_cli.app import run
from tests.gateway import GatewayStandIn

_SCRUB = (
    "OPTSCALE_URL",
    "OPTSCALE_ORG",
    "OPTSCALE_API_KEY",
    "OPTSCALE_PROFILE",
    "OPTSCALE_CA_BUNDLE",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_COLOR",
    "OPENCODE_CONFIG",
    "CLAUDE_CONFIG_DIR",
    "CODEX_HOME",
    "APPDATA",
    "LOCALAPPDATA",
    "XDG_CONFIG_HOME",
    "XDG_DATA_HOME",
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_AUTH_TOKEN",
    "ANTHROPIC_BASE_URL",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
)


# A run started in the background by a shell without job control (`cmd &`, nohup) inherits
# SIGINT ignored, and so would every optscale the tests start: the tests that interrupt one
# (rollback on Ctrl-C, exec forwarding it) need SIGINT delivered. Python's own handler here
# gives each child SIGINT's default back at exec.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: one worker more than the cores this process may use (many tests wait on a
    child process, a timeout or the stand-in: a third worker on 2 cores took 7-10% off the
    run); PYTEST_XDIST_AUTO_NUM_WORKERS, when set, still decides."""
    wanted = os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS", "")
    if wanted.isdigit():
        return int(wanted)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (cores or 1) + 1


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that need a program `.ci/run` installs in the background (marked `installed`: the
    real clients and shells) go last, so every other test runs while the install goes on."""
    items.sort(key=lambda item: item.get_closest_marker("installed") is not None)


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own HOME, config dir and no keyring: real files, nothing shared."""
    home = tmp_path / "home"
    home.mkdir()
    for name in _SCRUB:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("USERPROFILE", str(home))
    monkeypatch.setenv("OPTSCALE_CONFIG_DIR", str(tmp_path / "optscale-config"))
    monkeypatch.setenv("OPTSCALE_NO_KEYRING", "1")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.chdir(tmp_path)
    return home


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="session")
def gateway(ca: trustme.CA) -> Iterator[GatewayStandIn]:
    with GatewayStandIn(ca) as server:
        yield server


@pytest.fixture
def trusted(gateway: GatewayStandIn, monkeypatch: pytest.MonkeyPatch) -> GatewayStandIn:
    """The gateway, with its test CA trusted through OPTSCALE_CA_BUNDLE."""
    monkeypatch.setenv("OPTSCALE_CA_BUNDLE", gateway.ca_pem_path)
    return gateway


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> object:
        return json.loads(self.out)

    @property
    def all(self) -> str:
        return self.out + self.err


class Cli:
    def __init__(self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
        self._mp = monkeypatch
        self._capsys = capsys

    def __call__(
        self, *args: str, input: str | None = None, env: dict[str, str] | None = None
    ) -> Result:
        with self._mp.context() as mp:
            for key, value in (env or {}).items():
                mp.setenv(key, value)
            mp.setattr(sys, "stdin", io.StringIO(input or ""))
            self._capsys.readouterr()
            code = run(list(args))
            out, err = self._capsys.readouterr()
        return Result(code, out, err)


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(monkeypatch, capsys)


@pytest.fixture
def logged_in(cli: Cli, trusted: GatewayStandIn) -> GatewayStandIn:
    result = cli(
        "login", "--url", trusted.base_url, "--api-key-stdin", input=trusted.GOOD_KEY + "\n"
    )
    assert result.code == 0, result.all
    return trusted


def file_mode(path: Path) -> int:
    return os.stat(path).st_mode & 0o777
