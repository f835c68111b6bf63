"""YAML text -> plain Python data plus the line and column of every key and value.

A document of nested ``key: value`` lines (what config files mostly are) is read line by
line (:func:`_simple_mapping`: 10,000 config entries in about 0.05 s); any other is composed
by ruamel.yaml (with its C parser from ruamel.yaml.clib, about 0.3 s for the same entries)
and we build the data from the nodes ourselves. Either way every key and value keeps its
position in a :class:`Locator`, and duplicate keys are caught, located.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any, cast

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import ScalarEvent
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.resolver import BaseResolver
from ruamel.yaml.tag import Tag

from reconciler.errors import Diagnostic, ManifestError, SourceLocation

__all__ = ["Locator", "load_yaml"]

Path = tuple[str | int, ...]
_TAG = "tag:yaml.org,2002:"


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
        return self._find(tuple(path), prefer_key=False)

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


_CONTROL = re.compile("[\x00-\x1f\x7f]")
_NULL = re.compile(r"^(~|null|Null|NULL|)$")
_BOOL = re.compile(r"^(true|True|TRUE|false|False|FALSE)$")
_INT = re.compile(r"^([-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_FLOAT = re.compile(
    r"^([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN))$"
)

# the characters an integer or a float of the core schema can start with (null and bool cannot)
_NUMBER_START = frozenset("0123456789-+.")

# the tag this loader gives a plain scalar written without a tag: its type is decided by
# :func:`_scalar` (an explicit ``!!str 20``, a quoted or block scalar and the non-specific
# ``! 20`` are text)
_PLAIN = "tag:neon-reconciler,2026:plain"
# one shared object for it, as ruamel.yaml's own default tags are: a new one per node costs a
# Tag built and its text decoded for every scalar (20 ms over a 10,000-entry file)
_PLAIN_TAG = Tag(suffix=_PLAIN)


def _non_specific_scalars(yaml: YAML, text: str) -> frozenset[tuple[int, int]]:
    """(line, column) of the scalars written with YAML's non-specific tag ``!``, which makes a
    plain scalar text. ruamel.yaml's composer resolves them as if untagged, so they are found
    from the parser's events, parsed again only where a lone "!" stands before a value (a scan
    for "!", not a regular expression: most files hold none, and a regular expression costs
    10 ms on a 10,000-entry file)."""
    i = text.find("!")
    while i >= 0:
        after = text[i + 1 : i + 2] or "\n"
        if (i == 0 or text[i - 1] in " \t\r\n[{,:?-") and after in " \t\r\n,]}":
            return frozenset(
                (e.start_mark.line, e.start_mark.column)
                for e in yaml.parse(text)
                if isinstance(e, ScalarEvent) and e.tag == "!"
            )
        i = text.find("!", i + 1)
    return frozenset()


# explicit tags a value may carry: the YAML core schema's; any other (``!secret x``,
# ``!!binary``, ``!!python/...``) is an error rather than its text taken silently
_SCALAR_TAGS = {_TAG + t for t in ("str", "int", "float", "bool", "null")}
_KEY_TAGS = _SCALAR_TAGS | {_PLAIN}
# the tag a mapping or sequence may carry, and what it is called in an error
_COLLECTIONS: dict[type, tuple[str, str]] = {
    MappingNode: ("map", "mapping"),
    SequenceNode: ("seq", "sequence"),
}
_TAG_TYPES: dict[str, type | tuple[type, ...]] = {
    "int": int,
    "float": (int, float),
    "bool": bool,
    "null": type(None),
}


class _PlainResolver(BaseResolver):
    """Resolves nothing implicitly (a plain untagged scalar is tagged :data:`_PLAIN`); see
    :func:`_scalar`."""

    def __init__(self, version: Any = None, loader: Any = None, loadumper: Any = None) -> None:
        super().__init__(loadumper=loadumper or loader)

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is ScalarNode:
            # implicit[0]: plain and untagged; quoted scalars and the "!" tag are text
            return _PLAIN_TAG if implicit and implicit[0] else self.DEFAULT_SCALAR_TAG
        if kind is SequenceNode:
            return self.DEFAULT_SEQUENCE_TAG
        return self.DEFAULT_MAPPING_TAG


def _tag_of(node: Node) -> str | None:
    """A node's tag. ``node.tag`` builds the text anew for every node (ruamel.yaml decodes the
    tag's %-escapes character by character, 0.1-0.2 s over a 10,000-entry file); the tags the
    resolver gave are already text, and only a written one needs decoding."""
    t = node.ctag
    if t is _PLAIN_TAG:
        return _PLAIN
    if t is None:
        return None
    if t.handle is None and "%" not in t.suffix:
        return str(t.suffix)
    return str(t)


def _shown(tag: str | None) -> str:
    """A tag as it is written (``!!int``, ``!secret``)."""
    return str(tag).replace(_TAG, "!!")


class _BadTag(ValueError):
    """A scalar whose explicit tag is not one of the core schema's, or does not fit it."""


