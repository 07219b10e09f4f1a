"""Bounded: whatever the arguments and whatever the gateway answers, no internal errors.

Hypothesis drives the CLI in-process with generated arguments (URLs, timeouts, profile names,
model ids, shells, client names, stray flags) and against a stand-in gateway whose answers
are generated too (status, body, content type, Location). For every example:

- the exit code is one of the documented 0–4;
- nothing prints a traceback or an "internal error";
- under ``--json``, stdout is exactly one JSON document.

Each example runs in a fresh HOME and config dir. The regression tests at the end pin each
bug these properties found, so they stay fixed if hypothesis stops generating the case.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import tempfile
from collections.abc import Iterator

import pytest
import trustme
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Cli, Result
from tests.gateway import GatewayStandIn, Programmed

# modest by default (the file runs in about half a minute on 2 cores); raise it to explore:
# OPTSCALE_PROPERTY_EXAMPLES=500 python -m pytest tests/test_cli_properties.py
EXAMPLES = int(os.environ.get("OPTSCALE_PROPERTY_EXAMPLES", "0")) or None
pytestmark = pytest.mark.timeout(120 + 2 * (EXAMPLES or 0))
SETTINGS = settings(
    max_examples=EXAMPLES or 50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
CLIENTS = [
    "opencode",
    "claude-code",
    "claude-desktop",
    "cursor",
    "codex",
    "continue",
    "zed",
    "aider",
    "goose",
    "openai",
    "anthropic",
]

# --- the generators -------------------------------------------------------------------------

text = st.text(max_size=30)
garbage = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40)

schemes = st.sampled_from(["https", "http", "ftp", "file", "HTTPS", "javascript", "", "h ttp"])
hosts = st.one_of(
    st.sampled_from(
        ["127.0.0.1", "localhost", "ai.example.com", "[::1]", "[::1", "ex ample", "xn--", "."]
    ),
    st.sampled_from(["bücher.example", "例え.テスト", "a" * 300, "host\x00x", "h\nost", "-"]),
    garbage,
)
ports = st.sampled_from(["", ":0", ":99999", ":abc", ":-1", ":443", ":", ":65535"])
paths = st.one_of(
    st.sampled_from(
        ["", "/", "/v1", "/llm_proxy/org-1/v1", "/llm_proxy//v1", "/llm_proxy/../v1", "/%zz"]
    ),
    garbage.map(lambda s: "/" + s),
)
queries = st.sampled_from(["", "?", "?a=b", "?x=%00", "#frag", "?q=\u202e"])
userinfo = st.sampled_from(["", "user@", "user:pass@", "@", ":@", "a b@"])
urls = st.one_of(
    st.builds(
        lambda s, u, h, p, path, q: f"{s}://{u}{h}{p}{path}{q}",
        schemes,
        userinfo,
        hosts,
        ports,
        paths,
        queries,
    ),
    garbage,
)
timeouts = st.one_of(
    st.sampled_from(["-1", "0", "nan", "inf", "-inf", "1e309", "1e-9", "abc", "", "2", " 3 "]),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)
profile_names = st.one_of(
    st.sampled_from(["default", "work", "../x", "", ".", "..", "a/b", "a\\b", "x" * 100, "é"]),
    garbage,
)
model_ids = st.one_of(
    st.sampled_from(
        [
            "openai/gpt-4.1",
            "anthropic/claude-sonnet-4-0",
            "openai/{file:~/.ssh/id_rsa}",
            "openai/${{ secrets.X }}",
            "openai/{env:HOME}",
            "a\nb",
            "a\x1b[2Jb",
            "",
            "/",
            "x" * 5000,
            "openai/gpt-4.1\x00",
        ]
    ),
    garbage,
)
shells = st.one_of(
    st.sampled_from(["bash", "zsh", "fish", "powershell", "dotenv", "cmd", "", "BASH", "sh"]),
    text,
)
clients = st.one_of(st.sampled_from(CLIENTS), text)
extra_flags = st.lists(
    st.sampled_from(
        ["--json", "--no-color", "-v", "--bogus", "--yes", "-x", "--", "--profile", "--timeout"]
    ),
    max_size=2,
)


@st.composite
def commands(draw: st.DrawFn) -> tuple[list[str], str]:
    """One command line (without global flags) and what it reads on stdin."""
    kind = draw(
        st.sampled_from(
            [
                "login",
                "status",
                "models list",
                "models show",
                "providers list",
                "connect",
                "disconnect",
                "clients",
                "doctor",
                "env",
                "profiles use",
                "profiles remove",
                "connection show",
                "token",
                "token --for-url",
            ]
        )
    )
    stdin = ""
    if kind == "login":
        args = ["login", "--url", draw(urls), "--api-key-stdin"]
        if draw(st.booleans()):
            args += ["--org", draw(st.one_of(st.just("org-1234"), text))]
        stdin = draw(st.one_of(garbage, st.just(GatewayStandIn.GOOD_KEY + "\n")))
    elif kind == "token --for-url":
        args = ["token", "--for-url", draw(urls)]
    elif kind == "models show":
        args = ["models", "show", draw(model_ids)]
    elif kind == "connect":
        args = ["connect", draw(clients), "--model", draw(model_ids), "--dry-run"]
    elif kind == "disconnect":
        args = ["disconnect", draw(clients), "--dry-run"]
    elif kind == "doctor":
        args = ["doctor", "--offline"]
        if draw(st.booleans()):
            args += ["--client", draw(clients)]
    elif kind == "env":
        args = ["env", "--shell", draw(shells)]
    elif kind in ("profiles use", "profiles remove"):
        args = [*kind.split(), draw(profile_names)]
    elif kind == "connection show":
        args = ["connection", "show", "--client", draw(clients), "--model", draw(model_ids)]
    else:
        args = kind.split()
    return args, stdin


# --- the checks -----------------------------------------------------------------------------


def json_mode(args: list[str]) -> bool:
    """--json as a flag: not after "--", not the value of --profile/--timeout/--ca-bundle."""
    i = 0
    while i < len(args) and args[i] != "--":
        if args[i] == "--json":
            return True
        i += 2 if args[i] in ("--profile", "--timeout", "--ca-bundle") else 1
    return False


def _not_json(name: str) -> None:
    raise ValueError(f"{name} is not JSON")  # Python's json would accept NaN and Infinity


def assert_bounded(result: Result, args: list[str]) -> None:
    assert result.code in (0, 1, 2, 3, 4), (args, result)
    if "-v" not in args and "--verbose" not in args:  # -v: "more detail; tracebacks"
        assert "Traceback (most recent call last)" not in result.all, (args, result)
    assert "internal error" not in result.all, (args, result)
    if json_mode(args):
        try:
            json.loads(result.out, parse_constant=_not_json)
        except ValueError as exc:
            raise AssertionError(f"--json stdout is not one JSON document: {exc}") from exc


@contextlib.contextmanager
def fresh(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Per example: its own HOME, config dir and working dir (the fixtures are per test)."""
    with tempfile.TemporaryDirectory() as tmp, monkeypatch.context() as mp:
        home = os.path.join(tmp, "home")
        os.mkdir(home)
        mp.setenv("HOME", home)
        mp.setenv("USERPROFILE", home)
        mp.setenv("OPTSCALE_CONFIG_DIR", os.path.join(tmp, "optscale-config"))
        mp.chdir(tmp)
        mp.setattr(socket, "getaddrinfo", _local_only)
        yield tmp


