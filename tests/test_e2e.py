"""The real clients are the judges: OpenCode, Claude Code, Codex and Continue's `cn`, run
headless against the HTTPS stand-in with the config `optscale connect` wrote, in a temporary
HOME. Each makes a real tool round trip: the stand-in answers with a call of the client's own
shell tool running `touch optscale-e2e-marker`, the client runs it (the flags that allow that
headless are below), sends the result back and prints the stand-in's text answer.

The binaries come from npm (tests/e2e/package.json, pinned); `.ci/run` installs them into
.cache/e2e. Without them these tests are skipped, with the reason shown (`-rs`).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from optscale_cli.flows import doctor
from tests.conftest import Cli
from tests.gateway import ANSWER, MARKER, GatewayStandIn
from tests.installs import wait_for_install

pytestmark = [pytest.mark.e2e, pytest.mark.installed]

ROOT = Path(__file__).resolve().parent.parent
# An empty models.dev catalog for OpenCode. Without one it builds the snapshot bundled in its
# binary (OpenCode 1.18.33: `readJson(OPENCODE_MODELS_PATH ?? <cache>)`, then the built-in
# providers), about 1.7 s and 2 CPU-seconds of each start here (`opencode models`: 2.4 s
# against 4.0 s). Our provider is defined whole in the config, so it needs none of it.
EMPTY_MODELS_DEV = str(ROOT / "tests" / "e2e" / "models-dev-empty.json")
PINS = json.loads((ROOT / "tests/e2e/package.json").read_text())["dependencies"]
PROMPT = "create the marker file"


def client_binary(name: str) -> str:
    failed = wait_for_install("npm")  # .ci/run may still be installing the clients
    for folder in (os.environ.get("OPTSCALE_E2E_BIN"), ROOT / ".cache/e2e/node_modules/.bin"):
        if folder and (Path(folder) / name).exists():
            return str(Path(folder) / name)
    found = shutil.which(name)
    if found:
        return found
    pytest.skip(
        failed
        or f"{name} is not installed: run .ci/run, or npm install in tests/e2e and set "
        "OPTSCALE_E2E_BIN"
    )


@pytest.fixture(autouse=True)
def opencode_has_run_before(isolated_home: Path) -> None:
    """What OpenCode's first run leaves in its config folder. Without it, every run in a new
    HOME installs `@opencode-ai/plugin` there from the npm registry before it starts (1-2 s
    of each run, and a reach outside 127.0.0.1). OpenCode 1.18.33's `Npm.install` skips the
    install when `node_modules` exists and `package-lock.json` lists every dependency it
    would add (read in its bundled source, `Npm.checkNodeModules` / `Npm.checkDirty`)."""
    folder = isolated_home / ".config/opencode"
    (folder / "node_modules").mkdir(parents=True)
    wanted = {"@opencode-ai/plugin": PINS["opencode-ai"]}
    (folder / "package.json").write_text(json.dumps({"dependencies": wanted}))
    lock = {"lockfileVersion": 3, "packages": {"": {"dependencies": wanted}}}
    (folder / "package-lock.json").write_text(json.dumps(lock))


# what every client run gets, by us (run_client) or by optscale (doctor --live): no updates,
# and OpenCode neither reaching for models.dev (seconds of failing, outside 127.0.0.1) nor
# building its bundled catalog (EMPTY_MODELS_DEV)
CLIENTS_QUIET = {
    "DISABLE_AUTOUPDATER": "1",
    "OPENCODE_DISABLE_AUTOUPDATE": "1",
    "OPENCODE_DISABLE_MODELS_FETCH": "1",
    "OPENCODE_MODELS_PATH": EMPTY_MODELS_DEV,
    "TERM": "dumb",
}


def run_client(
    argv: list[str],
    home: Path,
    gateway: GatewayStandIn,
    cwd: Path,
    extra_env: dict[str, str] | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "NODE_EXTRA_CA_CERTS": gateway.ca_pem_path,
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        **CLIENTS_QUIET,
        "OPTSCALE_CONFIG_DIR": os.environ["OPTSCALE_CONFIG_DIR"],
        "OPTSCALE_NO_KEYRING": "1",
        "NO_PROXY": "127.0.0.1,localhost",
        **(extra_env or {}),
    }
    return subprocess.run(
        argv,
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def requests_to(gateway: GatewayStandIn, suffix: str) -> list:  # type: ignore[type-arg]
    return [r for r in gateway.requests if r.method == "POST" and suffix in r.path]


def assert_tool_round_trip(sent: list, cwd: Path, result: str) -> None:  # type: ignore[type-arg]
    """The client's shell tool made the marker, and the client sent the tool result back."""
    assert (cwd / MARKER).is_file(), f"no {MARKER} in {cwd}: the shell tool did not run"
    assert any(result in json.dumps(r.body) for r in sent), f"no {result} sent back"


