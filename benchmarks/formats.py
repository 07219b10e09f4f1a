"""Editing cost against file size for the TOML, YAML and dotenv paths: `connect codex` into a
config.toml, `connect goose` into a config.yaml, `connect continue` with a big .env (its
config.yaml small), each run on fresh copies of the files, each size against the 1 KB run
(a client's sizes take turns with each other, one client after another).

Run: python benchmarks/formats.py [--runs 3] [--big]  (--big adds the 10 MB TOML and .env and
the 1 MB YAML: slow)
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _setup import (
    CONTINUE_YAML,
    dotenv_config,
    environment,
    fresh_connect,
    print_against_1kb,
    toml_config,
    write_cache,
    yaml_config,
)
from startup import measure_interleaved

# client -> (file under HOME, generator, sizes, extra files)
CLIENTS: dict[str, tuple[str, Callable[[int], str], dict[str, int], dict[str, str]]] = {
    "codex": (".codex/config.toml", toml_config, {"1 KB": 1_000, "1 MB": 1_000_000}, {}),
    "goose": (".config/goose/config.yaml", yaml_config, {"1 KB": 1_000, "100 KB": 100_000}, {}),
    "continue": (
        ".continue/.env",
        dotenv_config,
        {"1 KB": 1_000, "1 MB": 1_000_000},
        {".continue/config.yaml": CONTINUE_YAML},
    ),
}
BIG = {"codex": ("10 MB", 10_000_000), "goose": ("1 MB", 1_000_000)}
BIG["continue"] = ("10 MB", 10_000_000)


def _case(tmp: Path, client: str, label: str, size: int) -> tuple[list[str], dict[str, str]]:
    name, make, _, extra = CLIENTS[client]
    home = tmp / f"{client}-{label.replace(' ', '')}"
    write_cache(home, 20)
    copies = []
    for relative, text in [(name, make(size)), *extra.items()]:
        source = tmp / f"{client}-{size}-{Path(relative).name}"
        source.write_text(text, encoding="utf-8")
        (home / relative).parent.mkdir(parents=True, exist_ok=True)
        copies.append((source, home / relative))
    command = fresh_connect(home, client, copies, key_from_env=client != "continue")
    return command, environment(home)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--big", action="store_true")
    args = parser.parse_args()
    times: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        # each client's sizes take turns with each other only: a 1 MB TOML connect writes
        # and syncs about 3 MB, and the writeback fell on the YAML and .env runs after it
        # (goose 100 KB / 1 KB measured 1.50-1.74x among the others, 1.40-1.43x alone)
        for client, (_, _, sizes, _) in CLIENTS.items():
            sizes = {**sizes, **(dict([BIG[client]]) if args.big else {})}
            cases, envs = {}, {}
            for label, size in sizes.items():
                name = f"connect {client}, {label}"
                cases[name], envs[name] = _case(Path(tmp), client, label, size)
            times.update(measure_interleaved(cases, args.runs, envs=envs))
    print_against_1kb(times)


if __name__ == "__main__":
    main()
