"""The YAML loader's fast path for plain block mappings gives exactly what the full parser
gives, or leaves the document to it: a differential test over generated documents."""

from __future__ import annotations

import math
import random
from typing import Any

import pytest

from reconciler.errors import ManifestError
from reconciler.manifest.yamldoc import _simple_mapping, load_yaml
from reconciler.manifest.yamltree import parse as _parse

KEYS = [
    "a",
    "b",
    "key_1",
    "x.y",
    "a-b",
    "1",
    "true",
    "null",
    "~",
    "-a",
    "a b",
    '"q"',
    "<<",
    "?",
    "a:b",
    "k" * 201,
    "é",
]
# values of the subset (_mutated and _document add VALUES' others)
SIMPLE = [
    "1",
    "-1",
    "+1",
    "0x1F",
    "0o17",
    "1.5",
    ".5",
    "-.5",
    "1e3",
    "1E+3",
    "true",
    "True",
    "tRUE",
    "yes",
    "null",
    "Null",
    "hello",
    "hello world",
    "a  b",
    "-x",
    "/path/to",
    "a/b",
    "x@y",
    "1_000",
    "012",
    "2024-01-01",
    "1.2.3",
    "x-",
    "-0",
    "1.",
    '"x"',
    '"x #y"',
    "'x'",
    "'a # b'",
    '""',
    "''",
    "a b c d",
    "[a, b]",
    "{k: v, n: 2}",
    "[]",
    "{}",
    "[1, 'x', \"y\"]",
    "a*b",
    "{ a: 1 ,b: 2 }",
    "{xp: {daily_cap: 100000}}",
    "[a, [b, c]]",
    "{a: [1, 2], b: {c: d}}",
    "['x, y']",
    '["a]", b]',
    "[[], {}]",
]
# values at the edges of the subset and beyond it, with the subset's own
VALUES = [
    ".inf",
    "-.inf",
    ".nan",
    "TRUE",
    "no",
    "on",
    "~",
    "a #b",
    "a#b",
    "a:b",
    "a: b",
    "http://x.y/z",
    "-",
    "- x",
    "--x",
    "...",
    "---",
    ".",
    "..",
    "+",
    "@x",
    "%x",
    "&a x",
    "*a",
    "!x",
    "! 20",
    "!!str 1",
    '"a\\nb"',
    '"a\'b"',
    "'a\"b'",
    "'it''s'",
    "[1, 2]",
    "{a: 1}",
    "|",
    ">",
    "0b11",
    "12:30",
    "-1-",
    "_",
    "+.5",
    "e3",
    "0x",
    "-0x1F",
    "+0o7",
    "a\tb",
    "x\x7f",
    "é",
    '"é"',
    "[1, 2.5, true]",
    "[ ]",
    "{a: 1}",
    "{a: 1, b: x y}",
    "{a: 1, a: 2}",
    "[a, b,]",
    "[a,b]",
    "{a:1}",
    "{a}",
    "[[1]]",
    "[a, {b: 1}]",
    "['x,y']",
    "[\"a\", 'b']",
    "[a #c]",
    "[a] # c",
    "{a: 1}x",
    "[-1, .5, 0x1F, .inf]",
    "[a: b]",
    "{a: [1]}",
    "[ a , b ]",
    "[~, null]",
    "[*a]",
    "[&a x]",
    "[!x]",
    "[a*b]",
    "*a",
    "[a, ]",
    "[a ,b]",
    "{a: 1,}",
    "{ }",
    "[,]",
    "[a, -]",
    "{a: -}",
    "{a: ''}",
    "['']",
    "[a  b]",
    "[[[[1]]]]",
    "[a]x",
    "[[1] , 2]",
    "{a: {b: {c: [1, {d: e}]}}}",
    *SIMPLE,
]
INDENTS = [0, 0, 2, 2, 4, 4, 6, 1, 3]


def _line(r: random.Random) -> str:
    ind = " " * r.choice(INDENTS)
    key, val = r.choice(KEYS), r.choice(VALUES)
    shapes = [
        f"{ind}{key}: {val}",
        f"{ind}{key}: {val}",
        f"{ind}{key}: {val}",
        f"{ind}{key}:",
        f"{ind}{key}:",
        f"{ind}{key}:   # note",
        f"{ind}{key}: {val}  # note",
        f"{ind}{key}:   {val}",
        f"{ind}{key}: {val}   ",
        f"{ind}# comment",
        "",
        "   ",
        f"{ind}- {val}",
        f"{ind}{val}",
        "---",
        "...",
        f"{ind}{key}:{val}",
        f"{ind}{key} : {val}",
        f"{ind}#",
        f"{ind}{key}: {val}#x",
        "\t" + f"{key}: {val}",
        f"{ind}{key}: {val}\r",
        f"{ind}- {key}: {val}",
        f"{ind}- {key}:",
        f"{ind}-   {key}: {val}",
        f"{ind}-",
        f"{ind}- ",
        f"{ind}- # note",
        f"{ind}- - {val}",
        f"{ind}-{val}",
        f"{ind}- {val}  # note",
    ]
    return r.choice(shapes)


def _document(r: random.Random) -> str:
    lines = [_line(r) for _ in range(r.randint(1, 12))]
    return "\n".join(lines) + r.choice(["\n", "", "\n\n"])


def _mutated(r: random.Random) -> str:
    """A well-formed document with one or two lines replaced or added: the edges of the subset."""
    lines = _nested(r).split("\n")
    for _ in range(r.randint(1, 2)):
        i = r.randrange(len(lines))
        if r.random() < 0.5:
            lines[i] = _line(r)
        else:
            lines.insert(i, _line(r))
    return "\n".join(lines)


