"""Shared set-up for the benchmarks: a scratch HOME holding an env-var profile, a fresh
model-list cache for it, and generated client config files of a chosen size."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASE_URL = "https://gateway.invalid/llm_proxy/org/v1"
API_KEY = "sk-bench-0123456789abcdef0123456789abcdef"


def environment(home: Path) -> dict[str, str]:
    """The variables every benchmarked command runs with: nothing of the real user's.
    Our modules are byte-compiled first, as an installed tool's are (pip compiles them;
    with PYTHONDONTWRITEBYTECODE set, an editable checkout would compile on every run)."""
    import compileall

    compileall.compile_dir(str(ROOT / "optscale_cli"), quiet=1)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPTSCALE_", "XDG_"))}
    env.update(
        HOME=str(home),
        OPTSCALE_CONFIG_DIR=str(home / "optscale"),
        OPTSCALE_NO_KEYRING="1",
        OPTSCALE_URL=BASE_URL,
        OPTSCALE_API_KEY=API_KEY,
        NO_COLOR="1",
    )
    return env


MODEL = "vendor0/model-000000"  # the model each benchmarked connect names


def fresh_connect(
    home: Path, client: str, copies: list[tuple[Path, Path]], key_from_env: bool = True
) -> list[str]:
    """`connect CLIENT` as each benchmark run makes it: every config copied anew from its
    (source, target) pair and our record of earlier connects removed, then the command."""
    steps = " && ".join(f"cp {source} {target}" for source, target in copies)
    key = "--key-from-env " if key_from_env else ""
    script = (
        f"{steps} && rm -rf {home}/optscale/connections* && exec {sys.executable} -m "
        f"optscale_cli connect {client} --yes {key}--model {MODEL}"
    )
    return ["sh", "-c", script]


def model_ids(count: int) -> list[str]:
    return [f"vendor{i % 7}/model-{i:06d}" for i in range(count)]


def write_cache(home: Path, count: int) -> None:
    """A model-list cache the CLI takes as fresh for the whole benchmark (it is dated an hour
    ahead: its age reads as zero)."""
    sys.path.insert(0, str(ROOT))
    env = environment(home)
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        from optscale_cli.catalog import _cache_file as cache_file

        path = cache_file(BASE_URL, API_KEY)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    path.parent.mkdir(parents=True, exist_ok=True)
    models = [{"id": m, "owned_by": m.split("/")[0]} for m in model_ids(count)]
    path.write_text(json.dumps({"fetched_at": time.time() + 3600, "models": models}))


def jsonc_config(size: int) -> str:
    """An opencode.jsonc of about ``size`` bytes: comments, many providers, many models."""
    head = (
        '// generated for the benchmark\n{\n  "$schema": "https://opencode.ai/config.json",\n'
        '  /* providers, many of them */\n  "provider": {\n'
    )

    def block(i: int) -> str:
        models = ",\n".join(
            f'        "m{j}": {{ "name": "Model {j} \\u00e9", '
            f'"limit": {{ "context": {j * 1000} }} }}'
            for j in range(8)
        )
        return (
            f"    // provider {i}\n"
            f'    "p{i}": {{\n      "npm": "@ai-sdk/openai-compatible", /* inline */\n'
            f'      "options": {{ "baseURL": "https://p{i}.example/v1", "timeout": 30.5 }},\n'
            f'      "models": {{\n{models},\n      }},\n    }},\n'
        )

    return _grown(size, head, block, '  },\n  "share": "manual", // trailing comma next\n}\n')


def _grown(size: int, head: str, block: Callable[[int], str], tail: str = "") -> str:
    """``head``, then ``block(0)``, ``block(1)``, … until about ``size`` bytes, then ``tail``."""
    parts, total, i = [head], len(head), 0
    while total < size:
        parts.append(block(i))
        total += len(parts[-1])
        i += 1
    parts.append(tail)
    return "".join(parts)


def toml_config(size: int) -> str:
    """A Codex config.toml of about ``size`` bytes: many provider tables, comments."""
    return _grown(
        size,
        '# generated for the benchmark\nmodel = "o3"\n\n',
        lambda i: (
            f"# provider {i}\n[model_providers.p{i}]\n"
            f'name = "Provider {i} \\u00e9"  # inline\nbase_url = "https://p{i}.example/v1"\n'
            f'env_key = "KEY_{i}"\nquery_params = {{ version = "{i}" }}\n\n'
            f'[profiles.x{i}]\nmodel = "m{i}"\nmodel_provider = "p{i}"\n\n'
        ),
    )


def yaml_config(size: int) -> str:
    """A Goose config.yaml of about ``size`` bytes: many extensions, comments."""
    return _grown(
        size,
        "# generated for the benchmark\nGOOSE_PROVIDER: anthropic\nextensions:\n",
        lambda i: (
            f"  # extension {i}\n  ext{i}:\n    enabled: true\n    name: 'ext {i}'\n"
            f"    args: [--port, '{i}']\n    envs:\n      KEY: value-{i}\n"
        ),
        "GOOSE_MODEL: claude\n",
    )


def dotenv_config(size: int) -> str:
    """A .env of about ``size`` bytes: comments, quoting, ``export``."""
    return _grown(
        size,
        "# generated for the benchmark\n",
        lambda i: f'# setting {i}\nKEY_{i}="value {i} # not a comment"\nexport OTHER_{i}=x{i}\n\n',
    )


# Continue's config.yaml beside the big .env the dotenv cases edit
CONTINUE_YAML = "name: Local Config\nversion: 1.0.0\nschema: v1\nmodels: []\n"


def print_against_1kb(times: dict[str, float]) -> None:
    """Each case's median, then each "<what>, <size>" case against its "<what>, 1 KB" one."""
    width = max(map(len, times)) + 2
    for name, seconds in times.items():
        print(f"{name:{width}s} {seconds * 1000:9.1f} ms")
    for name, seconds in times.items():
        what, label = name.split(", ")
        if label != "1 KB":
            base = times[f"{what}, 1 KB"]
            print(f"{name} / 1 KB : {seconds / base:.2f}x (+{(seconds - base) * 1000:.0f} ms)")
