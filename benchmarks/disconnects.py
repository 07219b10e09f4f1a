"""Undo cost against file size: `disconnect` of a client connected into a big config, for the
JSONC, TOML, YAML and dotenv paths, each size against the 1 KB one (a client's sizes take
turns with each other, one client after another). Each run starts from a
copy of the connected HOME (its config, our ledger and the backup), made once by `connect`
at the same path, since the ledger names the files by their paths.

Run: python benchmarks/disconnects.py [--runs 5]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _setup import (
    CONTINUE_YAML,
    dotenv_config,
    environment,
    jsonc_config,
    print_against_1kb,
    toml_config,
    write_cache,
    yaml_config,
)
from startup import measure_interleaved

# client -> (its file under HOME, generator, the big size, extra files)
CLIENTS: dict[str, tuple[str, Callable[[int], str], tuple[str, int], dict[str, str]]] = {
    "opencode": (".config/opencode/opencode.jsonc", jsonc_config, ("1 MB", 1_000_000), {}),
    "codex": (".codex/config.toml", toml_config, ("1 MB", 1_000_000), {}),
    "goose": (".config/goose/config.yaml", yaml_config, ("100 KB", 100_000), {}),
    "continue": (
        ".continue/.env",
        dotenv_config,
        ("1 MB", 1_000_000),
        {".continue/config.yaml": CONTINUE_YAML},
    ),
}


def _case(tmp: Path, client: str, label: str, size: int) -> tuple[list[str], dict[str, str]]:
    """Connect once into a fresh HOME and keep it as the template; each run copies it back."""
    name, make, _, extra = CLIENTS[client]
    home = tmp / f"{client}-{label.replace(' ', '')}"
    write_cache(home, 20)
    for relative, text in [(name, make(size)), *extra.items()]:
        (home / relative).parent.mkdir(parents=True, exist_ok=True)
        (home / relative).write_text(text, encoding="utf-8")
    env = environment(home)
    key = [] if client == "continue" else ["--key-from-env"]
    connect = [sys.executable, "-m", "optscale_cli", "connect", client, "--yes", *key]
    done = subprocess.run(
        [*connect, "--model", "vendor0/model-000000"], env=env, capture_output=True, check=False
    )
    if done.returncode:
        raise SystemExit(f"connect {client} ({label}) failed: {done.stderr[-300:]!r}")
    template = home.with_name(home.name + ".connected")
    shutil.copytree(home, template, symlinks=True)
    script = (
        f"rm -rf {home} && cp -a {template} {home} && exec "
        f"{sys.executable} -m optscale_cli disconnect {client} --yes"
    )
    return ["sh", "-c", script], env


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    times: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for client, (_, _, big, _) in CLIENTS.items():  # a client's sizes take turns
            cases, envs = {}, {}  # with each other only (as in formats.py)
            for label, size in (("1 KB", 1_000), big):
                name = f"disconnect {client}, {label}"
                cases[name], envs[name] = _case(Path(tmp), client, label, size)
            times.update(measure_interleaved(cases, runs, envs=envs))
    print_against_1kb(times)


if __name__ == "__main__":
    main()
