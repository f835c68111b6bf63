"""Audit operations: record an event in the session's database, deliver what is owed, list the trail."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reconciler.engine.events import emit
from reconciler.engine.request import Request
from reconciler.engine.session import Session

if TYPE_CHECKING:
    from reconciler.audit import AuditEvent, DeliveryReport

__all__ = ["audit_events", "deliver", "deliver_owed", "record"]


def record(s: Session, event: AuditEvent) -> int:
    """Append one event (with its outbox row when a webhook is configured); committed on return."""
    from reconciler.audit import record as append
    from reconciler.db.bookkeeping import ensure_bookkeeping

    ensure_bookkeeping(s.connection)
    spec = s.env.audit
    audit_id, _ = append(
        s.connection, event, outbox=spec is not None and spec.webhook_url_from_env is not None
    )
    return audit_id


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
    request: Request, *, limit: int = 50, deliver_first: bool = True
) -> tuple[list[dict[str, Any]], DeliveryReport | None]:
    """The newest audit events with their delivery state, after trying to deliver what is owed."""
    from reconciler.audit import list_events

    with Session(request, purpose="audit") as s:
        report = deliver(s) if deliver_first else None
        return list_events(s.connection, s.env.name, limit), report