_getaddrinfo = socket.getaddrinfo


def _local_only(host: object, *args: object, **kwargs: object) -> object:
    """No DNS: generated host names fail at once, as an unknown name would (no 30 s waits)."""
    if host not in ("127.0.0.1", "localhost", "::1", b"127.0.0.1", b"localhost"):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    return _getaddrinfo(host, *args, **kwargs)  # type: ignore[arg-type]


# --- generated arguments ----------------------------------------------------------------------


@SETTINGS
@given(
    command=commands(),
    state=st.sampled_from(["none", "login", "env"]),
    json_mode=st.booleans(),
    timeout=st.one_of(st.none(), timeouts),
    profile=st.one_of(st.none(), profile_names),
    extra=extra_flags,
)
def test_generated_arguments_never_fail_internally(
    cli: Cli,
    trusted: GatewayStandIn,
    monkeypatch: pytest.MonkeyPatch,
    command: tuple[list[str], str],
    state: str,
    json_mode: bool,
    timeout: str | None,
    profile: str | None,
    extra: list[str],
) -> None:
    args, stdin = command
    with fresh(monkeypatch):
        env: dict[str, str] = {}
        if state == "login":
            login = cli(
                "login", "--url", trusted.base_url, "--api-key-stdin", input=trusted.GOOD_KEY
            )
            assert login.code == 0, login.all
        elif state == "env":
            env = {"OPTSCALE_URL": trusted.base_url, "OPTSCALE_API_KEY": trusted.GOOD_KEY}
        line = list(args)
        if json_mode:
            line.append("--json")
        if timeout is not None:
            line += [f"--timeout={timeout}"]
        if profile is not None:
            line += ["--profile", profile]
        line += extra
        result = cli(*line, input=stdin, env=env)
        assert_bounded(result, line)


