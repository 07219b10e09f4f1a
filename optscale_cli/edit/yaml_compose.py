"""The quick reader of :mod:`optscale_cli.edit.yaml_text`: libyaml's events (C, from
ruamel.yaml.clib) made into ruamel's nodes by ruamel's composer and resolver, with less work
per event (:func:`compose`).

Imported only when a YAML file is read (ruamel is not loaded otherwise).
"""

from __future__ import annotations

import functools
from typing import Any

from _ruamel_yaml import CParser  # ruamel.yaml.clib: without it, the quick reader is not used
from ruamel.yaml.composer import Composer, ComposerError
from ruamel.yaml.events import (
    AliasEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.resolver import VersionedResolver
from ruamel.yaml.tag import Tag

from optscale_cli.edit.yaml_text import _BUILT, _MAP, _NULL, _SEQ, _STR, _NotPlain

# A scalar node (most of a file's nodes) is made with its slots set here, in a third of the
# time of its __init__, while ruamel's nodes hold what this ruamel's do; else as usual.
_NODE_SLOTS = ("ctag", "value", "start_mark", "end_mark", "comment", "anchor")
_MAKE_SCALAR = (
    ScalarNode.__new__
    if Node.__slots__ == _NODE_SLOTS and ScalarNode.__slots__ == ("style",)
    else None
)


class QuickComposer(Composer):
    """ruamel's composer, its ``compose_node`` and the ``compose_*_node`` it calls in one:
    each event taken once (not checked against each kind, then peeked, then taken), an
    implicit scalar's tag resolved once per text (the resolver's answer depends on the text
    alone: there are no path resolvers here), one Python call per node. The nodes, their
    tags, marks, styles, anchors and comments are those ruamel makes. An anchor named again
    is YAML (the aliases after it mean the later node, as here); ruamel warns of it on
    stderr, with its own source lines: not here."""

    parser = resolver = None  # plain attributes here (ruamel's properties ask the loader)

    def __init__(self, loader: Any) -> None:
        super().__init__(loader=loader)
        self.parser, self.resolver = loader._parser, loader._resolver
        self.scalar_tags: dict[tuple[str, Any], Any] = {}  # a scalar's tag, by its text

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.parser.get_event()
        kind = type(event)
        if kind is AliasEvent:
            if event.anchor not in self.anchors:
                raise ComposerError(
                    None, None, f"found undefined alias {event.anchor!r}", event.start_mark
                )
            return self.anchors[event.anchor]
        node = self._scalar(event) if kind is ScalarEvent else self._collection(event, kind)
        if event.anchor is not None:
            self.anchors[event.anchor] = node
        if kind is not ScalarEvent:
            self._compose_items(node)
        return node

    def _scalar(self, event: Any) -> Any:
        tag = event.ctag
        if tag is None or str(tag) == "!":
            key = (event.value, event.implicit)
            tag = self.scalar_tags.get(key)
            if tag is None:
                tag = self.resolver.resolve(ScalarNode, event.value, event.implicit)
                self.scalar_tags[key] = tag
        if _MAKE_SCALAR is None:
            return ScalarNode(
                tag,
                event.value,
                event.start_mark,
                event.end_mark,
                style=event.style,
                comment=event.comment,
                anchor=event.anchor,
            )
        node = _MAKE_SCALAR(ScalarNode)  # what ScalarNode.__init__ sets, without its calls
        node.ctag = tag if type(tag) is Tag else Tag(suffix=tag)
        node.value, node.style = event.value, event.style
        node.start_mark, node.end_mark = event.start_mark, event.end_mark
        node.comment, node.anchor = event.comment, event.anchor
        return node

    def _collection(self, event: Any, kind: type) -> Any:
        node_class = SequenceNode if kind is SequenceStartEvent else MappingNode
        tag = event.ctag
        if tag is None or str(tag) == "!":
            tag = self.resolver.resolve(node_class, None, event.implicit)
        return node_class(
            tag,
            [],
            event.start_mark,
            None,
            flow_style=event.flow_style,
            comment=event.comment,
            anchor=event.anchor,
        )

    def _compose_items(self, node: Any) -> None:
        """The items of a list or mapping ``node``, up to its end event."""
        items, peek, compose = node.value, self.parser.peek_event, self.compose_node
        if node.id == "sequence":
            index = 0
            while type(peek()) is not SequenceEndEvent:
                items.append(compose(node, index))
                index += 1
        else:
            while type(peek()) is not MappingEndEvent:
                key = compose(node, None)
                items.append((key, compose(node, key)))
        end_event = self.parser.get_event()
        if node.flow_style is True and end_event.comment is not None:
            node.comment = end_event.comment
        node.end_mark = end_event.end_mark
        self.check_end_doc_comment(end_event, node)


_SHARED_BUILT = frozenset(f"tag:yaml.org,2002:{name}" for name in ("bool", "int", "float"))
_NONE = object()


_TAG_TEXTS: dict[str, str] = {}  # a tag's text, by its suffix (a Tag without a handle)


def tag_text(tag: Any) -> str:
    """The tag a node made with ``tag`` says it has (``node.tag``): without a handle, a
    function of the suffix alone, found once (ruamel decodes it a character at a time)."""
    if type(tag) is Tag:
        if tag.handle is not None:
            return str(tag)
        tag = tag.suffix
    text = _TAG_TEXTS.get(tag)
    if text is None:
        text = _TAG_TEXTS[tag] = str(Tag(suffix=tag))
    return text


class LeanComposer(QuickComposer):
    """:class:`QuickComposer`'s nodes where the edits look: the top-level mapping, its keys
    and values, and the items of a top-level list (their marks say where each entry and
    list item is). Below them, no nodes, only the data, built from the events as
    :func:`optscale_cli.edit.yaml_text._plain_data` builds it from nodes; a node whose
    members have none keeps their data in :attr:`below` and an empty ``value``. Most of a
    big file's nodes are below that line. For a text without aliases (an alias's data is
    its anchor's node's). Anything that data leaves to ruamel raises ``_NotPlain``, as
    building it from nodes does."""

    def __init__(self, loader: Any) -> None:
        super().__init__(loader)
        self.level = -1
        self.below: dict[int, Any] = {}  # id(node) -> the data of a node without members
        self.tag_texts: dict[tuple[Any, ...], str] = {}  # an implicit tag's text, by its text
        self.constructor: Any = None
        self.built: dict[tuple[str, str], Any] = {}  # an untagged number's or boolean's data
        self.end_event: Any = None  # the end event of the last list or mapping read as data

    def compose_node(self, parent: Any, index: Any) -> Any:
        self.level += 1
        try:
            level = self.level
            if level == 0 or (
                level == 1 and type(self.parser.peek_event()) is not MappingStartEvent
            ):
                return super().compose_node(parent, index)  # the root, a top-level list
            event = self.parser.get_event()
            kind = type(event)
            if kind is ScalarEvent:
                return self._scalar(event)
            if kind is AliasEvent:
                raise _NotPlain
            node = self._collection(event, kind)
            self.below[id(node)] = self._members_data(event)
            node.end_mark = self.end_event.end_mark
            return node
        finally:
            self.level -= 1

    def _members_data(self, event: Any) -> Any:
        """The data of the list or mapping ``event`` starts, its end event taken last (and
        kept in :attr:`end_event`). One Python frame a level: a list in a list in a list ...
        is refused as nested too deeply (RecursionError) no sooner than it was with nodes."""
        kind = type(event)
        if kind is AliasEvent:
            raise _NotPlain
        is_map = kind is MappingStartEvent
        tag = event.ctag
        if tag is None or str(tag) == "!":
            key = (kind, event.implicit)
            text = self.tag_texts.get(key)
            if text is None:
                node_class = MappingNode if is_map else SequenceNode
                text = self.tag_texts[key] = tag_text(
                    self.resolver.resolve(node_class, None, event.implicit)
                )
        else:
            text = tag_text(tag)
        if text != (_MAP if is_map else _SEQ):
            raise _NotPlain
        get, scalar, members = self.parser.get_event, self._scalar_data, self._members_data
        value: Any
        if is_map:
            value = {}
            while type(item := get()) is not MappingEndEvent:
                if type(item) is not ScalarEvent or self._scalar_tag(item) != _STR:
                    raise _NotPlain  # a complex or non-string key
                if item.value in value:
                    raise _NotPlain  # a key written twice: ruamel says so
                member = get()
                value[item.value] = (
                    scalar(member) if type(member) is ScalarEvent else members(member)
                )
        else:
            value = []
            while type(item := get()) is not SequenceEndEvent:
                value.append(scalar(item) if type(item) is ScalarEvent else members(item))
        self.end_event = item
        return value

    def _scalar_tag(self, event: Any) -> str:
        tag = event.ctag
        if tag is None or str(tag) == "!":
            implicit = event.implicit  # a quoted scalar's tag does not depend on its text
            key = (event.value if implicit[0] else None, implicit)
            text = self.tag_texts.get(key)
            if text is None:
                text = self.tag_texts[key] = tag_text(
                    self.resolver.resolve(ScalarNode, event.value, event.implicit)
                )
            return text
        return tag_text(tag)

    def _scalar_data(self, event: Any) -> Any:
        tag = self._scalar_tag(event)
        if tag == _STR:
            return event.value
        if tag == _NULL:
            return None
        if tag not in _BUILT:
            raise _NotPlain  # another tag (`!!binary`, `!custom`): ruamel reads it
        # an untagged number or boolean is the same for the same text: built once
        key = (tag, event.value) if event.ctag is None and tag in _SHARED_BUILT else None
        value = self.built.get(key, _NONE) if key else _NONE
        if value is _NONE:
            value = self._construct(event)
            if key:
                self.built[key] = value
        return value

    def _construct(self, event: Any) -> Any:
        from optscale_cli.edit.documents import plain

        if self.constructor is None:
            from ruamel.yaml import YAML

            self.constructor = YAML(typ="rt").constructor
        try:
            return plain(self.constructor.construct_object(self._scalar(event)))
        except RecursionError:
            raise  # at the bottom of a list nested too deeply: refused as such
        except Exception:  # (noqa: BLE001) `!!bool x`: ruamel says what is wrong
            raise _NotPlain from None


class QuickResolver(VersionedResolver):
    """ruamel's YAML 1.2 resolver, its table for the version looked up once (the quick
    reader reads no %YAML directive: the version is 1.2 throughout)."""

    versioned_resolver = functools.cached_property(
        VersionedResolver.versioned_resolver.fget  # type: ignore[attr-defined]
    )


class _Loader:
    """What ruamel's composer and resolver ask their loader for: no %YAML directive is read
    here (texts with one go to ruamel), so the version is 1.2 throughout."""

    max_depth = None
    _composer = None
    yaml_version = None

    def __init__(self, text: str) -> None:
        self._scanner = self
        self._parser = CParser(text)
        self._resolver = QuickResolver(loader=self)


def compose(text: str, composer_class: type[Composer] = QuickComposer) -> Any:
    """The node tree of ``text`` made by ``composer_class`` of libyaml's events (None for
    an empty text); what libyaml or the composer raise, as they raise it."""
    return composer_class(loader=_Loader(text)).get_single_node()


def compose_lean(text: str) -> tuple[Any, dict[int, Any]]:
    """:func:`compose` with a :class:`LeanComposer`: the nodes, and the data of the nodes
    made without members (by ``id``)."""
    composer = LeanComposer(loader=_Loader(text))
    return composer.get_single_node(), composer.below
