"""The CLI as a program: entry points, help, version, completion scripts, error shape."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from optscale_cli import __version__
from optscale_cli.app import hoist_global_options
from optscale_cli.commands.completion import completion_script
from optscale_cli.errors import UsageError
from optscale_cli.redact import clean_text, redact_key
from optscale_cli.urls import parse_gateway_url
from tests.conftest import Cli

ROOT = Path(__file__).resolve().parent.parent


def test_python_m_and_version() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "optscale_cli", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == f"optscale {__version__}"


def test_version_does_not_import_typer_or_httpx() -> None:
    code = (
        "import sys; from optscale_cli.main import main; main(['--version']); "
        "bad=[m for m in ('typer','httpx','rich','ssl') if m in sys.modules]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)


def test_help_does_not_import_network_or_rich() -> None:
    code = (
        "import sys; from optscale_cli.app import run; rc = run(['--help']); "
        "bad=[m for m in ('httpx','rich','truststore','keyring','tomlkit') "
        "if m in sys.modules]; assert rc == 0 and not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)


def test_help_teaches(cli: Cli) -> None:
    result = cli("--help")
    assert result.code == 0
    for command in ("login", "models", "providers", "connection", "status", "profiles"):
        assert command in result.out
    assert "Examples" in cli("login", "--help").out


def test_unknown_command_is_usage_error(cli: Cli) -> None:
    assert cli("frobnicate").code == 2


def test_global_options_anywhere() -> None:
    assert hoist_global_options(["models", "list", "--json", "--profile", "w"]) == [
        "--json",
        "--profile",
        "w",
        "models",
        "list",
    ]
    assert hoist_global_options(["exec", "--", "tool", "--json"]) == [
        "exec",
        "--",
        "tool",
        "--json",
    ]


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish", "powershell"])
def test_completion_scripts_are_current(shell: str) -> None:
    names = {
        "bash": "optscale.bash",
        "zsh": "_optscale",
        "fish": "optscale.fish",
        "powershell": "optscale.ps1",
    }
    committed = (ROOT / "completions" / names[shell]).read_text()
    assert committed.strip() == completion_script(shell).strip(), (
        "completions/ is stale: run python scripts/gen_completions.py"
    )


def test_completion_command(cli: Cli) -> None:
    result = cli("completion", "bash")
    assert result.code == 0
    assert "_OPTSCALE_COMPLETE" in result.out


@pytest.mark.parametrize(
    ("url", "org", "origin", "want_org"),
    [
        ("https://h.example/llm_proxy/o1/v1", None, "https://h.example", "o1"),
        ("https://h.example/llm_proxy/o1/v1/", None, "https://h.example", "o1"),
        ("https://h.example/llm_proxy/o1/anthropic", None, "https://h.example", "o1"),
        ("https://h.example/llm_proxy/o1/cursor", None, "https://h.example", "o1"),
        ("https://H.example:8443", "o2", "https://h.example:8443", "o2"),
        ("https://h.example/optscale/llm_proxy/o3/v1", None, "https://h.example/optscale", "o3"),
    ],
)
def test_parse_gateway_url(url: str, org: str | None, origin: str, want_org: str) -> None:
    location = parse_gateway_url(url, org)
    assert (location.origin, location.org) == (origin, want_org)
    assert location.base_url == f"{origin}/llm_proxy/{want_org}/v1"
    assert location.surface_url("cursor").endswith(f"/llm_proxy/{want_org}/cursor")


@pytest.mark.parametrize(
    ("url", "org"),
    [
        ("https://h.example", None),
        ("http://h.example/llm_proxy/o/v1", None),
        ("ftp://h.example/llm_proxy/o/v1", None),
        ("h.example/llm_proxy/o/v1", None),
        ("https://h.example/llm_proxy/o1/v1", "o2"),
        ("https://user:pw@h.example/llm_proxy/o1/v1", None),
        ("https://h.example/llm_proxy/o1/v2/chat", None),
        # `$` also matches before a final newline: an id or host that ends in one (from
        # --org or OPTSCALE_ORG: a URL loses its newlines to urlsplit) is refused
        ("https://h.example", "acme\n"),
        ("https://h.example", "acme\r\n"),
    ],
)
def test_parse_gateway_url_refuses(url: str, org: str | None) -> None:
    with pytest.raises(UsageError):
        parse_gateway_url(url, org)


def test_a_host_check_takes_no_final_newline() -> None:
    """What urlsplit hands over has no newline; the check itself must not let one through."""
    from optscale_cli.urls import _checked_host

    for host in ("a" * 62 + "\n", "gw.example\n", "10.0.0.1\n"):
        with pytest.raises(UsageError):
            _checked_host(host, host)


def test_redaction_and_control_chars() -> None:
    assert redact_key("sk-test-good-0123456789abcd") == "sk-…abcd"
    assert redact_key("short") == "…"
    assert clean_text("bad\x1b[31mred\x1b[0m\x07") == "badred"


def test_powershell_completion_registers_a_completer_only() -> None:
    """The script registers a completer for optscale through the same protocol as the
    other shells, and rebinds no key (Tab stays whatever the user had, for every command)."""
    script = completion_script("powershell")
    committed = (ROOT / "completions" / "optscale.ps1").read_text()
    for text in (script, committed):
        assert "Register-ArgumentCompleter -Native -CommandName optscale" in text
        assert "Set-PSReadLineKeyHandler" not in text
        assert "Import-Module PSReadLine" not in text
        assert '$Env:_OPTSCALE_COMPLETE = "complete_powershell"' in text


def test_powershell_completion_protocol_answers() -> None:
    """What the PowerShell completer asks, optscale answers: value:::help lines."""
    env = {
        **os.environ,
        "_OPTSCALE_COMPLETE": "complete_powershell",
        "_TYPER_COMPLETE_ARGS": "optscale models ",
        "_TYPER_COMPLETE_WORD_TO_COMPLETE": "",
    }
    done = subprocess.run(
        [sys.executable, "-c", "from optscale_cli.main import main; main()"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    values = {line.split(":::")[0] for line in done.stdout.splitlines()}
    assert {"list", "show"} <= values


@pytest.mark.parametrize("columns", ["abc", "0", "-5", "٣", "9" * 40, " 80", ""])
def test_any_columns_value_is_survived(cli: Cli, columns: str) -> None:
    """The terminal width comes from COLUMNS when it is a positive number; anything else in
    it (text, zero, a sign, a non-ASCII digit, a huge number) falls back, never a crash."""
    result = cli("clients", env={"COLUMNS": columns})
    assert result.code == 0, result.all
    assert "opencode" in result.out and "Traceback" not in result.all
