"""Logging in: check a key against the gateway, and save the profile only if it works."""

from __future__ import annotations

import os
from typing import Any

from optscale_cli.context import AppState
from optscale_cli.errors import AuthError, GatewayError, OptscaleError

PROBE_MODEL = "optscale/login-probe"


def perform_login(st: AppState, url: str, org: str | None, key: str) -> dict[str, object]:
    """Check ``key`` against the gateway at ``url``; save the profile only if it works."""
    from optscale_cli.errors import NotFoundError
    from optscale_cli.gateway import open_client
    from optscale_cli.profiles import DEFAULT_PROFILE, save_profile
    from optscale_cli.redact import redact_key
    from optscale_cli.urls import parse_gateway_url

    location = parse_gateway_url(
        url,
        org or os.environ.get("OPTSCALE_ORG") or None,
        allow_insecure_http=st.allow_insecure_http,
    )
    ca_bundle = st.ca_bundle or os.environ.get("OPTSCALE_CA_BUNDLE") or None
    name = st.profile_name or os.environ.get("OPTSCALE_PROFILE") or DEFAULT_PROFILE
    _refuse_moving_connected_clients(name, location)
    count: int | None
    with open_client(location, key, ca_bundle=ca_bundle, timeout=st.timeout) as client:
        try:
            count = len(client.list_models())
        except NotFoundError as exc:
            count = None
            _prove_the_key(client, exc)
            st.output.warn(
                "this gateway does not publish a model list (GET /models: 404); the key "
                "was accepted by its chat API: run `optscale doctor` for the full check"
            )
    storage = save_profile(
        name,
        location,
        key,
        ca_bundle=ca_bundle,
        allow_insecure_http=st.allow_insecure_http,
        make_active=True,
    )
    st.forget_profile()  # the next st.profile() reads what was just saved
    _recreate_references(name, location, key, ca_bundle)
    return {
        "profile": name,
        "base_url": location.base_url,
        "org": location.org,
        "api_key": redact_key(key),
        "key_storage": storage,
        "models": count,
    }


def _recreate_references(name: str, location: object, key: str, ca_bundle: str | None) -> None:
    """What the profile's connected clients point at follows the new key, and is made again
    when it is gone (a `logout --force`, then a login with the same name): the key file
    OpenCode's {file:} names, the helper script Claude Desktop runs."""
    from optscale_cli.clients import get_client
    from optscale_cli.connections import clients_using_profile
    from optscale_cli.flows.connect import replay_request, write_owned_files
    from optscale_cli.profiles import Profile
    from optscale_cli.secrets import key_file_path, write_key_file
    from optscale_cli.urls import GatewayLocation

    assert isinstance(location, GatewayLocation)
    users = clients_using_profile(name)
    modes = {c: ledger.details.get("key_mode") for c, ledger in users.items()}
    if key_file_path(name).exists() or "file" in modes.values():
        write_key_file(name, key)
    profile = Profile(name, location, key, "profile", ca_bundle=ca_bundle)
    for client_name, ledger in users.items():
        client = get_client(client_name)
        helper_script = getattr(client, "helper_script", None)
        if modes[client_name] == "helper" and helper_script is not None:
            path, text = helper_script(replay_request(ledger, profile))
            write_owned_files({path: text})


def _refuse_moving_connected_clients(name: str, location: object) -> None:
    """A profile's key goes to whatever its connected clients are aimed at: logging the
    profile in to another gateway would hand them that gateway's key. Refuse instead."""
    from optscale_cli.connections import clients_using_profile
    from optscale_cli.errors import Refused
    from optscale_cli.urls import GatewayLocation

    assert isinstance(location, GatewayLocation)
    own = set(location.surface_urls().values())
    elsewhere = sorted(
        client
        for client, ledger in clients_using_profile(name).items()
        if ledger.base_url not in own
    )
    if elsewhere:
        raise Refused(
            f"profile '{name}' has clients connected to another gateway "
            f"({', '.join(elsewhere)}); logging it in to {location.base_url} would hand "
            "them this key",
            f"log in under a new name (--profile NAME), or first run: optscale disconnect "
            f"{elsewhere[0]}",
        )


def _prove_the_key(client: Any, not_found: GatewayError) -> None:
    """``/models`` answered 404: an unusual path prefix, or a gateway that does not list
    models. A chat request for a model that does not exist tells them apart: an
    OpenAI-compatible API past its key check answers with its own JSON error (proof the key
    works); anything else means this URL is not the gateway, and nothing is saved."""
    found = describe_answer(getattr(not_found, "answer", None))
    url = client.url("openai", "chat/completions")
    try:
        client.request(
            "POST",
            url,
            what="checking the key",
            json={
                "model": PROBE_MODEL,
                "messages": [{"role": "user", "content": "ping"}],
                "max_tokens": 1,
            },
        )
        return
    except AuthError:
        raise
    except GatewayError as exc:
        if _about_the_probe_model(getattr(exc, "answer", None)):
            return
        second = describe_answer(getattr(exc, "answer", None))
    raise OptscaleError(
        f"{client.url('openai', 'models')} answered 404 with {found}, and {url} with "
        f"{second}: this does not look like the gateway's API, so nothing was saved",
        "check the URL: the Base URL from the Chat dialog ends in /llm_proxy/<org>/v1",
    )


def _about_the_probe_model(answer: Any) -> bool:
    """The gateway's own complaint about the model we asked for: it got past the key."""
    if not _is_api_error(answer):
        return False
    body = answer.json()
    error = body["error"] if isinstance(body["error"], dict) else {"message": body["error"]}
    said = " ".join(str(error.get(k, "")) for k in ("message", "type", "code")).lower()
    return "login-probe" in said or "model" in said


def _is_api_error(answer: Any) -> bool:
    """An OpenAI- or Anthropic-style error document: ``{"error": {...}}``."""
    if answer is None:
        return False
    try:
        body = answer.json()
    except ValueError:
        return False
    return isinstance(body, dict) and isinstance(body.get("error"), (dict, str))


def describe_answer(answer: Any) -> str:
    """What a non-2xx answer was, for a person: an HTML page, another API's JSON, text."""
    if answer is None:
        return "no usable answer"
    kind = str(answer.headers.get("content-type", "")).split(";")[0].strip().lower()
    text = answer.text.strip()
    if "html" in kind or text.lower().startswith(("<!doctype html", "<html")):
        return "an HTML page (a web site, not the gateway's API)"
    if _is_api_error(answer):
        from optscale_cli.gateway import gateway_message

        return f"a JSON error ({gateway_message(answer) or 'no message'})"
    if not text:
        return "an empty answer"
    from optscale_cli.redact import clean_text

    return f"{kind or 'text'}: {clean_text(text, 80)!r}"
