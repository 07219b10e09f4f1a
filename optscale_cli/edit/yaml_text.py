"""YAML edited as text: the few shapes our clients need, every other byte left alone.

ruamel.yaml only parses (for the data, and for where each node sits); it never writes.
What we edit: a top-level key (add, replace its whole value node, remove its lines) and the
items of a top-level block sequence (Continue's ``models``), written in the sequence's own
indentation. Anything else (a flow mapping at the top level, a flow sequence to change, a
key that is not at the top level) is refused with the file, line and column.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from optscale_cli.edit.textlines import content_end, line_start

_ALIAS = re.compile(r"[ \t]*(\*[^\s,\[\]{}]+)")
_PLAIN = re.compile(
    r"[A-Za-z_/][A-Za-z0-9_./@+-]*(?::[A-Za-z0-9_./@+-]+)*(?: [A-Za-z0-9_./@+()-]+)*"
)
_SPECIAL = frozenset(
    [
        "y",
        "n",
        "yes",
        "no",
        "on",
        "off",
        "true",
        "false",
        "null",
        "~",
        "nan",
        "inf",
    ]  # YAML 1.1 and 1.2 words
)


@dataclass
class Entry:
    """One top-level ``key: value`` with the offsets that matter for editing it."""

    key: Any  # the key's value (None for a complex key we never edit)
    kstart: int  # where the key starts
    line: int  # start of the key's line
    end: int  # past the line break of the last line holding something of the entry
    after_colon: int  # just after the ``:`` (-1 when there is none on the key's line)
    vstart: int
    vend: int
    node: Any  # the value node (ruamel)
    alias: bool = False


class Refusal(Exception):
    """An edit we cannot make faithfully as text; ``offset`` is where."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


def compose(text: str) -> Any:
    """The node tree of ``text`` (where each node sits)."""
    return parse(text)[1]


_PARSED: dict[str, tuple[Any, Any]] = {}  # text -> (data, nodes), the last few texts read


def parse(text: str) -> tuple[Any, Any]:
    """What ``text`` says, as plain data (dict, list, str, ...; None for an empty text), and
    its node tree. A text read before in this command (the plan's read, an edit's check, the
    re-read after writing) is not read again; nothing here changes what it returns. Raises
    :class:`Refusal` for a tree that cannot be read as written (:func:`_refuse_unreadable`)."""
    found = _PARSED.get(text)
    if found is not None:
        return found
    found = _read_with_libyaml(text) or _read_with_ruamel(text)
    if len(_PARSED) >= 8:
        _PARSED.pop(next(iter(_PARSED)))
    _PARSED[text] = found
    return found


def _read_with_ruamel(text: str) -> tuple[Any, Any]:
    """ruamel's own reading (pure Python, tens of KB a second): it says what is wrong, where,
    and reads what the quick reader leaves to it. The data is built from the same nodes."""
    import warnings

    from ruamel.yaml import YAML
    from ruamel.yaml.error import ReusedAnchorWarning

    from optscale_cli.edit.documents import plain

    yaml = YAML(typ="rt")
    with warnings.catch_warnings():  # an anchor named again: YAML, no warning to print
        warnings.simplefilter("ignore", ReusedAnchorWarning)
        root = yaml.compose(text)
        _refuse_unreadable(root)
        if _built_in_place(text):  # building the data would change the nodes: read it again
            return plain(YAML(typ="rt").load(text)), root
        return (None if root is None else plain(yaml.constructor.construct_document(root))), root


# What libyaml reads otherwise than ruamel, or reads where ruamel refuses: a directive
# (`%YAML 1.1` changes how scalars resolve) after any line break libyaml knows, those line
# breaks themselves (\x85, \u2028, \u2029: YAML 1.1's), a BOM (libyaml skips one without
# counting it in its offsets), tabs (libyaml takes `a:\t1`), a comment right after a block
# scalar's header (`|#c`), `...` lines (libyaml takes a second one) and the non-specific tag
# `!` (libyaml makes `k: !` an empty string, ruamel a null).
_READ_OTHERWISE_CHARS = ("\x85", "\u2028", "\u2029", "\ufeff", "\t")
_LINE_BREAKS = "\r\n\x85\u2028\u2029"
_BLOCK_HEADER_COMMENT = re.compile(r"[|>][-+0-9]*#")
_NON_SPECIFIC_TAG = re.compile(r"!(?<![^\s\[{,]!)(?:<!>)?(?![^\s,\]}])")  # '!' found first


