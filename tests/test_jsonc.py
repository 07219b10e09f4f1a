"""The JSONC editor: comments and layout survive, errors say where, edits undo exactly."""

from __future__ import annotations

import contextlib
import copy
import json
import random
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from optscale_cli.edit.jsonc import (
    JsoncError,
    detect_indent,
    get_value,
    loads,
    locate,
    remove_value,
    set_value,
)

DOC = """{
  // leading comment, with "quotes" and // slashes
  "url": "http://x/*not a comment*/", /* block */
  "list": [1, 2, 3,],
  "nested": {
    "a": -1.5e+10, // trailing note
  },
}
"""


def same(a: Any, b: Any) -> bool:
    """Equal as JSON: true is not 1, and 1 is not 1.0."""
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(map(same, a, b))
    return type(a) is type(b) and a == b


# -- parsing ---------------------------------------------------------------------------------


def test_parse_jsonc_features() -> None:
    data = loads(DOC)
    assert data == {"url": "http://x/*not a comment*/", "list": [1, 2, 3], "nested": {"a": -1.5e10}}
    tricky = r'{"k\"//": "a /* b */ \\ {x}", "e": "\u00e9\n\t", "n": [0, -0.5, 1E-3, true, null]}'
    assert loads(tricky, allow_comments=False) == json.loads(tricky)
    assert loads('{"a": 1, "a": 2}') == {"a": 2}  # the last duplicate wins
    assert loads("\ufeff[1] // end") == [1]
    assert loads('{"t": "raw\ttab"}') == {"t": "raw\ttab"}  # tolerated in JSONC only


@pytest.mark.parametrize(
    ("text", "line", "column", "message"),
    [
        ('{\n  "a": 1\n  "b": 2\n}', 3, 3, "expected ','"),
        ('{\n  "a": "open\n}', 2, 8, "unterminated string"),
        ('{"a": "open', 1, 7, "unterminated string"),
        ("{\n  // c\n}", 2, 3, "comments are not allowed"),
        ("[1, /* c */ 2]", 1, 5, "comments are not allowed"),
        ('{"a": 1,}', 1, 8, "trailing comma"),
        ("[1,\n 2,\n]", 2, 3, "trailing comma"),
        ("", 1, 1, "empty document"),
        ("  \n ", 2, 2, "empty document"),
        ('{"a": tru}', 1, 7, "unexpected character"),
        ('{"a": 01}', 1, 7, "invalid number"),
        ('{"a": 1.}', 1, 7, "invalid number"),
        ('{"a": "x\\q"}', 1, 9, "invalid escape"),
        ('{"a": "x\ty"}', 1, 9, "control character"),
        ('{"a" 1}', 1, 6, "expected ':'"),
        ("{a: 1}", 1, 2, "property name"),
        ('{"a": 1} 2', 1, 10, "after the end"),
        ('{"a": [1, 2}', 1, 12, "expected ',' or ']'"),
        ('{"a": 1', 1, 8, "expected ',' or '}'"),
        ('{"a":', 1, 6, "end of text"),
        ("\ufeff{,}", 1, 2, "property name"),
        ("[NaN]", 1, 2, "unexpected character"),
    ],
)
def test_errors_point_at_the_problem(text: str, line: int, column: int, message: str) -> None:
    with pytest.raises(JsoncError) as err:
        loads(text, allow_comments=False)
    assert (err.value.line, err.value.column) == (line, column)
    assert message in err.value.message
    assert str(err.value) == f"line {line}, column {column}: {err.value.message}"


def test_jsonc_errors() -> None:
    with pytest.raises(JsoncError, match=r"line 2, column 1: unterminated /\* comment"):
        loads("{}\n/* open")
    with pytest.raises(JsoncError, match="nested too deeply"):
        loads("[" * 5000)


# -- set_value -------------------------------------------------------------------------------


def test_set_keeps_comments_and_trailing_comma_style() -> None:
    out = set_value(DOC, ["nested", "b"], {"k": "v"})
    assert "// trailing note" in out and "/* block */" in out
    assert loads(out)["nested"] == {"a": -1.5e10, "b": {"k": "v"}}
    assert '"b": {\n      "k": "v"\n    },' in out  # follows the file's trailing commas
    assert remove_value(out, ["nested", "b"]) == DOC


