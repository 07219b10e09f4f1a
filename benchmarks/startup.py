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


def measure(cmd: list[str], runs: int) -> float:
    subprocess.run(cmd, capture_output=True, check=False)  # warm the page cache
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=False)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


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
    times = {name: measure(cmd, runs) for name, cmd in cases.items()}
    for name, seconds in times.items():
        print(f"{name:28s} {seconds * 1000:7.1f} ms")
    version_ratio = times["optscale --version"] / times["python -c pass"]
    help_ratio = times["optscale --help"] / times["python -c 'import typer'"]
    print(f"--version / bare python : {version_ratio:.2f}x (target <= 3x)")
    print(f"--help / import typer   : {help_ratio:.2f}x (target <= 1.5x)")


if __name__ == "__main__":
    main()
