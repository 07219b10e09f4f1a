"""The JSONC editor: comments and layout survive, errors say where, edits undo exactly."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
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


def test_parse_jsonc_features() -> None:
    data = loads(DOC)
    assert data == {"url": "http://x/*not a comment*/", "list": [1, 2, 3], "nested": {"a": -1.5e10}}


@pytest.mark.parametrize(
    ("text", "line", "column", "message"),
    [
        ('{\n  "a": 1\n  "b": 2\n}', 3, 3, "expected ','"),
        ('{\n  "a": "open\n}', 2, 8, "unterminated"),
        ("{\n  // c\n}", 2, 3, "comments are not allowed"),
        ('{"a": 1,}', 1, 8, "trailing comma"),
        ("", 1, 1, "empty document"),
        ('{"a": tru}', 1, 7, "unexpected character"),
    ],
)
def test_errors_point_at_the_problem(text: str, line: int, column: int, message: str) -> None:
    with pytest.raises(JsoncError) as err:
        loads(text, allow_comments=False)
    assert (err.value.line, err.value.column) == (line, column)
    assert message in err.value.message


def test_set_keeps_comments_and_trailing_comma_style() -> None:
    out = set_value(DOC, ["nested", "b"], {"k": "v"})
    assert "// trailing note" in out and "/* block */" in out
    assert loads(out)["nested"] == {"a": -1.5e10, "b": {"k": "v"}}
    assert '"b": {\n      "k": "v"\n    },' in out  # follows the file's trailing commas
    assert remove_value(out, ["nested", "b"]) == DOC


def test_replace_value_in_place_and_idempotent() -> None:
    out = set_value(DOC, ["url"], "https://y")
    assert out == DOC.replace('"http://x/*not a comment*/"', '"https://y"')
    assert set_value(out, ["url"], "https://y") == out


def test_crlf_tabs_bom_and_compact() -> None:
    crlf = '\ufeff{\r\n\t"a": 1\r\n}\r\n'
    out = set_value(crlf, ["b"], [1])
    assert out.startswith("\ufeff{") and '\r\n\t"b": [\r\n\t\t1\r\n\t]' in out
    assert remove_value(out, ["b"]) == crlf
    assert set_value('{"a": 1}', ["b"], 2) == '{"a": 1, "b": 2}'
    assert detect_indent('{\n    "a": 1\n}') == "    "


def test_get_and_locate() -> None:
    assert get_value(DOC, ["nested", "a"]) == -1.5e10
    assert locate(DOC, ["nested", "a"]) == (6, 5)
    with pytest.raises(KeyError):
        get_value(DOC, ["missing"])


def test_set_into_non_object_is_refused() -> None:
    with pytest.raises(TypeError):
        set_value('{"a": "text"}', ["a", "b"], 1)


keys = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=6)
values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**9), 10**9) | keys,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3),
    max_leaves=6,
)


@settings(max_examples=150, deadline=None)
@given(
    doc=st.dictionaries(keys, values, min_size=1, max_size=5),
    new=values,
    indent=st.sampled_from([2, 4, "\t"]),
    trailing=st.booleans(),
    comment=st.booleans(),
)
def test_insert_then_remove_is_byte_exact(
    doc: dict,
    new: object,
    indent: object,  # type: ignore[type-arg]
    trailing: bool,
    comment: bool,
) -> None:
    text = json.dumps(doc, indent=indent, ensure_ascii=False)  # type: ignore[arg-type]
    if trailing:
        text = text[: text.rfind("\n")] + ",\n}"
    if comment:
        text = "// user file\n" + text + " // end\n"
    key = "optscale \u2603 key"
    assert key not in doc
    out = set_value(text, [key], new)
    assert loads(out) == {**doc, key: new}
    assert set_value(out, [key], new) == out
    assert remove_value(out, [key]) == text