def test_comma_goes_before_a_trailing_comment() -> None:
    text = '{\n  "a": 1 // note, with a comma\n}'  # no final newline
    out = set_value(text, ["b"], 2)
    assert out == '{\n  "a": 1, // note, with a comma\n  "b": 2\n}'
    assert remove_value(out, ["b"]) == text
    text = '{\n  "a": 1 /* spans\n  lines */\n}\n'
    assert set_value(text, ["b"], 2) == '{\n  "a": 1, /* spans\n  lines */\n  "b": 2\n}\n'


def test_replace_value_in_place_and_idempotent() -> None:
    out = set_value(DOC, ["url"], "https://y")
    assert out == DOC.replace('"http://x/*not a comment*/"', '"https://y"')
    assert set_value(out, ["url"], "https://y") == out
    assert set_value(DOC, ["list"], (1, 2, 3)) == DOC  # equal as JSON: left alone
    assert set_value('{"a": 1}', ["a"], True) == '{"a": true}'  # but true is not 1
    assert set_value('{"a": 1}', ["a"], 1.0) == '{"a": 1.0}'
    assert set_value(DOC, ["list", -1], 4) == DOC.replace("3,]", "4,]")


def test_nested_create_and_keys_with_slashes_and_colons() -> None:
    text = '{\n  "provider": {\n    "models": {"openai/gpt-4.1": {}}\n  }\n}\n'
    out = set_value(text, ["provider", "models", "ollama/qwen3:32b"], {"name": "Q"})
    assert '{"openai/gpt-4.1": {}, "ollama/qwen3:32b": {"name": "Q"}}' in out
    out = set_value(out, ["provider", "optscale", "options", "baseURL"], "https://gw/v1")
    assert loads(out)["provider"]["optscale"] == {"options": {"baseURL": "https://gw/v1"}}
    assert '\n    "optscale": {\n      "options": {\n        "baseURL": "https://gw/v1"\n' in out
    assert get_value(out, ["provider", "models", "ollama/qwen3:32b", "name"]) == "Q"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{}", '{\n  "k": [\n    1\n  ]\n}'),
        ("{ }", '{\n  "k": [\n    1\n  ]\n}'),
        ("{\n}\n", '{\n  "k": [\n    1\n  ]\n}\n'),
        ("{ /* keep */ }", '{ /* keep */\n  "k": [\n    1\n  ]\n}'),
        ("{ // keep\n}", '{ // keep\n  "k": [\n    1\n  ]\n}'),
        ('{\n  "a": 1}', '{\n  "a": 1,\n  "k": [\n    1\n  ]\n}'),
        ('{"a": 1}', '{"a": 1, "k": [1]}'),
        ('{"a": 1,}', '{"a": 1, "k": [1],}'),
        ('{"a": {}}', '{"a": {}, "k": [1]}'),
    ],
)
def test_insert_into_empty_and_one_line_objects(text: str, expected: str) -> None:
    assert set_value(text, ["k"], [1]) == expected


def test_crlf_tabs_bom_and_compact() -> None:
    crlf = '\ufeff{\r\n\t"a": 1\r\n}\r\n'
    out = set_value(crlf, ["b"], [1])
    assert out.startswith("\ufeff{") and '\r\n\t"b": [\r\n\t\t1\r\n\t]' in out
    assert "\n" not in out.replace("\r\n", "")
    assert remove_value(out, ["b"]) == crlf
    assert set_value("{\r\n}", ["b"], {"c": 1}) == '{\r\n  "b": {\r\n    "c": 1\r\n  }\r\n}'
    assert set_value('{"a": 1}', ["b"], 2) == '{"a": 1, "b": 2}'
    assert set_value('{\n  "a": 1\n}', ["b"], 2, indent="    ") == '{\n  "a": 1,\n  "b": 2\n}'
    assert set_value('{\n  "a": 1\n}', ["b"], {"c": 1}, indent="\t") == (
        '{\n  "a": 1,\n  "b": {\n  \t"c": 1\n  }\n}'
    )


