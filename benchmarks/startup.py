"""Startup benchmark: `optscale --version` and `--help` against bare Python and `import typer`.

Run: python benchmarks/startup.py [--runs 20]
Targets: --version within 3x of `python -c pass`; --help within 1.5x of `python -c "import typer"`.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time


def measure_interleaved(
    cases: dict[str, list[str]], runs: int, envs: dict[str, dict[str, str]] | None = None
) -> dict[str, float]:
    """Median wall time per command; the commands take turns, so load on the machine
    falls on all of them alike instead of skewing one. ``envs``: a case's environment."""
    envs = envs or {}
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for name, cmd in cases.items():  # warm the page cache; a failing case is reported
        done = subprocess.run(cmd, capture_output=True, check=False, env=envs.get(name))
        if done.returncode:
            print(f"{name}: exit {done.returncode}: {done.stderr[-300:]!r}", file=sys.stderr)
    for _ in range(runs):
        for name, cmd in cases.items():
            start = time.perf_counter()
            subprocess.run(
                cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=envs.get(name)
            )
            samples[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    runs = parser.parse_args().runs
    py = sys.executable
    cases = {
        "python -c pass": [py, "-c", "pass"],
        "python -c 'import typer'": [py, "-c", "import typer"],
        "optscale --version": [py, "-m", "optscale_cli", "--version"],
        "optscale --help": [py, "-m", "optscale_cli", "--help"],
    }
    times = measure_interleaved(cases, runs)
    for name, seconds in times.items():
        print(f"{name:28s} {seconds * 1000:7.1f} ms")
    version_ratio = times["optscale --version"] / times["python -c pass"]
    help_ratio = times["optscale --help"] / times["python -c 'import typer'"]
    print(f"--version / bare python : {version_ratio:.2f}x (target <= 3x)")
    print(f"--help / import typer   : {help_ratio:.2f}x (target <= 1.5x)")


if __name__ == "__main__":
    main()
