"""YAML text -> plain Python data plus the line and column of every key and value.

ruamel.yaml keeps positions on its round-trip types; we copy them into a
:class:`Locator` so every later error (pydantic's included) can point into the file.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from reconciler.errors import Diagnostic, ManifestError, SourceLocation

__all__ = ["Locator", "load_yaml"]

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
        return self._find(tuple(path), prefer_key=False)

    def _find(self, path: Path, prefer_key: bool) -> SourceLocation:
        while True:
            table = (self.keys, self.values) if prefer_key else (self.values, self.keys)
            for t in table:
                if path in t:
                    line, col = t[path]
                    return SourceLocation(self.file, line + 1, col + 1)
            if not path:
                return SourceLocation(self.file, 1, 1)
            path = path[:-1]


def _plain(node: Any, path: Path, loc: Locator) -> Any:
    if isinstance(node, CommentedMap):
        out: dict[str, Any] = {}
        for k in node:
            p = (*path, str(k))
            try:
                kl = node.lc.key(k)
                vl = node.lc.value(k)
                loc.keys[p] = (kl[0], kl[1])
                loc.values[p] = (vl[0], vl[1])
            except (KeyError, TypeError, AttributeError):
                pass
            out[str(k)] = _plain(node[k], p, loc)
        return out
    if isinstance(node, CommentedSeq):
        items = []
        for i, v in enumerate(node):
            p = (*path, i)
            try:
                il = node.lc.item(i)
                loc.values[p] = (il[0], il[1])
            except (KeyError, TypeError, AttributeError):
                pass
            items.append(_plain(v, p, loc))
        return items
    if isinstance(node, str):
        return str(node)
    if isinstance(node, bool | int | float) or node is None:
        return node
    # dates and other YAML scalars become strings: values must be JSON-representable
    return str(node)


def load_yaml(text: str, file: str) -> tuple[Any, Locator]:
    """Parse one YAML document. Syntax errors and duplicate keys raise a located ManifestError."""
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    try:
        doc = yaml.load(text)
    except MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = SourceLocation(file, mark.line + 1, mark.column + 1) if mark else None
        problem = (e.problem or "invalid YAML").strip()
        if "duplicate key" in problem or "found duplicate key" in str(e):
            code, hint = "duplicate-key", "each key may appear once in a mapping; remove one"
            problem = str(e.problem or "duplicate key").split("\n")[0]
        else:
            code, hint = "yaml-syntax", "check indentation, colons and quoting near this point"
        raise ManifestError([Diagnostic(code, f"YAML: {problem}", where, hint)]) from None
    except YAMLError as e:  # pragma: no cover - ruamel raises Marked errors for text input
        raise ManifestError(
            [Diagnostic("yaml-syntax", f"YAML: {e}", SourceLocation(file))]
        ) from None
    loc = Locator(file)
    return _plain(doc, (), loc), loc
