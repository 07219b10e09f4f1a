"""Big model lists: `connect opencode --all-models` with 10,000 models against connect with
one model, and `models list` (table and --json) with 120,000 models, from a pre-written
cache and fetched from the gateway stand-in (tests/gateway.py, plain http on 127.0.0.1: the
key ``many_key(n)`` gets n generated models; --refresh forces the fetch).

Run: python benchmarks/models.py [--runs 5] [--no-fetch]
Targets: connect --all-models (10,000) <= 2x connect --model (1); models list (120,000) <= 2 s.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _setup import MODEL, ROOT, environment, write_cache
from startup import measure_interleaved

BIG = 120_000


def _connect(home: Path, all_models: bool) -> list[str]:
    """A fresh connect each run: the OpenCode config is removed first."""
    extra = " --all-models" if all_models else ""
    script = (
        f"rm -rf {home}/.config && exec {sys.executable} -m optscale_cli connect opencode "
        f"--yes --key-from-env --model {MODEL}{extra}"
    )
    return ["sh", "-c", script]


def _cached_cases(tmp: Path) -> dict[str, tuple[list[str], dict[str, str]]]:
    py = sys.executable
    homes = {n: tmp / f"h{n}" for n in (1, 10_000, BIG)}
    for count, home in homes.items():
        write_cache(home, count)
    listing = [py, "-m", "optscale_cli", "models", "list"]
    return {
        "connect --model (1 model)": (_connect(homes[1], False), environment(homes[1])),
        "connect --all-models (10,000)": (
            _connect(homes[10_000], True),
            environment(homes[10_000]),
        ),
        "models list (120,000)": (listing, environment(homes[BIG])),
        "models list --json (120,000)": ([*listing, "--json"], environment(homes[BIG])),
    }


def _fetched_cases(tmp: Path, base_url: str) -> dict[str, tuple[list[str], dict[str, str]]]:
    """The same listings, each run fetching the list (--refresh) from the stand-in."""
    from tests.gateway import many_key

    py = sys.executable
    env = environment(tmp / "fetch")
    env.update(OPTSCALE_URL=base_url, OPTSCALE_API_KEY=many_key(BIG))
    listing = [py, "-m", "optscale_cli", "--allow-insecure-http", "models", "list", "--refresh"]
    return {
        "models list --refresh (120,000)": (listing, env),
        "models list --refresh --json (120,000)": ([*listing, "--json"], env),
    }


def _report(times: dict[str, float]) -> None:
    for name, seconds in times.items():
        print(f"{name:40s} {seconds * 1000:8.1f} ms")
    one, many = times["connect --model (1 model)"], times["connect --all-models (10,000)"]
    print(f"--all-models 10,000 / 1 model : {many / one:.2f}x (target <= 2x), +{many - one:.2f} s")
    for name in times:
        if name.startswith("models list"):
            print(f"{name:40s}: {times[name]:.2f} s (target <= 2 s)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-fetch", action="store_true", help="only the cached cases")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from tests.gateway import GatewayStandIn

    gateway = None if args.no_fetch else GatewayStandIn(None, tls=False).start()
    try:
        with tempfile.TemporaryDirectory() as name:
            tmp = Path(name)
            cases = _cached_cases(tmp)
            if gateway is not None:
                cases.update(_fetched_cases(tmp, gateway.base_url))
            times = measure_interleaved(
                {name: cmd for name, (cmd, _) in cases.items()},
                args.runs,
                envs={name: env for name, (_, env) in cases.items()},
            )
            shutil.rmtree(tmp, ignore_errors=True)
    finally:
        if gateway is not None:
            gateway.stop()
    _report(times)


if __name__ == "__main__":
    main()
