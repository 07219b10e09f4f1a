"""The gateway stand-in itself, checked over real HTTPS with httpx: the other tests lean on it."""

from __future__ import annotations

import datetime as dt
import json
import ssl
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import trustme

from tests.gateway import ANSWER, MODELS, SHELL_COMMAND, GatewayStandIn, shell_call

GOOD = {"authorization": f"Bearer {GatewayStandIn.GOOD_KEY}"}
LIMITED = {"authorization": f"Bearer {GatewayStandIn.LIMITED_KEY}"}
TOOL = {
    "type": "function",
    "function": {"name": "get_time", "parameters": {"type": "object", "properties": {}}},
}
HI = [{"role": "user", "content": "hi"}]


def trust(gw: GatewayStandIn) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=gw.ca_pem_path)


@pytest.fixture
def http(gateway: GatewayStandIn) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=f"{gateway.origin}/llm_proxy/{gateway.ORG}", verify=trust(gateway), timeout=5
    ) as client:
        yield client


def sse(response: httpx.Response) -> list[tuple[str | None, str]]:
    """(event, data) pairs of a text/event-stream body."""
    assert response.headers["content-type"].startswith("text/event-stream")
    events: list[tuple[str | None, str]] = []
    for block in response.text.split("\n\n"):
        if not block.strip():
            continue
        fields = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((fields.get("event"), fields["data"]))
    return events


def chat(http: httpx.Client, model: str, headers: dict[str, str] = GOOD, **extra: Any) -> Any:
    body = {"model": model, "messages": HI, **extra}
    return http.post("/v1/chat/completions", json=body, headers=headers)


def test_addresses_and_ca_file(gateway: GatewayStandIn, ca: trustme.CA) -> None:
    assert gateway.origin == f"https://127.0.0.1:{gateway.port}"
    assert gateway.base_url == f"{gateway.origin}/llm_proxy/org-1234/v1"
    with open(gateway.ca_pem_path, "rb") as pem:
        assert pem.read() == ca.cert_pem.bytes()


def test_models_per_key(http: httpx.Client) -> None:
    good = http.get("/v1/models", headers=GOOD)
    assert good.status_code == 200
    assert len(good.headers.get_list("date")) == 1
    listing = good.json()
    assert listing["object"] == "list"
    ids = [m["id"] for m in listing["data"]]
    assert set(ids) == set(MODELS) and len(ids) == 8
    assert GatewayStandIn.DENIED_MODEL not in ids
    assert {"ollama/qwen3:32b", "ollama/deepseek-r1:70b", "mistral/mistral-large-2.1"} <= set(ids)
    for entry in listing["data"]:
        assert entry["object"] == "model" and entry["owned_by"] and entry["created"]
    assert any("capabilities" in m for m in listing["data"])  # optional extras on some only
    assert not all("capabilities" in m for m in listing["data"])
    assert http.get("/cursor/models", headers=GOOD).json() == listing
    limited = http.get("/v1/models", headers=LIMITED).json()["data"]
    assert {m["id"] for m in limited} == {"openai/gpt-4.1", "openai/gpt-4.1-mini"}


def test_anthropic_models_shape_and_x_api_key(http: httpx.Client) -> None:
    listing = http.get("/anthropic/v1/models", headers={"x-api-key": GatewayStandIn.GOOD_KEY})
    assert listing.status_code == 200
    body = listing.json()
    assert body["has_more"] is False
    assert {m["type"] for m in body["data"]} == {"model"}
    assert body["first_id"] == body["data"][0]["id"]
    assert body["last_id"] == body["data"][-1]["id"]
    assert all(m["display_name"] for m in body["data"])
    # x-api-key is an Anthropic header: the OpenAI routes want Bearer
    openai = http.get("/v1/models", headers={"x-api-key": GatewayStandIn.GOOD_KEY})
    assert openai.status_code == 401


def test_models_route_can_be_absent(ca: trustme.CA) -> None:
    with GatewayStandIn(ca, models_route=False) as gw:
        missing = httpx.get(f"{gw.base_url}/models", headers=GOOD, verify=trust(gw))
        assert missing.status_code == 404
        assert "error" in missing.json()


