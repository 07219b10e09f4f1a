"""connection show: the three values the Chat dialog shows, for one client."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer

from optscale_cli.clients import client_names
from optscale_cli.context import state

app = typer.Typer(
    help="""The connection values (Base URL, API key, model) per client.

    \b
    Examples:
      optscale connection show --client opencode --model openai/gpt-4.1
      optscale connection show --client cursor --reveal
    """,
    no_args_is_help=True,
    rich_markup_mode=None,
)


# every registered client, and "openai" for any other OpenAI-compatible tool
ConnectionClient = Enum(  # type: ignore[misc]
    "ConnectionClient", {n: n for n in [*client_names(), "openai"]}, type=str
)


def surface_of(name: str) -> str:
    if name == "openai":
        return "openai"
    from optscale_cli.clients import get_client

    return get_client(name).surface


@app.command("show")
def show(
    client: Annotated[
        ConnectionClient, typer.Option(help="Which client the values are for.")
    ] = ConnectionClient["openai"],
    model: Annotated[
        str | None, typer.Option(help="Model name; checked against the gateway.")
    ] = None,
    reveal: Annotated[bool, typer.Option(help="Print the full API key.")] = False,
) -> None:
    """Show Base URL, API key (redacted unless --reveal) and model for a client.

    \b
    Examples:
      optscale connection show --client cursor --model openai/gpt-4.1
      optscale connection show --client claude-code --json
    """
    from optscale_cli.catalog import resolve_model
    from optscale_cli.redact import redact_key

    st = state()
    profile = st.profile()
    key = profile.require_key()
    model_id = resolve_model(st.catalog(), model) if model else None
    doc = {
        "client": client.value,
        "base_url": profile.location.surface_url(surface_of(client.value)),  # type: ignore[arg-type]
        "api_key": key if reveal else redact_key(key),
        "model": model_id,
    }
    st.output.data(
        doc,
        lambda: st.output.fields(
            [
                ("Base URL", doc["base_url"]),
                ("API key", doc["api_key"]),
                ("Model name", model_id or "(pass --model)"),
            ],
            reveal=reveal,
        ),
        reveal=reveal,
    )
