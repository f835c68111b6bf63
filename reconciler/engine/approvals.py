"""Approval operations: set up approvers, approve a plan (or a restore), list who counts.

Every configured source (``policy.approvals.sources``) is asked the same way here as by
apply and restore, and an approver counts once whatever the number of sources.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from reconciler.engine import audit, gates
from reconciler.engine.reconcile import database_errors, plan
from reconciler.engine.request import Request, replace_mode
from reconciler.engine.session import Session
from reconciler.errors import Diagnostic, ReconcilerError

if TYPE_CHECKING:
    from reconciler.ports import Approval, ApprovalSource

__all__ = [
    "ApprovalsListing",
    "ApproveOutcome",
    "approve",
    "init",
    "list_approvals",
    "restore_hash",
]


def restore_hash(environment: str, backup: str) -> str:
    """What approvers approve for a restore: the environment and the backup, nothing else."""
    return hashlib.sha256(json.dumps(["restore", environment, backup]).encode()).hexdigest()


@dataclass
class ApproveOutcome:
    approved_by: str
    plan_hash: str
    counted: bool
    received: list[str]
    required: int


@dataclass
class ApprovalsListing:
    plan_hash: str
    approvals: list[Approval]  # every recorded approval, from every source
    counted: list[str]  # distinct listed approvers of the current plan
    required: int
    problems: list[Diagnostic]  # sources that could not be read


def init(request: Request, *, grant_approvers: bool = False) -> list[str]:
    """Create the bookkeeping schema; optionally let the listed approvers' logins approve."""
    from reconciler.db.bookkeeping import ensure_bookkeeping, grant_approver

    with Session(request, purpose="init") as s, database_errors(s):
        ensure_bookkeeping(s.connection)
        notes = ["schema reconciler is ready"]
        if grant_approvers:
            for name in s.env.policy.approvals.approvers:
                if grant_approver(s.connection, name):
                    notes.append(f"approver {name}: may read the database and record approvals")
                else:
                    notes.append(
                        f"approver {name}: no database login of that name "
                        "(create it, then run init again)"
                    )
        return notes


def approve(
    request: Request,
    plan_hash: str,
    *,
    restore: str | None = None,
    approval_sources: Mapping[str, ApprovalSource] | None = None,
) -> ApproveOutcome:
    """Record an approval of the current plan (or of a restore) as the connected database login."""
    from reconciler.approvals import record_approval
    from reconciler.audit import AuditEvent
    from reconciler.policy import count_approvals

    with (
        Session(
            replace_mode(request, "plan"), purpose="approve", approval_sources=approval_sources
        ) as s,
        database_errors(s),
    ):
        env = s.env
        current = restore_hash(env.name, restore) if restore else plan(s).plan.hash
        if plan_hash != current:
            raise ReconcilerError(
                f"{plan_hash[:12]} is not the current {'restore' if restore else 'plan'} hash "
                f"({current[:12]})",
                hint="the desired or the live state changed since that plan was shown: review "
                f"`reconcile plan --env {request.env}` again and approve its hash",
                code="stale-plan",
            )
        who = record_approval(s.connection, env.name, plan_hash)
        listed = env.policy.approvals.approvers
        found, _ = gates.approvals_for(s, plan_hash)
        received = count_approvals(found, plan_hash, listed)
        audit.record(
            s,
            AuditEvent(
                env.name,
                s.actor,
                "approval.recorded",
                "recorded",
                plan_hash,
                [who],
                details={"restore": restore} if restore else {},
            ),
        )
        audit.deliver(s)
        return ApproveOutcome(
            who, plan_hash, who in listed, received, env.policy.approvals.required
        )


def list_approvals(
    request: Request, *, approval_sources: Mapping[str, ApprovalSource] | None = None
) -> ApprovalsListing:
    """The current plan hash, every recorded approval, who counts for it, and how many are needed."""
    from reconciler.policy import count_approvals

    with (
        Session(
            replace_mode(request, "plan"), purpose="approvals", approval_sources=approval_sources
        ) as s,
        database_errors(s),
    ):
        current = plan(s).plan.hash
        found, problems = gates.approvals_for(s, None)
        policy = s.env.policy.approvals
        return ApprovalsListing(
            current,
            found,
            count_approvals(found, current, policy.approvers),
            policy.required,
            problems,
        )
