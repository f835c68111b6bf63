"""Audit operations: record an event in the session's database, deliver what is owed, list the trail."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reconciler.engine.events import emit
from reconciler.engine.request import Request
from reconciler.engine.session import Session

if TYPE_CHECKING:
    from reconciler.audit import AuditEvent, DeliveryReport
    from reconciler.manifest import Desired

__all__ = [
    "audit_events",
    "close_interrupted",
    "deliver",
    "deliver_owed",
    "has_webhook",
    "managed_tables",
    "record",
    "refused",
    "trail_exists",
]


def has_webhook(s: Session) -> bool:
    spec = s.env.audit
    return spec is not None and spec.webhook_url_from_env is not None


def managed_tables(s: Session) -> list[str]:
    """The application tables the environment writes (and approvers read to compute plans)."""
    out = []
    if s.desired.config is not None:
        out.append(s.env.config.table)
    if s.desired.forums is not None:
        out.append(s.env.forum_table)
    return out


def record(s: Session, event: AuditEvent) -> int:
    """Append one event (with its outbox row when a webhook is configured); committed on return."""
    from reconciler.audit import record as append
    from reconciler.db.bookkeeping import ensure_bookkeeping, note_environment

    ensure_bookkeeping(s.connection)
    if not s.environment_noted:
        note_environment(s.connection, s.env.name, has_webhook(s))
        s.environment_noted = True
    audit_id, _ = append(s.connection, event, outbox=has_webhook(s))
    return audit_id


def close_interrupted(s: Session) -> list[int]:
    """Close the runs a kill left open (a ``*.started`` with no outcome) with ``*.interrupted``.

    Called holding the environment's lock, so none of them can still be running.
    """
    from reconciler.audit import AuditEvent, dangling_runs

    if not trail_exists(s):
        return []
    closed = []
    for started_id, action, plan_hash in dangling_runs(s.connection, s.env.name):
        kind = action.split(".", 1)[0]
        emit(s.env.name, "audit", f"closing {action} #{started_id}: that run was interrupted")
        closed.append(
            record(
                s,
                AuditEvent(
                    s.env.name,
                    s.actor,
                    f"{kind}.interrupted",
                    "interrupted",
                    plan_hash,
                    details={
                        "started_id": started_id,
                        "note": "the run stopped without an outcome (killed, or the connection "
                        "was lost); what it committed is in the history",
                    },
                ),
            )
        )
    return closed


def refused(s: Session, plan_hash: str, reason: str, details: dict[str, Any]) -> int | None:
    """Put a refused apply in the trail (``apply.refused``), once per plan and reason."""
    from reconciler.audit import AuditEvent, last_event

    if trail_exists(s) and last_event(s.connection, s.env.name) == (
        "apply.refused",
        plan_hash,
        reason,
    ):
        return None  # the same refusal again (a watch loop, an interval): said once
    event = AuditEvent(
        s.env.name,
        s.actor,
        "apply.refused",
        "refused",
        plan_hash,
        emergency=s.request.emergency,
        reason=reason,
        details={**details, "requested_reason": s.request.reason},
    )
    return record(s, event)


def trail_exists(s: Session) -> bool:
    row = s.connection.execute("SELECT to_regclass('reconciler.audit_log') IS NOT NULL").fetchone()
    return bool(row and row[0])


def deliver(s: Session, *, respect_schedule: bool = False) -> DeliveryReport | None:
    """Send owed audit events; a receiver that is down only delays them to a later run."""
    from reconciler.audit import DeliveryReport, deliver_pending, pending_count, webhook_from_env

    spec = s.env.audit
    if spec is None or spec.webhook_url_from_env is None:
        return None
    owed = pending_count(s.connection)
    if owed is None:
        return None
    hook, why = webhook_from_env(spec.webhook_url_from_env, spec.secret_from_env)
    if hook is None:
        report = DeliveryReport(pending=owed, errors=[why or "no webhook"])
        if owed:
            emit(s.env.name, "audit", f"{owed} audit event(s) not delivered: {why}")
        return report
    if not owed:
        return DeliveryReport()
    report = deliver_pending(s.connection, hook, respect_schedule=respect_schedule)
    if report.delivered or report.failed:
        emit(
            s.env.name,
            "audit",
            f"webhook {hook.shown}: {report.delivered} delivered, {report.failed} failed, "
            f"{report.pending} pending" + (f" ({report.errors[-1]})" if report.errors else ""),
        )
    return report


def deliver_owed(request: Request) -> DeliveryReport | None:
    """Retry owed audit deliveries whose backoff has passed (for loops that run often)."""
    with Session(request, purpose="deliver") as s:
        return deliver(s, respect_schedule=True)


def audit_events(
    request: Request,
    *,
    limit: int = 50,
    deliver_first: bool = True,
    desired: Desired | None = None,
) -> tuple[list[dict[str, Any]], DeliveryReport | None]:
    """The newest audit events with their delivery state, after trying to deliver what is owed.

    ``desired``: the environment as the caller already loaded it (the UI keeps it in memory)."""
    from reconciler.audit import list_events

    with Session(request, purpose="audit", desired=desired) as s:
        report = deliver(s) if deliver_first else None
        return list_events(s.connection, s.env.name, limit), report