@pytest.mark.parametrize("headers", [{}, {"authorization": "Bearer sk-nope"}])
def test_bad_key_is_401_on_every_surface(http: httpx.Client, headers: dict[str, str]) -> None:
    # one keep-alive connection, and the GET carries a body too: the server must drain it
    for path in ("/v1/models", "/v1/chat/completions"):
        denied = http.request(
            "POST" if "chat" in path else "GET",
            path,
            json={"model": "openai/gpt-4.1", "messages": HI},
            headers=headers,
        )
        assert denied.status_code == 401
        assert denied.json() == {
            "error": {
                "message": "Invalid API key",
                "type": "authentication_error",
                "code": "invalid_api_key",
            }
        }
    anthropic = http.post(
        "/anthropic/v1/messages",
        json={"model": "anthropic/claude-sonnet-4-0", "max_tokens": 5, "messages": HI},
        headers=headers,
    )
    assert anthropic.status_code == 401
    assert anthropic.json()["type"] == "error"
    assert anthropic.json()["error"]["type"] == "authentication_error"


def test_policy_denial_is_403(http: httpx.Client) -> None:
    denied = chat(http, GatewayStandIn.DENIED_MODEL)
    assert denied.status_code == 403
    assert denied.json() == {
        "error": {
            "message": "Model openai/o3-pro is not allowed by policy 'Engineering'",
            "type": "permission_error",
            "code": "model_not_allowed",
        }
    }
    # a listed model outside the key's providers is a policy denial too
    assert chat(http, "anthropic/claude-sonnet-4-0", LIMITED).status_code == 403
    assert chat(http, "openai/gpt-4.1-mini", LIMITED).status_code == 200
    anthropic = http.post(
        "/anthropic/v1/messages",
        json={"model": GatewayStandIn.DENIED_MODEL, "max_tokens": 5, "messages": HI},
        headers=GOOD,
    )
    assert anthropic.status_code == 403
    assert anthropic.json()["type"] == "error"
    assert anthropic.json()["error"]["type"] == "permission_error"
    assert "policy 'Engineering'" in anthropic.json()["error"]["message"]


def test_unknown_model_org_route_and_bad_body(http: httpx.Client, gateway: GatewayStandIn) -> None:
    unknown = chat(http, "openai/gpt-99")
    assert unknown.status_code == 404
    assert set(unknown.json()["error"]) == {"message", "type", "code"}
    other_org = httpx.get(
        f"{gateway.origin}/llm_proxy/org-other/v1/models", headers=GOOD, verify=trust(gateway)
    )
    assert other_org.status_code == 404
    assert (
        http.post("/v1/embeddings", json={"model": "openai/gpt-4.1"}, headers=GOOD).status_code
        == 404
    )
    not_json = http.post("/v1/chat/completions", content=b"{oops", headers=GOOD)
    assert not_json.status_code == 400


def test_text_answer_and_recording(http: httpx.Client, gateway: GatewayStandIn) -> None:
    answer = chat(http, "ollama/qwen3:32b")
    assert answer.status_code == 200
    body = answer.json()
    assert body["object"] == "chat.completion"
    assert body["choices"][0]["message"] == {"role": "assistant", "content": ANSWER}
    assert body["choices"][0]["finish_reason"] == "stop"
    assert body["model"] == "ollama/qwen3:32b"
    sent = gateway.requests[-1]
    assert sent.method == "POST"
    assert sent.path == "/llm_proxy/org-1234/v1/chat/completions"
    assert sent.headers["authorization"] == GOOD["authorization"]
    assert sent.body == {"model": "ollama/qwen3:32b", "messages": HI}


