"""Edits to big files: the JSONC index follows each edit (it is not read again), and must
place every node exactly where a fresh parse would; diffs stay right when only the changed
stretches are compared; a big file with an odd layout round-trips byte for byte."""

from __future__ import annotations

import difflib
import random
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from optscale_cli.edit import jsonc
from optscale_cli.edit.diffs import unified_diff
from optscale_cli.edit.documents import ABSENT, JsonDocument
from optscale_cli.edit.engine import SetValue, Target, commit, plan_edit, plan_revert
from optscale_cli.edit.stores import FileStore
from optscale_cli.errors import ConfigFileError
from tests.test_jsonc import NEW_KEY, PROPERTY, keys, messy, paths, same, values


def _positions(index: jsonc.Index, data: Any) -> dict[tuple[Any, ...], tuple[int, int]]:
    found = {}
    for path, _ in paths(data):
        _, node = index.find(list(path))
        assert node is not None, path
        found[path] = (node.start, node.end)
    return found


def _edit(doc: JsonDocument, op: tuple[str, tuple[Any, ...], Any]) -> None:
    kind, path, value = op
    if kind == "set":
        doc.set(path, value)
    else:
        doc.remove(path)


def _ops(data: Any, rnd: random.Random, value: Any) -> list[tuple[str, tuple[Any, ...], Any]]:
    targets = [p for p, _ in paths(data) if p]
    objects = [p for p, v in paths(data) if isinstance(v, dict)]
    ops: list[tuple[str, tuple[Any, ...], Any]] = []
    for _ in range(rnd.randrange(1, 6)):
        choice = rnd.random()
        if choice < 0.4 and objects:
            ops.append(("set", (*rnd.choice(objects), NEW_KEY, "deeper"), value))
        elif choice < 0.7 and targets:
            ops.append(("set", rnd.choice(targets), value))
        elif targets:
            ops.append(("remove", rnd.choice(targets), None))
    return ops


@PROPERTY
@given(st.dictionaries(keys, values, max_size=4), values, st.booleans(), st.randoms())
def test_index_follows_edits_like_a_fresh_parse(
    data: dict, value: Any, comments: bool, rnd: random.Random
) -> None:
    text = messy(data, rnd, comments)
    doc = JsonDocument(text, "c.jsonc", comments=True)
    fresh = JsonDocument(text, "c.jsonc", comments=True)
    doc.index().find([])  # the top level read before the edits, as a plan does
    for op in _ops(data, rnd, value):
        try:
            _edit(doc, op)
        except (TypeError, IndexError, ValueError, ConfigFileError):
            continue  # an edit the editor refuses (also refused below)
        fresh._index = None  # the reference reads the text again for every edit
        _edit(fresh, op)
        assert doc.text == fresh.text
        assert _positions(doc.index(), doc.data) == _positions(jsonc.Index(doc.text), doc.data)
    assert same(jsonc.loads(doc.text), doc.data)


@pytest.mark.parametrize(
    "op",
    [
        ("remove", ("p", "o", "y"), None),  # the last member, before a trailing comma
        ("remove", ("p", "o", "x"), None),
        ("set", ("p", "o", "z"), [1, {"n": None}]),  # a new last member
        ("set", ("p", "o", "y"), "two"),
        ("remove", ("p", "l", 1), None),  # an array's last item, before a trailing comma
    ],
)
def test_a_container_first_read_after_an_edit_is_read_as_in_the_whole_text(
    op: tuple[str, tuple[Any, ...], Any],
) -> None:
    """After an edit, a container not read yet is blanked alone (not the whole text again),
    at its own offsets: its comments, strings holding comment and comma characters, and its
    trailing commas are where a fresh read of the whole text finds them."""
    text = (
        '{\n  "a": 1, // first\n  "p": {\n    "o": {"x": "/*,*/", /* c, */ "y": 2, },\n'
        '    "l": [1, "//", ], // after\n  },\n}\n'
    )
    doc = JsonDocument(text, "c.jsonc", comments=True)
    doc.index().find([])  # the top levels read before the edits, as a plan does
    fresh = JsonDocument(text, "c.jsonc", comments=True)
    for step in [("set", ("a",), 2), op]:
        _edit(doc, step)
        fresh._index = None  # the reference reads the whole text again for every edit
        _edit(fresh, step)
        assert doc.text == fresh.text
        assert _positions(doc.index(), doc.data) == _positions(jsonc.Index(doc.text), doc.data)
    assert same(jsonc.loads(doc.text), doc.data)


