"""YAML text -> plain Python data plus the line and column of every key and value.

A document in the plain subset manifests are mostly written in (nested ``key: value`` lines,
``- item`` lists, one-line flow collections) is read here line by line
(:func:`_simple_mapping`: 10,000 config entries in about 0.05 s); any other goes to
:mod:`reconciler.manifest.yamltree` (ruamel.yaml's node tree, about 0.3 s for the same
entries, imported only then). Either way every key and value keeps its position in a
:class:`Locator`, and a plain scalar's type is the YAML 1.2 core schema's
(:func:`core_value`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

from reconciler.errors import Diagnostic, ManifestError, SourceLocation

__all__ = ["Locator", "core_value", "load_yaml"]

Path = tuple[str | int, ...]


class Locator:
    """Positions of the keys and values of one YAML document."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.keys: dict[Path, tuple[int, int]] = {}
        self.values: dict[Path, tuple[int, int]] = {}

    def key(self, path: Sequence[str | int]) -> SourceLocation:
        """Where the key at ``path`` is written, or the nearest enclosing one."""
        return self._find(tuple(path), prefer_key=True)

    def value(self, path: Sequence[str | int]) -> SourceLocation:
        """Where the value at ``path`` is written, or the nearest enclosing one."""
        path = tuple(path)
        at = self.values.get(path)  # (the common case: asked once per config entry)
        if at is not None:
            return SourceLocation(self.file, at[0] + 1, at[1] + 1)
        return self._find(path, prefer_key=False)

    def _find(self, path: Path, prefer_key: bool) -> SourceLocation:
        while True:
            tables = (self.keys, self.values) if prefer_key else (self.values, self.keys)
            for t in tables:
                if path in t:
                    line, col = t[path]
                    return SourceLocation(self.file, line + 1, col + 1)
            if not path:
                return SourceLocation(self.file, 1, 1)
            path = path[:-1]


_NULL = re.compile(r"^(~|null|Null|NULL|)$")
_BOOL = re.compile(r"^(true|True|TRUE|false|False|FALSE)$")
_INT = re.compile(r"^([-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_FLOAT = re.compile(
    r"^([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN))$"
)

# the characters an integer or a float of the core schema can start with (null and bool cannot)
_NUMBER_START = frozenset("0123456789-+.")


def core_value(v: str) -> Any:
    """A plain scalar's value under the YAML 1.2 core schema."""
    if v[:1] not in _NUMBER_START:  # the number patterns need not be tried (most text)
        if _NULL.match(v):
            return None
        if _BOOL.match(v):
            return v.lower() == "true"
        return str(v)
    if _INT.match(v):
        if v.startswith("0x"):
            return int(v[2:], 16)
        if v.startswith("0o"):
            return int(v[2:], 8)
        return int(v, 10)
    if _FLOAT.match(v):
        low = v.lower()
        if low.endswith("inf"):
            return -math.inf if low.startswith("-") else math.inf
        if low.endswith("nan"):
            return math.nan
        return float(v)
    return str(v)  # plain strings, dates and anything else: JSON-representable text


# One line of the block-mapping subset :func:`_simple_mapping` reads without ruamel.yaml: a
# blank or comment line, or ``key:`` / ``key: value`` with a plain key, a one-line value and
# an optional comment. A value is plain in a conservative character set, quoted without
# escapes, or a one-line flow list or mapping of such values, nested or not (``[a, b]``,
# ``{k: v, l: [1, 2]}``). ASCII only, no tabs: anything else is left to the full parser.
_KEY = r"[A-Za-z0-9_][A-Za-z0-9_.\-]{0,199}"
_SCALAR = (
    r"-?[A-Za-z0-9_./+](?:[A-Za-z0-9_./+@* \-]*[A-Za-z0-9_./+@*\-])?"
    r"|\"[ !#-\[\]-~]*\"|'[ -&(-~]*'"
)
# a value is a scalar, or a flow collection running to the end of the line (read by
# :func:`_simple_flow`, which says where it ends and what may follow it)
_SIMPLE_LINE = re.compile(
    rf"( *)(?:#[ -~]*|({_KEY}):(?: +({_SCALAR}|[\[{{][ -~]*))?(?: +#[ -~]*)? *)?"
)
# a `- ` list entry that is a scalar or a flow collection (after the dash)
_SIMPLE_ITEM = re.compile(rf"( *)({_SCALAR}|[\[{{][ -~]*)(?: +#[ -~]*)? *")
_FLOW_SCALAR = re.compile(_SCALAR)
_FLOW_KEY = re.compile(rf"({_KEY}): +")
_FLOW_AFTER = re.compile(r"(?: +#[ -~]*)? *")  # what may follow a flow collection on its line
_FLOW_DEPTH = 16  # deeper flow nesting is left to the full parser
_NO = object()  # a value the fast path leaves to the full parser


