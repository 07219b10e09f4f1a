"""The one place that decides what a secret looks like, and what may reach a terminal.

Every output path (messages, errors, tables, diffs on both sides, ``--json``, ``-v``
tracebacks) goes through :func:`redact_text` in :mod:`optscale_cli.output`. It hides:

- every key this process has seen (registered by :func:`register_secret` when a key is read
  from a prompt, stdin, the environment, the keyring or a file: the current profile's, an
  old one being rotated away, another profile's);
- anything shaped like a key (``sk-…``) or a bearer token;
- the value of any setting whose *name* says it is a secret (``*_API_KEY``, ``*_TOKEN``,
  ``*_SECRET``, ``apiKey``, ``password``…), in JSON, YAML, TOML and dotenv lines alike, so a
  user's own secrets in a diff are hidden too;
- the user-info part of URLs (``http://user:pass@proxy``).

Terminal text from the gateway is made harmless by :func:`for_terminal`: C0/C1 controls and
bidirectional overrides become visible escapes. ``--json`` keeps exact values, minus secrets.
"""

from __future__ import annotations

import re
from typing import Any

_SECRETS: set[str] = set()
_LONGEST_FIRST: list[str] = []  # _SECRETS, longest first (kept in step by register_secret)
_MIN_SECRET = 6  # shorter values would redact ordinary words

# control characters, and the bidi/zero-width marks that reorder or hide text
_CONTROL = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")

# a setting whose name says it holds a secret: FOO_API_KEY, apiKey, auth_token, password…
_SECRET_NAME = (
    r"(?:[A-Za-z0-9]+[_.-])*(?:api[_-]?key|access[_-]?key|auth[_-]?token|token|secret|"
    r"client[_-]?secret|password|passwd)"
)
_ASSIGNMENT = re.compile(
    r"(?i)(?<![A-Za-z0-9_-])(?P<name>" + _SECRET_NAME + r")(?![A-Za-z0-9])"
    r"(?P<sep>[\"']?\s*(?:=|:)\s*)(?P<q>[\"']?)(?P<value>[^\s\"',}\]]+)"
)
# every name _SECRET_NAME matches holds one of these (same case-insensitive matching): text
# without any cannot hold an assignment to redact
_SECRET_WORD = re.compile(r"(?i)key|token|secret|passw")
_NOT_SECRET = re.compile(r"(?i)(?:per[_-]token|token[_-]?(?:count|limit))$")  # prices, sizes
_REFERENCE = re.compile(r"^(?:\{(?:file|env):|\$\{\{|\$\{?[A-Za-z_]|<|\*|…|\(none\))")
_KEY_SHAPE = re.compile(r"(?<![A-Za-z0-9])sk-[A-Za-z0-9_-]{8,}")
_BEARER = re.compile(r"(?i)\b(bearer\s+)[^\s\"',]+")
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)(?!USER:PASSWORD@)[^/\s@\"']+@")


def register_secret(value: str | None) -> None:
    """Remember a key so that no output of this process can show it."""
    if value and len(value) >= _MIN_SECRET:
        _SECRETS.add(value)
        stripped = value.strip()
        if stripped and stripped != value and len(stripped) >= _MIN_SECRET:
            _SECRETS.add(stripped)
        _LONGEST_FIRST[:] = sorted(_SECRETS, key=len, reverse=True)


def redact_key(key: str | None) -> str:
    """``sk-…wxyz`` style: enough to recognise a key, never enough to use it."""
    if not key:
        return "(none)"
    tail = key[-4:] if len(key) >= 12 else ""
    head = key[:3] if key.startswith("sk-") and len(key) >= 12 else ""
    return f"{head}…{tail}" if tail else "…"


def _assignment(match: re.Match[str]) -> str:
    value = match["value"]
    if _REFERENCE.match(value) or "…" in value or _NOT_SECRET.search(match["name"]):
        return match[0]
    return f"{match['name']}{match['sep']}{match['q']}{redact_key(value)}"


def redact_text(text: str) -> str:
    """``text`` with every secret replaced by its redacted form."""
    if not text:
        return text
    for secret in _LONGEST_FIRST:
        if secret in text:
            text = text.replace(secret, redact_key(secret))
    # Each pattern runs only when the text holds what it cannot match without (a plain
    # substring test is far cheaper than a regex, and most text holds none of them).
    # A long text (a diff) is searched only on the lines that hold what a match needs.
    long = len(text) > _LONG_TEXT
    if "@" in text and "://" in text:
        text = (
            _in_lines(text, "://", _USERINFO, r"\1***@") if long else _USERINFO.sub(r"\1***@", text)
        )
    if "bearer" in text.lower():
        text = _BEARER.sub(r"\1***", text)
    if "sk-" in text:
        key = _KEY_SHAPE
        text = _in_lines(text, "sk-", key, _redact_match) if long else key.sub(_redact_match, text)
    if ("=" in text or ":" in text) and (_word_starts(text) if long else _SECRET_WORD.search(text)):
        text = _assignments(text) if long else _ASSIGNMENT.sub(_assignment, text)
    return text


def _redact_match(match: re.Match[str]) -> str:
    return redact_key(match[0])


def _in_lines(text: str, needle: str, pattern: re.Pattern[str], repl: Any) -> str:
    """``pattern.sub(repl, text)`` for a pattern whose every match holds ``needle`` and no
    newline (nor looks past one): only the lines that hold ``needle`` are searched."""
    parts = []
    pos = 0
    at = text.find(needle)
    while at >= 0:
        start = text.rfind("\n", 0, at) + 1
        end = text.find("\n", at)
        end = len(text) if end < 0 else end
        parts += (text[pos:start], pattern.sub(repl, text[start:end]))
        pos = end
        at = text.find(needle, end)
    parts.append(text[pos:])
    return "".join(parts)


