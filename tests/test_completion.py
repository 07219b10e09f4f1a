"""Shell completion that knows the data, driven through the shells' own protocol."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from optscale_cli.complete import fast_complete
from tests.conftest import Cli
from tests.gateway import GatewayStandIn

RUN = "from optscale_cli.main import main; main()"


def _bash(words: str, extra: dict[str, str] | None = None) -> list[str]:
    """What bash's completer gets for the line ``words`` (the cursor at its end)."""
    cword = len(words.split()) - (0 if words.endswith(" ") else 1)
    env = {
        **os.environ,
        "_OPTSCALE_COMPLETE": "complete_bash",
        "COMP_WORDS": words,
        "COMP_CWORD": str(cword),
        **(extra or {}),
    }
    done = subprocess.run(
        [sys.executable, "-c", RUN], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


@pytest.fixture
def cached(cli: Cli, logged_in: GatewayStandIn) -> GatewayStandIn:
    """Two profiles, and the model list cached for the active one."""
    assert cli("models", "list").code == 0
    login = cli(
        "login", "--profile", "other", "--url", logged_in.base_url, "--api-key-stdin",
        input=logged_in.LIMITED_KEY + "\n",
    )  # fmt: skip
    assert login.code == 0, login.all
    assert cli("profiles", "use", "default").code == 0
    return logged_in


def test_model_ids_from_the_cache(cached: GatewayStandIn) -> None:
    everything = _bash("optscale connect opencode --model ")
    assert "openai/gpt-4.1" in everything and "anthropic/claude-sonnet-4-0" in everything
    assert _bash("optscale connect opencode --model openai/gpt-4.1-") == ["openai/gpt-4.1-mini"]
    assert _bash("optscale doctor -m claude-son") == ["anthropic/claude-sonnet-4-0"]
    assert _bash("optscale connect claude-code --haiku anthropic/claude-3") == [
        "anthropic/claude-3-5-haiku-latest"
    ]


def test_model_ids_follow_the_profile(cached: GatewayStandIn) -> None:
    """--profile on the line (or OPTSCALE_PROFILE) picks that gateway's cache; with none
    cached for it, nothing is offered (never a network call)."""
    requests = len(cached.requests)
    assert _bash("optscale --profile nosuch connect opencode --model ") == []
    assert len(cached.requests) == requests


def test_profiles_shells_and_clients(cached: GatewayStandIn) -> None:
    assert _bash("optscale --profile ") == ["default", "other"]
    assert _bash("optscale --profile o") == ["other"]
    assert _bash("optscale env --shell ") == ["bash", "zsh", "fish", "powershell", "dotenv"]
    assert _bash("optscale env --shell f") == ["fish"]
    clients = _bash("optscale connect ")
    assert clients[:2] == ["opencode", "claude-code"] and "cursor" in clients
    assert _bash("optscale connect --model openai/gpt-4.1 cl") == ["claude-code", "claude-desktop"]
    assert {"list", "show"} <= set(_bash("optscale models "))  # Typer still answers the rest


def test_nothing_cached_completes_to_nothing(logged_in: GatewayStandIn) -> None:
    assert _bash("optscale connect opencode --model ") == []


@pytest.mark.parametrize("shell", ["zsh", "fish", "powershell"])
def test_other_shells_same_answers(cached: GatewayStandIn, shell: str) -> None:
    env = {
        **os.environ,
        "_OPTSCALE_COMPLETE": f"complete_{shell}",
        "_TYPER_COMPLETE_ARGS": "optscale connect opencode --model openai/gpt-4.1-",
        "_TYPER_COMPLETE_WORD_TO_COMPLETE": "openai/gpt-4.1-",
        "_TYPER_COMPLETE_FISH_ACTION": "get-args",
    }
    done = subprocess.run(
        [sys.executable, "-c", RUN], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    expected = {
        "zsh": "_arguments '*: :((\"openai/gpt-4.1-mini\"))'",
        "fish": "openai/gpt-4.1-mini",
        "powershell": "openai/gpt-4.1-mini::: ",
    }
    assert done.stdout.rstrip("\n") == expected[shell]


def test_completion_path_is_fast_and_light(cached: GatewayStandIn) -> None:
    """The data answers import neither Typer nor httpx, rich, keyring or tomlkit, read no
    key, and take well under 100 ms once Python is up."""
    code = (
        "import os, sys; from optscale_cli.main import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "bad = [m for m in ('typer', 'httpx', 'rich', 'keyring', 'tomlkit', "
        "'optscale_cli.secrets') if m in sys.modules]\n"
        "assert not bad, bad"
    )
    env = {
        **os.environ,
        "_OPTSCALE_COMPLETE": "complete_bash",
        "COMP_WORDS": "optscale connect opencode --model ",
        "COMP_CWORD": "4",
    }
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "openai/gpt-4.1" in done.stdout
    bash = {k: env[k] for k in ("_OPTSCALE_COMPLETE", "COMP_WORDS", "COMP_CWORD")}
    fast_complete(bash)  # warm the imports, as the one process does
    started = time.perf_counter()
    answer = fast_complete(bash)
    assert answer is not None and "openai/gpt-4.1" in answer[0]
    assert time.perf_counter() - started < 0.1