def _libyaml_reads_otherwise(text: str) -> bool:
    """Whether ``text`` holds any of the above. Each test looks for its own character (a
    plain substring search, or a pattern that starts with it) before anything else: one
    pattern of all of them was tried at every offset, 8 ms for 100 KB."""
    return (
        any(char in text for char in _READ_OTHERWISE_CHARS)
        or _starts_a_line(text, "%")
        or _starts_a_line(text, "...")
        or ("#" in text and _BLOCK_HEADER_COMMENT.search(text) is not None)
        or ("!" in text and _NON_SPECIFIC_TAG.search(text) is not None)
    )


def _starts_a_line(text: str, word: str) -> bool:
    at = text.find(word)
    while at > 0 and text[at - 1] not in _LINE_BREAKS:
        at = text.find(word, at + 1)
    return at >= 0


def _read_with_libyaml(text: str) -> tuple[Any, Any] | None:
    """The same reading ten times faster: libyaml's parser (C, in ruamel.yaml.clib) makes the
    events, our composer (ruamel's, quicker: :mod:`optscale_cli.edit.yaml_compose`; Python:
    nesting too deep for it raises RecursionError, where libyaml's C composer would overflow
    the stack) and ruamel's YAML 1.2 resolver make the nodes, and :func:`_plain_data` the
    data. None (ruamel reads it): no clib, what libyaml reads otherwise
    (:func:`_libyaml_reads_otherwise`), a tree :func:`_plain_data` leaves to ruamel (merge keys,
    value keys, complex keys, tags but the core schema's), or anything libyaml refuses, so
    errors are always ruamel's, named by line and column."""
    if _libyaml_reads_otherwise(text):
        return None
    try:
        from optscale_cli.edit.yaml_compose import compose, compose_lean
    except ImportError:  # no ruamel.yaml.clib
        return None
    aliases = "*" in text  # a text without them has its deep data read without nodes
    try:
        root, below = (compose(text), None) if aliases else compose_lean(text)
    except RecursionError:
        raise
    except Exception:  # (noqa: BLE001) ruamel reads it again and says what is wrong
        return None
    if aliases:  # an alias may repeat; else a key written twice is all, and it is ruamel's
        _refuse_unreadable(root)
    try:
        return (None if root is None else _plain_data(root, below)), root
    except _NotPlain:
        return None


_MOST_REPEATED = 10_000_000  # characters that aliases may add to what the file itself holds


def _refuse_unreadable(root: Any) -> None:
    """Refuse, naming where, a tree that cannot be read as plain data as it is written: a key
    written twice in one mapping (ruamel misses it after a tag: ``!!str k: 1`` then ``k: 2``),
    a list or mapping holding an alias of itself (``a: &a [*a]``), and aliases that repeat
    more than ``_MOST_REPEATED`` characters: a few hundred bytes can stand for billions of
    values (a "billion laughs"), and comparing or copying the data would never end. Each node
    is looked at once, with what is below it."""
    if root is None:
        return
    sizes: dict[int, int] = {}  # a node's size: its characters, with what is below it
    own = [0]  # the same, each node counted once: what the file itself holds

    def size(node: Any) -> int:
        known = sizes.get(id(node))
        if known is None:
            if not isinstance(node.value, list):
                known = 1 + len(node.value)
            else:
                sizes[id(node)] = -1  # open: an alias of it from below is of itself
                known = 1 + sum(size(n) for n in _members(node))
            own[0] += 1 + len(node.value) if isinstance(node.value, str) else 1
            sizes[id(node)] = known
        elif known < 0:
            raise Refusal(
                "a list or mapping holds an alias (*name) of itself: edit it by hand",
                node.start_mark.index,
            )
        return known

    if size(root) - own[0] > _MOST_REPEATED:
        raise Refusal(
            "its aliases (*name) repeat more than ten million characters; optscale does not"
            " expand that much: edit it by hand",
            root.start_mark.index,
        )


def _members(node: Any) -> list[Any]:
    """The nodes right below a list or mapping, keys and values; a key written twice (but a
    merge key, ``<<``) is refused."""
    if not node.value or not isinstance(node.value[0], tuple):
        return list(node.value)
    seen: set[str] = set()
    members = []
    for key, value in node.value:
        if isinstance(key.value, str) and key.tag != _MERGE:
            if key.value in seen:
                raise Refusal(
                    f"the key '{key.value}' is written twice in one mapping: remove one,"
                    " or edit it by hand",
                    key.start_mark.index,
                )
            seen.add(key.value)
        members += (key, value)
    return members


class _NotPlain(Exception):
    """A tree :func:`_plain_data` leaves to ruamel's reading."""


