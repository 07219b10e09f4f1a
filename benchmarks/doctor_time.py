"""How long a healthy `optscale doctor` takes against the HTTPS stand-in, next to its
slowest single probe (the concurrency target: the whole run close to the slowest probe,
well under the sum of the probes).

The stand-in runs in its own process, as a real gateway would, so its TLS work does not
share this interpreter's lock. On loopback every probe takes a few milliseconds and the
numbers mostly measure CPU; ``--rtt-ms`` puts a relay in front of the stand-in (in the same
server process) that delays every byte by half the round trip each way, which is what makes
concurrency matter against a real gateway.

Run: python benchmarks/doctor_time.py [--runs 7] [--rtt-ms 0 50]
"""

from __future__ import annotations

import argparse
import os
import queue
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MODEL = "openai/gpt-4.1"


# --- server side (a subprocess) -------------------------------------------------------------


def _delayed_pipe(src: socket.socket, dst: socket.socket, delay: float) -> None:
    """Copy src -> dst, each chunk delivered ``delay`` seconds after it arrived (pipelined)."""
    due: queue.Queue[tuple[float, bytes]] = queue.Queue()

    def deliver() -> None:
        while True:
            when, data = due.get()
            time.sleep(max(0.0, when - time.monotonic()))
            try:
                if not data:
                    dst.shutdown(socket.SHUT_WR)
                    return
                dst.sendall(data)
            except OSError:
                return

    threading.Thread(target=deliver, daemon=True).start()
    while True:
        try:
            data = src.recv(65536)
        except OSError:
            data = b""
        due.put((time.monotonic() + delay, data))
        if not data:
            return


def _relay(upstream_port: int, rtt: float) -> int:
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            client, _ = listener.accept()
            upstream = socket.create_connection(("127.0.0.1", upstream_port))
            for a, b in ((client, upstream), (upstream, client)):
                a.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                threading.Thread(target=_delayed_pipe, args=(a, b, rtt / 2), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    return int(listener.getsockname()[1])


def serve(rtt_ms: float) -> None:
    import trustme

    from tests.gateway import GatewayStandIn

    gw = GatewayStandIn(trustme.CA()).start()
    port = _relay(gw.port, rtt_ms / 1000) if rtt_ms else gw.port
    print(port, gw.ca_pem_path, flush=True)
    sys.stdin.read()


# --- client side ----------------------------------------------------------------------------


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def measure(rtt_ms: float, runs: int) -> None:
    from optscale_cli.context import AppState
    from optscale_cli.flows.doctor import (
        DoctorOptions,
        Endpoint,
        _auth_checks,
        _stream_check,
        _tools_check,
        run_doctor,
        tls_check,
    )
    from optscale_cli.gateway import GatewayClient
    from optscale_cli.urls import parse_gateway_url
    from tests.gateway import GatewayStandIn

    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(rtt_ms)],
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
                OPTSCALE_NO_KEYRING="1",
                HOME=tmp,
                NO_PROXY="127.0.0.1",
            )
            location = parse_gateway_url(base_url)

            def fresh(probe: Callable[[GatewayClient], object]) -> Callable[[], object]:
                def run() -> None:  # a new connection each time, as doctor's probes have
                    with GatewayClient(location, key, ca_bundle=pem) as client:
                        probe(client)

                return run

            def whole() -> None:
                checks = run_doctor(AppState(), DoctorOptions(model=MODEL))
                failed = [c for c in checks if c.status == "fail"]
                assert not failed, failed

            probes: dict[str, Callable[[], object]] = {
                "doctor (healthy)": whole,
                "tcp + tls": lambda: tls_check(Endpoint("127.0.0.1", port, 10), pem),
                "GET /models": fresh(lambda c: _auth_checks(c, [MODEL])),
                "tool-call probe": fresh(lambda c: _tools_check(c, MODEL)),
                "stream probe": fresh(lambda c: _stream_check(c, MODEL)),
            }
            for fn in probes.values():  # warm up: imports, certifi, the stand-in's threads
                fn()
            samples: dict[str, list[float]] = {name: [] for name in probes}
            for _ in range(runs):  # interleaved, so drift in the machine's load hits all
                for name, fn in probes.items():
                    samples[name].append(timed(fn))
    finally:
        server.kill()
    median = {name: statistics.median(values) for name, values in samples.items()}
    total = median.pop("doctor (healthy)")
    print(f"round trip {rtt_ms:g} ms, median of {runs} runs:")
    for name, seconds in median.items():
        print(f"  {name:18s} {seconds * 1000:7.1f} ms")
    slowest = max(median.values())
    print(
        f"  {'doctor (healthy)':18s} {total * 1000:7.1f} ms = {total / slowest:.2f}x the slowest "
        f"probe; the probes one after another: {sum(median.values()) * 1000:.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--rtt-ms", type=float, nargs="+", default=[0.0, 50.0])
    parser.add_argument("--serve", type=float, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is not None:
        serve(args.serve)
        return
    for rtt in args.rtt_ms:
        measure(rtt, args.runs)


if __name__ == "__main__":
    main()