@pytest.mark.parametrize(
    ("text", "whole", "then"),
    [
        # put back as written: `{}` made `{"k": 1}, "y": {"m": 2}` looks, by its bytes, like
        # a change inside the `{}` of x, which is not read yet
        ('{"p": {"x": {"k": 1}, "y": {"m": 2}}}\n', ("p",), ("set", ("p", "y", "m"), 3)),
        ('{"a": [[1, 2], [3]], "b": 0}\n', ("a",), ("remove", ("a", 1, 0), None)),
    ],
)
def test_a_value_replaced_whole_is_not_taken_for_a_change_inside_it(
    text: str, whole: tuple[Any, ...], then: tuple[str, tuple[Any, ...], Any]
) -> None:
    """The index finds an edit's stretch by comparing bytes; a value replaced whole may look
    like a change inside one of its containers. That container must still be one value
    ending where it moved to, or the index reads the text again: the next edit lands right
    (it made a second "y", or left the text as it was while the data changed)."""
    doc = JsonDocument(text, "c.jsonc", comments=True)
    layout, value = doc.layout(whole, removing=False), doc.get(whole)
    doc.set(whole, {"x": {}} if whole == ("p",) else [[]])
    doc.restore(whole, value, layout)  # type: ignore[arg-type]
    assert doc.text == text
    _edit(doc, then)
    fresh = JsonDocument(text, "c.jsonc", comments=True)
    _edit(fresh, then)
    assert doc.text == fresh.text
    assert same(jsonc.loads(doc.text), doc.data)
    old, new = '{"a": [[]], "b": 0}\n', text  # the index alone, moved over the same change
    if whole == ("a",):
        index = jsonc.Index(old)
        index.find([])
        index.update(new)
        assert _positions(index, jsonc.loads(new)) == _positions(jsonc.Index(new), jsonc.loads(new))


@pytest.mark.parametrize(
    "raw",
    ["1 // swallows the rest of the line", "1 /* opens a comment", '1, "b": 9', "1 } {"],
)
def test_a_put_back_whose_bytes_say_more_than_the_value_writes_the_value(raw: str) -> None:
    """The bytes a put-back would write come from the ledger (a file in the user's config
    folder). Bytes that read as the value alone but, put in place, would change what else the
    file says (a `//` comment eating the comma and the next key, a comment left open) are not
    used: the value is written as we write values, and the rest stays as it was."""
    text = '{"a": 0, "b": 2}\n'
    doc = JsonDocument(text, "c.jsonc", comments=True)
    doc.restore(("a",), 1, {"value": raw, "next": ["b"]})
    assert jsonc.loads(doc.text) == doc.data == {"a": 1, "b": 2}
    assert doc.text.endswith('"b": 2}\n')


@PROPERTY
@given(st.dictionaries(keys, values, max_size=4), values, st.booleans(), st.randoms())
def test_copies_that_share_an_index_each_edit_their_own_text(
    data: dict, value: Any, comments: bool, rnd: random.Random
) -> None:
    """The parse cache hands out copies of one parse, sharing its index: the first to edit
    takes the index along to its text, and the others must not use it for theirs."""
    import copy

    text = messy(data, rnd, comments)
    parsed = JsonDocument(text, "c.jsonc", comments=True)
    parsed.index().find([])
    first, second = copy.copy(parsed), copy.copy(parsed)
    ops = _ops(data, rnd, value)
    for doc in (first, second, parsed):
        fresh = JsonDocument(text, "c.jsonc", comments=True)
        for op in ops:
            try:
                _edit(fresh, op)
            except (TypeError, IndexError, ValueError, ConfigFileError):
                with pytest.raises((TypeError, IndexError, ValueError, ConfigFileError)):
                    _edit(doc, op)
                continue
            _edit(doc, op)
            assert doc.text == fresh.text
            assert _positions(doc.index(), doc.data) == _positions(jsonc.Index(doc.text), doc.data)