def test_arrays() -> None:
    text = '{\n  "l": [\n    1,\n    2\n  ],\n  "m": [1]\n}'
    out = set_value(text, ["l", 2], {"x": 1})
    assert out == '{\n  "l": [\n    1,\n    2,\n    {\n      "x": 1\n    }\n  ],\n  "m": [1]\n}'
    assert remove_value(out, ["l", 2]) == text
    assert set_value(text, ["m", 1], 2).endswith('"m": [1, 2]\n}')
    assert set_value(text, ["l", 0], "one").startswith('{\n  "l": [\n    "one",\n')
    assert remove_value(text, ["l", -1]) == '{\n  "l": [\n    1\n  ],\n  "m": [1]\n}'
    assert remove_value(text, ["m", 0]) == '{\n  "l": [\n    1,\n    2\n  ],\n  "m": []\n}'
    with pytest.raises(IndexError):
        set_value(text, ["l", 5], 1)


def test_set_into_non_object_is_refused() -> None:
    with pytest.raises(TypeError, match="a/b is a string"):
        set_value('{"a": {"b": "text"}}', ["a", "b", "c"], 1)
    with pytest.raises(TypeError, match="the top level is an array"):
        set_value("[1]", ["a"], 1)
    with pytest.raises(TypeError):
        set_value("{}", ["a", 0], 1)  # no list is made up
    with pytest.raises(ValueError, match="as JSON"):
        set_value("{}", ["a"], float("nan"))
    with pytest.raises(JsoncError):
        set_value('{"a": }', ["a"], 1)


# -- remove_value ----------------------------------------------------------------------------

MEMBERS = """{
  // about a
  "a": 1,
  "b": [2, 3], // about b
  /* about c */
  "c": {
    "d": true
  }
}
"""


def test_remove_first_middle_last() -> None:
    first = remove_value(MEMBERS, ["a"])
    assert first == MEMBERS.replace('  "a": 1,\n', "")
    middle = remove_value(MEMBERS, ["b"])
    assert middle == MEMBERS.replace('  "b": [2, 3], // about b\n', "")
    last = remove_value(MEMBERS, ["c"])
    assert last == '{\n  // about a\n  "a": 1,\n  "b": [2, 3] // about b\n  /* about c */\n}\n'
    assert remove_value(MEMBERS, ["c", "d"]).endswith('"c": {}\n}\n')
    assert remove_value(MEMBERS, ["b", 0]).count('"b": [3], // about b') == 1
    assert remove_value(MEMBERS, ["missing"]) == MEMBERS
    assert remove_value(MEMBERS, ["a", "x"]) == MEMBERS


@pytest.mark.parametrize(
    ("text", "path", "expected"),
    [
        ('{"a": 1, "b": 2, "c": 3}', ["a"], '{"b": 2, "c": 3}'),
        ('{"a": 1, "b": 2, "c": 3}', ["b"], '{"a": 1, "c": 3}'),
        ('{"a": 1, "b": 2, "c": 3}', ["c"], '{"a": 1, "b": 2}'),
        ('{"a": 1, "b": 2,}', ["b"], '{"a": 1,}'),
        ('{ "a": 1 }', ["a"], "{}"),
        ('{"a": 1, "a": 2, "b": 3}', ["a"], '{"b": 3}'),  # every duplicate goes
        ('{\n  "a": 1, "b": 2\n}', ["a"], '{\n  "b": 2\n}'),
        ('{\n  "a": 1,\n  "b": 2}', ["b"], '{\n  "a": 1}'),
        ('{\r\n  "a": 1,\r\n  "b": 2\r\n}', ["b"], '{\r\n  "a": 1\r\n}'),
        ('{\n  "a": 1\n}', ["a"], "{}"),
        ('{\n  // keep\n  "a": 1\n}', ["a"], "{\n  // keep\n}"),
    ],
)
def test_remove_layouts(text: str, path: list[str], expected: str) -> None:
    assert remove_value(text, path) == expected


def test_get_locate_and_detect_indent() -> None:
    assert get_value(DOC, ["nested", "a"]) == -1.5e10
    assert get_value(DOC, []) == loads(DOC)
    assert locate(DOC, ["nested", "a"]) == (6, 5)
    assert locate(DOC, ["list", 1]) == (4, 15)
    assert locate("\ufeff[1]", [0]) == (1, 2)
    with pytest.raises(KeyError):
        get_value(DOC, ["missing"])
    with pytest.raises(KeyError):
        get_value(DOC, ["list", 3])
    assert detect_indent('{\n    "a": 1\n}') == "    "
    assert detect_indent('{\n\t"a": 1\n}') == "\t"
    assert detect_indent('/*\n * header\n */\n{\n    "a": {\n        "b": 1\n    }\n}') == "    "
    assert detect_indent('{"a": 1}') == "  "
    assert detect_indent('{\n   "broken": \n') == "   "


