"""A validated environment read back from the desired-state cache, without pydantic.

The cache stores the environment as its models dumped to JSON, after they were validated. A
plan answered from the cache reads that data back as :class:`SpecView` objects: each field
an attribute (a nested spec its own view), and the two model methods the engine calls on a
loaded environment, ``model_dump`` and ``model_copy``, returning what pydantic's would.
Importing pydantic and building the models costs more than the rest of a cached plan.

``FIELDS`` names every field of each spec and ``NESTED`` the fields that hold specs; a test
holds both to the pydantic models in :mod:`reconciler.manifest.models`. Reading back, every
spec must have exactly its fields, or the cache entry is a miss (``ValueError``).
"""

from __future__ import annotations

import copy
import json
from typing import Any

__all__ = ["FIELDS", "NESTED", "SpecView"]

FIELDS: dict[str, tuple[str, ...]] = {
    "EnvironmentSpec": (
        "name",
        "database",
        "migrations",
        "config",
        "forum_map",
        "forum_table",
        "policy",
        "neon",
        "audit",
        "allow_outside_root",
        "watch",
        "checks",
    ),
    "DatabaseSpec": (
        "url_from_env",
        "embedded",
        "connect_timeout",
        "connect_attempts",
        "application_name",
    ),
    "MigrationsSpec": (
        "dir",
        "target",
        "placeholders",
        "placeholder_prefix",
        "placeholder_suffix",
        "checked_from",
    ),
    "ConfigSpec": ("files", "overrides", "table"),
    "Policy": (
        "strict",
        "require_safe_suffix",
        "require_rollback_section",
        "rules",
        "approvals",
        "backup",
        "lock_timeout",
        "statement_timeout",
        "lock_retries",
        "advisory_lock_wait",
        "auto_apply",
        "prune_config",
        "schema_drift",
        "schema_drift_ignore",
        "allow_out_of_order",
    ),
    "ApprovalsPolicy": ("required", "approvers", "sources", "kubernetes", "github"),
    "KubernetesRef": ("namespace", "name"),
    "GitHubApprovalsSpec": ("environment", "logins"),
    "BackupPolicy": ("provider", "keep", "dir", "timeout"),
    "NeonSpec": ("project_id", "branch", "api_key_from_env", "api_url"),
    "AuditSpec": ("webhook_url_from_env", "secret_from_env"),
    "WatchSpec": ("paths", "debounce_ms", "memory_limit_mb", "restart_backoff_ms"),
    "CheckSpec": ("name", "sql", "description"),
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
    return data


class SpecView:
    """One spec's validated data, read-only, with pydantic's ``model_dump`` and ``model_copy``."""

    __slots__ = ("_data", "_kind", "_views")

    def __init__(self, kind: str, data: dict[str, Any], *, checked: bool = False) -> None:
        object.__setattr__(self, "_kind", kind)
        object.__setattr__(self, "_data", data if checked else _checked(kind, data))
        object.__setattr__(self, "_views", {})

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