# --- generated gateway answers ------------------------------------------------------------------

STATUSES = [200, 301, 400, 401, 403, 404, 405, 429, 500, 502]
locations = st.one_of(
    st.none(),
    st.sampled_from(
        ["", "/", "http://evil.example/", "https://evil\x01.example/", "//x", "\x7f", "::::"]
    ),
    st.text(st.characters(max_codepoint=255, exclude_characters="\r\n"), max_size=30),
)
content_types = st.sampled_from(
    [None, "application/json", "text/html", "text/plain", "application/json; charset=latin-1", ""]
)
json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=10)
)
odd_ids = st.one_of(
    json_scalars,
    st.sampled_from(["", "a" * 100_000, "openai/a\x00b", "x\x1b[2J", "a\nb", "{file:/etc/x}"]),
    st.lists(st.text(max_size=3), max_size=2),
)
entries = st.one_of(
    json_scalars,
    st.fixed_dictionaries(
        {},
        optional={
            "id": odd_ids,
            "owned_by": st.one_of(json_scalars, st.lists(json_scalars, max_size=2)),
            "object": json_scalars,
            "capabilities": st.one_of(
                json_scalars, st.dictionaries(st.text(max_size=12), json_scalars, max_size=3)
            ),
            "context_window": json_scalars,
            "created": json_scalars,
        },
    ),
)


def _deep(n: int) -> bytes:
    return b'{"data":' + b"[" * n + b"]" * n + b"}"


bodies = st.one_of(
    st.sampled_from(
        [
            b"",
            b"<html><body>Sign in</body></html>",
            b"not json",
            b"\xff\xfe\x00",
            b"[]",
            b"null",
            b'"data"',
            b"{}",
            b'{"data": null}',
            b'{"data": {}}',
            b'{"data": "x"}',
            b'{"error": "x"}',
            b'{"error": {"message": 5}}',
            b'{"error": {"message": "Invalid API key"}}',
            b'{"type": "error", "error": {"type": "x", "message": ["a"]}}',
            _deep(3000),
            b"[" * 5000,
            b'{"data": [' + b'{"a":' * 3000 + b"1" + b"}" * 3000 + b"]}",
            b'{"data": [{"id": "openai/x", "c": ' + b"[" * 900 + b"]" * 900 + b"}]}",
            b'{"data": [{"id": "openai/\\ud800", "owned_by": "\\udfff"}]}',
            b'{"data": [{"id": "openai/x", "n": NaN, "m": -Infinity, "k": 1e999}]}',
        ]
    ),
    st.builds(lambda d: json.dumps({"object": "list", "data": d}).encode(), st.lists(entries)),
    st.builds(lambda d: json.dumps(d).encode(), st.lists(entries, max_size=3)),
    st.binary(max_size=50),
)
answers = st.builds(
    Programmed,
    status=st.sampled_from(STATUSES),
    body=bodies,
    content_type=content_types,
    location=locations,
)


