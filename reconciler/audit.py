"""The audit trail: append-only events in ``reconciler.audit_log`` and their signed webhook delivery.

An event and its outbox row are written in one transaction, so no event can exist without
its delivery being owed. Delivery POSTs the event as JSON with a stable delivery id (the
receiver's idempotency key), a timestamp and an HMAC-SHA256 signature over
``"<timestamp>.<body>"``; failures are recorded on the outbox row and retried with backoff
by later runs. Secrets (the webhook secret, tokens in the webhook URL) never leave this module.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import psycopg
from psycopg.types.json import Jsonb

from reconciler.errors import ReconcilerError
from reconciler.retry import backoff

if TYPE_CHECKING:  # imported where a webhook is delivered: most runs have none (cold start)
    import httpx

__all__ = [
    "AuditEvent",
    "DeliveryReport",
    "Webhook",
    "dangling_runs",
    "deliver_pending",
    "last_event",
    "list_events",
    "pending_count",
    "record",
    "sign",
    "verify",
]

SIGNATURE_HEADER = "X-Reconciler-Signature"
TIMESTAMP_HEADER = "X-Reconciler-Timestamp"
DELIVERY_HEADER = "X-Reconciler-Delivery"
EVENT_HEADER = "X-Reconciler-Event"


@dataclass(frozen=True)
class AuditEvent:
    environment: str
    actor: str
    action: (
        str  # apply.started, apply.succeeded, apply.failed, backup.created, restore.*, approval.*
    )
    outcome: str  # started | succeeded | failed | recorded
    plan_hash: str | None = None
    approvals: Sequence[str] = ()
    backup_ref: str | None = None
    emergency: bool = False
    reason: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Webhook:
    url: str
    secret: str

    @property
    def shown(self) -> str:
        """The URL without path and query, which often carry tokens."""
        p = urlsplit(self.url)
        return f"{p.scheme}://{p.hostname}{f':{p.port}' if p.port else ''}/…"


@dataclass
class DeliveryReport:
    delivered: int = 0
    failed: int = 0
    pending: int = 0
    errors: list[str] = field(default_factory=list)
    tried: list[int] = field(default_factory=list)  # audit ids handled in this run


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """What a receiver does: recompute and compare in constant time."""
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


def record(conn: psycopg.Connection, event: AuditEvent, *, outbox: bool) -> tuple[int, str]:
    """Append one event (and its outbox row when a webhook is configured), committed on return."""
    with conn.transaction(), conn.cursor() as cur:
        cur.execute(
            "INSERT INTO reconciler.audit_log (environment, actor, action, plan_hash, outcome, approvals, "
            "backup_ref, emergency, reason, details) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
            "RETURNING id, delivery_id::text",
            (
                event.environment,
                event.actor,
                event.action,
                event.plan_hash,
                event.outcome,
                Jsonb(list(event.approvals)),
                event.backup_ref,
                event.emergency,
                event.reason,
                Jsonb(event.details),
            ),
        )
        row = cur.fetchone()
        if row is None:  # (a trigger or a rule on the log kept the row out: rolled back)
            raise ReconcilerError(
                f"the audit event {event.action} was not recorded: something on "
                "reconciler.audit_log (a trigger or a rule that is not the reconciler's) kept "
                "the row out, so nothing that needs an audit trail can run",
                hint="find it with \\d reconciler.audit_log, remove it, and run again",
                code="audit-not-recorded",
            )
        if outbox:
            cur.execute("INSERT INTO reconciler.audit_outbox (audit_id) VALUES (%s)", (row[0],))
    return int(row[0]), str(row[1])


def _payload(row: dict[str, Any]) -> bytes:
    event = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()}
    return json.dumps(
        {"type": "reconciler.audit", "event": event}, sort_keys=True, separators=(",", ":")
    ).encode()


_COLUMNS = (
    "id, at, environment, actor, db_user, action, plan_hash, outcome, approvals, backup_ref, "
    "emergency, reason, details, delivery_id::text AS delivery_id"
)


def deliver_pending(
    conn: psycopg.Connection,
    webhook: Webhook,
    *,
    respect_schedule: bool = False,
    attempts_now: int = 2,
    timeout: float = 3.0,
    budget: float = 10.0,
    client: httpx.Client | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> DeliveryReport:
    """POST undelivered events, oldest first, each retried briefly now and later by the next run.

    Bounded: a receiver gets ``timeout`` seconds to connect and to answer (less to connect),
    and the whole run stops starting new deliveries after ``budget`` seconds; whatever is left
    stays owed for the next run. ``respect_schedule`` skips events whose backoff has not
    expired (for frequent loops); one-shot commands try every pending event.
    """
    import httpx

    report = DeliveryReport()
    own = client is None
    http = client or httpx.Client(
        timeout=httpx.Timeout(timeout, connect=min(timeout, 2.0), pool=min(timeout, 2.0))
    )
    deadline = time.monotonic() + budget
    try:
        while time.monotonic() < deadline:
            with conn.transaction(), conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
                cur.execute(
                    f"SELECT o.audit_id, o.attempts, {_COLUMNS} FROM reconciler.audit_outbox o "
                    "JOIN reconciler.audit_log a ON a.id = o.audit_id WHERE o.delivered_at IS NULL "
                    + ("AND o.next_attempt_at <= now() " if respect_schedule else "")
                    + "AND NOT o.audit_id = ANY(%s) ORDER BY o.audit_id LIMIT 1 FOR UPDATE OF o SKIP LOCKED",
                    (report.tried,),
                )
                row = cur.fetchone()
                if row is None:
                    break
                audit_id, attempts = row.pop("audit_id"), row.pop("attempts")
                body = _payload(row)
                error = None
                for n in range(attempts_now):
                    ts = str(int(time.time()))
                    try:
                        # (only the status is read: a receiver's body, however large or
                        # however slowly it comes, is never waited for)
                        with http.stream(
                            "POST",
                            webhook.url,
                            content=body,
                            headers={
                                "Content-Type": "application/json",
                                DELIVERY_HEADER: row["delivery_id"],
                                EVENT_HEADER: row["action"],
                                TIMESTAMP_HEADER: ts,
                                SIGNATURE_HEADER: sign(webhook.secret, ts, body),
                            },
                        ) as resp:
                            status = resp.status_code
                        if 200 <= status < 300:
                            error = None
                            break
                        error = f"HTTP {status} from {webhook.shown}"
                    except httpx.HTTPError as e:
                        error = f"{type(e).__name__} reaching {webhook.shown}"
                    if n + 1 < attempts_now and time.monotonic() < deadline:
                        sleep(backoff(n, initial=0.1, maximum=2.0))
                    elif time.monotonic() >= deadline:
                        break
                if error is None:
                    cur.execute(
                        "UPDATE reconciler.audit_outbox SET delivered_at = now(), attempts = attempts + 1, "
                        "last_error = NULL WHERE audit_id = %s",
                        (audit_id,),
                    )
                    report.delivered += 1
                else:
                    delay = backoff(attempts, initial=5.0, maximum=3600.0)  # persisted schedule
                    cur.execute(
                        "UPDATE reconciler.audit_outbox SET attempts = attempts + %s, last_error = %s, "
                        "next_attempt_at = now() + make_interval(secs => %s) WHERE audit_id = %s",
                        (attempts_now, error, delay, audit_id),
                    )
                    report.failed += 1
                    report.errors.append(error)
                report.tried.append(audit_id)
        row2 = conn.execute(
            "SELECT count(*) FROM reconciler.audit_outbox WHERE delivered_at IS NULL"
        ).fetchone()
        report.pending = int(row2[0]) if row2 else 0
    finally:
        if own:
            http.close()
    return report


def dangling_runs(conn: psycopg.Connection, environment: str) -> list[tuple[int, str, str | None]]:
    """``apply.started`` / ``restore.started`` events no outcome followed: runs that were killed.

    Call it holding the environment's lock, so no run that is still alive can be among them.
    """
    rows = conn.execute(
        "SELECT s.id, s.action, s.plan_hash FROM reconciler.audit_log s "
        "WHERE s.environment = %s AND s.action IN ('apply.started', 'restore.started') "
        "AND NOT EXISTS (SELECT 1 FROM reconciler.audit_log o WHERE o.environment = s.environment "
        "AND o.id > s.id AND o.action IN ('apply.succeeded', 'apply.failed', 'apply.interrupted', "
        "'restore.succeeded', 'restore.failed', 'restore.interrupted') "
        "AND (o.details->>'started_id' = s.id::text OR (o.details->>'started_id' IS NULL "
        "AND o.plan_hash IS NOT DISTINCT FROM s.plan_hash "
        "AND split_part(o.action, '.', 1) = split_part(s.action, '.', 1)))) ORDER BY s.id",
        (environment,),
    ).fetchall()
    return [(int(i), str(a), h) for i, a, h in rows]


def last_event(
    conn: psycopg.Connection, environment: str
) -> tuple[str, str | None, str | None] | None:
    """(action, plan hash, reason) of the environment's newest event."""
    row = conn.execute(
        "SELECT action, plan_hash, reason FROM reconciler.audit_log WHERE environment = %s "
        "ORDER BY id DESC LIMIT 1",
        (environment,),
    ).fetchone()
    return None if row is None else (str(row[0]), row[1], row[2])


