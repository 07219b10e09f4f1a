"""Editing cost against file size: `connect opencode` into an opencode.jsonc of 1 KB, 1 MB
and 10 MB (comments, many providers), each run on a fresh copy of the file.

Run: python benchmarks/edits.py [--runs 5]
Targets: 1 MB <= 1.5x the 1 KB connect; 10 MB <= 3x.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _setup import environment, fresh_connect, jsonc_config, write_cache
from startup import measure_interleaved

SIZES = {"1 KB": 1_000, "1 MB": 1_000_000, "10 MB": 10_000_000}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as tmp:
        cases, envs = {}, {}
        for label, size in SIZES.items():
            home = Path(tmp) / label.replace(" ", "")
            write_cache(home, 20)
            folder = home / ".config" / "opencode"
            folder.mkdir(parents=True)
            source = Path(tmp) / f"{size}.jsonc"
            source.write_text(jsonc_config(size), encoding="utf-8")
            copies = [(source, folder / "opencode.jsonc")]
            cases[f"connect, {label} opencode.jsonc"] = fresh_connect(home, "opencode", copies)
            envs[f"connect, {label} opencode.jsonc"] = environment(home)
        times = measure_interleaved(cases, runs, envs=envs)
    for name, seconds in times.items():
        print(f"{name:32s} {seconds * 1000:8.1f} ms")
    base = times["connect, 1 KB opencode.jsonc"]
    for label, target in (("1 MB", 1.5), ("10 MB", 3.0)):
        ratio = times[f"connect, {label} opencode.jsonc"] / base
        print(f"{label} / 1 KB : {ratio:.2f}x (target <= {target}x)")


if __name__ == "__main__":
    main()
