"""login / logout / status / profiles against the real HTTPS stand-in."""

from __future__ import annotations

from pathlib import Path

import pytest
import trustme

from optscale_cli.secrets import credentials_path
from tests.conftest import Cli, file_mode
from tests.gateway import GatewayStandIn


def _all_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def test_login_from_pasted_base_url(cli: Cli, trusted: GatewayStandIn, tmp_path: Path) -> None:
    result = cli(
        "login",
        "--url",
        trusted.base_url,
        "--api-key-stdin",
        "--json",
        input=trusted.GOOD_KEY + "\n",
    )
    assert result.code == 0, result.all
    doc = result.json()
    assert doc["base_url"] == trusted.base_url
    assert doc["org"] == trusted.ORG
    assert doc["models"] >= 5
    assert doc["key_storage"] == "file"
    assert trusted.GOOD_KEY not in result.all
    assert doc["api_key"].endswith(trusted.GOOD_KEY[-4:])
    # the key was checked with GET /models, as a bearer token
    checks = [r for r in trusted.requests if r.path.endswith("/v1/models")]
    assert checks and checks[-1].headers["authorization"] == f"Bearer {trusted.GOOD_KEY}"
    # every file holding the key is 0600, and the key is in no other file
    holders = [
        p
        for p in _all_files(tmp_path / "optscale-config")
        if trusted.GOOD_KEY in p.read_text(errors="ignore")
    ]
    assert holders == [credentials_path()]
    assert file_mode(credentials_path()) == 0o600


def test_login_from_origin_and_org(cli: Cli, trusted: GatewayStandIn) -> None:
    result = cli(
        "login",
        "--url",
        trusted.origin,
        "--org",
        trusted.ORG,
        "--api-key-stdin",
        "--profile",
        "work",
        input=trusted.GOOD_KEY,
    )
    assert result.code == 0, result.all
    status = cli("status", "--json")
    assert status.code == 0, status.all
    doc = status.json()
    assert doc["profile"] == "work"
    assert doc["base_url"] == trusted.base_url
    assert doc["reachable"] is True