def test_tool_calls_only_when_forced_and_supported(http: httpx.Client) -> None:
    forced = chat(http, "openai/gpt-4.1", tools=[TOOL], tool_choice="required").json()
    choice = forced["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    [call] = choice["message"]["tool_calls"]
    assert call["type"] == "function"
    assert call["function"] == {"name": "get_time", "arguments": "{}"}
    named = chat(
        http,
        "mistral/mistral-large-2.1",
        tools=[TOOL],
        tool_choice={"type": "function", "function": {"name": "get_time"}},
    ).json()
    assert named["choices"][0]["message"]["tool_calls"][0]["function"]["name"] == "get_time"
    # never with tool_choice auto/absent, never from the no-tools model, never after a tool result
    for extra in ({"tool_choice": "auto"}, {}):
        text = chat(http, "openai/gpt-4.1", tools=[TOOL], **extra).json()["choices"][0]
        assert text["message"]["content"] == ANSWER and "tool_calls" not in text["message"]
    no_tools = chat(http, "ollama/deepseek-r1:70b", tools=[TOOL], tool_choice="required")
    assert "tool_calls" not in no_tools.json()["choices"][0]["message"]
    after = http.post(
        "/v1/chat/completions",
        headers=GOOD,
        json={
            "model": "openai/gpt-4.1",
            "tools": [TOOL],
            "tool_choice": "required",
            "messages": [*HI, {"role": "tool", "tool_call_id": "call_1", "content": "noon"}],
        },
    ).json()
    assert after["choices"][0]["message"]["content"] == ANSWER


def test_chat_streaming(http: httpx.Client) -> None:
    streamed = chat(http, "openai/gpt-4.1", stream=True, stream_options={"include_usage": True})
    assert streamed.status_code == 200
    events = sse(streamed)
    assert events[-1] == (None, "[DONE]")
    chunks = [json.loads(data) for _, data in events[:-1]]
    assert {c["object"] for c in chunks} == {"chat.completion.chunk"}
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert text == ANSWER
    finishes = [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]]
    assert finishes[-1] == "stop" and set(finishes[:-1]) == {None}
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["total_tokens"] > 0
    # without include_usage there is no usage chunk
    plain = [json.loads(d) for _, d in sse(chat(http, "openai/gpt-4.1", stream=True))[:-1]]
    assert all(c["choices"] for c in plain)


def test_chat_streaming_tool_call(http: httpx.Client) -> None:
    streamed = chat(http, "openai/gpt-4.1", stream=True, tools=[TOOL], tool_choice="required")
    chunks = [json.loads(d) for _, d in sse(streamed)[:-1]]
    calls = [d["tool_calls"] for c in chunks if "tool_calls" in (d := c["choices"][0]["delta"])]
    assert calls and calls[0][0]["index"] == 0
    assert calls[0][0]["function"]["name"] == "get_time"
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"