@pytest.fixture(scope="module")
def programmable(ca: trustme.CA) -> Iterator[GatewayStandIn]:
    with GatewayStandIn(ca, mode="programmable") as server:
        yield server


@settings(SETTINGS, max_examples=EXAMPLES or 40)
@given(
    models=st.one_of(answers, st.none()),  # None: the normal list, so doctor's probes run
    post=st.one_of(st.none(), answers),
    json_mode=st.booleans(),
    logged_in=st.booleans(),
)
def test_generated_gateway_answers_never_fail_internally(
    cli: Cli,
    programmable: GatewayStandIn,
    monkeypatch: pytest.MonkeyPatch,
    models: Programmed | None,
    post: Programmed | None,
    json_mode: bool,
    logged_in: bool,
) -> None:
    gw = programmable
    flags = ["--json"] if json_mode else []
    with fresh(monkeypatch):
        env = {"OPTSCALE_CA_BUNDLE": gw.ca_pem_path}
        if logged_in:  # a saved profile from a normal answer, then the generated ones
            gw.program(None, None)
            login = cli(
                "login", "--url", gw.base_url, "--api-key-stdin", input=gw.GOOD_KEY, env=env
            )
            assert login.code == 0, login.all
        gw.program(models, post)
        if not logged_in:
            line = ["login", "--url", gw.base_url, "--api-key-stdin", *flags]
            assert_bounded(cli(*line, input=gw.GOOD_KEY, env=env), line)
            env = {**env, "OPTSCALE_URL": gw.base_url, "OPTSCALE_API_KEY": gw.GOOD_KEY}
        for line in (
            ["models", "list", "--refresh", *flags],
            ["status", *flags],
            ["doctor", "--timeout", "2", "-m", "openai/gpt-4.1", *flags],
        ):
            assert_bounded(cli(*line, env=env), line)


# --- regressions: each bug the properties found -------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        ["status", "--json", "--bogus"],  # an unknown option after the command
        ["--timeout", "abc", "status", "--json"],  # a bad value for a global option
        ["frobnicate", "--json"],  # an unknown command
        ["--json"],  # no command at all
    ],
)
def test_click_usage_errors_are_one_json_document_under_json(cli: Cli, line: list[str]) -> None:
    """Found: click's usage errors (exit 2) printed only to stderr, stdout empty, --json
    notwithstanding. Now they are also {"ok": false, "error": {"kind": "usage", …}}."""
    result = cli(*line)
    assert result.code == 2, result.all
    doc = result.json()
    assert doc["ok"] is False and doc["error"]["kind"] == "usage", doc
    assert doc["error"]["exit_code"] == 2
    assert "Usage:" in result.err  # click's own text still goes to stderr


def test_click_usage_errors_without_json_are_unchanged(cli: Cli) -> None:
    result = cli("status", "--bogus")
    assert result.code == 2 and result.out == ""
    assert "No such option: --bogus" in result.err


@pytest.mark.parametrize("url", ["https://[::1/llm_proxy/org-1/v1", "https://[x]/llm_proxy/o/v1"])
def test_login_with_an_unclosed_ipv6_bracket_is_a_usage_error(cli: Cli, url: str) -> None:
    """Found: urlsplit's ValueError ("Invalid IPv6 URL") escaped as an internal error."""
    result = cli("login", "--url", url, "--api-key-stdin", "--json", input="sk-test-x-12345678")
    assert result.code == 2, result.all
    assert result.json()["error"]["kind"] == "usage"
    assert "invalid URL" in result.err and "internal error" not in result.all


def test_login_with_port_0_is_a_usage_error(cli: Cli, gateway: GatewayStandIn) -> None:
    """Found: port 0 was dropped from the origin, so the key went to the default port 443."""
    url = "https://127.0.0.1:0/llm_proxy/org-1/v1"
    result = cli("login", "--url", url, "--api-key-stdin", input="sk-test-x-12345678")
    assert result.code == 2, result.all
    assert "invalid port" in result.err


