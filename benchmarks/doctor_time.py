"""How long a healthy `optscale doctor` takes against the HTTPS stand-in, next to its
slowest single probe (the concurrency target: total close to the slowest probe).

The stand-in runs in its own process, as a real gateway would, so its TLS work does not
share this interpreter's lock. Run: python benchmarks/doctor_time.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from optscale_cli.context import AppState  # noqa: E402
from optscale_cli.doctor import (  # noqa: E402
    DoctorOptions,
    _auth_checks,
    _stream_check,
    _tools_check,
    run_doctor,
    tls_check,
)
from optscale_cli.gateway import GatewayClient  # noqa: E402
from optscale_cli.urls import parse_gateway_url  # noqa: E402
from tests.gateway import GatewayStandIn  # noqa: E402

MODEL = "openai/gpt-4.1"
SERVE = """
import sys, trustme
from tests.gateway import GatewayStandIn
gw = GatewayStandIn(trustme.CA()).start()
print(gw.port, gw.ca_pem_path, flush=True)
sys.stdin.read()
"""


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    server = subprocess.Popen(
        [sys.executable, "-c", SERVE],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    port_text, pem = server.stdout.readline().split()
    port = int(port_text)
    base_url = f"https://127.0.0.1:{port}/llm_proxy/{GatewayStandIn.ORG}/v1"
    key = GatewayStandIn.GOOD_KEY
    try:
        with tempfile.TemporaryDirectory() as tmp:
            os.environ.update(
                OPTSCALE_URL=base_url,
                OPTSCALE_API_KEY=key,
                OPTSCALE_CA_BUNDLE=pem,
                OPTSCALE_CONFIG_DIR=tmp,
                NO_PROXY="127.0.0.1",
            )
            whole = [
                timed(lambda: run_doctor(AppState(), DoctorOptions(model=MODEL)))
                for _ in range(runs)
            ]
            location = parse_gateway_url(base_url)

            def fresh(probe: Callable[[GatewayClient], object]) -> Callable[[], object]:
                def run() -> None:  # a new connection each time, as doctor's probes have
                    with GatewayClient(location, key, ca_bundle=pem) as client:
                        probe(client)

                return run

            probes: dict[str, Callable[[], object]] = {
                "tls handshake": lambda: tls_check("127.0.0.1", port, pem, 10),
                "GET /models": fresh(lambda c: _auth_checks(c, [MODEL])),
                "tool-call probe": fresh(lambda c: _tools_check(c, MODEL)),
                "stream probe": fresh(lambda c: _stream_check(c, MODEL)),
            }
            single = {
                name: statistics.median(timed(fn) for _ in range(runs))
                for name, fn in probes.items()
            }
    finally:
        server.kill()
    for name, seconds in single.items():
        print(f"{name:18s} {seconds * 1000:7.1f} ms")
    slowest = max(single.values())
    total = statistics.median(whole)
    print(
        f"doctor (healthy)   {total * 1000:7.1f} ms = {total / slowest:.1f}x the slowest probe"
        f"; sum of the probes run one after another: {sum(single.values()) * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main()
