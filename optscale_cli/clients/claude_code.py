"""Claude Code: the ``env`` block of settings.json, and ``apiKeyHelper`` for the key.

Sources (see docs/clients.md): docs.claude.com (settings, LLM gateway, model config) and
optscale.ai/documentation/external-tools/claude/. ``ANTHROPIC_AUTH_TOKEN`` and
``ANTHROPIC_API_KEY`` win over ``apiKeyHelper``, so helper mode removes them (and disconnect
puts them back).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from optscale_cli.clients.base import (
    Client,
    ClientPlan,
    ConnectRequest,
    Edit,
    ExportFile,
    Placement,
    home,
)
from optscale_cli.edit.documents import ABSENT
from optscale_cli.edit.engine import Op, SetValue, Target
from optscale_cli.edit.stores import FileStore, file_holds, read_if_regular

TIERS = ("opus", "sonnet", "haiku")
TIER_VAR = {tier: f"ANTHROPIC_DEFAULT_{tier.upper()}_MODEL" for tier in TIERS}
# Gateway model discovery (code.claude.com LLM gateway docs; design.md 2c): opt-in, and off
# while the second variable is set (anthropics/claude-code#61112).
DISCOVERY_VAR = "CLAUDE_CODE_ENABLE_GATEWAY_MODEL_DISCOVERY"
NO_TRAFFIC_VAR = "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"
CLAUDE_CODE_PREFIXES = ("claude", "anthropic")  # the ids discovery keeps


def config_dir() -> Path:
    return Path(os.environ.get("CLAUDE_CONFIG_DIR") or home() / ".claude")


def settings_file(scope: str) -> Path:
    # project scope: settings.local.json (personal, git-ignored by Claude Code), not the
    # team's shared .claude/settings.json
    if scope == "project":
        return Path.cwd() / ".claude" / "settings.local.json"
    return config_dir() / "settings.json"


def tier_of(model: str) -> str | None:
    name = model.lower()
    return next((tier for tier in TIERS if tier in name), None)


SMALLEST_FIRST = ("haiku", "sonnet", "opus")


def fill_tiers(model: str | None, given: dict[str, str], available: list[str]) -> dict[str, str]:
    """Every tier gets a gateway model: explicit flags first, then --model for the tier it
    names (else sonnet), then the gateway's newest model of that tier. A tier the gateway
    has no model for gets the smallest one it has (haiku, then sonnet, then opus), never
    --model for its own sake: Claude Code runs background work on the haiku tier."""
    tiers = dict(given)
    if model:
        tiers.setdefault(tier_of(model) or "sonnet", model)
    offered = {
        tier: sorted(m for m in available if tier_of(m) == tier and "anthropic" in m)
        for tier in TIERS
    }
    for tier in TIERS:
        if tier not in tiers and offered[tier]:
            tiers[tier] = offered[tier][-1]
    # with no tiered model on the gateway's list (or no list), the smallest tier chosen
    pool = offered if any(offered.values()) else {t: [m] for t, m in tiers.items()}
    smallest = next((pool[t][-1] for t in SMALLEST_FIRST if pool.get(t)), None)
    for tier in TIERS:
        if tier not in tiers and smallest:
            tiers[tier] = smallest
    return tiers


MANAGED_SETTINGS = (  # code.claude.com/docs/en/settings (ProgramData not read since 2.1.75)
    Placement("macOS", "/Library/Application Support/ClaudeCode/managed-settings.json"),
    Placement("Linux/WSL", "/etc/claude-code/managed-settings.json"),
    Placement("Windows", "C:\\Program Files\\ClaudeCode\\managed-settings.json"),
)
HELPER_PREFIX = "optscale token --for-url "


def managed_settings(request: ConnectRequest, base_url: str) -> ExportFile:
    """managed-settings.json: the settings ``connect`` writes, for every user of a machine.
    ``apiKeyHelper`` runs each user's own ``optscale`` (their default profile): no key here."""
    import shlex

    from optscale_cli.flows.export import json_bytes, json_object, only_keys

    model = request.model or ""
    tiers = fill_tiers(model, request.tiers, request.available)
    env = {"ANTHROPIC_BASE_URL": base_url}
    env.update({TIER_VAR[t]: tiers[t] for t in TIERS if t in tiers})
    env["ANTHROPIC_MODEL"] = model
    doc: dict[str, object] = {"apiKeyHelper": HELPER_PREFIX + shlex.quote(base_url)}
    doc["env"] = env

    def ours(data: bytes) -> bool:
        found = json_object(data)
        helper = (found or {}).get("apiKeyHelper")
        return (
            only_keys(found, {"apiKeyHelper", "env"})
            and isinstance(helper, str)
            and helper.startswith(HELPER_PREFIX)
            and only_keys(found.get("env", {}), set(env) | set(TIER_VAR.values()))  # type: ignore[union-attr]
        )

    return ExportFile(
        json_bytes(doc),
        "managed-settings.json",
        ours,
        placements=list(MANAGED_SETTINGS),
        steps=[
            "Copy it to the path for each OS (owned by root/Administrators, mode 0644); "
            "Claude Code reads it at start and users cannot override it",
            "Install optscale on each machine (on PATH); each user runs `optscale login` "
            "once: apiKeyHelper runs `optscale token` with their default profile",
            "Verify on a machine: `optscale doctor`; in Claude Code, `/status` shows the "
            "gateway base URL",
        ],
        notes=[
            "ANTHROPIC_API_KEY or ANTHROPIC_AUTH_TOKEN in a user's shell wins over "
            "apiKeyHelper: make sure they are not set",
        ],
    )


