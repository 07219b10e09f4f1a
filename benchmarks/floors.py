"""What the unmet size targets leave for the work no edit can skip.

A target "connect on a big file takes at most N times connect on a 1 KB file" leaves (N - 1)
times the 1 KB connect for everything the big file adds. This prints that budget (from whole
connects, interleaved) beside the cost of the steps any correct connect takes on the big file
(each the fastest way the standard library or our dependencies have, best of several runs in
this process): reading the file, checking it is valid with the fastest validating reader there
is, and writing the new file once, synced. When those steps alone cost more than the budget,
no work of ours can meet the target. The reader targets (MB/s) are set beside the speed of the
C parsers our readers stand on.

Run: python benchmarks/floors.py [--runs 7]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _setup import environment, jsonc_config, toml_config, write_cache, yaml_config
from startup import measure_interleaved

CONNECTS = {  # client -> (its config file under HOME, a 1 KB config)
    "opencode": (".config/opencode/opencode.jsonc", jsonc_config(1_000)),
    "codex": (".codex/config.toml", toml_config(1_000)),
}


def _connect_1kb(tmp: Path, client: str) -> tuple[list[str], dict[str, str]]:
    relative, text = CONNECTS[client]
    home = tmp / client
    write_cache(home, 20)
    source = tmp / f"{client}-1kb"
    source.write_text(text, encoding="utf-8")
    (home / relative).parent.mkdir(parents=True, exist_ok=True)
    script = (
        f"cp {source} {home / relative} && rm -rf {home}/optscale/connections* && exec "
        f"{sys.executable} -m optscale_cli connect {client} --yes --key-from-env "
        "--model vendor0/model-000000"
    )
    return ["sh", "-c", script], environment(home)


def _best(runs: int, step: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        step()
        best = min(best, time.perf_counter() - start)
        gc.collect()
    return best


def _write_synced(folder: Path, data: bytes) -> None:
    path = folder / "written"
    with open(path, "wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    path.unlink()


def _steps(folder: Path, runs: int) -> dict[str, dict[str, float]]:
    """Each big file's unskippable steps, in seconds."""
    import tomli

    from optscale_cli.edit.jsonc import Blanked

    jsonc_text = jsonc_config(10_000_000)
    no_comments = Blanked(jsonc_text).blank  # what the C decoder needs: no comments
    toml_text = toml_config(1_000_000)
    files = {"jsonc": jsonc_text, "toml": toml_text}
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    read = {name: _best(runs, lambda n=name: (folder / n).read_text("utf-8")) for name in files}
    write = {
        name: _best(runs, lambda t=text: _write_synced(folder, t.encode()))  # type: ignore[misc]
        for name, text in files.items()
    }
    return {
        "opencode.jsonc, 10 MB": {
            "read the file": read["jsonc"],
            # the fastest pass we found: re.sub of every string and comment to nothing,
            # which needs no Python per match, takes longer (233 against 172 ms)
            "blank the comments (ours, one regex pass)": _best(runs, lambda: Blanked(jsonc_text)),
            "json.loads, comments already removed (C)": _best(
                runs, lambda: json.loads(no_comments)
            ),
            "write the new file, synced": write["jsonc"],
        },
        "config.toml, 1 MB": {
            "read the file": read["toml"],
            "tomli.loads (tomllib compiled by mypyc)": _best(runs, lambda: tomli.loads(toml_text)),
            "write the new file, synced": write["toml"],
        },
    }


def _reader_speeds(runs: int) -> dict[str, tuple[float, int]]:
    """The C parsers under our TOML and YAML readers: seconds, and bytes read."""
    import tomli
    from _ruamel_yaml import CParser

    toml_text, yaml_text = toml_config(1_000_000), yaml_config(100_000)

    def libyaml_events() -> None:
        parser = CParser(yaml_text)
        while parser.check_event():
            parser.get_event()

    return {
        "TOML 1 MB, tomli.loads": (_best(runs, lambda: tomli.loads(toml_text)), len(toml_text)),
        "YAML 100 KB, libyaml's events alone": (_best(runs, libyaml_events), len(yaml_text)),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    targets = {"opencode.jsonc, 10 MB": ("opencode", 3.0), "config.toml, 1 MB": ("codex", 1.5)}
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        cases = {client: _connect_1kb(tmp, client) for client in CONNECTS}
        small = measure_interleaved(
            {c: cmd for c, (cmd, _) in cases.items()},
            runs,
            envs={c: e for c, (_, e) in cases.items()},
        )
        gc.disable()  # as main() runs a command
        steps = _steps(tmp, runs)
        speeds = _reader_speeds(runs)
    for file, (client, ratio) in targets.items():
        budget = (ratio - 1) * small[client]
        print(
            f"{file}: target <= {ratio}x connect {client} on 1 KB ({small[client] * 1000:.0f} ms)"
        )
        print(f"  budget for all the big file adds   {budget * 1000:8.1f} ms")
        for step, seconds in steps[file].items():
            print(f"  {step:42s} {seconds * 1000:6.1f} ms")
        total = sum(steps[file].values())
        verdict = "over the budget" if total > budget else "within it"
        print(f"  these steps alone                  {total * 1000:8.1f} ms: {verdict}")
    for reader, (seconds, size) in speeds.items():
        print(
            f"{reader:40s} {seconds * 1000:6.1f} ms {size / seconds / 1e6:6.1f} MB/s (target >= 20)"
        )


if __name__ == "__main__":
    main()