# -- properties ------------------------------------------------------------------------------

TRICKY = [
    "",
    "a",
    "openai/gpt-4.1",
    "ollama/qwen3:32b",
    'q"uote',
    "back\\slash",
    "//",
    "/*x*/",
    "{}",
]
keys = st.sampled_from(TRICKY) | st.text(max_size=5)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    | st.floats(allow_nan=False, allow_infinity=False)
    | keys
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3),
    max_leaves=8,
)
NEW_KEY = "optscale \u2603 new/key:1"
INSIDE = object()  # marks a comment as inside a container, not about one of its entries


class Layout:
    """Renders a value as JSONC the way people write it, noting where each comment went."""

    def __init__(self, rnd: random.Random, unit: str, newline: str, comments: bool) -> None:
        self.rnd, self.unit, self.nl, self.comments = rnd, unit, newline, comments
        self.tags: dict[str, tuple[Any, ...]] = {}  # comment tag -> path of what it is about
        self.nested = False  # whether any container was written over several lines

    def comment(self, path: tuple[Any, ...], own_line: bool) -> str:
        tag = f"@c{len(self.tags)}@"
        self.tags[tag] = path
        if own_line and self.rnd.random() < 0.3:
            return f"/* {tag} {{ // ,{self.nl} * more ] */"
        if self.rnd.random() < 0.5:
            return f'// {tag} "x" {{}} /* , ]'
        return f'/* {tag} // "," }} */'

    def render(self, value: Any, depth: int, path: tuple[Any, ...]) -> str:
        rnd = self.rnd
        if not isinstance(value, (dict, list)) or not value or rnd.random() < 0.15:
            return json.dumps(value, ensure_ascii=False)
        pad, nl = self.unit * (depth + 1), self.nl
        self.nested = True
        items = list(value.items()) if isinstance(value, dict) else list(enumerate(value))
        trailing = self.comments and rnd.random() < 0.5
        out = ["{" if isinstance(value, dict) else "["]
        for i, (key, item) in enumerate(items):
            here = (*path, key)
            if self.comments and rnd.random() < 0.3:
                out.append(nl + pad + self.comment((*path, INSIDE), own_line=True))
            head = json.dumps(key, ensure_ascii=False) + ": " if isinstance(value, dict) else ""
            comma = "," if i < len(items) - 1 or trailing else ""
            out.append(nl + pad + head + self.render(item, depth + 1, here) + comma)
            if self.comments and rnd.random() < 0.3:
                out.append(" " + self.comment(here, own_line=False))
        if self.comments and rnd.random() < 0.2:
            out.append(nl + pad + self.comment((*path, INSIDE), own_line=True))
        out.append(nl + self.unit * depth + ("}" if isinstance(value, dict) else "]"))
        return "".join(out)


@st.composite
def documents(draw: st.DrawFn) -> tuple[str, Any, Layout]:
    """A JSONC text, the data it holds, and how it was laid out."""
    data = draw(st.dictionaries(keys, values, max_size=5))
    comments = draw(st.booleans())
    rnd = draw(st.randoms(use_true_random=False))
    unit = draw(st.sampled_from(["  ", "    ", "\t", " "]))
    layout = Layout(rnd, unit, draw(st.sampled_from(["\n", "\r\n"])), comments)
    text = layout.render(data, 0, ())
    if comments:
        text = f'// header "{{"{layout.nl}{text} /* end */'
    text = ("\ufeff" if draw(st.booleans()) else "") + text
    return text + (layout.nl if draw(st.booleans()) else ""), data, layout


def paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    found = [(path, value)]
    if isinstance(value, (dict, list)):
        for key, item in value.items() if isinstance(value, dict) else enumerate(value):
            found += paths(item, (*path, key))
    return found


def apply(data: Any, path: tuple[Any, ...], value: Any = None, remove: bool = False) -> Any:
    if not path:
        return copy.deepcopy(value)
    data = copy.deepcopy(data)
    node = data
    for part in path[:-1]:
        node = node.setdefault(part, {}) if isinstance(node, dict) else node[part]
    if remove:
        del node[path[-1]]
    elif isinstance(node, list) and path[-1] == len(node):
        node.append(copy.deepcopy(value))
    else:
        node[path[-1]] = copy.deepcopy(value)
    return data