def _big_odd_config(size: int) -> str:
    """A JSONC file of about ``size`` bytes with an odd layout: tabs and CRLF, comments
    everywhere (also between a key and its colon), trailing commas, one-line objects, a
    repeated key, strings holding comment and bracket characters."""
    parts = ['\ufeff// "head" {\r\n{\t"$schema" /* c */ : "x", // ,}\r\n\t"provider": {\r\n']
    total, i = len(parts[0]), 0
    while total < size:
        block = (
            f'\t\t"p{i}" : {{"url":"http://p{i}/*x*/","//":"[{{",  "m": [1,2,{{"a":null}},],}},'
            f"  /* {i} */\r\n"
            f'\t\t"q{i}": /* before */ {{\r\n\t\t\t"deep": {{"x": [true, false, -1.5e3]}}, '
            f"// {i}, }}\r\n\t\t}},\r\n"
        )
        parts.append(block)
        total += len(block)
        i += 1
    parts.append('\t},\r\n\t"share": "manual", "share": "auto",\r\n} // end\r\n')
    return "".join(parts)


def test_big_odd_file_round_trips_byte_for_byte(tmp_path: Path) -> None:
    path = tmp_path / "opencode.jsonc"
    original = _big_odd_config(400_000)
    path.write_text(original, encoding="utf-8", newline="")
    ops = [
        SetValue(("provider", "optscale", "options", "baseURL"), "https://h/v1"),
        SetValue(("provider", "optscale", "models", "m"), {"name": "x"}),
        SetValue(("provider", "p7", "url"), "http://changed"),
        SetValue(("provider", "q3", "deep", "x"), [1]),
        SetValue(("model",), "optscale/m"),
        SetValue(("share",), "off"),
    ]
    target = Target(FileStore(path), "jsonc")
    change = plan_edit(target, ops)
    fresh = JsonDocument(original, "c", comments=True)
    for op in ops:
        fresh._index = None
        _edit(fresh, ("remove" if op.value is ABSENT else "set", op.path, op.value))
    assert change.new_text == fresh.text
    data = jsonc.loads(change.new_text)
    assert data["provider"]["q3"]["deep"]["x"] == [1] and data["share"] == "off"
    commit([change], tmp_path / "locks")
    entry = change.ledger_entry()
    back = plan_revert(Target(FileStore(path), "jsonc"), entry)
    commit([back], tmp_path / "locks")
    assert path.read_bytes() == original.encode("utf-8")


def _apply_diff(a: str, diff: list[str]) -> str:
    lines = re.findall(r"[^\n]*\n|[^\n]+$", a)
    out, i = [], 0
    for line in diff[2:]:
        hunk = re.match(r"@@ -(\d+)(?:,(\d+))? ", line)
        if hunk:
            start = int(hunk.group(1)) - (0 if hunk.group(2) == "0" else 1)
            out += lines[i:start]
            i = start
        elif line[0] in " -":
            assert lines[i] == line[1:]
            out += [line[1:]] if line[0] == " " else []
            i += 1
        else:
            out.append(line[1:])
    return "".join(out + lines[i:])


def test_bounded_diff_applies_and_matches_difflib_for_one_change() -> None:
    rnd = random.Random(7)
    for trial in range(400):
        n = rnd.choice([0, 1, 4, 60, 4000])
        a = "".join(f"line {rnd.randrange(50 if trial % 2 else 10**6)}\n" for _ in range(n))
        a = a.rstrip("\n") if rnd.random() < 0.2 else a
        b = a
        for _ in range(rnd.choice([1, 2, 3])):
            p = rnd.randrange(len(b) + 1)
            q = min(len(b), p + rnd.choice([0, 1, 5, 40, 9000]))
            b = b[:p] + rnd.choice(["", "x", "new\n", "\n", "z\ny\n"]) + b[q:]
        diff = unified_diff(a, b, "f", "f")
        assert (diff == []) == (a == b)
        if diff:
            assert _apply_diff(a, diff) == b
    a = "".join(f"line {i}\n" for i in range(100))
    b = a.replace("line 50\n", "line 50x\n")
    expected = list(difflib.unified_diff(a.splitlines(True), b.splitlines(True), "f", "f"))
    assert unified_diff(a, b, "f", "f") == expected