def _plain_data(root: Any, below: dict[int, Any] | None = None) -> Any:
    """The plain data of a node tree that holds only maps, lists and scalars with string keys:
    strings and nulls as they are, other scalars (numbers, booleans, dates) built by ruamel's
    own constructor, so the data is what ruamel's reading makes of them. An alias's data is
    its anchor's own object, not a copy (as ruamel builds it): read it, never change it.
    ``below``: the data of the nodes composed without members (``compose_lean``), by id."""
    below = below or {}
    from ruamel.yaml import YAML
    from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode

    from optscale_cli.edit.documents import plain
    from optscale_cli.edit.yaml_compose import tag_text

    constructor = YAML(typ="rt").constructor
    built: dict[int, Any] = {}  # an anchored node's data, built once for all its aliases

    def tag_of(node: Any) -> Any:
        return tag_text(node.ctag)  # node.tag, found once per tag (node.tag decodes it anew)

    def build(node: Any) -> Any:
        anchored = node.anchor is not None  # only an anchored node is reached twice
        if anchored and id(node) in built:
            return built[id(node)]
        kind, tag = type(node), tag_of(node)
        if kind is ScalarNode:
            if tag == _STR:
                value = node.value
            elif tag == _NULL:
                value = None
            elif tag in _BUILT:
                try:
                    value = plain(constructor.construct_object(node))
                except Exception:  # (noqa: BLE001) `!!bool x`: ruamel says what is wrong
                    raise _NotPlain from None
            else:
                raise _NotPlain  # another tag (`!!binary`, `!custom`): ruamel reads it
        elif id(node) in below and tag in (_MAP, _SEQ):
            value = below[id(node)]  # its members' data, read without nodes
        elif kind is MappingNode and tag == _MAP:
            value = {}
            for key, item in node.value:
                if type(key) is not ScalarNode or tag_of(key) != _STR or key.value in value:
                    raise _NotPlain  # a complex, non-string or repeated key
                value[key.value] = build(item)
        elif kind is SequenceNode and tag == _SEQ:
            value = [build(item) for item in node.value]
        else:
            raise _NotPlain
        if anchored:
            built[id(node)] = value
        return value

    return build(root)


_STR, _NULL = "tag:yaml.org,2002:str", "tag:yaml.org,2002:null"
_MERGE = "tag:yaml.org,2002:merge"
_BUILT = frozenset(f"tag:yaml.org,2002:{name}" for name in ("bool", "int", "float", "timestamp"))
_MAP, _SEQ = "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"


def compose_every_node(text: str) -> Any:
    """The node tree of ``text`` with every node made (:func:`parse`'s quick reading makes
    them only where the edits look); None when it cannot be made."""
    try:
        if "*" in text or _libyaml_reads_otherwise(text):
            return parse(text)[1]  # every node made already
        from optscale_cli.edit.yaml_compose import compose

        return compose(text)
    except Exception:  # (noqa: BLE001) a place to name is all this is for
        return None


def key_node(root: Any, path: Any) -> Any:
    """The node of the key that holds ``path`` (keys and list indexes) in the tree ``root``,
    or None (also for a path below what :func:`parse`'s quick reading makes nodes of: see
    :func:`compose_every_node`)."""
    from ruamel.yaml.nodes import MappingNode, SequenceNode

    node, key = root, None
    for part in path:
        if isinstance(node, MappingNode):
            pair = next((p for p in node.value if getattr(p[0], "value", None) == part), None)
            key, node = pair if pair is not None else (None, None)
        elif isinstance(node, SequenceNode) and isinstance(part, int) and part < len(node.value):
            key, node = None, node.value[part]
        else:
            return None
    return key


def _built_in_place(text: str) -> bool:
    """Whether ruamel's constructor might edit the nodes it builds from: it drops merge keys
    (``<<``) from their mapping and retags value keys (``=``); tags may name either."""
    return "<<" in text or "=" in text or "!" in text


def _empty(node: Any) -> bool:
    """A value written as nothing at all (no text, no tag, no anchor)."""
    from ruamel.yaml.nodes import ScalarNode

    return (
        isinstance(node, ScalarNode)
        and node.value == ""
        and node.style is None
        and node.start_mark.index == node.end_mark.index
    )


def _is_block(node: Any) -> bool:
    from ruamel.yaml.nodes import MappingNode, SequenceNode

    return isinstance(node, MappingNode | SequenceNode) and not node.flow_style