def surviving(out: str, layout: Layout, gone: tuple[Any, ...], strictly_inside: bool) -> None:
    for tag, about in layout.tags.items():
        inside = about[: len(gone)] == gone and (len(about) > len(gone) or not strictly_inside)
        if not inside:
            assert tag in out, f"comment {tag} was lost"


PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(documents())
def test_rendered_documents_parse(doc: tuple[str, Any, Layout]) -> None:
    text, data, layout = doc
    assert same(loads(text), data)
    if not layout.comments:
        assert same(loads(text, allow_comments=False), data)
    if layout.nested:
        assert detect_indent(text) == layout.unit


@PROPERTY
@given(documents(), values, st.data())
def test_set_value(doc: tuple[str, Any, Layout], value: Any, choose: st.DataObject) -> None:
    text, data, layout = doc
    targets = [p for p, _ in paths(data)]
    objects = [p for p, v in paths(data) if isinstance(v, dict)]
    arrays = [(p, len(v)) for p, v in paths(data) if isinstance(v, list)]
    targets += [(*p, NEW_KEY) for p in objects] + [(*p, NEW_KEY, "deeper") for p in objects]
    targets += [(*p, n) for p, n in arrays]
    path = choose.draw(st.sampled_from(targets))
    out = set_value(text, path, value)
    assert same(loads(out, allow_comments=layout.comments), apply(data, path, value))
    assert set_value(out, path, value) == out
    if path:
        surviving(out, layout, path, strictly_inside=True)
    assert out.startswith("\ufeff") == text.startswith("\ufeff")
    if layout.nl == "\r\n" and "\n" in text:
        assert "\n" not in out.replace("\r\n", "")


@PROPERTY
@given(documents(), values, st.data())
def test_insert_then_remove_is_byte_exact(
    doc: tuple[str, Any, Layout], value: Any, choose: st.DataObject
) -> None:
    text, data, _ = doc
    objects = [p for p, v in paths(data) if isinstance(v, dict)]
    where = choose.draw(st.sampled_from(objects))
    out = set_value(text, [*where, NEW_KEY], value)
    assert same(loads(out), apply(data, (*where, NEW_KEY), value))
    assert remove_value(out, [*where, NEW_KEY]) == text
    arrays = [p for p, v in paths(data) if isinstance(v, list)]
    if arrays:
        where = choose.draw(st.sampled_from(arrays))
        index = len(get_value(text, where))
        assert remove_value(set_value(text, [*where, index], value), [*where, index]) == text


@PROPERTY
@given(documents(), st.data())
def test_remove_value(doc: tuple[str, Any, Layout], choose: st.DataObject) -> None:
    text, data, layout = doc
    targets = [p for p, _ in paths(data) if p]
    if not targets:
        assert remove_value(text, ["absent"]) == text
        return
    path = choose.draw(st.sampled_from(targets))
    out = remove_value(text, path)
    assert same(loads(out), apply(data, path, remove=True))
    surviving(out, layout, path, strictly_inside=False)


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet='{}[],:"\\/* \n\tabtrufalsn0123456789.eE+-\u00e9', max_size=24)
    | values.map(json.dumps)
    | values.map(lambda v: json.dumps(v)[:-1])
)
def test_strict_mode_agrees_with_the_json_module(text: str) -> None:
    try:
        expected = json.loads(text)
    except ValueError:
        with pytest.raises(JsoncError) as err:
            loads(text, allow_comments=False)
        assert 1 <= err.value.line <= text.count("\n") + 1
    else:
        assert same(loads(text, allow_comments=False), expected)
    with contextlib.suppress(JsoncError):  # JSONC is a superset: no other exception escapes
        loads(text)


