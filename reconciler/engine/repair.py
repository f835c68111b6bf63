"""repair: put the history right after an interruption, with one audited command.

Flyway's repair, for what is provably safe (see :mod:`reconciler.plan.repair`): forget a file
recorded part-way with nothing done whose file is gone, re-record the checksum of a file edited
before any statement ran, and close runs a kill left open. It holds the lock, needs the
environment's approvals for the repair's own hash where approvals are required, and is in the
audit trail (``repair.started`` / ``repair.succeeded`` with every change).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal

from reconciler.engine import audit, gates
from reconciler.engine.events import emit
from reconciler.engine.reconcile import database_errors
from reconciler.engine.request import Request
from reconciler.engine.session import Session

if TYPE_CHECKING:
    from reconciler.plan.repair import RepairAction
    from reconciler.ports import ApprovalSource

__all__ = ["RepairOutcome", "repair", "repair_plan"]


@dataclass
class RepairOutcome:
    status: Literal["repaired", "nothing-to-repair", "awaiting-approval"]
    repair_hash: str
    actions: list[RepairAction] = field(default_factory=list)
    interrupted: list[int] = field(default_factory=list)  # runs closed (or to close)
    received: list[str] = field(default_factory=list)
    required: int = 0


def repair_plan(
    s: Session, *, adopt_drift: bool = False, baseline: str | None = None
) -> tuple[list[RepairAction], str]:
    """(history changes, the repair's hash) as the database is now. Approvers compute it
    too, so it reads only what planning reads (closing open runs needs no approval)."""
    from reconciler.db.live import read_live
    from reconciler.errors import ReconcilerError
    from reconciler.plan.repair import baseline_actions, repair_actions, repair_hash

    live = read_live(s.connection, s.desired)
    actions = repair_actions(s.desired, live, adopt_drift=adopt_drift)
    if baseline is not None:
        try:
            actions += baseline_actions(s.desired, live, baseline)
        except ValueError as e:
            raise ReconcilerError(
                str(e),
                hint="name a migration by its version or file name (the last one the database "
                "already has)",
                code="unknown-target",
            ) from None
    return actions, repair_hash(s.env.name, actions)


def repair(
    request: Request,
    *,
    adopt_drift: bool = False,
    baseline: str | None = None,
    approval_sources: Mapping[str, ApprovalSource] | None = None,
) -> RepairOutcome:
    from reconciler.audit import AuditEvent
    from reconciler.db.bookkeeping import ensure_bookkeeping, repair_history
    from reconciler.policy import count_approvals

    with (
        Session(request, purpose="repair", approval_sources=approval_sources) as s,
        database_errors(s),
    ):
        from reconciler.audit import dangling_runs

        s.lock.acquire()
        actions, h = repair_plan(s, adopt_drift=adopt_drift, baseline=baseline)
        open_runs = (
            [i for i, _, _ in dangling_runs(s.connection, s.env.name)]
            if audit.trail_exists(s)
            else []
        )
        doable = [a for a in actions if a.kind != "unrepairable"]
        out = RepairOutcome("nothing-to-repair", h, actions, open_runs)
        if not doable and not open_runs:
            return out
        policy = s.env.policy.approvals
        if policy.required:
            found, _ = gates.approvals_for(s, h)
            out.received = count_approvals(found, h, policy.approvers)
            out.required = policy.required
            if len(out.received) < policy.required:
                out.status = "awaiting-approval"
                return out
        ensure_bookkeeping(s.connection)
        changes = [a.describe() for a in doable] + [f"close open run #{i}" for i in open_runs]
        adopted = [a.version for a in doable if a.kind == "adopt-drift"]
        base = AuditEvent(
            s.env.name,
            s.actor,
            "repair.started",
            "started",
            h,
            out.received,
            details={"changes": changes, "adopted_drift": adopted}
            if adopted
            else {"changes": changes},
        )
        started_id = audit.record(s, base)
        repair_history(
            s.connection,
            [a.version for a in doable if a.kind == "forget"],
            {a.version: a.checksum or "" for a in doable if a.kind == "rechecksum"},
            [
                (a.version, a.name, a.checksum or "", a.statements)
                for a in doable
                if a.kind == "baseline"
            ],
            h,
        )
        if any(a.kind == "adopt-drift" for a in doable):
            from reconciler.db.schema import take_snapshot

            take_snapshot(s.connection, s.env.name, s.actor)
        for line in changes:
            emit(s.env.name, "repair", line)
        audit.close_interrupted(s)
        audit.record(
            s,
            replace(
                base,
                action="repair.succeeded",
                outcome="succeeded",
                details={
                    "changes": changes,
                    "started_id": started_id,
                    **({"adopted_drift": adopted} if adopted else {}),
                },
            ),
        )
        audit.deliver(s)
        out.status = "repaired"
        return out