def entries(text: str, root: Any) -> list[Entry]:
    """The top-level entries of ``text`` (whose composed node is ``root``), in order."""
    from ruamel.yaml.nodes import MappingNode, ScalarNode

    if root is None:
        return []
    if not isinstance(root, MappingNode):
        raise Refusal("the top level is not a mapping", root.start_mark.index)
    if root.flow_style:
        raise Refusal(
            "the top level is a flow mapping ({...}); optscale edits only block mappings"
            " (one 'key: value' a line): rewrite it in block style, or edit it by hand",
            root.start_mark.index,
        )
    found: list[Entry] = []
    pairs = root.value
    for index, (knode, vnode) in enumerate(pairs):
        kstart = knode.start_mark.index
        line = line_start(text, kstart)
        if index + 1 < len(pairs):
            region_end = line_start(text, pairs[index + 1][0].start_mark.index)
        else:
            region_end = root.end_mark.index
            if region_end != len(text):
                region_end = line_start(text, region_end)
        end = content_end(text, kstart, max(region_end, line))
        simple = isinstance(knode, ScalarNode) and not text[line:kstart].strip()
        key = knode.value if simple else None
        after_colon = -1
        if simple:
            at = knode.end_mark.index
            while at < len(text) and text[at] in " \t":
                at += 1
            if text.startswith(":", at):
                after_colon = at + 1
        alias = vnode.start_mark.index < kstart
        bare_end = end - (
            2 if text[:end].endswith("\r\n") else 1 if text[:end].endswith("\n") else 0
        )
        if alias:
            match = _ALIAS.match(text, max(after_colon, 0))
            vstart = match.start(1) if match else after_colon
            vend = match.end(1) if match else after_colon
        elif _empty(vnode):  # `key:` and nothing: ruamel marks it where the next token is
            vstart = vend = max(after_colon, kstart)
        else:
            vstart = vnode.start_mark.index
            if _is_block(vnode):
                vend = bare_end
            elif isinstance(vnode, ScalarNode) and vnode.style in ("|", ">"):
                vend = min(vnode.end_mark.index, bare_end)
                while vend > vstart + 1 and text[vend - 1] in " \t\r\n":
                    vend -= 1
            else:
                vend = vnode.end_mark.index
        found.append(
            Entry(key, kstart, line, end, after_colon, vstart, max(vend, after_colon), vnode, alias)
        )
    return found


@dataclass
class Items:
    """The items of a block sequence: each one's line span, and the layout to copy."""

    spans: list[tuple[int, int]]
    dash_column: int
    content_offset: int


def sequence_items(text: str, entry: Entry) -> Items:
    node = entry.node
    spans: list[tuple[int, int]] = []
    dash_column, content_offset = 0, 2
    for index, item in enumerate(node.value):
        start = item.start_mark.index
        if start < entry.kstart:
            raise Refusal("an item of this list is an alias (*name); edit it by hand", entry.kstart)
        dash = start - 1
        while dash >= 0 and text[dash] in " \t\r\n":
            dash -= 1
        line = line_start(text, dash)
        if dash < 0 or text[dash] != "-" or text[line:dash].strip():
            raise Refusal("cannot tell where an item of this list starts", start)
        if index == 0:
            dash_column = dash - line
            if "\n" not in text[dash:start]:
                content_offset = start - dash
        spans.append((line, 0))
    for index, (line, _) in enumerate(spans):
        nxt = spans[index + 1][0] if index + 1 < len(spans) else None
        spans[index] = (line, entry.end if nxt is None else content_end(text, line, nxt))
    return Items(spans, dash_column, content_offset)


def scalar(value: Any) -> str:
    """``value`` as a YAML scalar that any YAML 1.1 or 1.2 reader takes back as it is."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value:
            return ".nan"
        if value in (float("inf"), float("-inf")):
            return ".inf" if value > 0 else "-.inf"
        return repr(value)
    text = str(value)
    if _PLAIN.fullmatch(text) and text.lower() not in _SPECIAL and not text.endswith(":"):
        return text
    quoted = json.dumps(text, ensure_ascii=False)
    return "".join(ch if _printable(ch) else _escape(ch) for ch in quoted)


def _printable(ch: str) -> bool:
    code = ord(ch)
    return (
        0x20 <= code <= 0x7E
        or 0xA0 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    )


def _escape(ch: str) -> str:
    code = ord(ch)
    return f"\\u{code:04X}" if code <= 0xFFFF else f"\\U{code:08X}"


def block(value: Any, column: int, seq_offset: int, content_offset: int = 2) -> list[str]:
    """``value`` (a non-empty mapping or list) as block lines starting at ``column``."""
    pad = " " * column
    lines: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            head = f"{pad}{scalar(key)}:"
            if isinstance(item, dict | list) and item:
                lines.append(head)
                inner = column + (2 if isinstance(item, dict) else seq_offset)
                lines += block(item, inner, seq_offset, content_offset)
            else:
                lines.append(f"{head} {inline(item)}")
        return lines
    for item in value:
        if isinstance(item, dict | list) and item:
            inner = block(item, column + content_offset, seq_offset, content_offset)
            lines.append(f"{pad}-{' ' * max(content_offset - 1, 1)}{inner[0].lstrip(' ')}")
            lines += inner[1:]
        else:
            lines.append(f"{pad}- {inline(item)}")
    return lines


def inline(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{scalar(k)}: {inline(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(inline(v) for v in value) + "]"
    return scalar(value)
