"""From a run's result to a DatabaseSync status, pure.

:func:`status_for` carries ``observedGeneration`` and keeps each condition's
``lastTransitionTime`` unless that condition's status changes (as Kubernetes' own
controllers do), so a no-op pass leaves the conditions as they were.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["CONDITION_TYPES", "Result", "conditions_for", "status_for"]

Phase = Literal[
    "Ready", "Reconciling", "AwaitingApproval", "Blocked", "Failed", "Suspended", "Degraded"
]
CONDITION_TYPES = ("Ready", "Reconciling", "Stalled", "Drifted")


@dataclass(frozen=True)
class Result:
    """What one run came to, in the operator's terms."""

    phase: Phase
    reason: str  # CamelCase, the conditions' reason
    message: str
    ready: bool = False
    reconciling: bool = False
    stalled: bool = False
    fields: Mapping[str, Any] = field(default_factory=dict)  # planHash, plan, approvals, ...
    drift: str = ""  # the live schema differs from the last apply's snapshot: what differs


def _flag(b: bool) -> str:
    return "True" if b else "False"


def conditions_for(
    result: Result, previous: Sequence[Mapping[str, Any]] | None, now: str
) -> list[dict[str, str]]:
    """Ready / Reconciling / Stalled / Drifted for ``result``; a condition whose status did not
    change keeps its previous ``lastTransitionTime``."""
    before = {str(c.get("type")): c for c in previous or () if isinstance(c, Mapping)}
    wanted = {
        "Ready": result.ready,
        "Reconciling": result.reconciling,
        "Stalled": result.stalled,
        "Drifted": bool(result.drift),
    }
    out = []
    for kind in CONDITION_TYPES:
        status = _flag(wanted[kind])
        old = before.get(kind)
        since = (
            str(old["lastTransitionTime"])
            if old and old.get("status") == status and old.get("lastTransitionTime")
            else now
        )
        message = result.message if wanted[kind] or kind == "Ready" else ""
        reason = result.reason
        if kind == "Drifted":
            message = result.drift
            reason = "SchemaDrift" if result.drift else "NoDrift"
        out.append(
            {
                "type": kind,
                "status": status,
                "reason": reason,
                "message": message[:1000],
                "lastTransitionTime": since,
            }
        )
    return out


def status_for(
    result: Result,
    previous: Mapping[str, Any] | None,
    *,
    generation: int,
    now: str,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The whole status to write: phase, message, conditions, observedGeneration and the fields."""
    prev = dict(previous or {})
    status: dict[str, Any] = {
        **{k: v for k, v in prev.items() if k == "lastApplied"},  # kept until the next apply
        **dict(extra or {}),
        **dict(result.fields),
        "observedGeneration": generation,
        "phase": result.phase,
        "message": result.message[:1000],
        "conditions": conditions_for(result, prev.get("conditions"), now),
    }
    return status