class ClaudeCode(Client):
    name = "claude-code"
    title = "Claude Code"
    surface = "anthropic"
    key_modes = ("helper", "plaintext")
    exports = ("managed-settings",)
    probes = ("anthropic", "anthropic:models")
    version_command = ("claude", "--version")
    headless = ("claude", "-p", "{prompt}")
    ca_variable = "NODE_EXTRA_CA_CERTS"

    def installed(self) -> bool:
        return shutil.which("claude") is not None or config_dir().is_dir()

    def render_export(self, request: ConnectRequest, kind: str) -> ExportFile:
        self.require_export_model(request, kind)
        return managed_settings(request, self.base_url(request))

    def plan(self, request: ConnectRequest) -> ClientPlan:
        from optscale_cli.errors import UsageError

        tiers = fill_tiers(request.model, request.tiers, request.available)
        if not tiers:
            raise UsageError(
                "connect claude-code needs --model (or --sonnet/--opus/--haiku)",
                "e.g. --model anthropic/claude-sonnet-4-0",
            )
        target = Target(
            FileStore(settings_file(request.scope)), "json", secret=request.plaintext_key
        )
        env = ("env",)
        ops: list[Op] = [SetValue((*env, "ANTHROPIC_BASE_URL"), self.base_url(request))]
        ops += [SetValue((*env, TIER_VAR[t]), tiers[t]) for t in TIERS if t in tiers]
        ops.append(
            SetValue(
                (*env, "ANTHROPIC_MODEL"),
                request.model or tiers.get("sonnet") or next(iter(tiers.values())),
            )
        )
        if request.plaintext_key:
            key_mode = "plaintext"
            ops.append(SetValue((*env, "ANTHROPIC_AUTH_TOKEN"), request.api_key))
        else:
            key_mode = "helper"
            ops.append(
                SetValue(("apiKeyHelper",), request.key_helper_command(self.base_url(request)))
            )
            ops.append(SetValue((*env, "ANTHROPIC_AUTH_TOKEN"), ABSENT))
        ops.append(SetValue((*env, "ANTHROPIC_API_KEY"), ABSENT))  # would send x-api-key
        discovery = self._discovery(request)
        if discovery:
            ops.append(SetValue((*env, DISCOVERY_VAR), "1"))
        warnings = _credential_warnings()
        if discovery:
            warnings += _discovery_warnings(target, request.options.get("anthropic_models"))
        return ClientPlan(
            edits=[Edit(target, ops)],
            details={
                "key_mode": key_mode,
                "config": str(target.store.label),
                "discovery": discovery,
            },
            notes=["Restart Claude Code; `/status` shows the gateway base URL."],
            warnings=warnings,
        )

    @staticmethod
    def _discovery(request: ConnectRequest) -> bool:
        """Turn gateway model discovery on when the gateway serves an Anthropic model list
        (fetched by the connect flow, not here); when it was not fetched (key rotation,
        setup), keep what the last connect decided."""
        if "anthropic_models" not in request.options:
            previous = request.previous
            return bool(previous.details.get("discovery")) if previous else False
        return request.options["anthropic_models"] is not None

    def doctor_problems(self, key_mode: str | None, warnings: list[str]) -> list[str]:
        """Credentials Claude Code would prefer over the ones we configured."""
        problems = []
        if key_mode == "helper":  # either variable wins over apiKeyHelper
            for var in ("ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_API_KEY"):
                if os.environ.get(var):
                    problems.append(
                        f"{var} is set in this shell: Claude Code started from it sends that "
                        "instead of the gateway key (apiKeyHelper is ignored)"
                    )
        elif os.environ.get("ANTHROPIC_API_KEY"):
            warnings.append("ANTHROPIC_API_KEY is set in this shell beside the configured token")
        found = _login_key_warning(home() / ".claude.json", "~/.claude.json")
        if found:
            warnings.append(found)
        return problems


