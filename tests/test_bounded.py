"""The network layer is bounded: every operation ends by --timeout, every answer is capped.

Each test runs a command against a misbehaving stand-in (``GatewayStandIn(ca, mode=…)``) and
asserts the documented exit code, an upper bound on the wall time (with slack: this is about
hanging, not speed), and that no internal error or traceback is printed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest
import trustme

from tests.conftest import Cli, Result
from tests.gateway import GatewayStandIn

# the old code hangs for minutes on some of these: fail instead
pytestmark = pytest.mark.timeout(90)

TIMEOUT = 1.0  # each trickle step is shorter: only the whole-operation budget ends it
SLACK = 2.0  # the command must end within TIMEOUT + SLACK
MODEL = "openai/gpt-4.1"


@pytest.fixture
def standin(ca: trustme.CA, request: pytest.FixtureRequest) -> Iterator[GatewayStandIn]:
    with GatewayStandIn(ca, mode=request.param) as server:
        yield server


def env_for(gw: GatewayStandIn) -> dict[str, str]:
    return {
        "OPTSCALE_URL": gw.base_url,
        "OPTSCALE_API_KEY": gw.GOOD_KEY,
        "OPTSCALE_CA_BUNDLE": gw.ca_pem_path,
    }


def timed(cli: Cli, *args: str, **kwargs: object) -> tuple[Result, float]:
    started = time.monotonic()
    result = cli(*args, **kwargs)
    return result, time.monotonic() - started


def assert_clean(result: Result) -> None:
    assert "internal error" not in result.all, result.all
    assert "Traceback" not in result.all, result.all


def login(cli: Cli, gw: GatewayStandIn) -> tuple[Result, float]:
    return timed(
        cli,
        "login",
        "--timeout",
        str(TIMEOUT),
        "--url",
        gw.base_url,
        "--api-key-stdin",
        input=gw.GOOD_KEY + "\n",
        env={"OPTSCALE_CA_BUNDLE": gw.ca_pem_path},
    )


def doctor_checks(result: Result) -> dict[str, dict[str, object]]:
    doc = result.json()
    assert isinstance(doc, dict)
    return {c["id"]: c for c in doc["checks"]}


# --- one deadline per operation -------------------------------------------------------------


@pytest.mark.parametrize("standin", ["trickle", "stall", "trickle_headers"], indirect=True)
def test_login_ends_by_the_timeout(cli: Cli, standin: GatewayStandIn) -> None:
    result, elapsed = login(cli, standin)
    assert result.code == 4, result.all
    assert elapsed < TIMEOUT + SLACK
    assert f"did not finish answering within {TIMEOUT:g} s" in result.err
    assert "--timeout" in result.err  # the hint
    assert_clean(result)


@pytest.mark.parametrize("standin", ["trickle", "stall"], indirect=True)
def test_models_list_ends_by_the_timeout(cli: Cli, standin: GatewayStandIn) -> None:
    result, elapsed = timed(
        cli, "models", "list", "--refresh", "--timeout", str(TIMEOUT), env=env_for(standin)
    )
    assert result.code == 4, result.all
    assert elapsed < TIMEOUT + SLACK
    assert f"did not finish answering within {TIMEOUT:g} s" in result.err
    assert_clean(result)


@pytest.mark.parametrize("standin", ["trickle"], indirect=True)
def test_doctor_model_list_probe_ends_by_the_timeout(cli: Cli, standin: GatewayStandIn) -> None:
    result, elapsed = timed(
        cli, "doctor", "--json", "--timeout", str(TIMEOUT), "-m", MODEL, env=env_for(standin)
    )
    assert result.code == 1, result.all
    assert elapsed < TIMEOUT + SLACK
    auth = doctor_checks(result)["auth"]
    assert auth["status"] == "fail"
    assert f"did not finish answering within {TIMEOUT:g} s" in str(auth["message"])
    assert_clean(result)


@pytest.mark.parametrize("standin", ["sse_keepalive"], indirect=True)
def test_doctor_ends_on_an_endless_keepalive_stream(cli: Cli, standin: GatewayStandIn) -> None:
    result, elapsed = timed(
        cli, "doctor", "--json", "--timeout", str(TIMEOUT), "-m", MODEL, env=env_for(standin)
    )
    assert result.code == 1, result.all
    assert elapsed < TIMEOUT + SLACK
    found = doctor_checks(result)
    assert found["auth"]["status"] == "pass"
    stream = found[f"stream:{MODEL}"]
    assert stream["status"] == "fail"
    assert f"did not finish answering within {TIMEOUT:g} s" in str(stream["message"])
    assert_clean(result)


# --- bounded size ---------------------------------------------------------------------------


# The child reports its own peak, VmHWM: the peak of its own memory image. Neither
# RUSAGE_CHILDREN (the largest of every child this xdist worker waited for, real client binaries
# among them) nor the child's own ru_maxrss will do: Linux carries the parent's peak into a forked
# child's ru_maxrss across exec, so both read as this worker's size (283 MiB in CI).
_REPORT_OWN_PEAK = (
    "import atexit, sys; atexit.register(lambda: sys.stderr.write(''.join("
    "'own-peak-' + line for line in open('/proc/self/status') if line.startswith('VmHWM:')))); "
)


def _own_peak_kib(stderr: str) -> int:
    found = re.search(r"^own-peak-VmHWM:\s+(\d+) kB$", stderr, re.MULTILINE)
    assert found, stderr
    return int(found.group(1))


@pytest.mark.parametrize("standin", ["gzip_bomb"], indirect=True)
def test_gzip_bomb_is_refused_in_bounded_memory(standin: GatewayStandIn) -> None:
    """In a subprocess, so its peak memory can be measured on its own."""
    env = {**os.environ, "OPTSCALE_CA_BUNDLE": standin.ca_pem_path}
    started = time.monotonic()
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            _REPORT_OWN_PEAK + "from optscale_cli.main import main; main()",
            "login",
            "--timeout",
            "20",
            "--url",
            standin.base_url,
            "--api-key-stdin",
        ],
        input=standin.GOOD_KEY + "\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    elapsed = time.monotonic() - started
    peak_kib = _own_peak_kib(done.stderr)
    assert done.returncode == 4, done.stderr
    assert "larger than 32 MiB" in done.stderr
    assert "/v1/models" in done.stderr  # names the URL
    assert "internal error" not in done.stderr and "Traceback" not in done.stderr
    assert peak_kib <= 150 * 1024, f"peak RSS {peak_kib / 1024:.0f} MiB"
    assert elapsed < 22


# --- answers that are not a model list ------------------------------------------------------


@pytest.mark.parametrize("standin", ["not_json", "json_list", "deep_json"], indirect=True)
def test_login_refuses_an_answer_that_is_not_a_model_list(
    cli: Cli, standin: GatewayStandIn
) -> None:
    result, elapsed = login(cli, standin)
    assert result.code == 1, result.all
    assert elapsed < TIMEOUT + SLACK
    assert "listing models:" in result.err
    assert_clean(result)


@pytest.mark.parametrize("standin", ["not_json", "json_list", "deep_json"], indirect=True)
def test_models_list_refuses_an_answer_that_is_not_a_model_list(
    cli: Cli, standin: GatewayStandIn
) -> None:
    result, elapsed = timed(
        cli, "models", "list", "--refresh", "--timeout", str(TIMEOUT), env=env_for(standin)
    )
    assert result.code == 1, result.all
    assert elapsed < TIMEOUT + SLACK
    assert "listing models:" in result.err
    assert_clean(result)


@pytest.mark.parametrize("standin", ["not_json", "json_list", "deep_json"], indirect=True)
def test_doctor_reports_an_answer_that_is_not_a_model_list(
    cli: Cli, standin: GatewayStandIn
) -> None:
    result, elapsed = timed(
        cli, "doctor", "--json", "--timeout", str(TIMEOUT), "-m", MODEL, env=env_for(standin)
    )
    assert result.code == 1, result.all
    assert elapsed < TIMEOUT + SLACK
    found = doctor_checks(result)
    auth = found["auth"]
    assert auth["status"] == "fail"
    assert "GET /models" in str(auth["message"])
    assert "internal error" not in str(auth["message"])
    assert found[f"model:{MODEL}"]["status"] == "skip"
    assert_clean(result)


# --- redirects ------------------------------------------------------------------------------


@pytest.mark.parametrize("standin", ["bad_redirect"], indirect=True)
def test_redirect_with_a_control_character_is_a_refused_redirect(
    cli: Cli, standin: GatewayStandIn
) -> None:
    result, elapsed = login(cli, standin)
    assert result.code == 1, result.all
    assert elapsed < TIMEOUT + SLACK
    assert "redirected to https://evil.example/; refusing to follow" in result.err
    assert "\x01" not in result.all
    assert "cannot connect" not in result.err
    assert_clean(result)


# --- --timeout validation -------------------------------------------------------------------


@pytest.mark.parametrize("value", ["-1", "0", "nan", "inf", "-inf"])
def test_timeout_must_be_a_positive_finite_number(cli: Cli, value: str) -> None:
    result = cli("models", "list", f"--timeout={value}")
    assert result.code == 2, result.all
    assert "--timeout" in result.err
    assert_clean(result)


def test_timeout_validation_in_json_mode(cli: Cli) -> None:
    result = cli("doctor", "--json", "--timeout", "-1")
    assert result.code == 2, result.all
    doc = result.json()
    assert isinstance(doc, dict) and doc["error"]["kind"] == "usage"


# --- the reader itself, on an in-memory transport -------------------------------------------


class Chunks(httpx.SyncByteStream):
    """A response body that arrives in these pieces."""

    def __init__(self, parts: list[bytes]) -> None:
        self.parts = parts

    def __iter__(self) -> Iterator[bytes]:
        yield from self.parts

    def close(self) -> None:
        pass


def mock_client(handler):  # type: ignore[no-untyped-def]
    from optscale_cli.gateway import GatewayClient, _refuse_redirects
    from optscale_cli.urls import parse_gateway_url

    client = GatewayClient(parse_gateway_url("https://gw.example/llm_proxy/org/v1", None), "sk-x")
    client._http = httpx.Client(
        transport=httpx.MockTransport(handler), event_hooks={"response": [_refuse_redirects]}
    )
    return client


def test_error_bodies_are_capped() -> None:
    from optscale_cli.errors import ExitCode
    from optscale_cli.gateway import ResponseTooLarge

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500, stream=Chunks([b"x" * 65536] * 40))

    with mock_client(handler) as client, pytest.raises(ResponseTooLarge) as caught:
        client.request("GET", client.url("openai", "models"), what="GET /models")
    assert caught.value.exit_code == ExitCode.NETWORK
    assert "larger than 1 MiB" in caught.value.message
    assert "https://gw.example/llm_proxy/org/v1/models" in caught.value.message


@pytest.mark.parametrize("wbits", [31, 15, -15])  # gzip, zlib deflate, raw deflate
def test_compressed_answers_are_decoded_and_capped_after_decoding(wbits: int) -> None:
    import zlib

    from optscale_cli.gateway import ResponseTooLarge

    def packed(data: bytes) -> bytes:
        z = zlib.compressobj(6, zlib.DEFLATED, wbits)
        return z.compress(data) + z.flush()

    encoding = "gzip" if wbits == 31 else "deflate"
    small = b'{"data": [{"id": "a/b"}]}'
    for body, fits in ((small, True), (bytes(2 * 1024 * 1024), False)):

        def handler(request: httpx.Request, body: bytes = body) -> httpx.Response:
            data = packed(body)
            pieces = [data[i : i + 1000] for i in range(0, len(data), 1000)]
            return httpx.Response(
                200, headers={"Content-Encoding": encoding}, stream=Chunks(pieces)
            )

        with mock_client(handler) as client:
            if fits:
                answer = client.request("GET", client.url("openai", "x"), what="probe")
                assert answer.json() == {"data": [{"id": "a/b"}]}
            else:
                with pytest.raises(ResponseTooLarge):
                    client.request("GET", client.url("openai", "x"), what="probe")


def test_stream_lines_across_chunks() -> None:
    parts = [b'data: {"a"', b": 1}\r", b"\n\r\n: ping\n", b"\ndata: [DONE]\n\n", "é".encode()[:1]]

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=Chunks(parts))

    with (
        mock_client(handler) as client,
        client.stream("POST", client.url("openai", "x"), what="stream") as response,
    ):
        lines = list(response.iter_lines())
    assert lines == ['data: {"a": 1}', "", ": ping", "", "data: [DONE]", "", "\ufffd"]
