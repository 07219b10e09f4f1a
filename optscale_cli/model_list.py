"""A gateway's model list as Models: built from the list's entries, whether they were just
fetched (gateway.py) or read from the cache (catalog.py), without the HTTP client."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from optscale_cli.redact import clean_text


@dataclass(slots=True)
class Model:
    """One model of the gateway's list (a plain slotted dataclass: a list can hold 100,000
    of them, and a frozen dataclass costs several times as much to build)."""

    id: str
    provider: str
    owned_by: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def tool_calling(self) -> bool | None:
        """What the gateway says about tool calling, if it says anything."""
        extra = self.extra
        if not extra:
            return None
        caps = extra.get("capabilities")
        if isinstance(caps, dict):
            for key in ("tool_calling", "function_calling", "tools"):
                if isinstance(caps.get(key), bool):
                    return bool(caps[key])
        for key in ("supports_tool_calling", "supports_function_calling"):
            if isinstance(extra.get(key), bool):
                return bool(extra[key])
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "provider": self.provider,
            "owned_by": self.owned_by,
            "tool_calling": self.tool_calling,
        }


_NOT_EXTRA = frozenset(("id", "object", "owned_by", "created"))


def model_from_entry(
    entry: dict[str, Any], providers: dict[str, str] | None = None
) -> Model | None:
    """One list entry as a Model (None without an id). ``providers`` (raw -> cleaned) spares
    cleaning the same provider name again for every model of a long list."""
    model_id = entry.get("id")
    if not isinstance(model_id, str) or not model_id:
        return None
    owned_by = entry.get("owned_by")
    if not isinstance(owned_by, str):
        owned_by = None
    head, slash, _ = model_id.partition("/")
    raw = head if slash else (owned_by or "unknown")
    provider = providers.get(raw) if providers is not None else None
    if provider is None:
        provider = clean_text(raw, 100)
        if providers is not None:
            providers[raw] = provider
    extra = (
        {}
        if entry.keys() <= _NOT_EXTRA
        else {k: v for k, v in entry.items() if k not in _NOT_EXTRA}
    )
    # the id is kept exact: the one validator (model_ids) decides, never a cleaned copy
    return Model(model_id, provider, owned_by, extra)


def models_from_entries(entries: list[Any]) -> list[Model]:
    """The Models of a list's entries (entries that are not objects or have no id are left
    out), in order."""
    providers: dict[str, str] = {}
    models = []
    append = models.append
    for entry in entries:
        if type(entry) is not dict:
            if isinstance(entry, dict) and (model := model_from_entry(entry, providers)):
                append(model)
            continue
        model_id = entry.get("id")
        owned_by = entry.get("owned_by")
        if type(model_id) is not str or not model_id or not entry.keys() <= _NOT_EXTRA:
            if model := model_from_entry(entry, providers):  # the general way, same result
                append(model)
            continue
        if not isinstance(owned_by, str):
            owned_by = None
        head, slash, _ = model_id.partition("/")
        raw = head if slash else (owned_by or "unknown")
        provider = providers.get(raw)
        if provider is None:
            provider = providers[raw] = clean_text(raw, 100)
        append(Model(model_id, provider, owned_by, {}))
    return models