def _credential_warnings() -> list[str]:
    warnings = [
        f"{var} is set in your shell; the settings file wins over it, but unset it "
        "to avoid confusion"
        for var in ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL")
        if os.environ.get(var)
    ]
    state_file = home() / ".claude.json"
    found = _login_key_warning(state_file, str(state_file))
    if found:
        warnings.append(f"{found}; run `claude /logout` if Claude Code keeps using it")
    return warnings


_LOGIN_KEY = b'"primaryApiKey"'  # the key's JSON string, as any JSON writer writes it
_COLON_NEXT = re.compile(rb"[ \t\r\n]*+:")
_SPACES = re.compile(rb"[ \t\r\n]*+")


def _strings(left_out: bytes = b"") -> bytes:
    """A JSON string (escapes taken whole, valid JSON escapes no bracket) holding none of
    ``left_out``, as a pattern."""
    chars = rb'[^"\\' + left_out + rb"]*+"
    return rb'"' + chars + rb"(?:\\." + chars + rb')*+"'


_JSON_STRING = re.compile(_strings(), re.DOTALL)
# what is not in a string, and strings without a bracket, in one run of the C engine: it
# stops at a string that holds a bracket, or one cut off at the end
_NO_BRACKETS = re.compile(rb'[^"]*+(?:' + _strings(rb"{}\[\]") + rb'[^"]*+)*+', re.DOTALL)
# what is not in a string, and whole strings: it stops where a string does not end in time
_WHOLE_STRINGS = re.compile(rb'[^"]*+(?:' + _strings() + rb'[^"]*+)*+', re.DOTALL)
_STRETCH = 1 << 20  # bytes taken with their strings cut out at a time


def _login_key_warning(state_file: Path, where: str) -> str | None:
    """What to say when Claude Code's own state (~/.claude.json) holds the key of an
    Anthropic login at its top level, or may: the file is over the config cap and only the
    name was searched for, or the name is written more often than
    :data:`_PLACES_LOOKED_AT`. It keeps every project's history and grows to tens of MB:
    it is never parsed (:func:`top_level_key_in`)."""
    raw = read_if_regular(state_file)
    if raw is not None:
        found = top_level_key_in(raw, _LOGIN_KEY)
    else:
        # over the cap (or not a regular file): its name is only searched for
        found = None if file_holds(state_file, _LOGIN_KEY) else False
    if found is False:
        return None
    if found:
        return f"{where} holds a primaryApiKey from an Anthropic login"
    return (
        f"{where} may hold a primaryApiKey from an Anthropic login (the name is in it; "
        "the file is too large, or names it too often, to check)"
    )


