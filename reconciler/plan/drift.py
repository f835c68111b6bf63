"""Schema drift, pure: what the live schema's differences from its last snapshot mean, in words.

The live-state read brings the differences (object key, snapshot facts, live facts); this
module turns them into findings with the severity ``policy.schema_drift`` gives (by default an
error in strict environments, a warning elsewhere), and says when the snapshot cannot be
compared (none yet, or an apply was interrupted after it).
"""

from __future__ import annotations

import fnmatch
import json
from typing import Any

from reconciler.manifest.desired import Desired
from reconciler.plan.live import LiveState
from reconciler.plan.model import Finding

__all__ = ["describe_drift", "drift_findings", "drift_severity", "snapshot_current"]

_NAMES = {
    "table": "table",
    "column": "column",
    "index": "index",
    "constraint": "constraint",
    "trigger": "trigger",
    "function": "function",
    "sequence": "sequence",
    "view": "view",
    "extension": "extension",
    "policy": "row-level security policy",
    "type": "enum type",
}
_TRIGGER_STATES = {
    "O": "enabled",
    "D": "disabled",
    "R": "enabled on replicas only",
    "A": "always enabled",
}


def _short(value: Any) -> str:
    text = "NULL" if value is None else value if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= 80 else text[:77] + "..."


def describe_drift(key: str, before: dict[str, Any] | None, now: dict[str, Any] | None) -> str:
    """One sentence: what happened to the object outside the reconciler."""
    kind, _, name = key.partition(":")
    what = f"{_NAMES.get(kind, kind)} {name}"
    if before is None:
        extra = " and is INVALID" if now and now.get("valid") is False else ""
        return f"{what} was added outside the reconciler{extra}"
    if now is None:
        return f"{what} was dropped outside the reconciler"
    if kind == "index" and before.get("valid") and now.get("valid") is False:
        return f"index {name} is INVALID (a failed CREATE INDEX CONCURRENTLY or REINDEX?)"
    if kind == "constraint" and before.get("validated") and now.get("validated") is False:
        return f"constraint {name} is NOT VALID: existing rows are no longer checked"
    if kind == "trigger" and before.get("enabled") != now.get("enabled"):
        state = _TRIGGER_STATES.get(str(now.get("enabled")), str(now.get("enabled")))
        return f"trigger {name} is {state}"
    changes = []
    for field in sorted(set(before) | set(now)):
        if before.get(field) != now.get(field):
            if field in ("body", "definition") and kind in ("function", "view"):
                changes.append(f"{field} changed")
            else:
                changes.append(f"{field} {_short(before.get(field))} -> {_short(now.get(field))}")
    return f"{what} changed outside the reconciler: " + "; ".join(changes)


def drift_severity(desired: Desired) -> str:
    policy = desired.env.policy
    if policy.schema_drift is not None:
        return policy.schema_drift
    return "error" if policy.strict else "warning"


def snapshot_current(live: LiveState) -> bool:
    """The snapshot describes the schema the applied history built (no apply since stopped
    part-way, no migration applied after it): only then is a difference drift."""
    if not live.snapshot_taken:
        return False
    if any(not m.complete for m in live.migrations.values()):
        return False
    last = live.newest_applied()
    return live.snapshot_version == (last.version if last else None)


def drift_findings(desired: Desired, live: LiveState) -> list[Finding]:
    severity = drift_severity(desired)
    if severity == "off" or not live.bookkeeping or not live.snapshots_readable:
        return []  # (a login that cannot read the snapshots sees no drift, never false drift)
    env = desired.env.name
    if not live.snapshot_taken:
        if not live.migrations:
            return []
        return [
            Finding(
                "SchemaUnsnapshotted",
                "info",
                "schema",
                "no schema snapshot yet: drift cannot be told until the next apply records one",
                f"`reconcile diff --env {env}` compares the live schema with git's migrations now",
            )
        ]
    if any(not m.complete for m in live.migrations.values()):
        return []  # an apply stopped part-way: PartiallyApplied says so; the next apply snapshots
    if not snapshot_current(live):
        return [
            Finding(
                "SchemaUnsnapshotted",
                "info",
                "schema",
                f"the schema snapshot is from migration {live.snapshot_version or 'none'}, before the "
                "last apply finished: the next apply records a new one",
                f"`reconcile diff --env {env}` compares the live schema with git's migrations now",
            )
        ]
    hint = (
        "put it back with a migration, or record the live schema as it is with "
        f"`reconcile repair --env {env} --adopt-drift` (audited; approvals where required)"
    )
    ignore = desired.env.policy.schema_drift_ignore
    return [
        Finding("SchemaDrift", severity, key, describe_drift(key, before, now), hint)  # type: ignore[arg-type]
        for key, before, now in live.drift
        if not any(fnmatch.fnmatchcase(key, pattern) for pattern in ignore)
    ]