def messy(value: Any, rnd: random.Random, comments: bool) -> str:
    """Any legal layout: random whitespace (and comments) between every pair of tokens."""
    choices = ["", " ", "\n", "\n\t  ", "\r\n  "] + (
        ["/*m*/", " /* m\n */ ", " //m\n "] if comments else []
    )

    def gap() -> str:
        return rnd.choice(choices)

    if not isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    items = list(value.items()) if isinstance(value, dict) else [(None, v) for v in value]
    parts = []
    for key, item in items:
        head = "" if key is None else json.dumps(key, ensure_ascii=False) + gap() + ":" + gap()
        parts.append(gap() + head + messy(item, rnd, comments) + gap())
    body = ",".join(parts) + ("," + gap() if comments and items and rnd.random() < 0.3 else "")
    return (
        ("{" if isinstance(value, dict) else "[") + body + ("}" if isinstance(value, dict) else "]")
    )


@PROPERTY
@given(st.dictionaries(keys, values, max_size=4), values, st.booleans(), st.randoms(), st.data())
def test_any_layout(
    data: dict, value: Any, comments: bool, rnd: random.Random, choose: st.DataObject
) -> None:
    text = messy(data, rnd, comments)
    assert same(loads(text), data)
    targets = [p for p, _ in paths(data)]
    targets += [(*p, NEW_KEY) for p, v in paths(data) if isinstance(v, dict)]
    path = choose.draw(st.sampled_from(targets))
    out = set_value(text, path, value)
    assert same(loads(out, allow_comments=comments), apply(data, path, value))
    assert set_value(out, path, value) == out
    if path:
        back = remove_value(out, path)
        expected = apply(apply(data, path, value), path, remove=True)
        assert same(loads(back, allow_comments=comments), expected)
        if path[-1] == NEW_KEY:
            assert same(loads(back), data)


def _two_levels(node: Any, depth: int = 0) -> list[tuple[int, int, Any]]:
    """Start, end and value of ``node`` and its members down to the second level."""
    found = [(node.start, node.end, node.value)]
    if depth < 2 and node.kind in ("object", "array"):
        for entry in node.entries:
            found += _two_levels(entry.value, depth + 1)
    return found


def _broken(text: str, rnd: random.Random) -> str:
    """``text`` with a character dropped, doubled or swapped for a syntax character."""
    at = rnd.randrange(len(text) + 1)
    kind = rnd.randrange(3)
    if kind == 0:
        return text[:at] + text[at + 1 :]
    if kind == 1:
        return text[:at] + text[at : at + 1] * 2 + text[at + 1 :]
    return text[:at] + rnd.choice(':,{}[]"/ x\x01') + text[at + 1 :]


def _read_both(text: str, comments: bool) -> tuple[Any, Any] | None:
    """The exact parser's tree of ``text`` and read_indexed's index, having checked they give
    the same value, or the same error (then None)."""
    from optscale_cli.edit.jsonc import parse_tree, read_indexed

    try:
        exact = parse_tree(text, allow_comments=comments)
    except JsoncError as err:
        with pytest.raises(JsoncError) as caught:
            read_indexed(text, allow_comments=comments)
        found = caught.value
        assert (found.message, found.line, found.column) == (err.message, err.line, err.column)
        return None
    value, index = read_indexed(text, allow_comments=comments)
    assert same(value, exact.value)
    return exact, index


@PROPERTY
@given(documents(), st.booleans(), st.randoms(use_true_random=False))
def test_the_one_pass_reader_agrees_with_the_exact_parser(
    doc: tuple[str, Any, Layout], broken: bool, rnd: random.Random
) -> None:
    """read_indexed (the C decoder member by member, checking the syntax between members
    itself) gives the exact parser's value, positions and errors, valid text or not."""
    text = _broken(doc[0], rnd) if broken else doc[0]
    for comments in (True, False):
        both = _read_both(text, comments)
        if both is not None and both[1] is not None:
            exact, index = both
            mine = _two_levels(index.root())
            assert [m[:2] for m in mine] == [e[:2] for e in _two_levels(exact)]
            assert all(same(m[2], e[2]) for m, e in zip(mine, _two_levels(exact), strict=True))


