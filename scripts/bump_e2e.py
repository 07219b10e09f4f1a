"""Move the e2e clients to their newest npm releases, but only if the e2e tests pass with them.

Installs the latest version of each client (``npm view <pkg> version``) into .cache/e2e, runs
``python -m pytest -m e2e`` against those binaries, and only when that is green rewrites
tests/e2e/package.json and package-lock.json with the new pins. Prints old -> new either way.
If the tests fail, .cache/e2e goes back to the current pins and nothing under tests/ changes.

    python scripts/bump_e2e.py            # bump if green
    python scripts/bump_e2e.py --check    # only print what the newest versions are
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PINNED = ROOT / "tests/e2e"
CACHE = ROOT / ".cache/e2e"
PACKAGES = ("opencode-ai", "@anthropic-ai/claude-code", "@openai/codex", "@continuedev/cli")
NPM_TIMEOUT_S = 600
PYTEST_TIMEOUT_S = 1200


def npm(*args: str, cwd: Path = ROOT) -> str:
    done = subprocess.run(
        ["npm", *args, "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=NPM_TIMEOUT_S,
        check=False,
    )
    if done.returncode != 0:
        sys.exit(f"npm {' '.join(args)} failed:\n{done.stderr.strip()}")
    return done.stdout.strip()


def install(manifest: dict[str, object], lock: Path | None) -> None:
    """Install ``manifest`` (and ``lock`` if given, else a fresh resolution) into .cache/e2e."""
    CACHE.mkdir(parents=True, exist_ok=True)
    (CACHE / "package.json").write_text(json.dumps(manifest, indent=2) + "\n")
    cached_lock = CACHE / "package-lock.json"
    if lock is not None:
        shutil.copyfile(lock, cached_lock)
    elif cached_lock.exists():
        cached_lock.unlink()
    npm("install", cwd=CACHE)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only print old -> newest")
    args = parser.parse_args()

    manifest = json.loads((PINNED / "package.json").read_text())
    old: dict[str, str] = manifest["dependencies"]
    new = {package: npm("view", package, "version") for package in PACKAGES}
    changes = [f"{p}: {old.get(p, '(none)')} -> {new[p]}" for p in PACKAGES]
    for line in changes:
        print(line)
    if args.check:
        return 0
    if all(old.get(p) == new[p] for p in PACKAGES):
        print("already on the newest versions")
        return 0

    bumped = {**manifest, "dependencies": dict(sorted(new.items()))}
    print(f"installing into {CACHE.relative_to(ROOT)} …", flush=True)
    install(bumped, None)
    env = {**os.environ, "OPTSCALE_E2E_BIN": str(CACHE / "node_modules/.bin")}
    command = [sys.executable, "-m", "pytest", "-m", "e2e", "-p", "no:cacheprovider"]
    print("$ python " + " ".join(command[1:]), flush=True)
    tests = subprocess.run(command, cwd=ROOT, env=env, timeout=PYTEST_TIMEOUT_S, check=False)
    if tests.returncode != 0:
        print("e2e tests failed with the newest clients: pins unchanged; restoring .cache/e2e")
        install(manifest, PINNED / "package-lock.json")
        return 1
    (PINNED / "package.json").write_text(json.dumps(bumped, indent=2) + "\n")
    shutil.copyfile(CACHE / "package-lock.json", PINNED / "package-lock.json")
    print("e2e green: tests/e2e/package.json and package-lock.json now pin")
    for line in changes:
        print("  " + line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