def _scalar(node: ScalarNode) -> Any:
    """YAML 1.2 core schema, resolved here (ruamel's versioned resolver is slow per node)."""
    v = node.value
    tag = _tag_of(node)
    if tag == _PLAIN:
        return _core(v) if not node.style else str(v)
    if tag == _TAG + "str":
        return str(v)
    if tag not in _SCALAR_TAGS:
        raise _BadTag(f"the tag {_shown(tag)} is not supported")
    value: Any = _core(v)
    kind = tag[len(_TAG) :]
    wanted = _TAG_TYPES[kind]
    if not isinstance(value, wanted) or (kind != "bool" and isinstance(value, bool)):
        raise _BadTag(f"{v!r} is not a YAML {kind}")
    if kind == "float":
        return float(cast(int | float, value))  # !!float 3 and !!float 0x1F are floats
    return value


def _core(v: str) -> Any:
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
# escapes, or a one-line flow list or mapping of such values (``[a, b]``, ``{k: v}``). ASCII
# only, no tabs: anything else is left to the full parser.
_KEY = r"[A-Za-z0-9_][A-Za-z0-9_.\-]{0,199}"
_SCALAR = (
    r"-?[A-Za-z0-9_./+](?:[A-Za-z0-9_./+@* \-]*[A-Za-z0-9_./+@*\-])?"
    r"|\"[ !#-\[\]-~]*\"|'[ -&(-~]*'"
)
_SIMPLE_LINE = re.compile(
    rf"( *)(?:#[ -~]*|({_KEY}):"
    rf"(?: +({_SCALAR}|\[[^\[\]{{}}#]*\]|\{{[^\[\]{{}}#]*\}}))?"
    r"(?: +#[ -~]*)? *)?"
)
# one item of a flow list, and one pair of a flow mapping, between commas
_FLOW_ITEM = re.compile(rf" *({_SCALAR}) *")
_FLOW_PAIR = re.compile(rf" *({_KEY}): +({_SCALAR}) *")
# a `- ` list entry that is a scalar or a flow collection (after the dash)
_SIMPLE_ITEM = re.compile(rf"( *)({_SCALAR}|\[[^\[\]{{}}#]*\]|\{{[^\[\]{{}}#]*\}})(?: +#[ -~]*)? *")
_NO = object()  # a value the fast path leaves to the full parser


def _simple_scalar(raw: str) -> Any:
    """A one-line scalar of the subset, or :data:`_NO`."""
    if raw[0] in "\"'":
        return raw[1:-1]
    if raw.isdigit():  # ASCII here: a decimal integer, as _core would read it
        return int(raw)
    value = _core(raw)
    if isinstance(value, float) and not math.isfinite(value):
        return _NO  # the full parser's located error
    return value


def _simple_flow(raw: str, line: int, col: int, path: Path, loc: Locator) -> Any:
    """A one-line flow list or mapping of scalars written at ``col``, or :data:`_NO`."""
    inner = raw[1:-1]
    is_list = raw[0] == "["
    if not inner.strip(" "):
        return [] if is_list else {}
    items: list[Any] = []
    pairs: dict[str, Any] = {}
    at = col + 1  # where the current part starts
    for i, part in enumerate(inner.split(",")):
        m = (_FLOW_ITEM if is_list else _FLOW_PAIR).fullmatch(part)
        if m is None:
            return _NO  # an empty part (a trailing comma), a nested collection, ...
        value = _simple_scalar(m[m.lastindex or 1])
        if value is _NO:
            return _NO
        if is_list:
            loc.values[(*path, i)] = (line, at + m.start(1))
            items.append(value)
        else:
            key = m[1]
            if key in pairs:
                return _NO
            loc.keys[(*path, key)] = (line, at + m.start(1))
            loc.values[(*path, key)] = (line, at + m.start(2))
            pairs[key] = value
        at += len(part) + 1
    return items if is_list else pairs


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
MAX_ALIAS_USES = 1_000  # references to anchors in one document
EXPANSION_FACTOR = 10  # built values per node written, beyond which aliases are a bomb
MIN_EXPANSION_BUDGET = 10_000