def test_toml_rescan_agrees_with_a_full_scan() -> None:
    from optscale_cli.edit import toml_text

    base = "".join(
        f'# p{i}\n[model_providers.p{i}]\nname = "P {i}"  # c\nq = {{ a = "{i}" }}\n\n'
        for i in range(300)
    )
    base += 'arr = [\n  1, # c\n  2,\n]\nml = """\nx = 1\n[fake]\n"""\n[[t]]\na = 1\n[[t]]\nb = 2'
    rnd = random.Random(5)
    inserts = ["x = 1\n", "[new.t]\n", "# c\n", "\n", 'y = "s" # c\n', "[[t]]\n"]
    for _ in range(100):  # one random line edit each, against the full scan
        lines = base.splitlines(keepends=True)
        at = rnd.randrange(len(lines) + 1)
        if rnd.random() < 0.5:
            lines.insert(at, rnd.choice(inserts))
        else:
            del lines[min(at, len(lines) - 1)]
        new = "".join(lines)
        try:
            want = toml_text.scan(new)
        except toml_text.ScanError:
            continue
        assert toml_text.rescan(base, toml_text.scan(base), new) == want
    top = 'model = "o3"\n' + base
    for old, new in [  # a change in the first statement: scanned again only so far
        (top, 'model = "gpt-4.1"\n' + base),
        (top, base),
        (base, top),
        (top, 'model = "o3"\nmodel_provider = "optscale"\n' + base),
        ("\ufeff" + top, "\ufeff" + 'model = "x"  # c\n' + base),
        (top, "[new]\n" + top),
    ]:
        assert toml_text.rescan(old, toml_text.scan(old), new) == toml_text.scan(new)


def test_toml_statements_moved_when_read_are_the_same_however_read() -> None:
    """After an edit near the start, the statements past it are moved as a walk reaches
    them: walks that stop early, walks taken turn about, a rescan from a half-read list and
    random access all see the statements of a full scan, and the list before the edit
    stays as it was."""
    from optscale_cli.edit import toml_text

    base = 'model = "o3"\n' + "".join(f'[p{i}]\nname = "P {i}"\n' for i in range(500))
    new = 'model = "o3"\nmodel_provider = "optscale"\n' + base.split("\n", 1)[1]
    before = toml_text.scan(base)
    kept = list(before)
    want = toml_text.scan(new)
    found = toml_text.rescan(base, before, new)
    assert next(iter(found)) == want[0]  # stops early: the rest is not made
    one, two = iter(found), iter(found)
    turns = [next(one) for _ in range(100)] + [next(two) for _ in range(300)]
    turns += [*one, *two]
    assert turns == want[:100] + want[:300] + want[100:] + want[300:]
    half = toml_text.rescan(base, before, new)
    assert [s for _, s in zip(range(700), half, strict=False)] == want[:700]
    again = new.replace('"P 7"', '"P seven"')
    assert toml_text.rescan(new, half, again) == toml_text.scan(again)
    assert found[len(want) - 1] == want[-1] and len(found) == len(want)
    assert before == kept and [s.line for s in before] == [s.line for s in kept]


