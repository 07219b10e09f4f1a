"""Local commands stay light: each against `python -c "import typer"`, served from a fresh
model-list cache and an env-var profile (no network; no HTTP, TLS or keyring import).

Run: python benchmarks/local.py [--runs 10]
Target: each <= 1.5x `python -c "import typer"`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _setup import environment, write_cache
from startup import measure_interleaved

COMMANDS = {
    "models list": ["models", "list"],
    "clients": ["clients"],
    "status --offline": ["status", "--offline"],
    "profiles list": ["profiles", "list"],
    "completion bash": ["completion", "bash"],
    "connect --dry-run": [
        "connect",
        "opencode",
        "--model",
        "vendor0/model-000000",
        "--key-from-env",
        "--dry-run",
    ],
}
YARDSTICK = "python -c 'import typer'"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    runs = parser.parse_args().runs
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        write_cache(home, 200)
        env = environment(home)
        cases = {YARDSTICK: [py, "-c", "import typer"]}
        cases.update({f"optscale {k}": [py, "-m", "optscale_cli", *v] for k, v in COMMANDS.items()})
        times = measure_interleaved(cases, runs, envs=dict.fromkeys(cases, env))
    base = times[YARDSTICK]
    print(f"{YARDSTICK:28s} {base * 1000:7.1f} ms")
    for name, seconds in list(times.items())[1:]:
        ratio = seconds / base
        print(f"{name:28s} {seconds * 1000:7.1f} ms  {ratio:.2f}x (target <= 1.5x)")


if __name__ == "__main__":
    main()