@pytest.mark.parametrize(
    "text",
    [
        "[1 2]",
        '{"a": [1 2]}',
        '{"a": {"b": [1 2]}}',
        '{"a" 1}',
        '{"a": {"b" 1}}',
        '{"a": 1 "b": 2}',
        '{"a": {"b": 1 "c": 2}}',
        '{"a": 1,, "b": 2}',
        '{"a": [1,, 2]}',
        "{,}",
        "[,]",
        '{"a": 1}}',
        '{"a": 1} x',
        '{"a": [1, 2',
        '{"a": {"b": 1}',
        '{"a": 01}',
        '{"a": [NaN]}',
        '{"a": -}',
        "{a: 1}",
        '{"a": {1: 2}}',
        '{"a": [1,]}',
        '{"a": {"b": 1,}}',
        '{"a": "\x01"}',
        '{"\x01": 1}',
        '{"a": "\\x"}',
        '{"a": 1 /* c */ "b": 2}',
        '{"a": [1 // c\n 2]}',
        "[" * 50_000 + "]" * 50_000,
        '{"a": ' + "[" * 50_000 + "]" * 50_000 + "}",
        "1" * 5000,  # more digits than Python reads as an int: an error, not a ValueError
        '{"a": [' + "1" * 5000 + "]}",
        # an unterminated comment after many commas: refused at once (a search that tried
        # again at every offset took minutes for 60 KB)
        "[" + "/*," * 20_000,
        "[1" + ", /*" * 8000,
    ],
)
def test_the_one_pass_reader_refuses_what_the_exact_parser_refuses(text: str) -> None:
    for comments in (True, False):
        _read_both(text, comments)


class _Text(str):
    """A str subclass: written as text, read back as a plain str."""


def _with_types(value: Any) -> Any:
    """``value`` with each scalar's exact type beside it (True is not 1, 1 is not 1.0)."""
    if isinstance(value, dict):
        return (
            "dict",
            type(value).__name__,
            [(_with_types(k), _with_types(v)) for k, v in value.items()],
        )
    if isinstance(value, list | tuple):
        return (type(value).__name__, [_with_types(v) for v in value])
    return (type(value).__name__, repr(value))


_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8)
    | st.text(alphabet=st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), max_size=2)
    | st.builds(_Text, st.text(max_size=4))
)
_keys = st.text(max_size=6) | st.integers(-3, 3) | st.booleans() | st.none() | st.floats(-1, 1)
_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(_keys, inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=400, deadline=None)
@example(float("nan"))
@example({"a": [1, float("inf")]})
@example({"a": -0.0, "b": True, "c": 1, "d": 1.0, "e": None, "f": _Text("t")})
@example({1: "x", None: (1, 2)})
@given(_values)
def test_as_written_is_what_json_writes_and_reads_back(value: Any) -> None:
    """Plain data is copied without writing it out: the copy is what writing it as JSON and
    reading it back gives (types and all), and a value JSON cannot hold is refused alike."""
    from optscale_cli.edit.jsonc import as_written

    try:
        expected: Any = json.loads(json.dumps(value, ensure_ascii=False, allow_nan=False))
    except (ValueError, TypeError) as exc:
        with pytest.raises(type(exc)):
            as_written(value)
        return
    copied = as_written(value)
    assert _with_types(copied) == _with_types(expected)
    if isinstance(value, dict | list) and value:
        assert copied is not value  # a copy: what the document holds is its own


def _nested(depth: int, leaf: Any, kind: type = list) -> Any:
    value = leaf
    for _ in range(depth):
        value = [value] if kind is list else {"k": value}
    return value


@pytest.mark.parametrize(
    "value",
    [
        10**4300,  # Python writes no int of more than 4,300 digits
        [-(10**5000)],
        {"a": 10**4299},
        10**900,
        _nested(150, 1),
        _nested(150, float("nan")),
        _nested(990, 1, dict),
        _nested(2000, "x"),
    ],
    ids=[
        "huge-int",
        "huge-int-in-list",
        "longest-int",
        "long-int",
        "deep",
        "deep-nan",
        "deep-dict-at-the-limit",
        "deeper",
    ],
)
def test_as_written_refuses_what_json_refuses_at_any_size_or_depth(value: Any) -> None:
    """A value too long or too deep to write is refused as writing it refuses it (an edit
    that takes it would leave a document that cannot be rendered); one that can be written
    is what writing it and reading it back gives."""
    from optscale_cli.edit.jsonc import as_written

    try:
        expected: Any = json.loads(json.dumps(value, ensure_ascii=False, allow_nan=False))
    except (ValueError, TypeError, RecursionError) as exc:
        with pytest.raises(type(exc)):
            as_written(value)
        return
    assert _with_types(as_written(value)) == _with_types(expected)
