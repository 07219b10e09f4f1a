"""`doctor --live` with stand-in client CLIs on PATH: what each is run with, and how its
result is judged (the real clients run in tests/test_e2e.py)."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import Cli
from tests.gateway import GatewayStandIn
from tests.test_doctor import checks

REPORT = r"""
import json, os, sys
if sys.argv[1:] == ["--version"]:  # doctor's version check
    print("0.0.1")
    sys.exit(0)
report = {
    "argv": sys.argv[1:],
    "cwd": os.getcwd(),
    "pwd": os.environ.get("PWD"),
    "home": os.environ.get("HOME"),
    "stdin_tty": os.isatty(0),
    "env": {k: os.environ.get(k) for k in (
        "NODE_EXTRA_CA_CERTS", "CODEX_CA_CERTIFICATE", "SSL_CERT_FILE",
        "OPTSCALE_API_KEY", "OPENAI_API_KEY", "OPENAI_BASE_URL")},
}
with open(os.environ["LIVE_REPORT"], "w") as f:
    json.dump(report, f)
"""


def fake_cli(folder: Path, name: str, body: str) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(f"#!{sys.executable}\n{REPORT}\n{body}\n")
    path.chmod(0o755)
    return path


@pytest.fixture(autouse=True)
def no_ambient_ca(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NODE_EXTRA_CA_CERTS", "CODEX_CA_CERTIFICATE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def bin_dir(tmp_path: Path) -> Path:
    return tmp_path / "bin"


def live(cli: Cli, bin_dir: Path, client: str, *extra: str) -> tuple[dict, dict]:  # type: ignore[type-arg]
    report = bin_dir / "report.json"
    env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "LIVE_REPORT": str(report)}
    result = cli("doctor", "--live", "--client", client, "--json", *extra, env=env)
    seen = json.loads(report.read_text()) if report.exists() else {}
    return checks(result), seen


def test_opencode_passes_with_its_ca_variable(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path, bin_dir: Path
) -> None:
    fake_cli(bin_dir, "opencode", 'print("ok")')
    assert cli("connect", "opencode", "-m", "openai/gpt-4.1", "--yes").code == 0
    found, seen = live(cli, bin_dir, "opencode")
    assert found["live:opencode"]["status"] == "pass", found["live:opencode"]
    assert "answered in" in found["live:opencode"]["message"]
    assert seen["argv"] == ["run", "Reply with the single word: ok"]
    assert seen["home"] == str(isolated_home)
    assert seen["cwd"] == seen["pwd"] and "optscale-live-" in seen["cwd"]
    assert not Path(seen["cwd"]).exists()  # the temporary directory is gone
    assert seen["env"]["NODE_EXTRA_CA_CERTS"] == str(Path(logged_in.ca_pem_path).resolve())
    assert seen["env"]["OPTSCALE_API_KEY"] is None  # key-file mode: the key stays out
    assert seen["stdin_tty"] is False


def test_codex_gets_the_key_in_its_environment_only(
    cli: Cli, logged_in: GatewayStandIn, bin_dir: Path
) -> None:
    fake_cli(bin_dir, "codex", 'print("ok")')
    assert cli("connect", "codex", "-m", "openai/gpt-4.1", "--yes").code == 0
    found, seen = live(cli, bin_dir, "codex")
    assert found["live:codex"]["status"] == "pass"
    assert seen["argv"] == ["exec", "--skip-git-repo-check", "Reply with the single word: ok"]
    assert seen["env"]["OPTSCALE_API_KEY"] == logged_in.GOOD_KEY
    assert seen["env"]["CODEX_CA_CERTIFICATE"] == str(Path(logged_in.ca_pem_path).resolve())


def test_failure_shows_the_clients_own_words_redacted(
    cli: Cli, logged_in: GatewayStandIn, bin_dir: Path
) -> None:
    fake_cli(
        bin_dir,
        "codex",
        'sys.stderr.write("starting\\nError: 401 Unauthorized for key "'
        ' + os.environ["OPTSCALE_API_KEY"] + "\\n"); sys.exit(1)',
    )
    assert cli("connect", "codex", "-m", "openai/gpt-4.1", "--yes").code == 0
    report = bin_dir / "report.json"
    env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "LIVE_REPORT": str(report)}
    result = cli("doctor", "--live", "--client", "codex", "--json", env=env)
    assert result.code == 1
    check = checks(result)["live:codex"]
    assert check["status"] == "fail"
    assert "exit 1" in check["message"] and "401 Unauthorized" in check["message"]
    assert logged_in.GOOD_KEY not in result.all


def test_aider_exit_0_with_an_error_is_a_failure(
    cli: Cli, logged_in: GatewayStandIn, bin_dir: Path
) -> None:
    fake_cli(
        bin_dir,
        "aider",
        'print("litellm.BadRequestError: OpenAIException - Budget has been exceeded!")',
    )
    assert cli("connect", "aider", "-m", "openai/gpt-4.1", "--yes").code == 0
    found, seen = live(cli, bin_dir, "aider")
    assert found["live:aider"]["status"] == "fail"
    assert "AI Access policies" in found["live:aider"]["hint"]
    assert seen["env"]["OPENAI_API_KEY"] == logged_in.GOOD_KEY
    assert seen["env"]["SSL_CERT_FILE"] == str(Path(logged_in.ca_pem_path).resolve())


def test_timeout_kills_the_process_group(
    cli: Cli, logged_in: GatewayStandIn, bin_dir: Path, tmp_path: Path
) -> None:
    pid_file = tmp_path / "grandchild.pid"
    helper = (
        f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); time.sleep(60)"
    )
    fake_cli(
        bin_dir,
        "opencode",
        "import subprocess, time\n"
        f"subprocess.Popen([sys.executable, '-c', {helper!r}])\n"
        "print('thinking', flush=True); time.sleep(60)",
    )
    assert cli("connect", "opencode", "-m", "openai/gpt-4.1", "--yes").code == 0
    started = time.monotonic()
    found, _ = live(cli, bin_dir, "opencode", "--live-timeout", "1")
    assert time.monotonic() - started < 30
    check = found["live:opencode"]
    assert check["status"] == "fail" and "within 1 s" in check["message"]
    assert "thinking" in check["message"]
    grandchild = int(pid_file.read_text())
    assert _ends_within(grandchild, 10.0), "the helper it started outlived it"


def _ends_within(pid: int, seconds: float) -> bool:
    """Whether process ``pid`` is gone (or a zombie: dead, not yet reaped) within ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.02)
    return False