class _TooBig(Exception):
    def __init__(self, diagnostic: Diagnostic) -> None:
        self.diagnostic = diagnostic


class _Builder:
    def __init__(self, file: str, root: Node, text_at: frozenset[tuple[int, int]]) -> None:
        self.loc = Locator(file)
        self.text_at = text_at  # (line, column) of the scalars tagged "!"
        self.errors: list[Diagnostic] = []
        self.file = file
        self.root = root
        self.building: set[int] = set()  # nodes on the current path: an alias to one recurses
        self.seen: set[int] = set()
        self.alias_uses = 0
        self.built = 0
        # values built per node written: counted only once the document is past the minimum
        # budget (a document without aliases never builds more values than it has nodes)
        self.budget = MIN_EXPANSION_BUDGET
        self.counted = False

    def _limit(self, node: Node) -> None:
        raise _TooBig(
            Diagnostic(
                "yaml-alias-limit",
                f"aliases expand this document beyond {self.budget:,} values "
                f"({self.alias_uses:,} alias uses): refusing a YAML alias bomb",
                self._at(node),
                "write the values out, or use fewer and smaller anchors",
            )
        )

    def _over_budget(self) -> bool:
        if self.built <= self.budget:
            return False
        if not self.counted:
            self.counted = True
            self.budget = max(MIN_EXPANSION_BUDGET, EXPANSION_FACTOR * _count(self.root, set()))
        return self.built > self.budget

    def _at(self, node: Node) -> SourceLocation:
        return SourceLocation(self.file, node.start_mark.line + 1, node.start_mark.column + 1)

    def build(self, node: Node, path: Path) -> Any:
        key = id(node)
        if key in self.building:
            raise _TooBig(
                Diagnostic(
                    "yaml-recursive-alias",
                    "an alias refers to a node that contains it: the value would be infinite",
                    self._at(node),
                    "anchors (&name) may only be used by aliases (*name) outside their own value",
                )
            )
        self.built += 1
        if key in self.seen:
            self.alias_uses += 1
        self.seen.add(key)
        if self.alias_uses > MAX_ALIAS_USES or self._over_budget():
            self._limit(node)
        if isinstance(node, MappingNode | SequenceNode):
            self.building.add(key)
            try:
                return self._build(node, path)
            finally:
                self.building.discard(key)
        return self._build(node, path)

    def _bad_tag(self, node: Node, message: str, hint: str = "remove the tag") -> None:
        self.errors.append(
            Diagnostic("yaml-tag", message, self._at(node), f"manifests are plain YAML: {hint}")
        )

    def _build(self, node: Node, path: Path) -> Any:
        collection = _COLLECTIONS.get(type(node))
        if collection is not None and (tag := _tag_of(node)) != _TAG + collection[0]:
            self._bad_tag(node, f"the tag {_shown(tag)} is not supported on a {collection[1]}")
            return None
        if isinstance(node, MappingNode):
            out: dict[str, Any] = {}
            first: dict[str, Node] = {}
            for knode, vnode in node.value:
                if isinstance(knode, ScalarNode) and knode.value == "<<":
                    merged = self.build(vnode, path)
                    for m in merged if isinstance(merged, list) else [merged]:
                        if isinstance(m, dict):
                            for k, v in m.items():
                                out.setdefault(k, v)
                    continue
                if isinstance(knode, ScalarNode) and (tag := _tag_of(knode)) not in _KEY_TAGS:
                    self._bad_tag(knode, f"the tag {_shown(tag)} is not supported on a key")
                    continue
                if not isinstance(knode, ScalarNode):
                    self.errors.append(
                        Diagnostic(
                            "yaml-complex-key",
                            "a key must be text, not a list or a mapping",
                            self._at(knode),
                            "write the key as plain text (a `? [a, b]` key has no name a "
                            "manifest could mean)",
                        )
                    )
                    continue
                key = str(knode.value)
                control = _CONTROL.search(key)
                if control is not None:
                    bad = control.group()
                    self.errors.append(
                        Diagnostic(
                            "control-character",
                            f"key {key!r} holds the control character {bad!r}",
                            self._at(knode),
                            "keys are plain text: remove the character (often a stray "
                            "newline or tab inside quotes)",
                        )
                    )
                    continue
                p = (*path, key)
                if key in first:
                    m0 = first[key].start_mark
                    self.errors.append(
                        Diagnostic(
                            "duplicate-key",
                            f"key {key!r} appears twice in this mapping",
                            SourceLocation(
                                self.file, knode.start_mark.line + 1, knode.start_mark.column + 1
                            ),
                            f"first at line {m0.line + 1}; each key may appear once, remove one",
                        )
                    )
                    continue
                first[key] = knode
                self.loc.keys[p] = (knode.start_mark.line, knode.start_mark.column)
                self.loc.values[p] = (vnode.start_mark.line, vnode.start_mark.column)
                if type(vnode) is ScalarNode and id(vnode) not in self.seen:
                    # a leaf written here (no alias): what build() would do, without its checks
                    self.built += 1
                    self.seen.add(id(vnode))
                    if self._over_budget():
                        self._limit(vnode)
                    out[key] = self._leaf(vnode)
                else:
                    out[key] = self.build(vnode, p)
            return out
        if isinstance(node, SequenceNode):
            items = []
            for i, v in enumerate(node.value):
                p = (*path, i)
                self.loc.values[p] = (v.start_mark.line, v.start_mark.column)
                items.append(self.build(v, p))
            return items
        if isinstance(node, ScalarNode):
            return self._leaf(node)
        return None

    def _leaf(self, node: ScalarNode) -> Any:
        if self.text_at:
            mark = node.start_mark
            if (mark.line, mark.column) in self.text_at and _tag_of(node) == _PLAIN:
                return self._text(node, str(node.value))
        try:
            value = _scalar(node)
        except _BadTag as e:
            self._bad_tag(node, str(e), "remove the tag (quote the value if it is text)")
            return None
        if isinstance(value, float) and not math.isfinite(value):
            self.errors.append(
                Diagnostic(
                    "bad-number",
                    f"{node.value} is not a number JSON or PostgreSQL's jsonb can hold",
                    self._at(node),
                    "use a finite number (or a string, if you meant the text)",
                )
            )
        elif isinstance(value, str):
            return self._text(node, value)
        return value

    def _text(self, node: ScalarNode, value: str) -> str:
        if "\x00" in value:
            self.errors.append(
                Diagnostic(
                    "nul-byte",
                    "a value holds a NUL character, which PostgreSQL text cannot store",
                    self._at(node),
                    "remove the \\0 (or \\x00) escape",
                )
            )
        return value