def _simple_scalar(raw: str) -> Any:
    """A one-line scalar of the subset, or :data:`_NO`."""
    if raw[0] in "\"'":
        return raw[1:-1]
    if raw.isdigit():  # ASCII here: a decimal integer, as core_value would read it
        return int(raw)
    value = core_value(raw)
    if isinstance(value, float) and not math.isfinite(value):
        return _NO  # the full parser's located error
    return value


def _simple_flow(raw: str, line: int, col: int, path: Path, loc: Locator) -> Any:
    """The one-line flow collection ``raw`` written at ``col`` (followed by nothing but a
    comment), or :data:`_NO`."""
    value, end = _flow_collection(raw, 0, line, col, path, loc, 0)
    if value is _NO or _FLOW_AFTER.fullmatch(raw, end) is None:
        return _NO
    return value


def _flow_collection(
    s: str, i: int, line: int, base: int, path: Path, loc: Locator, depth: int
) -> tuple[Any, int]:
    """The flow list or mapping opening at ``s[i]`` and the index after it, or :data:`_NO`
    for anything but items and ``key: value`` pairs of the subset separated by commas (a
    trailing comma, ``{k}``, ``[k: v]``, a duplicate key and a comment are left to the full
    parser). ``base`` is the column of ``s[0]``."""
    if depth > _FLOW_DEPTH:
        return _NO, i
    close = "]" if s[i] == "[" else "}"
    items: list[Any] = []
    pairs: dict[str, Any] = {}
    n = len(s)
    i += 1
    while i < n and s[i] == " ":
        i += 1
    if s[i : i + 1] == close:
        return (items if close == "]" else pairs), i + 1
    while True:
        key = ""
        if close == "]":
            p: Path = (*path, len(items))
        else:
            k = _FLOW_KEY.match(s, i)
            key = k[1] if k is not None else ""
            if k is None or key in pairs:
                return _NO, i
            p = (*path, key)
            loc.keys[p] = (line, base + i)
            i = k.end()
        loc.values[p] = (line, base + i)
        if s[i : i + 1] in ("[", "{"):
            value, i = _flow_collection(s, i, line, base, p, loc, depth + 1)
        else:
            m = _FLOW_SCALAR.match(s, i)
            if m is None:
                return _NO, i
            value, i = _simple_scalar(m.group()), m.end()
        if value is _NO:
            return _NO, i
        if close == "]":
            items.append(value)
        else:
            pairs[key] = value
        while i < n and s[i] == " ":
            i += 1
        if s[i : i + 1] == close:
            return (items if close == "]" else pairs), i + 1
        if s[i : i + 1] != ",":
            return _NO, i
        i += 1
        while i < n and s[i] == " ":
            i += 1
        if s[i : i + 1] in (close, ""):
            return _NO, i  # a trailing comma


# nesting the fast path leaves to the full parser, whose recursion has its own located error
_SIMPLE_DEPTH = 64


