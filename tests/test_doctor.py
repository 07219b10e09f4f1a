"""doctor against the real HTTPS stand-in: each failure is found, named, and exits 1."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import select
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from tests.conftest import Cli
from tests.gateway import GatewayStandIn


def checks(result) -> dict[str, dict]:  # type: ignore[no-untyped-def,type-arg]
    return {c["id"]: c for c in result.json()["checks"]}


def env_profile(gw: GatewayStandIn, key: str | None = None) -> dict[str, str]:
    return {
        "OPTSCALE_URL": gw.base_url,
        "OPTSCALE_API_KEY": key or gw.GOOD_KEY,
        "OPTSCALE_CA_BUNDLE": gw.ca_pem_path,
    }


def test_healthy_run(cli: Cli, logged_in: GatewayStandIn) -> None:
    result = cli("doctor", "--model", "openai/gpt-4.1", "--json")
    assert result.code == 0, result.all
    found = checks(result)
    assert result.json()["ok"] is True
    for cid in (
        "profile",
        "dns",
        "tcp",
        "tls",
        "auth",
        "model:openai/gpt-4.1",
        "tools:openai/gpt-4.1",
        "stream:openai/gpt-4.1",
        "clock",
    ):
        assert found[cid]["status"] == "pass", found[cid]
    human = cli("doctor", "--model", "openai/gpt-4.1")
    assert "All checks passed" in human.out


def test_model_without_tool_calling(cli: Cli, logged_in: GatewayStandIn) -> None:
    result = cli("doctor", "--model", "ollama/deepseek-r1:70b", "--json")
    assert result.code == 1
    tools = checks(result)["tools:ollama/deepseek-r1:70b"]
    assert tools["status"] == "fail"
    assert "does not support tool calling" in tools["message"]


def test_model_denied_by_policy(cli: Cli, logged_in: GatewayStandIn) -> None:
    result = cli("doctor", "--model", logged_in.DENIED_MODEL, "--json")
    assert result.code == 1
    found = checks(result)
    assert found[f"model:{logged_in.DENIED_MODEL}"]["status"] == "fail"
    assert "not allowed by policy" in found[f"tools:{logged_in.DENIED_MODEL}"]["message"]


def test_bad_key(cli: Cli, gateway: GatewayStandIn) -> None:
    result = cli("doctor", "--json", env=env_profile(gateway, "sk-nobody-000000000000"))
    assert result.code == 1
    auth = checks(result)["auth"]
    assert auth["status"] == "fail" and "key rejected" in auth["message"]


def test_untrusted_ca(cli: Cli, gateway: GatewayStandIn) -> None:
    env = env_profile(gateway)
    del env["OPTSCALE_CA_BUNDLE"]
    result = cli("doctor", "--json", env=env)
    assert result.code == 1
    tls = checks(result)["tls"]
    assert tls["status"] == "fail"
    assert "not trusted" in tls["message"]
    assert "trustme" in tls["message"]  # the issuer is named
    assert "system store: not trusted" in tls["message"]
    assert "NODE_EXTRA_CA_CERTS" in tls["hint"] and "SSL_CERT_FILE" in tls["hint"]
    auth = checks(result)["auth"]  # dependent checks are skipped, not failed again
    assert auth["status"] == "skip" and "TLS" in auth["message"]


def test_expired_certificate(cli: Cli, ca: trustme.CA) -> None:
    past = dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
    with GatewayStandIn(ca, cert_not_after=past) as expired:
        result = cli("doctor", "--json", env=env_profile(expired))
    assert result.code == 1
    tls = checks(result)["tls"]
    assert tls["status"] == "fail" and "expired" in tls["message"]


def test_certificate_expiring_soon_warns(cli: Cli, ca: trustme.CA) -> None:
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(days=5)
    with GatewayStandIn(ca, cert_not_after=soon) as gw:
        result = cli("doctor", "--json", "--model", "openai/gpt-4.1", env=env_profile(gw))
    assert result.code == 0, result.all
    tls = checks(result)["tls"]
    assert tls["status"] == "warn" and "expires in" in tls["message"]


def test_certificate_for_wrong_host(cli: Cli, ca: trustme.CA) -> None:
    with GatewayStandIn(ca, cert_hosts=("wrong.example",)) as gw:
        result = cli("doctor", "--json", env=env_profile(gw))
    assert result.code == 1
    tls = checks(result)["tls"]
    assert tls["status"] == "fail" and "not valid for" in tls["message"]


def test_hanging_gateway_ends_within_timeout(cli: Cli, ca: trustme.CA) -> None:
    with GatewayStandIn(ca, hang=True) as dead:
        started = time.monotonic()
        result = cli("doctor", "--json", "--timeout", "1", env=env_profile(dead))
        elapsed = time.monotonic() - started
    assert result.code == 1
    assert elapsed < 8
    found = checks(result)
    assert found["tcp"]["status"] == "pass"
    assert found["tls"]["status"] == "fail" and "timed out" in found["tls"]["message"]
    assert found["auth"]["status"] == "skip"


def test_drift_in_connected_client(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path
) -> None:
    assert cli("connect", "opencode", "-m", "openai/gpt-4.1", "--yes").code == 0
    healthy = cli("doctor", "--json")
    assert healthy.code == 0, healthy.all
    assert checks(healthy)["client:opencode"]["status"] == "pass"
    assert checks(healthy)["tools:openai/gpt-4.1"]["status"] == "pass"  # from the connection
    path = isolated_home / ".config/opencode/opencode.json"
    path.write_text(path.read_text().replace(logged_in.base_url, "https://elsewhere/v1"))
    result = cli("doctor", "--json", "--offline")
    assert result.code == 1
    client = checks(result)["client:opencode"]
    assert client["status"] == "fail" and "baseURL" in client["message"]
    assert "dns" not in checks(result)  # --offline: no network


def test_claude_code_surface_and_key_file_mode(cli: Cli, logged_in: GatewayStandIn) -> None:
    assert cli("connect", "claude-code", "-m", "anthropic/claude-sonnet-4-0", "--yes").code == 0
    result = cli("doctor", "--client", "claude-code", "--json")
    assert result.code == 0, result.all
    assert checks(result)["anthropic"]["status"] == "pass"
    assert any(
        r.path.startswith(f"/llm_proxy/{logged_in.ORG}/anthropic/v1/messages")
        for r in logged_in.requests
    )


def test_plaintext_key_readable_by_others_fails(
    cli: Cli, logged_in: GatewayStandIn, isolated_home: Path
) -> None:
    assert (
        cli(
            "connect",
            "claude-code",
            "-m",
            "anthropic/claude-sonnet-4-0",
            "--plaintext-key",
            "--yes",
        ).code
        == 0
    )
    (isolated_home / ".claude/settings.json").chmod(0o644)
    result = cli("doctor", "--offline", "--json")
    assert result.code == 1
    assert "readable by others" in checks(result)["client:claude-code"]["message"]


@pytest.mark.parametrize("host", ["127.0.0.1", "10.1.2.3", "localhost", "192.168.0.9"])
def test_private_hosts(host: str) -> None:
    from optscale_cli.clients.cursor import unreachable_from_internet as is_private_host

    assert is_private_host(host)
    assert not is_private_host("8.8.8.8") and not is_private_host("ai.example.com")


def test_codex_responses_surface(cli: Cli, logged_in: GatewayStandIn) -> None:
    assert cli("connect", "codex", "-m", "openai/gpt-4.1", "--yes").code == 0
    result = cli("doctor", "--client", "codex", "--json")
    assert result.code == 0, result.all
    assert checks(result)["responses"]["status"] == "pass"


# --- through an HTTPS proxy, plain HTTP on the TLS port, a gateway that trickles -----------


@contextlib.contextmanager
def connect_proxy(
    answer: bytes = b"HTTP/1.1 200 Connection established\r\n\r\n",
) -> Iterator[list[str]]:
    """A minimal CONNECT proxy on 127.0.0.1; yields the request lines it saw (port in [0])."""
    listener = socket.create_server(("127.0.0.1", 0))
    seen: list[str] = [str(listener.getsockname()[1])]

    def pipe(client: socket.socket) -> None:
        with client, contextlib.suppress(OSError):
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = client.recv(4096)
                if not chunk:
                    return
                head += chunk
            line = head.split(b"\r\n", 1)[0].decode()
            seen.append(line)
            client.sendall(answer)
            if b" 200 " not in answer:
                return
            host, port = line.split()[1].rsplit(":", 1)
            with socket.create_connection((host, int(port))) as upstream:
                while True:
                    ready, _, _ = select.select([client, upstream], [], [], 5)
                    if not ready:
                        return
                    for sock in ready:
                        data = sock.recv(65536)
                        if not data:
                            return
                        (upstream if sock is client else client).sendall(data)

    def serve() -> None:
        with contextlib.suppress(OSError):
            while True:
                conn, _ = listener.accept()
                threading.Thread(target=pipe, args=(conn,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield seen
    finally:
        listener.close()


def test_through_a_connect_proxy(cli: Cli, logged_in: GatewayStandIn) -> None:
    with connect_proxy() as seen:
        env = {"HTTPS_PROXY": f"http://user:s3cret@127.0.0.1:{seen[0]}", "NO_PROXY": ""}
        result = cli("doctor", "--model", "openai/gpt-4.1", "--json", env=env)
    assert result.code == 0, result.all
    found = checks(result)
    assert "through the proxy http://127.0.0.1:" in found["tcp"]["message"]
    assert found["tls"]["status"] == "pass"
    assert "s3cret" not in result.out  # the proxy's password is never shown
    assert f"CONNECT 127.0.0.1:{logged_in.port} HTTP/1.1" in seen


def test_proxy_refusing_the_gateway(cli: Cli, logged_in: GatewayStandIn) -> None:
    with connect_proxy(b"HTTP/1.1 407 Proxy Authentication Required\r\n\r\n") as seen:
        env = {"HTTPS_PROXY": f"127.0.0.1:{seen[0]}", "NO_PROXY": ""}
        result = cli("doctor", "--model", "openai/gpt-4.1", "--json", env=env)
    assert result.code == 1
    tcp = checks(result)["tcp"]
    assert tcp["status"] == "fail" and "407" in tcp["message"]
    assert "USER:PASSWORD" in tcp["hint"]
    assert checks(result)["tools:openai/gpt-4.1"]["status"] == "skip"


def test_plain_http_on_the_tls_port(cli: Cli, ca: trustme.CA) -> None:
    with GatewayStandIn(ca, tls=False) as plain:
        env = env_profile(plain)
        env["OPTSCALE_URL"] = plain.base_url.replace("http://", "https://")
        result = cli("doctor", "--json", env=env)
    assert result.code == 1
    tls = checks(result)["tls"]
    assert tls["status"] == "fail" and "does not speak TLS" in tls["message"]


@contextlib.contextmanager
def trickling_gateway(ca: trustme.CA) -> Iterator[int]:
    """TLS, then a 200 whose body never ends: one byte every 0.2 s (no read timeout fires)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def drip(conn: socket.socket) -> None:
        with contextlib.suppress(OSError), context.wrap_socket(conn, server_side=True) as tls:
            tls.recv(65536)
            tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n")
            while not stop.wait(0.2):
                tls.sendall(b":\n")

    def serve() -> None:
        with contextlib.suppress(OSError):
            while True:
                conn, _ = listener.accept()
                threading.Thread(target=drip, args=(conn,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        listener.close()


def test_trickling_gateway_ends_by_the_deadline(cli: Cli, ca: trustme.CA) -> None:
    with trickling_gateway(ca) as port, GatewayStandIn(ca) as real:
        env = env_profile(real)
        env["OPTSCALE_URL"] = f"https://127.0.0.1:{port}/llm_proxy/{real.ORG}/v1"
        started = time.monotonic()
        result = cli("doctor", "--json", "--timeout", "0.5", "-m", "openai/gpt-4.1", env=env)
        elapsed = time.monotonic() - started
    assert result.code == 1
    assert elapsed < 5  # each probe is capped at --timeout, the network phase at 2x + 1 s
    found = checks(result)
    assert found["tls"]["status"] == "pass"
    auth = found["auth"]
    assert auth["status"] == "fail" and "did not finish answering within 0.5 s" in auth["message"]


# --- local checks ---------------------------------------------------------------------------


def test_shell_credentials_shadow_claude_code_helper(cli: Cli, logged_in: GatewayStandIn) -> None:
    assert cli("connect", "claude-code", "-m", "anthropic/claude-sonnet-4-0", "--yes").code == 0
    result = cli("doctor", "--offline", "--json", env={"ANTHROPIC_API_KEY": "sk-ant-old"})
    assert result.code == 1
    check = checks(result)["client:claude-code"]
    assert check["status"] == "fail" and "ANTHROPIC_API_KEY is set" in check["message"]
    assert "sk-ant-old" not in result.out


def test_credentials_file_readable_by_others(cli: Cli, logged_in: GatewayStandIn) -> None:
    from optscale_cli.secrets import credentials_path

    path = credentials_path()
    assert path.exists()  # no keyring in tests: the key lives in a 0600 file
    path.chmod(0o644)
    result = cli("doctor", "--offline", "--json")
    assert result.code == 1
    profile = checks(result)["profile"]
    assert profile["status"] == "fail" and "chmod 600" in profile["hint"]


def test_client_version_line(cli: Cli, tmp_path: Path) -> None:
    folder = tmp_path / "bin"
    folder.mkdir()
    fake = folder / "opencode"
    fake.write_text("#!/bin/sh\necho 9.8.7\n")
    fake.chmod(0o755)
    path = f"{folder}{os.pathsep}{os.environ['PATH']}"
    result = cli("doctor", "--client", "opencode", "--offline", "--json", env={"PATH": path})
    found = checks(result)
    assert found["client:opencode:version"] == {
        "id": "client:opencode:version",
        "status": "info",
        "message": "opencode 9.8.7",
        "hint": None,
    }
    assert found["client:opencode"]["status"] == "warn"  # asked for, not connected