def _serve_models(cli: Cli, gw: GatewayStandIn, body: bytes, *line: str) -> Result:
    gw.program(Programmed(200, body), None)
    env = {
        "OPTSCALE_CA_BUNDLE": gw.ca_pem_path,
        "OPTSCALE_URL": gw.base_url,
        "OPTSCALE_API_KEY": gw.GOOD_KEY,
    }
    try:
        return cli(*line, env=env)
    finally:
        gw.program(None, None)


@pytest.mark.parametrize("json_mode", [False, True])
@pytest.mark.parametrize(
    "line",
    [["models", "show", "openai/x"], ["doctor", "--timeout", "2", "-m", "openai/\\ud800"]],
)
def test_lone_surrogates_from_the_gateway_are_printable(
    cli: Cli, programmable: GatewayStandIn, json_mode: bool, line: list[str]
) -> None:
    """Found: a model list with JSON escapes of lone surrogates (``"\\ud800"``) parsed into
    strings no UTF-8 output can encode: `models show` and `doctor` ended in an internal
    UnicodeEncodeError. They become U+FFFD when the answer is parsed."""
    body = b'{"data": [{"id": "openai/x", "\\ud800": "\\udc00x"}, {"id": "openai/\\ud800"}]}'
    flags = ["--json"] if json_mode else []
    result = _serve_models(cli, programmable, body, *line, *flags)
    assert_bounded(result, [*line, *flags])


@pytest.mark.parametrize("depth", [150, 900])
def test_deeply_nested_model_fields_are_a_gateway_error(
    cli: Cli, programmable: GatewayStandIn, depth: int
) -> None:
    """Found: a model entry nested ~900 levels deep parsed, but printing it (`models show
    --json`) and caching it recursed past Python's limit: internal RecursionError. Gateway
    JSON nested more than 100 levels is now refused like any other unusable answer."""
    body = b'{"data": [{"id": "openai/x", "capabilities": '
    body += b'{"a":' * depth + b"1" + b"}" * depth + b"}]}"
    line = ["models", "show", "openai/x", "--json"]
    result = _serve_models(cli, programmable, body, *line)
    assert_bounded(result, line)
    assert result.code == 1, result.all
    assert "did not answer with JSON" in result.err


@pytest.mark.parametrize("number", [b"NaN", b"Infinity", b"-Infinity", b"1e999"])
def test_non_finite_numbers_from_the_gateway_stay_valid_json(
    cli: Cli, programmable: GatewayStandIn, number: bytes
) -> None:
    """Found: NaN / Infinity / 1e999 in a model entry were echoed by `models show --json` as
    the bare tokens NaN and Infinity, which are not JSON. They become null."""
    body = b'{"data": [{"id": "openai/x", "context_window": ' + number + b"}]}"
    line = ["models", "show", "openai/x", "--json"]
    result = _serve_models(cli, programmable, body, *line)
    assert_bounded(result, line)
    assert result.code == 0, result.all
    assert "context_window" not in result.out or '"context_window": null' in result.out


def test_json_as_the_value_of_profile_is_not_json_mode(cli: Cli) -> None:
    """`--profile --json` names a profile "--json"; a usage error then is plain text."""
    result = cli("--profile", "--json", "status", "--bogus")
    assert result.code == 2, result.all
    assert result.out == ""


@pytest.mark.parametrize("value", ["9223372037.0", "1e300", "86401"])
def test_a_huge_timeout_is_a_usage_error(cli: Cli, logged_in: GatewayStandIn, value: str) -> None:
    """Found: --timeout 9223372037 passed validation, then overflowed time_t in the deadline's
    timer thread and socket timeouts: internal OverflowError. At most a day is accepted."""
    result = cli("status", f"--timeout={value}", "--json")
    assert result.code == 2, result.all
    assert result.json()["error"]["kind"] == "usage"
    assert "at most 86400" in result.err


def test_a_timeout_of_a_day_still_works(cli: Cli, logged_in: GatewayStandIn) -> None:
    assert cli("status", "--timeout", "86400").code == 0