def test_big_toml_round_trips_byte_for_byte(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    original = 'model = "o3" # mine\n\n' + "".join(
        f'# p{i}\n[model_providers.p{i}]\nname = "P {i}"  # c\nurl = "https://p{i}/v1"\n\n'
        for i in range(3000)
    )
    path.write_text(original, encoding="utf-8")
    table = ("model_providers", "optscale")
    ops = [
        SetValue((*table, "name"), "OptScale AI"),
        SetValue((*table, "base_url"), "https://h/v1"),
        SetValue(("model_provider",), "optscale"),
        SetValue(("model",), "m"),
        SetValue(("model_providers", "p7", "name"), "changed"),
    ]
    change = plan_edit(Target(FileStore(path), "toml"), ops)
    import tomllib

    data = tomllib.loads(change.new_text)
    assert data["model"] == "m" and data["model_providers"]["p7"]["name"] == "changed"
    assert data["model_providers"]["optscale"]["base_url"] == "https://h/v1"
    commit([change], tmp_path / "locks")
    back = plan_revert(Target(FileStore(path), "toml"), change.ledger_entry())
    commit([back], tmp_path / "locks")
    assert path.read_bytes() == original.encode("utf-8")


def test_toml_edits_checked_together_still_name_the_one_at_fault() -> None:
    import pytest

    from optscale_cli.edit.documents import TomlDocument

    doc = TomlDocument('a = 1 # keep\n[t]\nx = "y"\n', "config.toml")
    doc.set(("b",), 2)
    doc.set(("a",), 5, {"value": "7"})  # written as 7: does not say what it means
    doc.set(("t", "z"), True)
    with pytest.raises(ConfigFileError, match="cannot change 'a' here"):
        doc.render()
    doc = TomlDocument('a = 1 # keep\n[t]\nx = "y"\n', "config.toml")
    doc.set(("b",), 2)
    doc.restore(("a",), 5, {"value": "7"})  # the layout is wrong: restored without it
    doc.set(("t", "z"), True)
    assert doc.render() == 'a = 5 # keep\nb = 2\n[t]\nx = "y"\nz = true\n'
    assert doc.data == {"a": 5, "b": 2, "t": {"x": "y", "z": True}}


YAML_ODDITIES = [
    "base: &b {x: 1}\nother:\n  <<: *b\n  y: 2\n",  # a merge key: built from a second read
    "base: &b {x: 1}\n<<: *b\ny: 2\n",  # one at the top, where our edits look
    "= : value-key\nplain: 1\n",
    "tagged: !custom {a: 1}\nlist: !!seq [1, 2]\n",
    "a: 1  # comment\nb:\n  - x\n  - y\nc: 'q: \"!\"'\n",
    "# only a comment\n",
    "",
]


@pytest.mark.parametrize(
    "text",
    YAML_ODDITIES
    + [
        p.read_text(encoding="utf-8-sig")
        for p in sorted((Path(__file__).parent / "corpus").rglob("*.y*ml"))
    ],
)
def test_yaml_read_once_says_what_ruamel_loads(text: str) -> None:
    """The data yaml_text.parse builds from the nodes it composed (or reads twice, when the
    constructor could change them) equals ruamel's own load, and the nodes still say where
    each key is, as a fresh compose does."""
    from ruamel.yaml import YAML

    from optscale_cli.edit import yaml_text
    from optscale_cli.edit.documents import plain

    yaml_text._PARSED.clear()
    data, root = yaml_text.parse(text)
    assert plain(data) == plain(YAML(typ="rt").load(text))
    fresh = YAML(typ="rt").compose(text)
    if root is None or fresh is None:
        assert root is None and fresh is None
        return
    spans = [(e.key, e.kstart, e.vstart, e.vend) for e in yaml_text.entries(text, root)]
    again = [(e.key, e.kstart, e.vstart, e.vend) for e in yaml_text.entries(text, fresh)]
    assert spans == again


def _random_toml(rnd: random.Random) -> str:
    """TOML in many shapes: bare, dotted (spaced), quoted keys; every kind of value, some on
    several lines; comments; CRLF; headers with spaces; array tables."""
    nl = rnd.choice(["\n", "\r\n"])
    values = [
        "1",
        "-2.5e3",
        "true",
        "1979-05-27 07:32:00",
        "1979-05-27T07:32:00Z",
        "inf",
        '"plain"',
        '""',
        '"esc \\" \\u00e9 # ="',
        "'lit # = \"'",
        "''",
        '"""multi' + nl + 'line = "x" # no"""',
        "'''raw" + nl + "[fake]'''",
        "[1, 2]",
        "[" + nl + "  1, # c" + nl + "  'a'," + nl + "]",
        '{ a = 1, "b c" = "d" }',
    ]
    keys = ["k", "a-b", "x_1", '"quoted key"', "'lit key'", "a.b", "a . c", '"d".e']
    lines, tables, n = [], 0, 0
    for _ in range(rnd.randrange(1, 40)):
        shape = rnd.random()
        lead = rnd.choice(["", "", "  ", "\t"])
        if shape < 0.12:
            tables += 1
            name = rnd.choice([f"t{tables}", f"t{tables}.sub", f" t{tables} . s ", f'"q{tables}"'])
            lines.append(f"{lead}[{name}]" + rnd.choice(["", "  # h"]))
        elif shape < 0.17:
            lines.append(f"{lead}[[arr]]")
        elif shape < 0.27:
            lines.append(rnd.choice(["", "# comment = 1", "   ", "  # [x]"]))
        else:
            n += 1
            key = rnd.choice(keys).replace("k", f"k{n}").replace("a", f"a{n}").replace("x", f"x{n}")
            gap = rnd.choice(["", " ", "\t "])
            lines.append(f"{lead}{key}{gap}={gap}{rnd.choice(values)}" + rnd.choice(["", " # c"]))
    return nl.join(lines) + rnd.choice(["", nl])


def test_toml_scan_reads_blank_lines_once_whatever_follows() -> None:
    """A long run of blank and comment lines before a statement the common-line pattern
    cannot read (a string over lines, an [[array]] table) is read once, not once per line:
    else this scan would take hours."""
    from optscale_cli.edit import toml_text

    gap = "\n  # c\n" * 100_000
    text = gap + 's = """\nx"""\n' + gap + "[[a]]\n" + gap + "x = 1\n" + gap
    found = toml_text.scan(text)
    assert [(s.path, s.line) for s in found] == [
        (("s",), len(gap)),
        (("a",), 2 * len(gap) + 13),
        (("a", "x"), 3 * len(gap) + 19),
    ]


@pytest.mark.parametrize(
    "text",
    ["s = '''never closed\n", 's = """never closed \\"', "a = [}1, {2]\n", 't = { a = ["d" }\n'],
)
def test_toml_scan_of_what_the_parser_refuses_ends(text: str) -> None:
    """The scanner reads only what tomli has read, but should it ever get something else (an
    unclosed string, a bracket where a value goes), it ends with an error: it looped for
    ever on these."""
    from optscale_cli.edit import toml_text

    with pytest.raises(toml_text.ScanError):
        toml_text.scan(text)


@pytest.mark.parametrize(
    "text",
    [
        "a=[#]\n[]]",
        'a = [ "x", # see [docs]\n  { y = 1 },\n]\n',
        "a = [\n" + ("  # " + "x" * 2000 + "\n") * 3 + "  {},\n]\n",
        "a = [\n" + "  1, # comment\n" * 12 + "  [2],\n]\n",
    ],
)
def test_toml_scan_reads_comments_in_arrays_as_comments(text: str) -> None:
    """A `]` in a comment inside an array does not close it, and an array with comments that
    turns out not to be flat (an array or a table in it, after them) is read in linear time:
    the common-line pattern tried every way to split each comment, which took hours here."""
    import tomllib

    from optscale_cli.edit import toml_text

    found = toml_text.scan(text)
    assert [s.path for s in found] == [("a",)]
    written = text[found[0].vstart : found[0].vend]
    assert tomllib.loads(f"v = {written}")["v"] == tomllib.loads(text)["a"]


def test_toml_scan_says_where_tomllib_reads_each_value() -> None:
    """Each statement the scanner finds holds, at its value's offsets, the value tomllib
    reads for its path (an oracle independent of the scanner's own fast and general paths)."""
    import tomllib

    from optscale_cli.edit import toml_text
    from optscale_cli.edit.documents import lookup

    rnd = random.Random(11)
    checked = 0
    for _ in range(600):
        text = _random_toml(rnd)
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError:
            continue
        found = toml_text.scan(text)
        assert [s.line for s in found] == sorted(s.line for s in found)
        for statement in found:
            assert statement.line == 0 or text[statement.line - 1] == "\n"
            assert statement.end == len(text) or text[statement.end - 1] == "\n"
            if statement.array:
                continue
            if statement.kind == "header":
                assert isinstance(lookup(data, list(statement.path)), dict)
                continue
            written = text[statement.vstart : statement.vend]
            assert tomllib.loads(f"v = {written}")["v"] == lookup(data, list(statement.path))
            assert not text[statement.line : statement.keystart].strip()
            checked += 1
    assert checked > 2000


@pytest.mark.parametrize("bad", [float("inf"), float("nan")])
def test_a_new_object_held_for_one_edit_refuses_what_json_cannot_hold_at_once(bad: float) -> None:
    """Members of a new object are held and written with one edit later: a value JSON has
    no way to write is still refused by the set that brings it, the document unchanged."""
    text = '{\n  "a": 1\n}\n'
    doc = JsonDocument(text, "c.json", comments=False)
    doc.set(("models", "m1", "name"), "one")
    with pytest.raises(ValueError, match="cannot write"):
        doc.set(("models", "m1", "cost"), bad)
    assert doc.data == {"a": 1, "models": {"m1": {"name": "one"}}}
    assert jsonc.loads(doc.render()) == doc.data


_plain_scalars = (
    st.none()
    | st.booleans()
    | st.sampled_from([0, 1, -1, 0.0, -0.0, 1.0, float("nan"), "1", "true", "", "é"])
    | st.integers(-5, 5)
    | st.text(max_size=3)
)
_plain_data = st.recursive(
    _plain_scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.tuples(inner)
        | st.dictionaries(st.sampled_from(["a", "b", "1", "c"]), inner, max_size=3)
    ),
    max_leaves=12,
)