def test_an_organization_id_ending_in_a_newline_is_refused(
    cli: Cli, trusted: GatewayStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It would be written into every client's base URL (and a .env line, a shell export):
    refused with a usage error, from --org and from OPTSCALE_ORG, and nothing is saved."""
    hostile = f"{trusted.ORG}\n"
    args = ("login", "--url", trusted.origin, "--api-key-stdin")
    result = cli(*args, "--org", hostile, input=trusted.GOOD_KEY)
    assert result.code == 2 and "invalid organization id" in result.err, result.all
    monkeypatch.setenv("OPTSCALE_ORG", hostile)
    result = cli(*args, input=trusted.GOOD_KEY)
    assert result.code == 2 and "invalid organization id" in result.err, result.all
    assert not (Path.cwd() / "optscale-config" / "config.toml").exists()
    assert trusted.requests == [] or all("\n" not in r.path for r in trusted.requests)


def test_login_origin_without_org_is_usage_error(cli: Cli, trusted: GatewayStandIn) -> None:
    result = cli("login", "--url", trusted.origin, "--api-key-stdin", input=trusted.GOOD_KEY)
    assert result.code == 2
    assert "--org" in result.err


def test_wrong_key_exit_3_and_nothing_saved(
    cli: Cli, trusted: GatewayStandIn, tmp_path: Path
) -> None:
    result = cli(
        "login", "--url", trusted.base_url, "--api-key-stdin", input="sk-wrong-key-000000000000"
    )
    assert result.code == 3, result.all
    assert "rejected" in result.err and "Invalid API key" in result.err
    assert "sk-wrong-key-000000000000" not in result.all
    assert not (tmp_path / "optscale-config" / "config.toml").exists()
    assert not credentials_path().exists()


def test_untrusted_certificate_exit_4_with_hint(cli: Cli, gateway: GatewayStandIn) -> None:
    result = cli("login", "--url", gateway.base_url, "--api-key-stdin", input=gateway.GOOD_KEY)
    assert result.code == 4, result.all
    assert "not trusted" in result.err
    assert "--ca-bundle" in result.err


def test_ca_bundle_flag_and_ssl_cert_file(cli: Cli, gateway: GatewayStandIn) -> None:
    by_flag = cli(
        "login",
        "--url",
        gateway.base_url,
        "--ca-bundle",
        gateway.ca_pem_path,
        "--api-key-stdin",
        input=gateway.GOOD_KEY,
    )
    assert by_flag.code == 0, by_flag.all
    # the bundle given at login is remembered by the profile
    assert cli("models", "list", "--json").code == 0
    by_env = cli(
        "login",
        "--url",
        gateway.base_url,
        "--api-key-stdin",
        "--profile",
        "b",
        input=gateway.GOOD_KEY,
        env={"SSL_CERT_FILE": gateway.ca_pem_path},
    )
    assert by_env.code == 0, by_env.all


def test_http_url_refused_without_request(cli: Cli, trusted: GatewayStandIn) -> None:
    before = len(trusted.requests)
    url = trusted.base_url.replace("https://", "http://")
    result = cli("login", "--url", url, "--api-key-stdin", input=trusted.GOOD_KEY)
    assert result.code == 2
    assert "http://" in result.err and "--allow-insecure-http" in result.err
    assert len(trusted.requests) == before


def test_insecure_http_allowed_with_loud_flag(cli: Cli, ca: trustme.CA) -> None:
    with GatewayStandIn(ca, tls=False) as plain:
        result = cli(
            "login",
            "--url",
            plain.base_url,
            "--allow-insecure-http",
            "--api-key-stdin",
            input=plain.GOOD_KEY,
        )
        assert result.code == 0, result.all
        assert "unencrypted" in result.err or "http" in result.err
        listed = cli("models", "list", "--json")
        assert listed.code == 0, listed.all


def test_key_never_from_argv(cli: Cli, trusted: GatewayStandIn) -> None:
    result = cli("login", "--url", trusted.base_url, "--api-key", trusted.GOOD_KEY)
    assert result.code == 2
    assert trusted.GOOD_KEY not in result.all


def test_no_key_and_no_tty_is_usage_error(cli: Cli, trusted: GatewayStandIn) -> None:
    result = cli("login", "--url", trusted.base_url)
    assert result.code == 2
    assert "--api-key-stdin" in result.err


def test_key_from_environment(cli: Cli, trusted: GatewayStandIn) -> None:
    result = cli("login", "--url", trusted.base_url, env={"OPTSCALE_API_KEY": trusted.GOOD_KEY})
    assert result.code == 0, result.all


def test_models_unavailable_still_logs_in(
    cli: Cli, ca: trustme.CA, gateway: GatewayStandIn
) -> None:
    with GatewayStandIn(ca, models_route=False) as no_list:
        result = cli(
            "login",
            "--url",
            no_list.base_url,
            "--api-key-stdin",
            "--json",
            input=no_list.GOOD_KEY,
            env={"OPTSCALE_CA_BUNDLE": gateway.ca_pem_path},
        )
        assert result.code == 0, result.all
        assert result.json()["models"] is None
        assert "does not publish a model list" in result.err


def test_profiles_list_use_remove_logout(cli: Cli, logged_in: GatewayStandIn) -> None:
    assert (
        cli(
            "login",
            "--url",
            logged_in.base_url,
            "--profile",
            "second",
            "--api-key-stdin",
            input=logged_in.LIMITED_KEY,
        ).code
        == 0
    )
    listed = cli("profiles", "list", "--json").json()
    assert {p["name"] for p in listed} == {"default", "second"}
    assert [p["name"] for p in listed if p["active"]] == ["second"]
    assert cli("profiles", "use", "default").code == 0
    assert cli("status", "--json", "--offline").json()["profile"] == "default"
    assert cli("profiles", "use", "nope").code == 2
    assert cli("profiles", "remove", "second").code == 0
    assert cli("logout").code == 0
    assert cli("status").code == 3
    assert logged_in.GOOD_KEY not in credentials_path().read_text()


def test_unknown_profile_is_error_not_default(cli: Cli, logged_in: GatewayStandIn) -> None:
    result = cli("models", "list", env={"OPTSCALE_PROFILE": "ghost"})
    assert result.code == 2
    assert "ghost" in result.err


def test_environment_acts_as_profile(cli: Cli, trusted: GatewayStandIn) -> None:
    env = {
        "OPTSCALE_URL": trusted.origin,
        "OPTSCALE_ORG": trusted.ORG,
        "OPTSCALE_API_KEY": trusted.LIMITED_KEY,
    }
    result = cli("models", "list", "--json", env=env)
    assert result.code == 0, result.all
    assert {m["provider"] for m in result.json()} == {"openai"}
    status = cli("status", "--json", env=env).json()
    assert status["source"] == "env"
    assert trusted.LIMITED_KEY not in str(status)


def test_env_key_overrides_saved_key_and_says_so(cli: Cli, logged_in: GatewayStandIn) -> None:
    result = cli(
        "models", "list", "--json", "--refresh", env={"OPTSCALE_API_KEY": logged_in.LIMITED_KEY}
    )
    assert result.code == 0
    assert "OPTSCALE_API_KEY overrides" in result.err
    assert {m["provider"] for m in result.json()} == {"openai"}


def test_key_is_bound_to_its_base_url(cli: Cli, logged_in: GatewayStandIn, tmp_path: Path) -> None:
    import tomlkit

    config = tmp_path / "optscale-config" / "config.toml"
    doc = tomlkit.parse(config.read_text())
    doc["profiles"]["default"]["origin"] = "https://elsewhere.example"  # type: ignore[index]
    config.write_text(tomlkit.dumps(doc))
    result = cli("models", "list")
    assert result.code == 3
    assert "no API key" in result.err


def test_auth_error_recognised_by_body_not_only_status(
    cli: Cli, ca: trustme.CA, gateway: GatewayStandIn
) -> None:
    with GatewayStandIn(ca, litellm_auth_errors=True) as litellm:
        result = cli(
            "login",
            "--url",
            litellm.base_url,
            "--api-key-stdin",
            input="sk-wrong-000000000000",
            env={"OPTSCALE_CA_BUNDLE": gateway.ca_pem_path},
        )
    assert result.code == 3, result.all
    assert "No connected db" in result.err


def test_https_proxy_is_honoured(cli: Cli, trusted: GatewayStandIn) -> None:
    env = {"HTTPS_PROXY": "http://127.0.0.1:9", "NO_PROXY": ""}  # nothing listens on port 9
    result = cli(
        "login",
        "--url",
        trusted.base_url,
        "--api-key-stdin",
        "--timeout",
        "2",
        input=trusted.GOOD_KEY,
        env=env,
    )
    assert result.code == 4, result.all
    bypass = cli(
        "login",
        "--url",
        trusted.base_url,
        "--api-key-stdin",
        input=trusted.GOOD_KEY,
        env={**env, "NO_PROXY": "127.0.0.1"},
    )
    assert bypass.code == 0, bypass.all


def test_a_404_at_an_unusual_path_saves_nothing(
    cli: Cli, trusted: GatewayStandIn, tmp_path: Path
) -> None:
    """A wrong path prefix answers 404 on /models and on chat: not the gateway's API."""
    wrong = trusted.base_url.replace("/llm_proxy/", "/portal/llm_proxy/")
    result = cli("login", "--url", wrong, "--api-key-stdin", "--json", input=trusted.GOOD_KEY)
    assert result.code == 1, result.all
    error = result.json()["error"]
    assert "answered 404" in error["message"] and "nothing was saved" in error["message"]
    assert "Unknown organization or route" in error["message"]  # what was found there
    assert not (tmp_path / "optscale-config" / "config.toml").exists()
    assert trusted.GOOD_KEY not in result.all


def test_a_host_with_a_trailing_dot_is_normalised(cli: Cli, trusted: GatewayStandIn) -> None:
    """`gw.example.` is the same host as `gw.example`; TLS checks the name without the dot."""
    dotted = trusted.base_url.replace("127.0.0.1", "localhost.")
    result = cli("login", "--url", dotted, "--api-key-stdin", "--json", input=trusted.GOOD_KEY)
    assert result.code == 0, result.all
    assert result.json()["base_url"] == trusted.base_url.replace("127.0.0.1", "localhost")
