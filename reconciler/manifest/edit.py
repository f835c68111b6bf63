"""Editing manifests as text, keeping what people wrote: config entries and overrides.

Pure: YAML text in, YAML text out, through ruamel.yaml's round trip, so comments, key
order, quoting and flow style survive an edit. Also turns a form's text into the typed
value an entry's constraints ask for. Whether the result is a valid manifest is decided by
loading it with the same models as any other manifest (:func:`load_environment`).
"""

from __future__ import annotations

import difflib
import io
import json
import math
from collections.abc import Mapping
from typing import Any

from reconciler.errors import Diagnostic, ManifestError, SourceLocation

__all__ = ["parse_value", "set_entry", "set_override", "unified_diff"]


def _yaml() -> Any:
    from ruamel.yaml import YAML

    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = 4096  # never re-wrap a long line someone wrote on one line
    y.indent(mapping=2, sequence=4, offset=2)
    return y


def _load(text: str, file: str) -> Any:
    from ruamel.yaml.error import YAMLError

    try:
        return _yaml().load(text)
    except YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = (
            SourceLocation(file, mark.line + 1, mark.column + 1) if mark else SourceLocation(file)
        )
        raise ManifestError(
            [
                Diagnostic(
                    "bad-yaml",
                    f"cannot edit: {getattr(e, 'problem', e)}",
                    where,
                    "fix the file's YAML here (`reconcile validate` says what the loader reads)",
                )
            ]
        ) from None


def _dump(doc: Any) -> str:
    out = io.StringIO()
    _yaml().dump(doc, out)
    return out.getvalue()


def _plain(value: Any) -> Any:
    """A value ruamel dumps in a compact, readable style (flow style for short collections)."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(value, dict):
        m = CommentedMap((k, _plain(v)) for k, v in value.items())
        m.fa.set_flow_style()
        return m
    if isinstance(value, list):
        s = CommentedSeq(_plain(v) for v in value)
        s.fa.set_flow_style()
        return s
    return value


def set_entry(
    text: str,
    file: str,
    key: str,
    value: Any,
    *,
    description: str | None = None,
    constraints: Mapping[str, Any] | None = None,
) -> str:
    """The category file with ``entries.<key>.value`` set (the entry added when missing)."""
    from ruamel.yaml.comments import CommentedMap

    doc = _load(text, file)
    if not isinstance(doc, dict) or not isinstance(doc.get("entries"), dict):
        raise ManifestError(
            [
                Diagnostic(
                    "bad-config",
                    f"{file} has no entries: mapping to edit",
                    SourceLocation(file),
                    "a category file is `category: <name>` and an `entries:` mapping",
                )
            ]
        )
    entries = doc["entries"]
    entry = entries.get(key)
    if not isinstance(entry, dict):
        entry = CommentedMap()
        entries[key] = entry
    entry["value"] = _plain(value)
    if description is not None and (description or "description" in entry):
        entry["description"] = description
    for name, v in (constraints or {}).items():
        if v is None or v == "":
            entry.pop(name, None)
        else:
            entry[name] = _plain(v)
    return _dump(doc)


def set_override(text: str, file: str, category: str, key: str, value: Any) -> str:
    """The environment file with ``config.overrides.<category>.<key>`` set to ``value``."""
    from ruamel.yaml.comments import CommentedMap

    doc = _load(text, file)
    if not isinstance(doc, dict):
        raise ManifestError(
            [
                Diagnostic(
                    "bad-environment",
                    f"{file} is not a mapping",
                    SourceLocation(file),
                    "an environment file is a mapping of name, database, migrations, ...",
                )
            ]
        )
    config = doc.get("config")
    if not isinstance(config, dict):
        config = CommentedMap()
        doc["config"] = config
    overrides: Any = config.get("overrides")
    if not isinstance(overrides, dict):
        overrides = CommentedMap()
        overrides.fa.set_flow_style()
        config["overrides"] = overrides
    per = overrides.get(category)
    if not isinstance(per, dict):
        per = CommentedMap()
        if hasattr(overrides, "fa") and overrides.fa.flow_style():
            per.fa.set_flow_style()
        overrides[category] = per
    per[key] = _plain(value)
    return _dump(doc)


def parse_value(raw: str, kind: str | None) -> Any:
    """The typed value a form field's text stands for, by the entry's declared type.

    Raise ValueError with a sentence a person can act on. Without a declared type, JSON is
    tried (numbers, booleans, arrays, objects) and anything else is a string.
    """
    text = raw.strip()
    if kind == "string":
        return raw
    if kind == "boolean":
        if text.lower() in ("true", "on", "yes", "1"):
            return True
        if text.lower() in ("false", "off", "no", "0", ""):
            return False
        raise ValueError(f"{raw!r} is not true or false")
    if kind == "integer":
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"{raw!r} is not a whole number") from None
    if kind == "number":
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"{raw!r} is not a number") from None
        if not math.isfinite(number):
            raise ValueError(f"{raw!r} is not a finite number")
        return (
            int(number)
            if number.is_integer() and "." not in text and "e" not in text.lower()
            else number
        )
    if kind in ("array", "object"):
        try:
            value = json.loads(text)
        except json.JSONDecodeError as e:
            raise ValueError(f"not valid JSON: {e.msg} at column {e.colno}") from None
        want = list if kind == "array" else dict
        if not isinstance(value, want):
            raise ValueError(
                f"must be a JSON {'array [...]' if kind == 'array' else 'object {...}'}"
            )
        return value
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return raw


def unified_diff(path: str, old: str, new: str) -> str:
    return "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True), new.splitlines(keepends=True), f"a/{path}", f"b/{path}"
        )
    )
