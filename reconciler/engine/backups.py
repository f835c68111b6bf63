"""Backup operations: take one now, list them, restore one (approved like an apply).

A restore holds the environment's advisory lock from before its "started" event until it
has finished, so no apply can interleave with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

from reconciler.engine import audit, gates
from reconciler.engine.approvals import restore_hash
from reconciler.engine.events import emit
from reconciler.engine.reconcile import database_errors
from reconciler.engine.request import Request
from reconciler.engine.session import Session
from reconciler.errors import ReconcilerError

if TYPE_CHECKING:
    from reconciler.ports import ApprovalSource, BackupInfo, BackupProvider

__all__ = ["RestoreOutcome", "list_backups", "restore", "take_backup"]


def take_backup(
    request: Request, *, providers: Mapping[str, BackupProvider] | None = None
) -> BackupInfo:
    """A backup now, with the environment's provider and retention, recorded in the audit trail."""
    from reconciler.audit import AuditEvent

    with Session(request, purpose="backup", backup_providers=providers) as s, database_errors(s):
        if s.env.policy.backup.provider == "none":
            raise ReconcilerError(
                f"{s.env.name} has policy.backup.provider: none",
                code="backup-gate",
                hint="set policy.backup.provider to neon or pg_dump",
            )
        provider = s.backup_provider()
        info = provider.backup(s.env.name, "0" * 8 + "manual", s.target)
        provider.prune(s.env.name, s.env.policy.backup.keep)
        audit.record(
            s,
            AuditEvent(
                s.env.name,
                s.actor,
                "backup.created",
                "succeeded",
                backup_ref=info.name,
                details={"id": info.id, "provider": info.provider},
            ),
        )
        audit.deliver(s)
        return info


def list_backups(
    request: Request, *, providers: Mapping[str, BackupProvider] | None = None
) -> list[BackupInfo]:
    s = Session(request, purpose="backups", backup_providers=providers)
    if s.env.policy.backup.provider == "none":
        return []
    return s.backup_provider().backups(s.env.name)


@dataclass
class RestoreOutcome:
    status: Literal["restored", "awaiting-approval"]
    restore_hash: str
    received: list[str]
    required: int
    preserved: str | None = None


def restore(
    request: Request,
    backup: str,
    *,
    providers: Mapping[str, BackupProvider] | None = None,
    approval_sources: Mapping[str, ApprovalSource] | None = None,
) -> RestoreOutcome:
    """Put a backup back in place. Needs the same approvals as an apply, for the restore's own hash."""
    from reconciler.audit import AuditEvent
    from reconciler.policy import count_approvals

    with (
        Session(
            request,
            purpose="restore",
            backup_providers=providers,
            approval_sources=approval_sources,
        ) as s,
        database_errors(s),
    ):
        env = s.env
        wanted = restore_hash(env.name, backup)
        found, _ = gates.approvals_for(s, wanted)
        received = count_approvals(found, wanted, env.policy.approvals.approvers)
        required = env.policy.approvals.required
        if len(received) < required:
            return RestoreOutcome("awaiting-approval", wanted, received, required)
        s.lock.acquire()
        audit.close_interrupted(s)
        base = AuditEvent(
            env.name,
            s.actor,
            "restore.started",
            "started",
            wanted,
            received,
            backup,
            request.emergency,
            request.reason,
        )
        started_id = audit.record(s, base)
        audit.deliver(s)  # everything owed goes out before the database is rewound
        provider = s.backup_provider()
        preserved = provider.restore(env.name, backup, s.target)
        emit(
            env.name,
            "restore",
            f"{env.name} restored from {backup}; previous state kept as {preserved}",
        )
        s.reconnect()  # the database under the old connection was replaced
        done = replace(
            base,
            action="restore.succeeded",
            outcome="succeeded",
            details={"preserved_as": preserved, "started_id": started_id},
        )
        audit.record(s, done)
        audit.deliver(s)
        return RestoreOutcome("restored", wanted, received, required, preserved)