def _opencode_says_hi(
    home: Path,
    gateway: GatewayStandIn,
    cwd: Path,
    model: str,
    extra_env: dict[str, str] | None = None,
) -> None:
    opencode = client_binary("opencode")
    before = len(requests_to(gateway, "/v1/chat/completions"))
    # OpenCode 1.18.33 allows `bash` by default (its log: "evaluated permission=bash …
    # action=allow"); --auto ("auto-approve permissions that are not explicitly denied") keeps
    # the test headless should a default turn into "ask"
    done = run_client(
        [opencode, "run", "--auto", "-m", f"optscale/{model}", PROMPT],
        home,
        gateway,
        cwd,
        extra_env,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert ANSWER in done.stdout
    sent = requests_to(gateway, "/v1/chat/completions")[before:]
    assert sent, "OpenCode never called the gateway"
    assert_tool_round_trip(sent, cwd, '"role": "tool"')
    assert all(r.path.startswith(f"/llm_proxy/{gateway.ORG}/v1/") for r in sent)
    assert {r.body["model"] for r in sent} == {model}
    assert {r.headers["authorization"] for r in sent} == {f"Bearer {gateway.GOOD_KEY}"}


def test_opencode_with_key_file_reference_through_doctor_live(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path, tmp_path: Path
) -> None:
    """One OpenCode run proves both the connect (the key read from its file reference) and
    `doctor --live` (OpenCode started as the user starts it, its answer seen): each run of
    OpenCode costs 7-10 s of CPU, so the two are one test. The tool round trip with the
    marker file in the client's own directory is `_opencode_says_hi`'s, below."""
    client_binary("opencode")  # skip when it is not installed
    assert cli("connect", "opencode", "-m", "openai/gpt-4.1", "--yes").code == 0
    before = len(requests_to(logged_in, "/v1/chat/completions"))
    live = _doctor_live(cli, "opencode", "opencode")["live:opencode"]
    assert live["status"] == "pass", live
    assert "answered in" in live["message"]
    sent = requests_to(logged_in, "/v1/chat/completions")[before:]
    assert sent, "OpenCode never called the gateway"
    assert all(r.path.startswith(f"/llm_proxy/{logged_in.ORG}/v1/") for r in sent)
    assert {r.body["model"] for r in sent} == {"openai/gpt-4.1"}
    assert {r.headers["authorization"] for r in sent} == {f"Bearer {logged_in.GOOD_KEY}"}
    assert any('"role": "tool"' in json.dumps(r.body) for r in sent), "no tool result sent"
    # after disconnect OpenCode no longer knows our provider (its own word, read from its
    # config: `opencode models optscale` takes a third of the CPU of a failing `run`)
    assert cli("disconnect", "opencode", "--yes").code == 0
    done = run_client(
        [client_binary("opencode"), "models", "optscale"],
        isolated_home,
        logged_in,
        tmp_path,
        timeout=60,
    )
    assert done.returncode != 0 and "openai/gpt-4.1" not in done.stdout, done.stdout
    assert "Provider not found: optscale" in done.stdout + done.stderr


def test_opencode_key_from_env_project_scope_and_colon_model(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path, tmp_path: Path
) -> None:
    result = cli(
        "connect",
        "opencode",
        "-m",
        "ollama/qwen3:32b",
        "--scope",
        "project",
        "--key-from-env",
        "--yes",
    )
    assert result.code == 0, result.all
    assert (tmp_path / "opencode.json").exists()
    _opencode_says_hi(
        isolated_home,
        logged_in,
        tmp_path,
        "ollama/qwen3:32b",
        {"OPTSCALE_API_KEY": logged_in.GOOD_KEY},
    )


def _claude_says_hi(home: Path, gateway: GatewayStandIn, cwd: Path) -> None:
    claude = client_binary("claude")
    before = len(requests_to(gateway, "/anthropic/v1/messages"))
    # -p denies Bash unless allowed (the denial goes back as an error tool_result)
    done = run_client([claude, "-p", PROMPT, "--allowedTools", "Bash"], home, gateway, cwd)
    assert done.returncode == 0, done.stdout + done.stderr
    assert ANSWER in done.stdout
    sent = requests_to(gateway, "/anthropic/v1/messages")[before:]
    assert sent, "Claude Code never called the gateway"
    assert_tool_round_trip(sent, cwd, '"type": "tool_result"')
    assert all(r.path.startswith(f"/llm_proxy/{gateway.ORG}/anthropic/v1/messages") for r in sent)
    assert {r.headers.get("authorization") for r in sent} == {f"Bearer {gateway.GOOD_KEY}"}
    assert {r.body["model"] for r in sent} <= {
        "anthropic/claude-sonnet-4-0",
        "anthropic/claude-3-5-haiku-latest",
        "anthropic/claude-opus-4-1",
    }


def test_claude_code_with_api_key_helper(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path, tmp_path: Path
) -> None:
    result = cli("connect", "claude-code", "-m", "anthropic/claude-sonnet-4-0", "--yes")
    assert result.code == 0, result.all
    _claude_says_hi(isolated_home, logged_in, tmp_path)
    assert cli("disconnect", "claude-code", "--yes").code == 0
    before = len(logged_in.requests)
    done = run_client(
        [client_binary("claude"), "-p", "say hi"], isolated_home, logged_in, tmp_path, timeout=60
    )
    assert ANSWER not in done.stdout
    assert len(logged_in.requests) == before


def test_claude_code_with_auth_token(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path, tmp_path: Path
) -> None:
    result = cli(
        "connect", "claude-code", "-m", "anthropic/claude-sonnet-4-0", "--plaintext-key", "--yes"
    )
    assert result.code == 0, result.all
    _claude_says_hi(isolated_home, logged_in, tmp_path)


def test_doctor_reports_client_versions(
    cli: Cli, logged_in: GatewayStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    # what is checked is the version doctor reports; its 2 s limit on `--version` is too
    # short on a loaded machine (`opencode --version` took ~6 s at load 17 on 2 cores)
    monkeypatch.setattr(doctor, "VERSION_TIMEOUT_S", 30.0)
    folder = str(Path(client_binary("opencode")).parent)
    path = f"{folder}{os.pathsep}{os.environ['PATH']}"
    for client, package in (
        ("opencode", "opencode-ai"),
        ("claude-code", "@anthropic-ai/claude-code"),
    ):
        expected = PINS[package]
        result = cli("doctor", "--client", client, "--offline", "--json", env={"PATH": path})
        found = {c["id"]: c for c in result.json()["checks"]}
        assert found[f"client:{client}:version"]["status"] == "info"
        assert expected in found[f"client:{client}:version"]["message"]


@pytest.mark.timeout(150)  # in-process `optscale exec` has no timeout of its own
def test_codex_through_optscale_exec(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path, tmp_path: Path
) -> None:
    codex = client_binary("codex")
    assert cli("connect", "codex", "-m", "openai/gpt-4.1", "--yes").code == 0
    before = len(requests_to(logged_in, "/v1/responses"))
    # `optscale exec` hands Codex the key in OPTSCALE_API_KEY (its env_key) and nowhere else.
    # `codex exec` never asks (approval: never) but its default sandbox is read-only, so the
    # `touch` fails; `-s workspace-write` needs bubblewrap to work on the machine, so the test
    # runs the command unsandboxed (it only touches a file in its temporary cwd).
    result = cli(
        "exec",
        "--",
        codex,
        "exec",
        "--skip-git-repo-check",
        "--dangerously-bypass-approvals-and-sandbox",
        PROMPT,
        env={"CODEX_CA_CERTIFICATE": logged_in.ca_pem_path, "TERM": "dumb"},
    )
    assert result.code == 0, result.all
    sent = requests_to(logged_in, "/v1/responses")[before:]
    assert sent, "Codex never called the gateway"
    assert {r.body["model"] for r in sent} == {"openai/gpt-4.1"}
    assert {r.headers["authorization"] for r in sent} == {f"Bearer {logged_in.GOOD_KEY}"}
    assert_tool_round_trip(sent, tmp_path, '"type": "function_call_output"')


def test_continue_cli_reads_the_key_from_its_env_file(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path, tmp_path: Path
) -> None:
    cn = client_binary("cn")
    result = cli("connect", "continue", "-m", "openai/gpt-4.1", "--yes")
    assert result.code == 0, result.all
    assert "OPTSCALE_API_KEY" in (isolated_home / ".continue/.env").read_text()
    before = len(requests_to(logged_in, "/v1/chat/completions"))
    # the key is not in the process env: `${{ secrets.OPTSCALE_API_KEY }}` in config.yaml must
    # resolve from ~/.continue/.env. --auto allows every tool (Bash runs headless without it too)
    done = run_client(
        [cn, "-p", "--config", str(isolated_home / ".continue/config.yaml"), "--auto", PROMPT],
        isolated_home,
        logged_in,
        tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert ANSWER in done.stdout
    sent = requests_to(logged_in, "/v1/chat/completions")[before:]
    assert sent, "cn never called the gateway"
    assert all(r.path.startswith(f"/llm_proxy/{logged_in.ORG}/v1/") for r in sent)
    assert {r.body["model"] for r in sent} == {"openai/gpt-4.1"}
    assert {r.headers["authorization"] for r in sent} == {f"Bearer {logged_in.GOOD_KEY}"}
    assert_tool_round_trip(sent, tmp_path, '"role": "tool"')


# --- doctor --live: the real clients, run by optscale itself ------------------------------


def _doctor_live(cli: Cli, client: str, binary: str) -> dict:  # type: ignore[type-arg]
    folder = str(Path(client_binary(binary)).parent)
    env = {**CLIENTS_QUIET, "PATH": f"{folder}{os.pathsep}{os.environ['PATH']}"}
    result = cli("doctor", "--live", "--client", client, "--live-timeout", "90", "--json", env=env)
    return {c["id"]: c for c in result.json()["checks"]}  # type: ignore[index]


@pytest.mark.parametrize(
    ("client", "binary", "model", "route"),
    [
        # OpenCode's: test_opencode_with_key_file_reference_through_doctor_live
        ("claude-code", "claude", "anthropic/claude-sonnet-4-0", "/anthropic/v1/messages"),
        ("codex", "codex", "openai/gpt-4.1", "/v1/responses"),
    ],
)
def test_doctor_live_with_the_real_client(
    cli: Cli, logged_in: GatewayStandIn, client: str, binary: str, model: str, route: str
) -> None:
    client_binary(binary)  # skip when it is not installed
    assert cli("connect", client, "-m", model, "--yes").code == 0
    before = len(requests_to(logged_in, route))
    found = _doctor_live(cli, client, binary)
    live = found[f"live:{client}"]
    assert live["status"] == "pass", live
    assert "answered in" in live["message"]
    sent = requests_to(logged_in, route)[before:]
    assert sent, f"{client} never called the gateway"
    assert {r.headers.get("authorization") for r in sent} == {f"Bearer {logged_in.GOOD_KEY}"}


def test_doctor_live_reports_the_clients_own_error(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path
) -> None:
    client_binary("opencode")
    # a model the key may not use: the gateway answers 403, OpenCode says so, doctor shows it
    assert cli("connect", "opencode", "-m", "openai/gpt-4.1", "--yes").code == 0
    config = isolated_home / ".config/opencode/opencode.json"
    config.write_text(
        config.read_text().replace('"optscale/openai/gpt-4.1"', '"optscale/openai/o3-pro"')
    )
    found = _doctor_live(cli, "opencode", "opencode")
    live = found["live:opencode"]
    assert live["status"] == "fail", live
    assert logged_in.GOOD_KEY not in live["message"]


def test_claude_code_discovers_the_gateways_models(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path
) -> None:
    import json

    client_binary("claude")
    assert cli("connect", "claude-code", "-m", "anthropic/claude-sonnet-4-0", "--yes").code == 0
    before = len(logged_in.requests)
    assert _doctor_live(cli, "claude-code", "claude")["live:claude-code"]["status"] == "pass"
    asked = [r for r in logged_in.requests[before:] if r.method == "GET"]
    assert any(r.path.endswith("/anthropic/v1/models?limit=1000") for r in asked)
    cache = json.loads((isolated_home / ".claude/cache/gateway-models.json").read_text())
    ids = {m["id"] for m in cache["models"]}
    assert "anthropic/claude-sonnet-4-0" in ids
    assert not any(i.startswith("openai/") for i in ids)  # only claude*/anthropic* are kept
