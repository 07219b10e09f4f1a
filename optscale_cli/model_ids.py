"""The one validator for names that come from the gateway (model ids, provider names).

A model id is written into client configs that expand templates (OpenCode ``{file:…}`` and
``{env:…}``, Continue ``${{ … }}``) and shown on terminals, so only a conservative set that
covers real ids is accepted: letters, digits and ``/ : . _ - @ +``, several slashes allowed
(``openai/gpt-4.1``, ``ollama/qwen3:32b``, ``bedrock/anthropic.claude-3@2024``). Anything
else is never written to a client file: ``connect`` refuses it, listings leave it out.
"""

from __future__ import annotations

import re

_MODEL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9/:._@+-]{0,255}")


def is_valid_model_id(model_id: object) -> bool:
    return isinstance(model_id, str) and _MODEL_ID.fullmatch(model_id) is not None


def valid_model_ids(model_ids: list[object]) -> list[bool]:
    """:func:`is_valid_model_id` of each, for a whole list at once (a list can be 100,000
    long: one bound method, no call per id)."""
    match = _MODEL_ID.fullmatch
    return [isinstance(i, str) and match(i) is not None for i in model_ids]


def check_model_id(model_id: str, source: str = "--model") -> str:
    """``model_id``, or a usage error (exit 2) that shows it escaped."""
    if not is_valid_model_id(model_id):
        from optscale_cli.errors import UsageError
        from optscale_cli.redact import for_terminal

        raise UsageError(
            f"{source}: {for_terminal(model_id)!r} is not a model id optscale will write into "
            "a client's config",
            "model ids are letters, digits and / : . _ - @ + (e.g. openai/gpt-4.1)",
        )
    return model_id