_PLACES_LOOKED_AT = 1000  # places the key's name appears that are looked at, at most


def top_level_key_in(raw: bytes, key: bytes) -> bool | None:
    """Whether the JSON text ``raw``, an object, has the key ``key`` (a JSON string, with its
    quotes, as written without escapes) at its top level: exact for valid JSON, in linear
    time and small memory, without building the value. At each place the key's bytes
    appear, the brackets outside strings before it are counted, from the place before; the
    key must be one bracket deep, not the end of a longer string, and followed by a colon.
    None: the name appears more than :data:`_PLACES_LOOKED_AT` times (not decided)."""
    start = 3 if raw.startswith(b"\xef\xbb\xbf") else 0
    pos = _SPACES.match(raw, start).end()  # type: ignore[union-attr]  # matches always
    if raw[pos : pos + 1] != b"{":
        return False
    depth, looked = 0, 0
    at = raw.find(key, pos)
    while at >= 0:
        looked += 1
        if looked > _PLACES_LOOKED_AT:
            return None
        depth, inside = _depth_at(raw, pos, at, depth)
        if not inside and depth == 1 and _COLON_NEXT.match(raw, at + len(key)):
            return True
        pos = at + len(key)
        at = raw.find(key, pos)
    return False


def _depth_at(raw: bytes, pos: int, at: int, depth: int) -> tuple[int, bool]:
    """``depth`` plus the brackets opened less those closed outside strings in
    ``raw[pos:at]`` (``pos`` outside any string), and whether a string is still open at
    ``at``. Up to the next string that holds a bracket, brackets are counted in place; from
    there, a stretch of about 1 MiB is taken with its strings cut out (both in C, so a text
    full of such strings costs no Python step for each)."""
    view = memoryview(raw)
    while True:
        stop = _NO_BRACKETS.match(raw, pos, at).end()  # type: ignore[union-attr]
        depth += _brackets(raw, pos, stop)
        if stop == at:
            return depth, False
        cut = _WHOLE_STRINGS.match(raw, stop, min(stop + _STRETCH, at)).end()  # type: ignore[union-attr]
        if cut == stop:  # a string longer than the stretch, or one still open at ``at``
            cut = _WHOLE_STRINGS.match(raw, stop, at).end()  # type: ignore[union-attr]
            if cut == stop:
                return depth, True
        outside = _JSON_STRING.sub(b"", view[stop:cut])
        depth += _brackets(outside, 0, len(outside))
        pos = cut


def _brackets(raw: bytes, start: int, end: int) -> int:
    """Brackets opened less brackets closed in ``raw[start:end]`` (counted in place)."""
    opened = raw.count(b"{", start, end) + raw.count(b"[", start, end)
    return opened - raw.count(b"}", start, end) - raw.count(b"]", start, end)


def _discovery_warnings(target: Target, listed: list[str] | None) -> list[str]:
    """What would keep Claude Code's gateway model discovery from showing our models."""
    warnings = []
    current = target.parse(target.store.read()).get(("env", NO_TRAFFIC_VAR))
    where = [
        place
        for place, value in (
            ("your shell", os.environ.get(NO_TRAFFIC_VAR)),
            (
                str(target.store.label),
                None if current is ABSENT else current,
            ),
        )
        if value not in (None, "")
    ]
    if where:
        warnings.append(
            f"{NO_TRAFFIC_VAR} is set in {' and in '.join(where)}: it switches Claude Code's "
            "gateway model discovery off (the /model picker will not list the gateway's models)"
        )
    if listed is not None and not any(m.startswith(CLAUDE_CODE_PREFIXES) for m in listed):
        warnings.append(
            "the gateway's Anthropic model list has no ids starting with 'claude' or "
            "'anthropic': Claude Code's model discovery will list none of them"
        )
    return warnings
