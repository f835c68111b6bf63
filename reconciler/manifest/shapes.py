"""The manifest formats as plain data: validation's fast path, without pydantic.

:mod:`reconciler.manifest.models` declares each format as a pydantic model and stays the
reference: its messages are the ones a user reads. Importing pydantic and building those
models costs about 0.08 s, more than the rest of checking an environment, and every command
that reads one paid it (`validate --env`, every apply). :func:`dump` gives what
``Model.model_validate(data).model_dump(mode="json")`` would, for data it is sure the model
accepts as written: exact types (a string where a string is declared, an int that is not a
bool), patterns matched in full, every required key present, no unknown key, JSON values
only. For anything else it answers None and the caller asks the model, which accepts (after
a coercion this module never makes) or says what is wrong. So the fast path can only ever be
stricter than the model, never looser: a test holds it to the models over every manifest of
the project and thousands of variations of them.

Pure: no I/O.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

__all__ = ["dump"]


class _Unsure(Exception):
    """The fast path cannot vouch for this value: the model decides."""


Check = Callable[[Any], Any]
_REQUIRED = object()
_JSON_SCALARS = (str, int, bool, type(None))


def _json(v: Any) -> Any:
    """A JSON value as written (pydantic's ``Any``): what its JSON dump gives back unchanged."""
    t = type(v)
    if t in _JSON_SCALARS:
        return v
    if t is float:
        if not math.isfinite(v):
            raise _Unsure  # (dumped as null)
        return v
    if t is list:
        return [_json(x) for x in v]
    if t is dict:
        out = {}
        for k, x in v.items():
            if type(k) is not str:
                raise _Unsure
            out[k] = _json(x)
        return out
    raise _Unsure


def _str(pattern: str | None = None, min_length: int = 0) -> Check:
    match = re.compile(pattern).fullmatch if pattern else None

    def check(v: Any) -> Any:
        if type(v) is not str or len(v) < min_length or (match is not None and not match(v)):
            raise _Unsure
        return v

    return check


def _int(ge: int | None = None, le: int | None = None) -> Check:
    def check(v: Any) -> Any:
        if type(v) is not int or (ge is not None and v < ge) or (le is not None and v > le):
            raise _Unsure
        return v

    return check


def _bool(v: Any) -> Any:
    if type(v) is not bool:
        raise _Unsure
    return v


def _number(v: Any) -> Any:
    """``float``: an int is held as a float."""
    if type(v) is int:
        return float(v)
    if type(v) is float and math.isfinite(v):
        return v
    raise _Unsure


_DURATION = re.compile(r"(\d+)(ms|s|min|m|h)")
_UNIT_MS = {"ms": 1, "s": 1000, "min": 60_000, "m": 60_000, "h": 3_600_000}


def _duration(v: Any) -> Any:
    """models.Duration: milliseconds as an int, or a number with its unit (no spaces here)."""
    if type(v) is int:
        return v
    m = _DURATION.fullmatch(v) if type(v) is str else None
    if m is None:
        raise _Unsure
    return int(m.group(1)) * _UNIT_MS[m.group(2)]


def _literal(*choices: str) -> Check:
    allowed = frozenset(choices)

    def check(v: Any) -> Any:
        if type(v) is not str or v not in allowed:
            raise _Unsure
        return v

    return check


def _optional(inner: Check) -> Check:
    def check(v: Any) -> Any:
        return None if v is None else inner(v)

    return check


def _either(*types: type) -> Check:
    """A union of plain types: a value of exactly one of them is kept as it is."""

    def check(v: Any) -> Any:
        if type(v) not in types or (type(v) is float and not math.isfinite(v)):
            raise _Unsure
        return v

    return check


def _list(item: Check, min_length: int = 0) -> Check:
    def check(v: Any) -> Any:
        if type(v) is not list or len(v) < min_length:
            raise _Unsure
        return [item(x) for x in v]

    return check


def _dict(value: Check, key: Check | None = None) -> Check:
    def check(v: Any) -> Any:
        if type(v) is not dict:
            raise _Unsure
        out = {}
        for k, x in v.items():
            if type(k) is not str:
                raise _Unsure
            out[key(k) if key is not None else k] = value(x)
        return out

    return check


def _spec(kind: str) -> Check:
    def check(v: Any) -> Any:
        return _fields(kind, v)

    return check


def _default_spec(kind: str) -> Callable[[], Any]:
    return lambda: _fields(kind, {})


def _constant(value: Any) -> Callable[[], Any]:
    return lambda: value


_VALUE_TYPES = frozenset(("string", "integer", "number", "boolean", "object", "array"))
_ENTRY_FIELDS = frozenset(("value", "description", "type", "min", "max", "enum"))


def _config_entry(v: Any) -> Any:
    """ConfigEntrySpec (as SHAPES declares it) written out: a category file holds thousands."""
    if type(v) is not dict or "value" not in v or not v.keys() <= _ENTRY_FIELDS:
        raise _Unsure
    value = v["value"]
    description = v.get("description", "")
    kind = v.get("type")
    low = v.get("min")
    high = v.get("max")
    enum = v.get("enum")
    if type(description) is not str or (
        kind is not None and (type(kind) is not str or kind not in _VALUE_TYPES)
    ):
        raise _Unsure
    return {
        "value": value if type(value) in _JSON_SCALARS else _json(value),
        "description": description,
        "type": kind,
        "min": None if low is None else _number(low),
        "max": None if high is None else _number(high),
        "enum": None if enum is None else _list(_json)(enum),
    }


ENV_VAR = r"[A-Za-z_][A-Za-z0-9_]*"
IDENT = r"[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?"
SLUG = r"[a-z0-9][a-z0-9-]*"

# kind -> (field, check, default: a function giving the default's dump, or _REQUIRED), in
# the models' order (a dump lists the fields in it)
SHAPES: dict[str, tuple[tuple[str, Check, Any], ...]] = {
    "EnvironmentSpec": (
        ("name", _str(r"[a-z][a-z0-9-]*"), _REQUIRED),
        ("database", _spec("DatabaseSpec"), _REQUIRED),
        ("migrations", _spec("MigrationsSpec"), _REQUIRED),
        ("config", _spec("ConfigSpec"), _default_spec("ConfigSpec")),
        ("forum_map", _optional(_str()), _constant(None)),
        ("forum_table", _str(IDENT), _constant("forum_structure")),
        ("policy", _spec("Policy"), _default_spec("Policy")),
        ("neon", _optional(_spec("NeonSpec")), _constant(None)),
        ("audit", _optional(_spec("AuditSpec")), _constant(None)),
        ("allow_outside_root", _optional(_str(min_length=8)), _constant(None)),
        ("watch", _spec("WatchSpec"), _default_spec("WatchSpec")),
        ("checks", _list(_spec("CheckSpec")), list),
    ),
    "DatabaseSpec": (
        ("url_from_env", _optional(_str(ENV_VAR)), _constant(None)),
        ("embedded", _bool, _constant(False)),
        ("connect_timeout", _duration, _constant(5000)),
        ("connect_attempts", _int(1, 50), _constant(6)),
        ("application_name", _str(), _constant("neon-reconciler")),
    ),
    "MigrationsSpec": (
        ("dir", _str(), _REQUIRED),
        ("target", _either(str, int), _constant("latest")),
        (
            "placeholders",
            _optional(_dict(_either(str, int, float, bool))),
            _constant(None),
        ),
        ("placeholder_prefix", _str(min_length=1), _constant("${")),
        ("placeholder_suffix", _str(), _constant("}")),
        ("checked_from", _optional(_either(str, int)), _constant(None)),
    ),
    "ConfigSpec": (
        ("files", _list(_str()), list),
        ("overrides", _dict(_dict(_json)), dict),
        ("table", _str(IDENT), _constant("app_config")),
    ),
    "Policy": (
        ("strict", _bool, _constant(False)),
        ("require_safe_suffix", _bool, _constant(False)),
        ("require_rollback_section", _bool, _constant(False)),
        ("rules", _dict(_literal("error", "warning", "off")), dict),
        ("approvals", _spec("ApprovalsPolicy"), _default_spec("ApprovalsPolicy")),
        ("backup", _spec("BackupPolicy"), _default_spec("BackupPolicy")),
        ("lock_timeout", _duration, _constant(2000)),
        ("statement_timeout", _duration, _constant(600_000)),
        ("lock_retries", _int(0, 100), _constant(5)),
        ("advisory_lock_wait", _duration, _constant(10_000)),
        ("auto_apply", _bool, _constant(False)),
        ("prune_config", _bool, _constant(False)),
        ("schema_drift", _optional(_literal("error", "warning", "off")), _constant(None)),
        ("schema_drift_ignore", _list(_str()), list),
        ("allow_out_of_order", _bool, _constant(False)),
    ),
    "ApprovalsPolicy": (
        ("required", _int(0), _constant(0)),
        ("approvers", _list(_str()), list),
        (
            "sources",
            _list(_literal("database", "kubernetes", "github"), min_length=1),
            lambda: ["database"],
        ),
        ("kubernetes", _optional(_spec("KubernetesRef")), _constant(None)),
        ("github", _spec("GitHubApprovalsSpec"), _default_spec("GitHubApprovalsSpec")),
    ),
    "KubernetesRef": (
        ("namespace", _str(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"), _REQUIRED),
        ("name", _str(r"[a-z0-9]([-.a-z0-9]*[a-z0-9])?"), _REQUIRED),
    ),
    "GitHubApprovalsSpec": (
        ("environment", _str(), _constant("production")),
        ("logins", _dict(_str()), dict),
    ),
    "BackupPolicy": (
        ("provider", _literal("neon", "pg_dump", "none"), _constant("none")),
        ("keep", _int(1), _constant(5)),
        ("dir", _optional(_str()), _constant(None)),
        ("timeout", _duration, _constant(600_000)),
    ),
    "NeonSpec": (
        ("project_id", _str(), _REQUIRED),
        ("branch", _str(), _constant("main")),
        ("api_key_from_env", _str(ENV_VAR), _constant("NEON_API_KEY")),
        ("api_url", _str(), _constant("https://console.neon.tech/api/v2")),
    ),
    "AuditSpec": (
        ("webhook_url_from_env", _optional(_str(ENV_VAR)), _constant(None)),
        ("secret_from_env", _optional(_str(ENV_VAR)), _constant(None)),
    ),
    "CheckSpec": (
        ("name", _str(r"[a-z][a-z0-9_-]*"), _REQUIRED),
        ("sql", _str(min_length=1), _REQUIRED),
        ("description", _str(), _constant("")),
    ),
    "WatchSpec": (
        ("paths", _list(_str()), list),
        ("debounce_ms", _int(0), _constant(300)),
        ("memory_limit_mb", _int(16), _constant(512)),
        ("restart_backoff_ms", _int(10), _constant(500)),
    ),
    "ConfigFileSpec": (
        ("category", _str(r"[a-z][a-z0-9_]*"), _REQUIRED),
        ("entries", _dict(_config_entry, key=_str(r"[a-z][a-z0-9_.]*")), _REQUIRED),
    ),
    "ConfigEntrySpec": (
        ("value", _json, _REQUIRED),
        ("description", _str(), _constant("")),
        (
            "type",
            _optional(_literal("string", "integer", "number", "boolean", "object", "array")),
            _constant(None),
        ),
        ("min", _optional(_number), _constant(None)),
        ("max", _optional(_number), _constant(None)),
        ("enum", _optional(_list(_json)), _constant(None)),
    ),
    "ForumMapSpec": (("zones", _list(_spec("ForumNodeSpec")), _REQUIRED),),
    "ForumNodeSpec": (
        ("slug", _str(SLUG), _REQUIRED),
        ("name", _str(), _REQUIRED),
        ("description", _str(), _constant("")),
        ("position", _optional(_int(-2_147_483_648, 2_147_483_647)), _constant(None)),
        ("settings", _dict(_json), dict),
        ("forums", _list(_spec("ForumNodeSpec")), list),
        ("subforums", _list(_spec("ForumNodeSpec")), list),
    ),
}

_NAMES = {kind: frozenset(f[0] for f in shape) for kind, shape in SHAPES.items()}


def _fields(kind: str, data: Any) -> dict[str, Any]:
    if type(data) is not dict or not data.keys() <= _NAMES[kind]:
        raise _Unsure
    out: dict[str, Any] = {}
    for name, check, default in SHAPES[kind]:
        if name in data:
            out[name] = check(data[name])
        elif default is _REQUIRED:
            raise _Unsure
        else:
            out[name] = default()
    return out


def dump(kind: str, data: Any) -> dict[str, Any] | None:
    """``models.<kind>.model_validate(data).model_dump(mode="json")`` for data this module is
    sure the model accepts as written; None when the model must decide."""
    try:
        return _fields(kind, data)
    except _Unsure:
        return None