def test_gui_only_not_installed_and_not_connected_are_skipped(
    cli: Cli, logged_in: GatewayStandIn, bin_dir: Path
) -> None:
    bin_dir.mkdir()
    assert cli("connect", "zed", "-m", "openai/gpt-4.1", "--yes").code == 0
    found, _ = live(cli, bin_dir, "zed")
    assert found["live:zed"]["status"] == "skip" and "headless" in found["live:zed"]["message"]
    assert cli("connect", "goose", "-m", "openai/gpt-4.1", "--yes").code == 0
    found, _ = live(cli, bin_dir, "goose")
    assert found["live:goose"]["status"] == "skip"
    assert "not on PATH" in found["live:goose"]["message"]
    found, _ = live(cli, bin_dir, "opencode")
    assert found["live:opencode"]["status"] == "skip"


def test_human_mode_says_it_spends_tokens_and_live_excludes_offline(
    cli: Cli, logged_in: GatewayStandIn
) -> None:
    result = cli("doctor", "--live", "--client", "opencode")
    assert "spends a few tokens" in result.err
    assert cli("doctor", "--live", "--offline").code == 2


def test_without_live_no_client_runs(cli: Cli, logged_in: GatewayStandIn, bin_dir: Path) -> None:
    fake_cli(bin_dir, "opencode", 'print("ok")')
    assert cli("connect", "opencode", "-m", "openai/gpt-4.1", "--yes").code == 0
    report = bin_dir / "report.json"
    env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "LIVE_REPORT": str(report)}
    result = cli("doctor", "--client", "opencode", "--json", env=env)
    assert not any(c["id"].startswith("live:") for c in result.json()["checks"])  # type: ignore[index]
    assert not report.exists()


def test_a_ca_variable_already_set_is_joined_not_replaced(
    cli: Cli, logged_in: GatewayStandIn, bin_dir: Path, tmp_path: Path
) -> None:
    mine = tmp_path / "my-ca.pem"
    mine.write_text("-----BEGIN CERTIFICATE-----\nMINE\n-----END CERTIFICATE-----\n")
    fake_cli(
        bin_dir,
        "claude",
        'print(open(os.environ["NODE_EXTRA_CA_CERTS"]).read().count("BEGIN CERTIFICATE"))',
    )
    assert cli("connect", "claude-code", "-m", "anthropic/claude-sonnet-4-0", "--yes").code == 0
    report = bin_dir / "report.json"
    env = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "LIVE_REPORT": str(report),
        "NODE_EXTRA_CA_CERTS": str(mine),
    }
    result = cli("doctor", "--live", "--client", "claude-code", "--json", env=env)
    check = checks(result)["live:claude-code"]
    assert check["status"] == "pass" and check["message"].endswith(": 2"), check
    assert json.loads(report.read_text())["argv"] == ["-p", "Reply with the single word: ok"]