def _count(node: Node | None, seen: set[int]) -> int:
    """Distinct nodes written in the document (aliases share their anchor's node)."""
    stack = [node] if node is not None else []
    n = 0
    while stack:
        cur = stack.pop()
        if id(cur) in seen:
            continue
        seen.add(id(cur))
        n += 1
        if isinstance(cur, MappingNode):
            for k, v in cur.value:
                stack.extend((k, v))
        elif isinstance(cur, SequenceNode):
            stack.extend(cur.value)
    return n


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
    return _simple_mapping(text, file) or _parse(text, file)


def _parse(text: str, file: str) -> tuple[Any, Locator]:
    """Any YAML document, through ruamel.yaml's composer and :class:`_Builder`."""
    yaml = YAML(typ="safe", pure=False)
    yaml.Resolver = _PlainResolver  # no implicit typing: _scalar applies the YAML 1.2 core schema
    try:
        node = yaml.compose(text)
    except MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = (
            SourceLocation(file, mark.line + 1, mark.column + 1) if mark else SourceLocation(file)
        )
        problem = (e.problem or "invalid YAML").strip()
        raise ManifestError(
            [
                Diagnostic(
                    "yaml-syntax",
                    f"YAML: {problem}",
                    where,
                    "check indentation, colons and quoting near this point",
                )
            ]
        ) from None
    except YAMLError as e:
        raise ManifestError(
            [Diagnostic("yaml-syntax", f"YAML: {e}", SourceLocation(file))]
        ) from None
    if node is None:
        return None, Locator(file)
    b = _Builder(file, node, _non_specific_scalars(yaml, text))
    try:
        data = b.build(node, ())
    except _TooBig as e:
        raise ManifestError([e.diagnostic]) from None
    except RecursionError:
        raise ManifestError(
            [Diagnostic("yaml-too-deep", "the YAML nests too deeply", SourceLocation(file))]
        ) from None
    if b.errors:
        raise ManifestError(b.errors)
    return data, b.loc