def test_responses_api(http: httpx.Client) -> None:
    body = {"model": "openai/gpt-4.1", "input": "hi"}
    plain = http.post("/v1/responses", json=body, headers=GOOD).json()
    [item] = plain["output"]
    assert item["type"] == "message" and item["role"] == "assistant"
    assert item["content"][0] == {"type": "output_text", "text": ANSWER, "annotations": []}
    streamed = sse(http.post("/v1/responses", json={**body, "stream": True}, headers=GOOD))
    names = [event for event, _ in streamed]
    wanted = [
        "response.created",
        "response.output_item.added",
        "response.output_text.delta",
        "response.output_text.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert [n for n in names if n in wanted] == wanted
    for event, data in streamed:
        assert json.loads(data)["type"] == event
    deltas = [json.loads(d)["delta"] for e, d in streamed if e == "response.output_text.delta"]
    assert "".join(deltas) == ANSWER


def test_anthropic_messages(http: httpx.Client) -> None:
    body = {"model": "anthropic/claude-sonnet-4-0", "max_tokens": 64, "messages": HI}
    plain = http.post("/anthropic/v1/messages?beta=true", json=body, headers=GOOD)
    assert plain.status_code == 200
    message = plain.json()
    assert message["type"] == "message" and message["role"] == "assistant"
    assert message["content"] == [{"type": "text", "text": ANSWER}]
    assert message["stop_reason"] == "end_turn"
    assert set(message["usage"]) >= {"input_tokens", "output_tokens"}
    # always text, even when the client offers tools
    tools = [{"name": "get_time", "input_schema": {"type": "object"}}]
    streamed = http.post(
        "/anthropic/v1/messages?beta=true",
        json={**body, "stream": True, "tools": tools},
        headers={"x-api-key": GatewayStandIn.GOOD_KEY, "anthropic-version": "2023-06-01"},
    )
    events = sse(streamed)
    assert [e for e, _ in events] == [
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    payloads = [json.loads(d) for _, d in events]
    assert [p["type"] for p in payloads] == [e for e, _ in events]
    assert payloads[1]["content_block"]["type"] == "text"
    assert payloads[2]["delta"] == {"type": "text_delta", "text": ANSWER}
    assert payloads[4]["delta"]["stop_reason"] == "end_turn"
    assert "output_tokens" in payloads[4]["usage"]
    counted = http.post("/anthropic/v1/messages/count_tokens", json=body, headers=GOOD)
    assert counted.json() == {"input_tokens": 10}


def test_hanging_server_times_out(ca: trustme.CA) -> None:
    with GatewayStandIn(ca, hang=True) as dead:
        assert dead.origin.startswith("https://127.0.0.1:")
        with pytest.raises(httpx.TimeoutException):
            httpx.get(f"{dead.base_url}/models", headers=GOOD, verify=trust(dead), timeout=0.3)


def test_bad_certificates_fail_verification(ca: trustme.CA) -> None:
    past = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    with GatewayStandIn(ca, cert_not_after=past) as expired:
        with pytest.raises(httpx.ConnectError, match="expired"):
            httpx.get(f"{expired.base_url}/models", headers=GOOD, verify=trust(expired))
        # the server itself works: only verification refuses it
        loose = ssl.create_default_context()
        loose.check_hostname = False
        loose.verify_mode = ssl.CERT_NONE
        assert httpx.get(f"{expired.base_url}/models", headers=GOOD, verify=loose).is_success
    with (
        GatewayStandIn(ca, cert_hosts=("gateway.example",)) as wrong_host,
        pytest.raises(httpx.ConnectError, match="match"),
    ):
        httpx.get(f"{wrong_host.base_url}/models", headers=GOOD, verify=trust(wrong_host))


def test_plain_http_server(ca: trustme.CA) -> None:
    with GatewayStandIn(ca, tls=False) as plain:
        assert plain.origin.startswith("http://")
        assert httpx.get(f"{plain.base_url}/models", headers=GOOD).status_code == 200
        https = plain.origin.replace("http://", "https://")
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{https}/llm_proxy/org-1234/v1/models", verify=trust(plain), timeout=2)


# The shell tools as the real clients offer them (recorded from their requests, trimmed).
OPENCODE_BASH = {
    "type": "function",
    "function": {
        "name": "bash",
        "parameters": {
            "type": "object",
            "properties": {"command": {"type": "string"}, "timeout": {"type": "integer"}},
            "required": ["command"],
        },
    },
}
CODEX_EXEC = {
    "type": "function",
    "name": "exec_command",
    "strict": False,
    "parameters": {
        "type": "object",
        "properties": {"cmd": {"type": "string"}, "workdir": {"type": "string"}},
        "required": ["cmd"],
        "additionalProperties": False,
    },
}
CLAUDE_BASH = {
    "name": "Bash",
    "input_schema": {
        "type": "object",
        "properties": {"command": {"type": "string"}, "description": {"type": "string"}},
        "required": ["command"],
    },
}


def test_shell_call_reads_the_schema() -> None:
    assert shell_call([TOOL]) is None
    assert shell_call([TOOL, OPENCODE_BASH]) == ("bash", {"command": SHELL_COMMAND})
    assert shell_call([CODEX_EXEC]) == ("exec_command", {"cmd": SHELL_COMMAND})
    assert shell_call([CLAUDE_BASH]) == ("Bash", {"command": SHELL_COMMAND})
    old_codex = {
        "type": "function",
        "name": "shell",
        "parameters": {
            "type": "object",
            "properties": {
                "command": {"type": "array", "items": {"type": "string"}},
                "workdir": {"type": "string"},
                "timeout_ms": {"type": "number"},
            },
            "required": ["command", "timeout_ms"],
        },
    }
    assert shell_call([old_codex]) == (
        "shell",
        {"command": ["bash", "-lc", SHELL_COMMAND], "timeout_ms": 1},
    )


def test_chat_calls_the_shell_tool_until_a_tool_result(http: httpx.Client) -> None:
    tools = [TOOL, OPENCODE_BASH]
    message = chat(http, "openai/gpt-4.1", tools=tools, tool_choice="auto").json()["choices"][0]
    assert message["finish_reason"] == "tool_calls"
    [call] = message["message"]["tool_calls"]
    assert call["function"]["name"] == "bash"
    assert json.loads(call["function"]["arguments"]) == {"command": SHELL_COMMAND}
    # streamed: id and name first, the arguments in pieces, finish_reason tool_calls
    chunks = [
        json.loads(d) for _, d in sse(chat(http, "openai/gpt-4.1", stream=True, tools=tools))[:-1]
    ]
    deltas = [c["choices"][0]["delta"].get("tool_calls") for c in chunks]
    calls = [d[0] for d in deltas if d]
    assert calls[0]["id"].startswith("call_") and calls[0]["function"]["name"] == "bash"
    assert all(c["index"] == 0 for c in calls) and len(calls) > 1
    streamed = "".join(c["function"]["arguments"] for c in calls)
    assert json.loads(streamed) == {"command": SHELL_COMMAND}
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"
    # a tool result anywhere in the conversation: text
    answered = [
        *HI,
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": call["id"], "content": ""},
        {"role": "user", "content": "and now?"},
    ]
    text = http.post(
        "/v1/chat/completions",
        headers=GOOD,
        json={"model": "openai/gpt-4.1", "tools": tools, "messages": answered},
    ).json()["choices"][0]
    assert text["message"]["content"] == ANSWER
    # never from the model without tools
    no_tools = chat(http, "ollama/deepseek-r1:70b", tools=tools).json()["choices"][0]
    assert no_tools["message"]["content"] == ANSWER


def test_responses_function_call(http: httpx.Client) -> None:
    body = {"model": "openai/gpt-4.1", "input": "hi", "tools": [CODEX_EXEC], "tool_choice": "auto"}
    [item] = http.post("/v1/responses", json=body, headers=GOOD).json()["output"]
    assert item["type"] == "function_call" and item["name"] == "exec_command"
    assert item["call_id"].startswith("call_")
    assert json.loads(item["arguments"]) == {"cmd": SHELL_COMMAND}
    streamed = sse(http.post("/v1/responses", json={**body, "stream": True}, headers=GOOD))
    payloads = [json.loads(d) for _, d in streamed]
    assert [p["type"] for p in payloads] == [e for e, _ in streamed]
    assert [p["sequence_number"] for p in payloads] == list(range(len(payloads)))
    names = [e for e, _ in streamed]
    assert names[0] == "response.created" and names[1] == "response.output_item.added"
    assert names[-3:] == [
        "response.function_call_arguments.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert set(names[2:-3]) == {"response.function_call_arguments.delta"}
    added = payloads[1]["item"]
    assert added["type"] == "function_call" and added["arguments"] == ""
    deltas = "".join(p["delta"] for p in payloads if "arguments.delta" in p["type"])
    assert json.loads(deltas) == json.loads(payloads[-3]["arguments"]) == {"cmd": SHELL_COMMAND}
    assert payloads[-2]["item"]["call_id"] == payloads[1]["item"]["call_id"]
    assert payloads[-1]["response"]["output"] == [payloads[-2]["item"]]
    # after the function_call_output: text
    answered = [
        {"role": "user", "content": [{"type": "input_text", "text": "hi"}]},
        {"type": "function_call", "call_id": "call_1", "name": "exec_command", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "call_1", "output": ""},
    ]
    [text] = http.post("/v1/responses", json={**body, "input": answered}, headers=GOOD).json()[
        "output"
    ]
    assert text["type"] == "message" and text["content"][0]["text"] == ANSWER


def test_anthropic_tool_use(http: httpx.Client) -> None:
    body = {
        "model": "anthropic/claude-sonnet-4-0",
        "max_tokens": 64,
        "messages": HI,
        "tools": [CLAUDE_BASH],
    }
    message = http.post("/anthropic/v1/messages", json=body, headers=GOOD).json()
    [block] = message["content"]
    assert block["type"] == "tool_use" and block["name"] == "Bash"
    assert block["input"] == {"command": SHELL_COMMAND} and block["id"].startswith("toolu_")
    assert message["stop_reason"] == "tool_use"
    events = sse(http.post("/anthropic/v1/messages", json={**body, "stream": True}, headers=GOOD))
    payloads = [json.loads(d) for _, d in events]
    assert [e for e, _ in events][:2] == ["message_start", "content_block_start"]
    assert payloads[1]["content_block"]["type"] == "tool_use"
    assert payloads[1]["content_block"]["input"] == {}
    deltas = [p["delta"] for p in payloads if p["type"] == "content_block_delta"]
    assert {d["type"] for d in deltas} == {"input_json_delta"}
    assert json.loads("".join(d["partial_json"] for d in deltas)) == {"command": SHELL_COMMAND}
    assert [p["delta"]["stop_reason"] for p in payloads if p["type"] == "message_delta"] == [
        "tool_use"
    ]
    # after a tool_result block: text
    answered = [
        *HI,
        {"role": "assistant", "content": [block]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": block["id"]}]},
    ]
    text = http.post(
        "/anthropic/v1/messages", json={**body, "messages": answered}, headers=GOOD
    ).json()
    assert text["content"] == [{"type": "text", "text": ANSWER}]
    assert text["stop_reason"] == "end_turn"
