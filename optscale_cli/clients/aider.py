"""Aider: ``.aider.conf.yml`` (home, or the project with --scope project).

Sources (docs/clients.md): aider.chat/docs/config/aider_conf.html and
aider.chat/docs/llms/openai-compat.html: an OpenAI-compatible endpoint needs
``openai-api-base`` and the model prefixed ``openai/`` (so ``openai/openai/gpt-4.1``).
The key stays out of the file unless --plaintext-key: Aider reads ``OPENAI_API_KEY``.

It also describes the models in ``.aider.model.metadata.json`` beside it
(aider.chat/docs/config/adv-model-settings.html: a dict keyed by the ``provider/model`` name
Aider uses, with ``max_input_tokens``, ``max_output_tokens``, costs, ``litellm_provider``,
``mode``), or Aider warns "Unknown context window size and costs" at every start.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from optscale_cli.clients.base import Client, ClientPlan, ConnectRequest, Edit, home
from optscale_cli.edit.engine import Op, SetValue, Target
from optscale_cli.edit.stores import FileStore

METADATA_FILE = ".aider.model.metadata.json"
DEFAULT_INPUT_TOKENS = 128000
DEFAULT_OUTPUT_TOKENS = 16384
# what gateways (LiteLLM, OpenRouter, vLLM, …) call these in a /models entry, if they say
_INPUT_FIELDS = ("max_input_tokens", "context_window", "context_length", "max_model_len")
_OUTPUT_FIELDS = ("max_output_tokens", "max_completion_tokens", "max_tokens")


def _first_count(entry: dict[str, Any], names: tuple[str, ...]) -> int | None:
    for name in names:
        value = entry.get(name)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return None


def model_metadata(extra: dict[str, Any]) -> dict[str, Any]:
    """Aider's metadata for one gateway model: its sizes when the gateway's model entry says
    them, else defaults; no cost (the gateway accounts for spend)."""
    max_input = _first_count(extra, _INPUT_FIELDS) or DEFAULT_INPUT_TOKENS
    max_output = _first_count(extra, _OUTPUT_FIELDS) or DEFAULT_OUTPUT_TOKENS
    return {
        "max_tokens": max_output,
        "max_input_tokens": max_input,
        "max_output_tokens": max_output,
        "input_cost_per_token": 0,
        "output_cost_per_token": 0,
        "litellm_provider": "openai",
        "mode": "chat",
    }


class Aider(Client):
    name = "aider"
    title = "Aider"
    surface = "openai"
    key_modes = ("env", "plaintext")
    version_command = ("aider", "--version")
    headless = ("aider", "--message", "{prompt}", "--yes-always", "--no-git")
    ca_variable = "SSL_CERT_FILE"

    def installed(self) -> bool:
        return shutil.which("aider") is not None or (home() / ".aider.conf.yml").exists()

    def plan(self, request: ConnectRequest) -> ClientPlan:
        self.require_model(request)
        folder = Path.cwd() if request.scope == "project" else home()
        target = Target(FileStore(folder / ".aider.conf.yml"), "yaml", secret=request.plaintext_key)
        ops: list[Op] = [
            SetValue(("openai-api-base",), self.base_url(request)),
            SetValue(("model",), f"openai/{request.model}"),
        ]
        notes = []
        if request.plaintext_key:
            ops.append(SetValue(("openai-api-key",), request.api_key))
        else:
            notes.append(
                "Aider reads the key from $OPENAI_API_KEY: run `optscale exec -- aider`"
                ' or eval "$(optscale env --client openai)"'
            )
        return ClientPlan(
            [Edit(target, ops), self._metadata_edit(request, folder)],
            details={"key_mode": "plaintext" if request.plaintext_key else "env"},
            notes=notes,
        )

    @staticmethod
    def _metadata_edit(request: ConnectRequest, folder: Path) -> Edit:
        """One entry per declared model, keyed ``openai/<gateway id>`` as Aider names it;
        sizes from the model list connect just fetched (its cache: no network here)."""
        from optscale_cli.catalog import cached_models

        known = {
            m.id: m.extra for m in cached_models(request.profile.location.base_url, request.api_key)
        }
        target = Target(FileStore(folder / METADATA_FILE), "json")
        models = request.models or [request.model]
        ops: list[Op] = [
            SetValue((f"openai/{m}",), model_metadata(known.get(m, {}))) for m in models if m
        ]
        return Edit(target, ops)
