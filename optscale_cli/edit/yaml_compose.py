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
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.resolver import VersionedResolver
from ruamel.yaml.tag import Tag

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
