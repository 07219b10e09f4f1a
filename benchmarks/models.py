"""Big model lists: `connect opencode --all-models` with 10,000 models against connect with
one model, and `models list` (table and --json) with 120,000 cached models.

Run: python benchmarks/models.py [--runs 5]
Targets: connect --all-models (10,000) <= 2x connect --model (1); models list (120,000) <= 2 s.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _setup import environment, write_cache
from startup import measure_interleaved

MODEL = "vendor0/model-000000"


def _connect(home: Path, all_models: bool) -> list[str]:
    """A fresh connect each run: the OpenCode config is removed first."""
    extra = " --all-models" if all_models else ""
    script = (
        f"rm -rf {home}/.config && exec {sys.executable} -m optscale_cli connect opencode "
        f"--yes --key-from-env --model {MODEL}{extra}"
    )
    return ["sh", "-c", script]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        homes = {n: Path(tmp) / f"h{n}" for n in (1, 10_000, 120_000)}
        for count, home in homes.items():
            write_cache(home, count)
        cases = {
            "connect --model (1 model)": (_connect(homes[1], False), homes[1]),
            "connect --all-models (10,000)": (_connect(homes[10_000], True), homes[10_000]),
            "models list (120,000)": ([py, "-m", "optscale_cli", "models", "list"], homes[120_000]),
            "models list --json (120,000)": (
                [py, "-m", "optscale_cli", "models", "list", "--json"],
                homes[120_000],
            ),
        }
        times = measure_interleaved(
            {name: cmd for name, (cmd, _) in cases.items()},
            runs,
            envs={name: environment(home) for name, (_, home) in cases.items()},
        )
        shutil.rmtree(tmp, ignore_errors=True)
    for name, seconds in times.items():
        print(f"{name:32s} {seconds * 1000:8.1f} ms")
    ratio = times["connect --all-models (10,000)"] / times["connect --model (1 model)"]
    print(f"--all-models 10,000 / 1 model : {ratio:.2f}x (target <= 2x)")
    for name in ("models list (120,000)", "models list --json (120,000)"):
        print(f"{name:30s}: {times[name]:.2f} s (target <= 2 s)")


if __name__ == "__main__":
    main()