def _nested(r: random.Random) -> str:
    """A well-formed nested mapping of simple values, so most of these take the fast path."""
    out: list[str] = []

    def block(indent: int, depth: int, first: str = "") -> None:
        """Keys at ``indent``; the first line starts with ``first`` (a list entry's dash)."""
        for i in range(r.randint(1, 4)):
            key = r.choice(["a", "b", "key_1", "x.y", "a-b", "1", "true", f"k{i}"]) + f"{i}"
            lead = " " * indent
            if first and i == 0:
                lead = lead[: -len(first)] + first
            if depth < 3 and r.random() < 0.2:  # a - list under the key
                out.append(lead + f"{key}:")
                at = indent + r.choice([0, 2, 4])  # a list may stand at its key's own indent
                for _ in range(r.randint(1, 3)):
                    if r.random() < 0.5:
                        out.append(" " * at + "- " + r.choice(SIMPLE) + r.choice(["", " # c"]))
                    else:
                        dash = r.choice(["- ", "- ", "-   "])
                        block(at + len(dash), depth + 1, first=dash)
            elif depth < 3 and r.random() < 0.3:
                out.append(lead + f"{key}:" + r.choice(["", "  # c"]))
                if r.random() < 0.3:
                    out.append(" " * r.choice([0, indent + 1]) + "# between")
                block(indent + r.choice([1, 2, 4]), depth + 1)
            else:
                value = r.choice(SIMPLE)
                out.append(lead + f"{key}: {value}" + r.choice(["", " # c", "  "]))

    block(0, 0)
    return "\n".join(out) + "\n"


def _typed(value: Any) -> Any:
    """The value with every scalar's type beside it (1, 1.0 and True compare equal)."""
    if isinstance(value, dict):
        return {k: _typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_typed(v) for v in value]
    return (type(value).__name__, value)


@pytest.mark.parametrize(("make", "least"), [(_document, 1), (_nested, 2500), (_mutated, 150)])
def test_the_fast_path_agrees_with_the_full_parser(make: Any, least: int) -> None:
    r = random.Random(20261128)
    fast_taken = 0
    for _ in range(3000):
        text = make(r)
        fast = _simple_mapping(text, "f.yaml")
        if fast is None:
            continue
        fast_taken += 1
        try:
            data, loc = _parse(text, "f.yaml")
        except ManifestError as e:  # pragma: no cover - the failure message
            pytest.fail(f"fast path accepted what the parser rejects: {text!r}: {e}")
        assert repr(_typed(fast[0])) == repr(_typed(data)), text  # key order too
        assert fast[1].keys == loc.keys, text
        assert fast[1].values == loc.values, text
    assert fast_taken >= least  # the generator reaches the fast path often enough to test it


def test_what_the_fast_path_leaves_still_gets_the_parsers_errors() -> None:
    dup = "a: 1\nb: 2\na: 3\n"
    assert _simple_mapping(dup, "f.yaml") is None
    with pytest.raises(ManifestError) as e:
        load_yaml(dup, "f.yaml")
    assert e.value.diagnostics[0].code == "duplicate-key"
    assert _simple_mapping("a: .nan\n", "f.yaml") is None
    with pytest.raises(ManifestError) as e:
        load_yaml("a: .nan\n", "f.yaml")
    assert e.value.diagnostics[0].code == "bad-number"


@pytest.mark.parametrize(
    "text",
    [
        "a: {k: 1, k: 2}\n",  # a duplicate key in a flow mapping: the parser's located error
        "a: [1, 2,]\n",
        "a: {k}\n",
        "a: [k: v]\n",
        "a: {k:v}\n",
        "a: [x, .inf]\n",
        "a: [1, [2]] x\n",
        "a: {k: [1,]}\n",
        "a: [a #c]\n",
        "a: " + "[" * 40 + "]" * 40 + "\n",
    ],
)
def test_flow_collections_outside_the_subset_go_to_the_full_parser(text: str) -> None:
    assert _simple_mapping(text, "f.yaml") is None
    try:
        data, _ = _parse(text, "f.yaml")
    except ManifestError:
        return
    assert load_yaml(text, "f.yaml")[0] == data


def test_a_config_file_takes_the_fast_path_with_its_positions() -> None:
    text = (
        "# settings\ncategory: limits\nentries:\n  max_rows:\n    value: 500  # rows\n"
        "    type: integer\n  motd:\n    value: 'hello # world'\n    type: string\n"
    )
    fast = _simple_mapping(text, "c.yaml")
    assert fast is not None
    data, loc = fast
    assert data == {
        "category": "limits",
        "entries": {
            "max_rows": {"value": 500, "type": "integer"},
            "motd": {"value": "hello # world", "type": "string"},
        },
    }
    assert str(loc.value(("entries", "max_rows", "value"))) == "c.yaml:5:12"
    assert str(loc.key(("entries", "motd"))) == "c.yaml:7:3"
    assert not math.isnan(data["entries"]["max_rows"]["value"])


@pytest.mark.parametrize(
    "deep",
    [
        "".join(" " * i + f"k{i}:\n" for i in range(2000)) + " " * 2000 + "v: 1\n",
        "a:\n" + "".join(" " * (2 * i + 2) + "- k:\n" for i in range(1500)) + " " * 3004 + "v: 1\n",
    ],
)
def test_deep_nesting_is_left_to_the_full_parser(deep: str) -> None:
    assert _simple_mapping(deep, "f.yaml") is None
    with pytest.raises(ManifestError) as e:
        load_yaml(deep, "f.yaml")
    assert e.value.diagnostics[0].code == "yaml-too-deep"
