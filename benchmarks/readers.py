"""Reading speed of each config reader we own, in MB/s, on the files the edit benchmarks use:
JSONC (the one-pass reader), TOML (tomli's read and our statement scanner), YAML (the
libyaml-backed read) and .env. In one process, the readers taking turns, best of the runs
(a reader's own speed: a slow run is the machine, not the reader).

Run: python benchmarks/readers.py [--runs 7]
Target (issue 12): every tokenizer we own scans at least 20 MB/s.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _setup import dotenv_config, jsonc_config, toml_config, yaml_config


def _readers() -> dict[str, tuple[Callable[[str], object], str]]:
    from optscale_cli.edit import jsonc, toml_text
    from optscale_cli.edit.documents import DotenvDocument, TomlDocument

    toml, dotenv = toml_config(1_000_000), dotenv_config(1_000_000)
    return {
        "JSONC 1 MB, one-pass read": (jsonc.read_indexed, jsonc_config(1_000_000)),
        "JSONC 10 MB, one-pass read": (jsonc.read_indexed, jsonc_config(10_000_000)),
        "TOML 1 MB, tomli read": (lambda text: TomlDocument(text, "config.toml"), toml),
        "TOML 1 MB, statement scan": (toml_text.scan, toml),
        "YAML 100 KB, read": (_yaml_read, yaml_config(100_000)),
        ".env 1 MB, read and checked": (lambda text: DotenvDocument(text, ".env"), dotenv),
        ".env 1 MB, as a dict": (lambda text: DotenvDocument(text, ".env").data, dotenv),
    }


def _yaml_read(text: str) -> object:
    from optscale_cli.edit import yaml_text

    yaml_text._PARSED.clear()  # a text read before is not read again: read it anew
    return yaml_text.parse(text)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    readers = _readers()
    best = dict.fromkeys(readers, float("inf"))
    gc.disable()  # as main() runs a command
    for _ in range(runs):
        for name, (read, text) in readers.items():
            start = time.perf_counter()
            read(text)
            best[name] = min(best[name], time.perf_counter() - start)
            gc.collect()
    for name, (_, text) in readers.items():
        size = len(text.encode("utf-8"))
        print(f"{name:30} {best[name] * 1000:8.1f} ms {size / best[name] / 1e6:7.1f} MB/s")


if __name__ == "__main__":
    main()