_LONG_TEXT = 4096  # characters: a longer text is searched only where a secret name may be
_NON_SPACE = re.compile(r"\S")
_SPARSE = 2000  # characters per secret word: denser text is searched whole, in one pass


# what (?i) matching makes of the letters of the secret words: ASCII case, the Kelvin sign
# (k) and the long s (checked against every code point); length-preserving, unlike lower()
_FOLD = str.maketrans(
    {**{chr(c): chr(c + 32) for c in range(ord("A"), ord("Z") + 1)}, "\u212a": "k", "\u017f": "s"}
)
_WORDS = ("key", "token", "secret", "passw")  # _SECRET_WORD's alternatives


def _word_starts(text: str) -> list[int]:
    """Where _SECRET_WORD matches in ``text``, in order (plain substring searches of the
    folded text: a case-insensitive regex search of a long text is several times slower)."""
    # lower() folds the Kelvin sign too, not the long s, and makes two characters of U+0130
    long_s = "\u017f"
    folded = text.translate(_FOLD) if "\u0130" in text else text.lower().replace(long_s, "s")
    starts = []
    for word in _WORDS:
        at = folded.find(word)
        while at >= 0:
            starts.append(at)
            at = folded.find(word, at + 1)
    return sorted(starts)


def _assignments(text: str) -> str:
    """``_ASSIGNMENT.sub(_assignment, text)``, searching only the lines that hold a secret
    word (a diff of a 10,000-model config holds one or two). Every match starts on such a
    line (its name is one run of non-space characters holding the word), and a search that
    starts on it reads no further than :func:`_reach`: so each search gives the match the
    whole-text search would, and lines without a secret word are never searched."""
    words = _word_starts(text)
    if len(words) * _SPARSE > len(text):  # on most lines (a model list with max_tokens)
        return _ASSIGNMENT.sub(_assignment, text)
    out: list[str] = []
    pos = 0  # text before pos is done
    line_end = -1
    for word in words:
        if word <= line_end:
            continue  # a line is searched once, however many words it holds
        line_start = text.rfind("\n", 0, word) + 1
        line_end = text.find("\n", word)
        line_end = len(text) if line_end < 0 else line_end
        limit = _reach(text, line_end)
        start = max(pos, line_start)
        while start <= line_end:
            match = _ASSIGNMENT.search(text, start, limit)
            if match is None or match.start() > line_end:
                break  # none starts on this line (one further on is found from its own line)
            out += (text[pos : match.start()], _assignment(match))
            pos = start = match.end()
    out.append(text[pos:])
    return "".join(out)


def _reach(text: str, line_end: int) -> int:
    """How far a match that starts on the line ending at ``line_end`` can read: a name, then
    space (newlines too), ``=`` or ``:``, space, the value; so at most to the end of the line
    of the second non-space character after this line."""
    end = line_end
    for _ in range(2):
        found = _NON_SPACE.search(text, end)
        if found is None:
            return len(text)
        end = text.find("\n", found.start())
        if end < 0:
            return len(text)
    return end


def redact_texts(texts: list[str]) -> list[str]:
    """:func:`redact_text` of each of ``texts`` (a column of a long table, say), redacting
    them joined first: every match in one text is a match in the join (the newline between
    them is neither a word nor a value character), so when the join comes back unchanged
    none of them would change. A match across the join only sends the list the slow way."""
    joined = "\n".join(texts)
    if redact_text(joined) == joined:
        return list(texts)
    return [redact_text(text) for text in texts]


def redact_data(value: Any, memo: dict[str, str] | None = None) -> Any:
    """A JSON-ready value with every string redacted (keys of a mapping included).
    ``memo`` (text -> redacted) spares the work on strings seen before in the same output;
    it is only valid while no new secret is registered."""
    if isinstance(value, str):
        if memo is None:
            return redact_text(value)
        done = memo.get(value)
        if done is None:
            done = memo[value] = redact_text(value)
        return done
    if isinstance(value, dict):
        return {redact_data(str(k), memo): redact_data(v, memo) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_data(v, memo) for v in value]
    return value


def for_terminal(text: object) -> str:
    """Text safe to show on a terminal: controls and bidi overrides made visible
    (``\\x1b``, ``\\u202e``); a newline becomes ``\\n`` so it cannot break a table row."""
    shown = str(text)
    if shown.isprintable():  # every character _UNSAFE matches is a control or format one
        return shown
    return _UNSAFE.sub(_visible, shown)


def for_terminal_all(texts: list[str]) -> list[str]:
    """:func:`for_terminal` of each of ``texts``; one test when all are printable."""
    if " ".join(texts).isprintable():
        return list(texts)
    return [for_terminal(text) for text in texts]


def _visible(match: re.Match[str]) -> str:
    code = ord(match[0])
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def clean_text(text: object, limit: int = 500) -> str:
    """Strip terminal control sequences from text a server sent us, and cap its length."""
    if (
        isinstance(text, str)
        and len(text) <= limit
        and text.isprintable()
        and not (text[:1].isspace() or text[-1:].isspace())
    ):
        return text  # nothing to strip (every control and format character is unprintable)
    cleaned = _CONTROL.sub("", str(text)).strip()
    cleaned = _UNSAFE.sub("", cleaned)
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"