def _simple_mapping(text: str, file: str) -> tuple[dict[str, Any], Locator] | None:
    """The data and positions of a document written in the plain subset most manifests use
    (nested block mappings and ``- item`` lists of one-line scalars, and one-line flow lists
    and mappings of them), or None for anything else, which the full parser then reads. It
    gives exactly what the full path gives for such a document (a differential test holds it
    to that) at a fifth of the cost: ruamel.yaml builds a node and two marks per scalar, 0.2 s
    over a 10,000-entry config file. Whatever it is unsure of (an empty value or item, a
    duplicate key, a number JSON cannot hold, a continuation line, an indentation the full
    parser would reject) it leaves to the full parser and its errors."""
    if not text.isascii() or "\t" in text or "\r" in text:
        return None
    loc = Locator(file)
    keys, values = loc.keys, loc.values
    root: dict[str, Any] = {}
    # open collections, innermost last: (indent, the mapping or list, its path, a list?)
    top: tuple[int, dict[str, Any] | list[Any], Path, bool] = (0, root, (), False)
    stack = [top]
    opened: tuple[str, Path, int] | None = None  # a `key:` line whose value the next line opens
    match = _SIMPLE_LINE.fullmatch
    for lineno, line in enumerate(text.split("\n")):
        m = match(line)
        scalar = None
        if m is not None:  # a key, a blank or a comment line (most lines)
            key = m[2]
            if key is None:
                continue
            col = at = len(m[1])
            item = False
        else:  # an entry of a block list, or outside the subset
            col = len(line) - len(line.lstrip(" "))
            item = line.startswith("- ", col)
            if not item or len(stack) > _SIMPLE_DEPTH:
                return None  # deep: the full parser's own error
            m = match(line, col + 2)
            if m is None:
                scalar = _SIMPLE_ITEM.fullmatch(line, col + 2)
                if scalar is None:
                    return None
                at = col + 2 + len(scalar[1])
                key = None
            else:
                key = m[2]
                if key is None:
                    return None  # an entry with nothing in it
                at = col + 2 + len(m[1])  # where its key starts
        if opened is not None:
            name, path, above = opened
            opened = None
            if col < above or (col == above and not item) or len(stack) > _SIMPLE_DEPTH:
                return None  # an empty value (the full parser decides what it is), or deep
            parent = top[1]
            assert isinstance(parent, dict)
            child: dict[str, Any] | list[Any] = [] if item else {}
            parent[name] = child
            values[path] = (lineno, col)
            top = (col, child, path, item)
            stack.append(top)
        elif top[0] != col or top[3] or item:  # not the next key of the same mapping
            # close what this line is outside of; a list at a key's own indent ends at the
            # next key there
            while top[0] > col or (top[0] == col and top[3] and not item):
                stack.pop()
                if not stack:
                    return None
                top = stack[-1]
            if top[0] != col or top[3] != item:
                return None  # deeper than what is open (a continuation line) or misaligned
        _, current, path, _ = top
        if item:
            assert isinstance(current, list)
            p = (*path, len(current))
            values[p] = (lineno, at)
            if key is None:
                assert scalar is not None
                raw = scalar[2]
                flow = raw[0] in "[{"
                value = _simple_flow(raw, lineno, at, p, loc) if flow else _simple_scalar(raw)
                if value is _NO:
                    return None
                current.append(value)
                continue
            entry: dict[str, Any] = {}
            current.append(entry)
            top = (at, entry, p, False)
            stack.append(top)
            current, path = entry, p
        assert isinstance(current, dict) and m is not None and key is not None
        if key in current:
            return None
        p = (*path, key)
        keys[p] = (lineno, at)
        raw = m[3]
        if raw is None:
            opened = (key, p, at)
            continue
        start = m.start(3)
        values[p] = (lineno, start)
        flow = raw[0] in "[{"
        value = _simple_flow(raw, lineno, start, p, loc) if flow else _simple_scalar(raw)
        if value is _NO:
            return None
        current[key] = value
    if opened is not None or not root:
        return None
    return root, loc


MAX_YAML_BYTES = 10 * 1024 * 1024  # as for a migration file


def load_yaml(text: str, file: str) -> tuple[Any, Locator]:
    """Parse one YAML document. Syntax errors, duplicate keys, alias bombs, recursive aliases,
    NUL characters, NaN and infinities, and control characters in keys raise a located
    ManifestError."""
    if len(text) > MAX_YAML_BYTES // 4 and len(text.encode()) > MAX_YAML_BYTES:
        raise ManifestError(
            [
                Diagnostic(
                    "file-too-large",
                    f"{file} is larger than {MAX_YAML_BYTES // (1024 * 1024)} MB",
                    SourceLocation(file),
                    "split it into several files (config.files takes globs)",
                )
            ]
        )
    nul = text.find("\x00")
    if nul >= 0:
        raise ManifestError(
            [
                Diagnostic(
                    "nul-byte",
                    f"{file} holds a NUL byte",
                    SourceLocation.of_offset(file, text, nul),
                    "save the file as plain UTF-8 text",
                )
            ]
        )
    simple = _simple_mapping(text, file)
    if simple is not None:
        return simple
    from reconciler.manifest.yamltree import parse  # ruamel.yaml only for what needs it

    return parse(text, file)
