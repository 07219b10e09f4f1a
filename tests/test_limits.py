"""Budgets and rate limits: recognised in the one error mapping, reported by doctor as their
own results, and by login as their own error kinds (design.md 2c)."""

from __future__ import annotations

import httpx
import pytest
import trustme

from optscale_cli.errors import BudgetError, GatewayError, RateLimitError
from optscale_cli.gateway import Answer, error_for_response
from tests.conftest import Cli
from tests.gateway import BUDGET_MESSAGE, GatewayStandIn
from tests.test_doctor import checks, env_profile


def answer(status: int, body: str) -> Answer:
    return Answer(status, httpx.Headers({"content-type": "application/json"}), body.encode())


BUDGET_BODY = (
    '{"error": {"message": "Budget has been exceeded! Current cost: 50.02, Max budget: 50.0",'
    ' "type": "budget_exceeded"}}'
)


@pytest.mark.parametrize(
    ("status", "body", "kind"),
    [
        (400, BUDGET_BODY, BudgetError),
        (429, BUDGET_BODY, BudgetError),
        (400, '{"error": {"message": "limit", "type": "budget_exceeded"}}', BudgetError),
        (429, '{"error": {"message": "slow down", "type": "requests"}}', RateLimitError),
        (429, "", RateLimitError),
        (400, '{"error": {"message": "x", "type": "rate_limit_error"}}', RateLimitError),
        (
            429,
            '{"type": "error", "error": {"type": "rate_limit_error", "message": "Too many"}}',
            RateLimitError,
        ),
    ],
)
def test_mapping(status: int, body: str, kind: type) -> None:
    error = error_for_response(answer(status, body), "probe")
    assert type(error) is kind
    assert error.status == status  # type: ignore[attr-defined]
    if kind is BudgetError:
        assert "AI Access policies" in (error.hint or "")
        assert error.kind == "budget"  # type: ignore[attr-defined]
    else:
        assert error.kind == "rate_limit"  # type: ignore[attr-defined]


def test_a_plain_400_stays_a_gateway_error() -> None:
    body = '{"error": {"message": "Unsupported parameter: tools", "type": "invalid_request"}}'
    error = error_for_response(answer(400, body), "probe")
    assert type(error) is GatewayError


@pytest.mark.parametrize(("mode", "cid"), [("budget", "budget"), ("rate_limit", "rate-limit")])
def test_doctor_reports_the_limit_once(cli: Cli, ca: trustme.CA, mode: str, cid: str) -> None:
    with GatewayStandIn(ca, mode=mode) as limited:
        result = cli("doctor", "--model", "openai/gpt-4.1", "--json", env=env_profile(limited))
    assert result.code == 1, result.all
    found = checks(result)
    assert found["auth"]["status"] == "pass"  # the model list still answers
    assert found[cid]["status"] == "fail"
    assert [c["id"] for c in result.json()["checks"]].count(cid) == 1
    for probe in ("tools:openai/gpt-4.1", "stream:openai/gpt-4.1"):
        assert found[probe]["status"] == "skip"
    if mode == "budget":
        assert BUDGET_MESSAGE in found["budget"]["message"]
        assert "AI Access policies" in found["budget"]["hint"]
    assert "(400)" not in found["tools:openai/gpt-4.1"]["message"]


def test_doctor_budget_on_every_route(cli: Cli, ca: trustme.CA) -> None:
    with GatewayStandIn(ca, mode="budget_all") as limited:
        result = cli("doctor", "--model", "openai/gpt-4.1", "--json", env=env_profile(limited))
    found = checks(result)
    assert found["auth"]["status"] == "skip"
    assert found["budget"]["status"] == "fail"


@pytest.mark.parametrize(
    ("mode", "kind"), [("budget_all", "budget"), ("rate_limit_all", "rate_limit")]
)
def test_login_names_the_limit(cli: Cli, ca: trustme.CA, mode: str, kind: str) -> None:
    with GatewayStandIn(ca, mode=mode) as limited:
        result = cli(
            "--json",
            "login",
            "--url",
            limited.base_url,
            "--api-key-stdin",
            input=limited.GOOD_KEY,
            env={"OPTSCALE_CA_BUNDLE": limited.ca_pem_path},
        )
    assert result.code == 1, result.all
    assert result.json()["error"]["kind"] == kind  # type: ignore[index]