def pending_count(conn: psycopg.Connection) -> int | None:
    """Events owed to the webhook, or None when the outbox does not exist yet."""
    row = conn.execute(
        "SELECT CASE WHEN to_regclass('reconciler.audit_outbox') IS NULL THEN NULL ELSE "
        "(SELECT count(*) FROM reconciler.audit_outbox WHERE delivered_at IS NULL) END"
    ).fetchone()
    return None if row is None or row[0] is None else int(row[0])


def list_events(
    conn: psycopg.Connection, environment: str, limit: int = 50
) -> list[dict[str, Any]]:
    """Newest events first, with their delivery state (none before the trail exists)."""
    row = conn.execute("SELECT to_regclass('reconciler.audit_log') IS NOT NULL").fetchone()
    if not (row and row[0]):
        return []
    with conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        cur.execute(
            f"SELECT {_COLUMNS}, o.delivered_at, o.attempts, o.last_error, (o.audit_id IS NOT NULL) AS has_outbox "
            "FROM reconciler.audit_log a LEFT JOIN reconciler.audit_outbox o ON o.audit_id = a.id "
            "WHERE a.environment = %s ORDER BY a.id DESC LIMIT %s",
            (environment, limit),
        )
        return list(cur.fetchall())


def delivery_state(event: dict[str, Any]) -> str:
    """What happened to one listed event's webhook delivery, in words."""
    if event.get("delivered_at"):
        return "delivered"
    if not event.get("has_outbox"):
        return "no webhook"
    if not event.get("attempts"):
        return "not sent yet"
    tries = f"{event['attempts']} attempt{'s' if event['attempts'] != 1 else ''}"
    return f"not delivered: {tries} failed ({event.get('last_error')})"


def webhook_from_env(
    url_var: str | None, secret_var: str | None
) -> tuple[Webhook | None, str | None]:
    """The configured webhook, or why it cannot be used now (events then stay owed in the outbox)."""
    import os

    if not url_var:
        return None, None
    url = os.environ.get(url_var)
    if not url:
        return None, f"{url_var} is not set"
    secret = os.environ.get(secret_var or "") if secret_var else None
    if not secret:
        return (
            None,
            f"{secret_var or 'audit.secret_from_env'} is not set: refusing to send unsigned audit events",
        )
    return Webhook(url, secret), None
