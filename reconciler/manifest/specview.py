"""A validated manifest spec as plain data, without pydantic.

Two ways lead here. The desired-state cache stores the environment as its models dumped to
JSON, after they were validated, and a plan answered from the cache reads that back; and the
fast path of validation (:mod:`reconciler.manifest.shapes`) gives the same dump for a
manifest it is sure the model accepts. Either way the data is read as :class:`SpecView`
objects: each field an attribute (a nested spec its own view), and the two model methods the
engine calls on a loaded environment, ``model_dump`` and ``model_copy``, returning what
pydantic's would. Importing pydantic and building the models costs more than the rest of a
cached plan.

``FIELDS`` names every field of each spec, ``NESTED`` the fields that hold specs and ``MAPS``
the fields that hold a mapping of them; a test holds all three to the pydantic models in
:mod:`reconciler.manifest.models`. Reading back, every spec must have exactly its fields, or
the cache entry is a miss (``ValueError``).
"""

from __future__ import annotations

import copy
import json
from typing import Any

from reconciler.manifest.shapes import SHAPES

__all__ = ["FIELDS", "MAPS", "NESTED", "SpecView"]

# every spec's fields, in order: as the fast path of validation declares them
FIELDS: dict[str, tuple[str, ...]] = {
    kind: tuple(field[0] for field in shape) for kind, shape in SHAPES.items()
}

# spec -> {field: the spec it holds (a list of them for ``checks``; None allowed where the
# model allows it)}
NESTED: dict[str, dict[str, str]] = {
    "EnvironmentSpec": {
        "database": "DatabaseSpec",
        "migrations": "MigrationsSpec",
        "config": "ConfigSpec",
        "policy": "Policy",
        "neon": "NeonSpec",
        "audit": "AuditSpec",
        "watch": "WatchSpec",
        "checks": "CheckSpec",
    },
    "Policy": {"approvals": "ApprovalsPolicy", "backup": "BackupPolicy"},
    "ApprovalsPolicy": {"kubernetes": "KubernetesRef", "github": "GitHubApprovalsSpec"},
    "ForumMapSpec": {"zones": "ForumNodeSpec"},
    "ForumNodeSpec": {"forums": "ForumNodeSpec", "subforums": "ForumNodeSpec"},
}
# spec -> {field: the spec each value of the mapping it holds is}
MAPS: dict[str, dict[str, str]] = {"ConfigFileSpec": {"entries": "ConfigEntrySpec"}}


# spec -> the fields that hold specs (read through views made on first use)
_HOLDS_SPECS: dict[str, frozenset[str]] = {
    kind: frozenset(NESTED.get(kind, {})) | frozenset(MAPS.get(kind, {}))
    for kind in set(NESTED) | set(MAPS)
}


def _checked(kind: str, data: Any) -> dict[str, Any]:
    """``data`` as spec ``kind``'s dump: exactly its fields, nested specs of the same shape."""
    if not isinstance(data, dict) or set(data) != set(FIELDS[kind]):
        raise ValueError(f"not a {kind}")
    for name, sub in NESTED.get(kind, {}).items():
        value = data[name]
        if isinstance(value, list):
            for item in value:
                _checked(sub, item)
        elif value is not None:
            _checked(sub, value)
    for name, sub in MAPS.get(kind, {}).items():
        if not isinstance(data[name], dict):
            raise ValueError(f"not a {kind}")
        for item in data[name].values():
            _checked(sub, item)
    return data


class SpecView:
    """One spec's validated data, read-only, with pydantic's ``model_dump`` and ``model_copy``."""

    # (the fields that hold no spec are plain attributes, read without a call: 10,000 config
    # entries are read about 100,000 times in a load)
    __slots__ = ("__dict__", "_data", "_kind", "_views")

    def __init__(self, kind: str, data: dict[str, Any], *, checked: bool = False) -> None:
        object.__setattr__(self, "_kind", kind)
        object.__setattr__(self, "_data", data if checked else _checked(kind, data))
        object.__setattr__(self, "_views", {})
        specs = _HOLDS_SPECS.get(kind)
        self.__dict__.update(
            data if specs is None else {k: v for k, v in data.items() if k not in specs}
        )

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # (no field does; copy and pickle ask for dunders)
            raise AttributeError(name)
        views: dict[str, Any] = self._views
        if name in views:
            return views[name]
        try:
            value = self._data[name]
        except KeyError:
            raise AttributeError(f"{self._kind} has no field {name!r}") from None
        each = MAPS.get(self._kind, {}).get(name)
        if each is not None:
            value = views[name] = {k: SpecView(each, v, checked=True) for k, v in value.items()}
            return value
        sub = NESTED.get(self._kind, {}).get(name)
        if sub is not None and value is not None:
            value = (
                [SpecView(sub, v, checked=True) for v in value]
                if isinstance(value, list)
                else SpecView(sub, value, checked=True)
            )
            views[name] = value
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        raise TypeError(f"{self._kind} is frozen")

    def model_dump(self, *, mode: str = "python") -> dict[str, Any]:
        """A copy of the data, as the model's ``model_dump(mode=...)`` (the data is JSON's
        kinds already, so both modes give the same)."""
        if mode not in ("python", "json"):
            raise ValueError(f"unknown mode {mode!r}")
        return copy.deepcopy(self._data)

    def model_copy(self, *, update: dict[str, Any] | None = None) -> SpecView:
        """A copy with ``update``'s fields replaced (unvalidated, as pydantic's)."""
        return SpecView(self._kind, {**self._data, **(update or {})}, checked=True)

    def __eq__(self, other: object) -> bool:
        dump = getattr(other, "model_dump", None)
        if dump is None or type(other).__name__ not in (self._kind, "SpecView"):
            return NotImplemented
        return bool(self._data == dump(mode="json"))

    def __hash__(self) -> int:
        return hash((self._kind, json.dumps(self._data, sort_keys=True)))

    def __reduce__(self) -> tuple[Any, ...]:
        return (SpecView, (self._kind, self._data))

    def __repr__(self) -> str:
        return f"{self._kind}({', '.join(f'{k}={v!r}' for k, v in self._data.items())})"
