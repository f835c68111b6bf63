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
    """Create (or upgrade) the bookkeeping schema; optionally let the listed approvers' logins
    compute plans and approve, with nothing more (see bookkeeping.grant_approvers)."""
    from reconciler.db import bookkeeping

    with Session(request, purpose="init") as s, database_errors(s):
        bookkeeping.ensure_bookkeeping(s.connection)
        bookkeeping.note_environment(s.connection, s.env.name, audit.has_webhook(s))
        notes = ["schema reconciler is ready"]
        from reconciler.db.schema import has_snapshot, take_snapshot

        if not has_snapshot(s.connection, s.env.name):  # never over one: that would adopt drift
            count = take_snapshot(s.connection, s.env.name, s.actor)
            notes.append(f"schema snapshot of {count} objects recorded: drift is told against it")
        if grant_approvers:
            done = bookkeeping.grant_approvers(
                s.connection, list(s.env.policy.approvals.approvers), audit.managed_tables(s)
            )
            for name in done.granted:
                notes.append(
                    f"approver {name}: may compute plans and approve (no write access to the trail)"
                )
            for name in done.missing_logins:
                notes.append(
                    f"approver {name}: no database login of that name (create it, then run init again)"
                )
            for table in done.pending_tables:
                notes.append(f"{table} does not exist yet: the apply that creates it grants it")
        return notes


def approve(
    request: Request,
    plan_hash: str,
    *,
    restore: str | None = None,
    repair: bool = False,
    baseline: str | None = None,
    approval_sources: Mapping[str, ApprovalSource] | None = None,
) -> ApproveOutcome:
    """Record an approval of the current plan (or of a restore) as the connected database login.

    Refused (and the refusal put in the audit trail as ``approval.refused``) when the hash is
    not the current one or the login is not on the approver list. The approval, its audit
    event and its outbox row are written by ``reconciler.approve`` (SECURITY DEFINER), so the
    approver needs no write grant on the trail; delivery is left to the next run of the owner.
    """
    from reconciler.approvals import record_approval, refuse_approval, session_login
    from reconciler.policy import count_approvals

    with (
        Session(
            replace_mode(request, "plan"), purpose="approve", approval_sources=approval_sources
        ) as s,
        database_errors(s),
    ):
        env = s.env
        if restore:
            current, what = restore_hash(env.name, restore), "restore"
        elif repair:
            from reconciler.engine.repair import repair_plan

            current, what = repair_plan(s, baseline=baseline)[1], "repair"
            given = plan_hash.strip().lower()
            # `repair --adopt-drift` asks for this
            adopting = repair_plan(s, adopt_drift=True, baseline=baseline)[1]
            if len(given) >= 12 and adopting.startswith(given) and not current.startswith(given):
                current = adopting
        else:
            current, what = plan(s).plan.hash, "plan"
        listed = env.policy.approvals.approvers
        login = session_login(s.connection)
        # the 12 characters text output shows are enough, when they name the current hash
        given = plan_hash.strip().lower()
        if len(given) >= 12 and current.startswith(given):
            plan_hash = current
        if plan_hash != current:
            refuse_approval(
                s.connection, env.name, plan_hash, s.actor, f"stale hash (current {current})"
            )
            raise ReconcilerError(
                f"{plan_hash[:12]} is not the current {what} hash ({current[:12]})",
                hint="the desired or the live state changed since that plan was shown: review "
                f"`reconcile plan --env {request.env}` again and approve its hash",
                code="stale-plan",
            )
        if login not in listed:
            refuse_approval(
                s.connection, env.name, plan_hash, s.actor, f"{login} is not a listed approver"
            )
            raise ReconcilerError(
                f"the database login {login!r} is not on {env.name}'s approver list "
                f"({', '.join(listed) or 'empty'}): nothing was approved",
                hint="approve with your own login (DATABASE_URL naming it), or have the list "
                "in policy.approvals.approvers changed through a reviewed change",
                code="not-an-approver",
            )
        who = record_approval(s.connection, env.name, plan_hash, s.actor, restore)
        found, _ = gates.approvals_for(s, plan_hash)
        received = count_approvals(found, plan_hash, listed)
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
