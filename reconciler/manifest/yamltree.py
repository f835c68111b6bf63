"""YAML through ruamel.yaml's node tree: every document the line reader of
:mod:`reconciler.manifest.yamldoc` leaves. ruamel.yaml composes the nodes (with its C parser
from ruamel.yaml.clib); the data is built from them here, so every key and value keeps its
position in a :class:`~reconciler.manifest.yamldoc.Locator`, and tags, duplicate keys, alias
bombs, recursive aliases and control characters are caught, located.
"""

from __future__ import annotations

import math
import re
from typing import Any, cast

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import ScalarEvent
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.resolver import BaseResolver
from ruamel.yaml.tag import Tag

from reconciler.errors import Diagnostic, ManifestError, SourceLocation
from reconciler.manifest.yamldoc import Locator, Path, core_value

__all__ = ["parse"]

_TAG = "tag:yaml.org,2002:"
_CONTROL = re.compile("[\x00-\x1f\x7f]")
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
        return core_value(v) if not node.style else str(v)
    if tag == _TAG + "str":
        return str(v)
    if tag not in _SCALAR_TAGS:
        raise _BadTag(f"the tag {_shown(tag)} is not supported")
    value: Any = core_value(v)
    kind = tag[len(_TAG) :]
    wanted = _TAG_TYPES[kind]
    if not isinstance(value, wanted) or (kind != "bool" and isinstance(value, bool)):
        raise _BadTag(f"{v!r} is not a YAML {kind}")
    if kind == "float":
        return float(cast(int | float, value))  # !!float 3 and !!float 0x1F are floats
    return value


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


def parse(text: str, file: str) -> tuple[Any, Locator]:
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
            [
                Diagnostic(
                    "yaml-syntax",
                    f"YAML: {e}",
                    SourceLocation(file),
                    "check the file is one YAML document of mappings, lists and plain values",
                )
            ]
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
            [
                Diagnostic(
                    "yaml-too-deep",
                    "the YAML nests too deeply",
                    SourceLocation(file),
                    "a manifest needs a few levels: flatten the value (a config value may be a "
                    "JSON string instead)",
                )
            ]
        ) from None
    if b.errors:
        raise ManifestError(b.errors)
    return data, b.loc
