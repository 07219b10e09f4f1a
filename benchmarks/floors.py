"""What the unmet size targets leave for the work no edit can skip.

A target "connect on a big file takes at most N times connect on a 1 KB file" leaves (N - 1)
times the 1 KB connect for everything the big file adds. Beside that budget this prints what
the big file adds to a process that takes only the steps every correct connect takes (each
the fastest way the standard library or our dependencies have): read the file, check it with
the fastest validating reader there is (for JSONC: our comment blanking, then the C JSON
decoder), and write the new file once, synced. Both are whole processes, measured against
their 1 KB runs and interleaved with them, so the machine's load and a fresh process's memory
costs (the page faults of the decoded data) fall on both alike. When those steps alone add
more than the budget, no work of ours can meet the target. The reader targets (MB/s) are set
beside the speed of the C parsers our readers stand on (best of several runs, in process).

Run: python benchmarks/floors.py [--runs 7]
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _setup import environment, fresh_connect, jsonc_config, toml_config, write_cache, yaml_config
from startup import measure_interleaved

HERE = Path(__file__).resolve()

FORMATS = {  # format -> (client, its config under HOME, generator, big size, target)
    "jsonc": ("opencode", ".config/opencode/opencode.jsonc", jsonc_config, 10_000_000, 3.0),
    "toml": ("codex", ".codex/config.toml", toml_config, 1_000_000, 1.5),
}


def only_the_steps(kind: str, path: str) -> None:
    """The unskippable steps, alone in this process (run with ``--steps``)."""
    gc.disable()  # as the CLI's main() does for a command
    text = Path(path).read_text("utf-8")
    if kind == "jsonc":
        import json

        from optscale_cli.edit.jsonc import Blanked

        json.loads(Blanked(text).blank)
    else:
        import tomli

        tomli.loads(text)
    written = Path(path).with_suffix(".written")
    with open(written, "wb") as file:
        file.write(text.encode("utf-8"))
        file.flush()
        os.fsync(file.fileno())
    written.unlink()


def _cases(tmp: Path) -> tuple[dict[str, list[str]], dict[str, dict[str, str]]]:
    cases, envs = {}, {}
    for kind, (client, relative, make, big, _) in FORMATS.items():
        home = tmp / client
        write_cache(home, 20)
        (home / relative).parent.mkdir(parents=True, exist_ok=True)
        for size in (1_000, big):
            source = tmp / f"{kind}-{size}"
            source.write_text(make(size), encoding="utf-8")
            steps = [sys.executable, str(HERE), "--steps", kind, str(source)]
            cases[f"{kind} {size} steps"], envs[f"{kind} {size} steps"] = steps, environment(home)
        connect = fresh_connect(home, client, [(tmp / f"{kind}-1000", home / relative)])
        cases[f"{kind} connect"], envs[f"{kind} connect"] = connect, environment(home)
    return cases, envs


def _best(runs: int, step: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        step()
        best = min(best, time.perf_counter() - start)
        gc.collect()
    return best


def _reader_speeds(runs: int) -> dict[str, tuple[float, int]]:
    """The C parsers under our TOML and YAML readers: seconds, and bytes read."""
    import tomli
    from _ruamel_yaml import CParser

    toml_text, yaml_text = toml_config(1_000_000), yaml_config(100_000)

    def libyaml_events() -> None:
        parser = CParser(yaml_text)
        while parser.check_event():
            parser.get_event()

    gc.disable()
    return {
        "TOML 1 MB, tomli.loads": (_best(runs, lambda: tomli.loads(toml_text)), len(toml_text)),
        "YAML 100 KB, libyaml's events alone": (_best(runs, libyaml_events), len(yaml_text)),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--steps", nargs=2, metavar=("KIND", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.steps:
        only_the_steps(*args.steps)
        return
    with tempfile.TemporaryDirectory() as name:
        cases, envs = _cases(Path(name))
        times = measure_interleaved(cases, args.runs, envs=envs)
    for kind, (client, _, _, big, ratio) in FORMATS.items():
        small = times[f"{kind} connect"]
        budget = (ratio - 1) * small
        added = times[f"{kind} {big} steps"] - times[f"{kind} 1000 steps"]
        verdict = "over the budget" if added > budget else "within it"
        print(f"{kind}, {big / 1e6:g} MB: target <= {ratio}x connect {client} on 1 KB")
        print(f"  connect {client}, 1 KB                 {small * 1000:7.1f} ms")
        print(f"  budget for all the big file adds     {budget * 1000:7.1f} ms")
        print(f"  the steps alone add (big - 1 KB)     {added * 1000:7.1f} ms: {verdict}")
    for reader, (seconds, size) in _reader_speeds(args.runs).items():
        rate = size / seconds / 1e6
        print(f"{reader:38s} {seconds * 1000:6.1f} ms {rate:5.1f} MB/s (target >= 20)")


if __name__ == "__main__":
    main()