def _reordered(value: Any, rnd: random.Random) -> Any:
    """The same data with every mapping's keys in another order, sometimes a value changed
    for one that equals it (``1`` for ``True``, ``1.0`` for ``1``, a list for a tuple)."""
    if isinstance(value, dict):
        items = list(value.items())
        rnd.shuffle(items)
        return {k: _reordered(v, rnd) for k, v in items}
    if isinstance(value, list | tuple):
        items = [_reordered(v, rnd) for v in value]
        return tuple(items) if rnd.random() < 0.2 else items
    if rnd.random() < 0.2 and value in (0, 1) and not isinstance(value, str):
        return rnd.choice([bool(value), int(value), float(value)])
    return value


@given(
    st.dictionaries(st.sampled_from(["a", "b", "c", "1"]), _plain_data, max_size=4), st.randoms()
)
def test_same_data_says_what_the_canonical_texts_say(
    read: dict[str, Any], rnd: random.Random
) -> None:
    """The check of a TOML or YAML read against what the edits meant compares each top-level
    value's repr first: it says exactly what comparing the two canonical texts says."""
    from optscale_cli.edit.documents import _canon, _same_data

    for expected in (read, _reordered(read, rnd), {**read, "x": 1}, {"x": read}):
        canonical = _canon(read, plain_data=True) == _canon(expected, plain_data=True)
        assert _same_data(read, expected) == canonical, (read, expected)


@pytest.mark.parametrize(
    ("read", "expected"),
    [
        ({True: "x"}, {1: "x"}),  # keys equal to keys(), not as written
        ({1.0: "x"}, {1: "x"}),
        ({0.0: "x"}, {-0.0: "x"}),
        ({1: "a", "b": "c"}, {1: "a", "b": "c"}),  # keys that cannot be sorted together
    ],
)
def test_same_data_with_keys_that_are_not_text_is_the_canonical_verdict(
    read: dict[Any, Any], expected: dict[Any, Any]
) -> None:
    from optscale_cli.edit.documents import _canon, _same_data

    try:
        canonical = _canon(read, plain_data=True) == _canon(expected, plain_data=True)
    except TypeError:
        with pytest.raises(TypeError):
            _same_data(read, expected)
        return
    assert _same_data(read, expected) == canonical
