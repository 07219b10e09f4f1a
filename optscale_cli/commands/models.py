"""providers list, models list, models show: what this key may use."""

from __future__ import annotations

from typing import Annotated

import typer

from optscale_cli.context import refresh_failed, state

models_app = typer.Typer(
    help="""Models this key may use.

    \b
    Examples:
      optscale models list
      optscale models list --provider openai
      optscale models show anthropic/claude-sonnet-4-0
    """,
    no_args_is_help=True,
    rich_markup_mode=None,
)
providers_app = typer.Typer(
    help="""Providers this key may use.

    \b
    Examples:
      optscale providers list
      optscale providers list --refresh --json
    """,
    no_args_is_help=True,
    rich_markup_mode=None,
)

RefreshOption = Annotated[bool, typer.Option("--refresh", help="Bypass the 5-minute cache.")]


def _tools(value: bool | None) -> str:
    return "yes" if value else "no" if value is False else "?"


@models_app.command("list")
def list_models(
    provider: Annotated[str | None, typer.Option(help="Only this provider's models.")] = None,
    refresh: RefreshOption = False,
) -> None:
    """List the models this key may use.

    \b
    Examples:
      optscale models list
      optscale models list --provider anthropic --json
    """
    st = state()
    catalog = st.catalog(refresh=refresh)
    models = [m for m in catalog.models or [] if provider in (None, m.provider)]
    rows = [m.to_dict() for m in models] if st.output.json_mode else []

    def render() -> None:
        if not models:
            st.output.info(
                "No models."
                if catalog.available
                else "This gateway does not publish its model list."
            )
            return
        st.output.table(
            ["model", "provider", "tools"],
            [(m.id, m.provider, _tools(m.tool_calling)) for m in models],
        )

    st.output.data(rows, render)
    refresh_failed(catalog, refresh)


@models_app.command("show")
def show_model(
    model: Annotated[str, typer.Argument(help="Model name, e.g. openai/gpt-4.1.")],
    refresh: RefreshOption = False,
) -> None:
    """Show one model's details as the gateway reports them.

    \b
    Examples:
      optscale models show openai/gpt-4.1
      optscale models show anthropic/claude-sonnet-4-0 --json
    """
    from optscale_cli.catalog import resolve_model
    from optscale_cli.errors import OptscaleError

    st = state()
    catalog = st.catalog(refresh=refresh)
    if not catalog.available:
        raise OptscaleError(
            "this gateway does not publish its model list",
            "try the model with: optscale doctor --model " + model,
        )
    model_id = resolve_model(catalog, model)
    found = next(m for m in catalog.models or [] if m.id == model_id)
    doc = {**found.to_dict(), "details": found.extra}
    st.output.data(
        doc,
        lambda: st.output.fields(
            [
                ("model", found.id),
                ("provider", found.provider),
                ("owned by", found.owned_by or "?"),
                ("tool calling", _tools(found.tool_calling)),
                *((k, v) for k, v in sorted(found.extra.items())),
            ]
        ),
    )
    refresh_failed(catalog, refresh)


@providers_app.command("list")
def list_providers(refresh: RefreshOption = False) -> None:
    """List the providers this key may use, with how many models each.

    \b
    Examples:
      optscale providers list
      optscale providers list --refresh --json
    """
    st = state()
    catalog = st.catalog(refresh=refresh)
    counts: dict[str, int] = {}
    for m in catalog.models or []:
        counts[m.provider] = counts.get(m.provider, 0) + 1
    rows = [{"name": name, "models": n} for name, n in sorted(counts.items())]
    st.output.data(
        rows,
        lambda: (
            st.output.table(["provider", "models"], [(r["name"], r["models"]) for r in rows])
            if rows
            else st.output.info("No providers.")
        ),
    )
    refresh_failed(catalog, refresh)
