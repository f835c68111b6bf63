"""reconcile: load -> read live -> plan -> verdict -> gates -> apply, on one Session.

Apply order: verdict (findings, rules, approvals bound to the plan hash) -> backup ->
audit "started" committed -> migrations, config, forum map -> audit "succeeded" or
"failed" -> webhook delivery. A gate that fails stops before the first change.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from reconciler.engine import audit, gates
from reconciler.engine.events import emit
from reconciler.engine.request import (
    EXIT_BLOCKED,
    EXIT_CHANGES,
    EXIT_CHECKS,
    EXIT_ERROR,
    EXIT_OK,
    Request,
)
from reconciler.engine.session import Session
from reconciler.errors import Diagnostic

if TYPE_CHECKING:
    from reconciler.audit import DeliveryReport
    from reconciler.db.apply import Applier, ApplyReport
    from reconciler.db.checks import CheckResult
    from reconciler.manifest import Desired
    from reconciler.plan import LiveState, Plan, Verdict
    from reconciler.plan.live import AppliedMigration
    from reconciler.ports import ApprovalSource, BackupInfo, BackupProvider

__all__ = ["Outcome", "database_errors", "plan", "reconcile", "run"]


@dataclass
class Outcome:
    desired: Desired
    live: LiveState
    plan: Plan
    verdict: Verdict
    target: str  # redacted
    exit_code: int
    applied: ApplyReport | None = None
    gate_failures: list[Diagnostic] = field(default_factory=list)
    backup: BackupInfo | None = None
    audit_ids: list[int] = field(default_factory=list)
    delivery: DeliveryReport | None = None
    checks: list[CheckResult] = field(default_factory=list)  # post-migration checks, after an apply

    @property
    def why_not(self) -> list[str]:
        """Why nothing (more) was applied, one line each (empty when nothing stands in the way)."""
        if self.gate_failures:
            return [d.message for d in self.gate_failures]
        if self.verdict.status == "blocked":
            return [f"{d.code}: {d.message}" for d in self.verdict.blockers]
        if self.verdict.status == "awaiting-approval" and not self.plan.empty:
            v = self.verdict
            return [
                f"awaiting approvals: {len(v.approvals_received)} of {v.approvals_required}"
                + (f" ({', '.join(v.approvals_received)})" if v.approvals_received else "")
            ]
        return []

    @property
    def next_step(self) -> str | None:
        """What the person reading this does next, as a command where there is one."""
        env = self.desired.env.name
        if any(d.code == "plan-changed" for d in self.gate_failures):
            return (
                "nothing was applied; review the new plan above, then apply it with "
                f"`reconcile apply --env {env} --expect-plan {self.plan.hash}` (approvals, where "
                "required, must name the new hash)"
            )
        if self.gate_failures:
            return (
                "nothing was applied; fix what the gate reports (policy.backup, the neon: "
                "section and its API key; use `backup: {provider: pg_dump}` where there is no "
                f"Neon), then run `reconcile apply --env {env}` again"
            )
        if self.verdict.status == "blocked":
            return (
                "fix the errors above (each names its file:line and what to do instead), then "
                f"review again with `reconcile plan --env {env}`"
            )
        if self.verdict.status == "awaiting-approval" and not self.plan.empty:
            sources = self.desired.env.policy.approvals.sources
            how = f"each approver, with their own database login: `reconcile approve --env {env} --plan {self.plan.hash}`"
            if "kubernetes" in sources:
                how += (
                    f", or the annotation approve.reconciler.neonsync.dev/<name>={self.plan.hash}"
                )
            return f"{how}; then `reconcile apply --env {env}`"
        if not self.plan.empty and self.applied is None and self.exit_code == EXIT_CHANGES:
            return f"apply it with `reconcile apply --env {env}`"
        return None


@contextmanager
def database_errors(s: Session) -> Iterator[None]:
    """Driver errors become ReconcilerErrors naming the redacted target, never the password."""
    import psycopg

    from reconciler.db.connect import scrub
    from reconciler.errors import DatabaseUnavailable, ReconcilerError

    try:
        yield
    except psycopg.OperationalError as e:
        raise DatabaseUnavailable(
            f"lost the database connection to {s.target.redacted}: "
            f"{scrub(str(e).strip(), s.target.url)}",
            hint="nothing past the last committed step was applied; run again",
        ) from None
    except psycopg.Error as e:
        raise ReconcilerError(
            f"database error on {s.target.redacted}: {scrub(str(e).strip(), s.target.url)}",
            code="database-error",
        ) from None


def _scope(request: Request) -> str:
    """config_only is the config and forum map, never a migration."""
    return "data" if request.migration_type == "config_only" else request.scope


def plan(s: Session) -> Outcome:
    """Read the live state and plan against it; the verdict says what the policy allows."""
    from reconciler.db.live import read_live
    from reconciler.lintcache import rules_fingerprint
    from reconciler.plan import PlanContext, make_plan, pending_migrations

    live = read_live(s.connection, s.desired)
    in_scope = (
        s.request.scope in ("all", "migrations") and s.request.migration_type != "config_only"
    )
    lint = gates.lint_pending(s, pending_migrations(s.desired, live) if in_scope else [])
    context = PlanContext.of(
        s.desired,
        lint=lint,
        ruleset=rules_fingerprint(),
        emergency=s.request.emergency,
        reason=s.request.reason if s.request.emergency else None,
        scope=_scope(s.request),
        migration_type=s.request.migration_type,
    )
    p = make_plan(s.desired, live, context)
    v = gates.verdict(s, p, lint)
    if v.status == "blocked" or (v.status != "allowed" and not p.empty):
        code = EXIT_BLOCKED
    else:
        code = EXIT_OK if p.empty else EXIT_CHANGES
    return Outcome(s.desired, live, p, v, s.target.redacted, code)


def _apply(s: Session, out: Outcome) -> Outcome:
    import psycopg

    from reconciler.audit import AuditEvent
    from reconciler.db.apply import Applier
    from reconciler.db.bookkeeping import ensure_bookkeeping, grant_new_tables
    from reconciler.errors import (
        DatabaseUnavailable,
        ReconcilerError,
        format_diagnostic,
    )

    env, p = s.env, out.plan
    out.exit_code = EXIT_OK
    details: dict[str, Any] = {
        "changes": p.counts(),
        "database": s.target.public,
        "target": s.desired.target,
        "scope": _scope(s.request),
        "migration_type": s.request.migration_type,
    }
    expected = (s.request.expect_plan or "").strip().lower()
    if expected and not (len(expected) >= 12 and p.hash.startswith(expected)):
        changed = Diagnostic(
            "plan-changed",
            f"the plan is no longer the one reviewed: expected {expected[:12]}, now {p.hash[:12]} "
            "(the desired or the live state changed since)",
            s.desired.locations.get("target"),
            f"review the new plan below and apply it with --expect-plan {p.hash}",
        )
        out.gate_failures.append(changed)
        out.exit_code = EXIT_BLOCKED
        audit.refused(s, p.hash, f"plan-changed: expected {expected}", details)
        return out
    if not out.verdict.allowed:
        emit(env.name, "blocked", f"{env.name}: {out.verdict.status}; nothing applied")
        out.exit_code = EXIT_BLOCKED
        why = [format_diagnostic(d).replace("\n", " ") for d in out.verdict.blockers[:5]]
        if out.verdict.status == "awaiting-approval":
            why = [
                f"{len(out.verdict.approvals_received)} of {out.verdict.approvals_required} "
                "approvals of this plan hash"
            ]
        audit.refused(s, p.hash, f"{out.verdict.status}: " + " | ".join(why), details)
        return out
    if p.empty:  # nothing to change; the checks still say whether the database is healthy
        from reconciler.engine.verify import run_post_checks

        if out.live.bookkeeping:
            snapshot_schema(s, out.live, ran_migrations=False)

        out.checks = run_post_checks(s, "apply", p.hash)
        if any(not c.passed for c in out.checks):
            out.exit_code = EXIT_CHECKS
        return out
    out.backup, refusal, gate = gates.backup_gate(s, p.hash)
    if refusal is not None:
        out.gate_failures.append(refusal)
        out.exit_code = EXIT_BLOCKED if gate else EXIT_ERROR
        audit.refused(s, p.hash, f"backup-gate: {refusal.message}", details)
        return out
    base = AuditEvent(
        env.name,
        s.actor,
        "apply",
        "started",
        p.hash,
        out.verdict.approvals_received,
        out.backup.name if out.backup else None,
        s.request.emergency,
        s.request.reason,
    )
    # gate: the "started" event is committed before the first change
    started_id = audit.record(s, replace(base, action="apply.started", details=details))
    out.audit_ids.append(started_id)
    details = {**details, "started_id": started_id}
    applier = Applier(
        s.connection,
        s.desired,
        actor=s.actor,
        plan_hash=p.hash,
        event=lambda kind, msg: emit(env.name, kind, msg),
    )
    ensure_bookkeeping(s.connection)
    planned = [a.version for a in p.migrations]
    if planned:
        applier.note_guards()
    try:
        # (a driver error here, say a deferred trigger on a table the snapshot writes, is
        # the apply's failure too, and recorded as one)
        with database_errors(s):
            applier.apply_migrations(p.migrations)
            applier.settle()
            if planned:
                tampered = applier.put_back(out.live.migrations, planned)
                if tampered is not None:
                    raise tampered
            if p.migrations and env.policy.approvals.required:
                # a migration may have created a managed table: approvers must read it to plan
                approvers = list(env.policy.approvals.approvers)
                grant_new_tables(s.connection, approvers, audit.managed_tables(s))
            # before the config and forum rows: a failure there leaves a snapshot of what ran
            snapshot_schema(s, out.live, ran_migrations=bool(p.migrations))
            applier.apply_data(p.data_actions)
    except ReconcilerError as e:
        reachable = True
        if planned and not applier.checked:
            # what committed before the failure (whole files, a no-transaction file's first
            # statements) must have left the tool's schema alone too: put back either way,
            # told beside the file's own error
            found, reachable = _check_after_failure(s, applier, out.live.migrations, planned)
            if found:
                details = {**details, "history_tampered": found}
        failure = {
            **details,
            "error": e.message,
            "code": e.code,
            "location": str(e.location) if e.location else None,
            "applied_before_failure": applier.report.migrations,
        }
        failed = replace(base, action="apply.failed", outcome="failed", details=failure)
        try:
            if not reachable:  # (tried just now: not another round of connection attempts)
                raise DatabaseUnavailable("no connection")
            out.audit_ids.append(audit.record(s, failed))
        except (psycopg.Error, DatabaseUnavailable):  # the next run closes it as interrupted
            emit(env.name, "audit", "apply.failed not recorded: no connection", logging.WARNING)
        raise  # (the apply's own error, not the recording's)
    finally:
        out.applied = applier.report
    done = {
        **details,
        "migrations": applier.report.migrations,
        "row_changes": applier.report.data_actions,
    }
    succeeded = replace(base, action="apply.succeeded", outcome="succeeded", details=done)
    out.audit_ids.append(audit.record(s, succeeded))
    from reconciler.engine.verify import run_post_checks

    out.checks = run_post_checks(s, "apply", p.hash)
    if any(not c.passed for c in out.checks):
        out.exit_code = EXIT_CHECKS
    emit(
        env.name,
        "done",
        f"{env.name}: applied {len(applier.report.migrations)} migration(s) and "
        f"{applier.report.data_actions} row change(s)",
    )
    return out


def _check_after_failure(
    s: Session, applier: Applier, live: Mapping[str, AppliedMigration], planned: list[str]
) -> tuple[list[str], bool]:
    """The history and guards checks after a failed apply: what was put back ([] when all
    is as it should be or the check could not run, said as an event), and whether the
    database could be reached. When the connection went with the failure (a file can end
    its own session), the environment's lock went with it: the checks run on a new
    connection once the lock is taken again, or not at all."""
    import psycopg

    from reconciler.errors import DatabaseUnavailable, ReconcilerError

    try:
        if applier.conn.closed or applier.conn.broken:
            s.reconnect()
            s.lock.acquire()
            applier.conn = s.connection
        applier.settle()
        tampered = applier.put_back(live, planned)
    except (psycopg.Error, ReconcilerError) as e:
        emit(
            s.env.name,
            "tampered",
            f"the history and the audit log's guards were not checked after the failure "
            f"({type(e).__name__}): the next apply reads them as they are",
            logging.WARNING,
        )
        return [], not isinstance(e, DatabaseUnavailable)
    if tampered is None:
        return [], True
    emit(s.env.name, "tampered", tampered.message, logging.ERROR)
    return tampered.found, True


def snapshot_schema(s: Session, live: LiveState, *, ran_migrations: bool) -> None:
    """Record the schema the apply left, when migrations ran or no usable snapshot exists.
    Drift seen before the apply stays drift unless a migration touched the object."""
    from reconciler.db.schema import take_snapshot
    from reconciler.plan.drift import snapshot_current

    current = snapshot_current(live)
    if not ran_migrations and current:
        return
    count = take_snapshot(s.connection, s.env.name, s.actor, live.drift if current else ())
    emit(s.env.name, "snapshot", f"{s.env.name}: schema snapshot of {count} objects recorded")


def _deliver_quietly(s: Session) -> DeliveryReport | None:
    """Deliver what is owed; a failure here must not hide the apply's own outcome or error."""
    from reconciler.errors import ReconcilerError

    try:
        return audit.deliver(s)
    except (ReconcilerError, Exception) as e:  # the events stay owed for the next run
        emit(s.env.name, "audit", f"delivery skipped: {type(e).__name__}", logging.WARNING)
        return None


def run(s: Session) -> Outcome:
    """Plan (and, in apply mode, carry out) the session's request. Raise ReconcilerError on failure."""
    from reconciler.db.connect import refuse_pooler

    if s.request.mode == "apply":
        refuse_pooler(s.target)
    with database_errors(s):
        if s.request.mode == "plan":
            return plan(s)
        s.lock.acquire()
        out: Outcome | None = None
        try:
            audit.close_interrupted(s)
            out = _apply(s, plan(s))
        finally:
            s.release_lock()
            # webhook delivery never holds the lock: a slow receiver delays nobody's apply
            delivered = _deliver_quietly(s)
        if out is not None:
            out.delivery = delivered
        return out


def reconcile(
    request: Request,
    *,
    approval_sources: Mapping[str, ApprovalSource] | None = None,
    backup_providers: Mapping[str, BackupProvider] | None = None,
) -> Outcome:
    """Plan (and, in apply mode, carry out) one environment, on a Session of its own."""
    with Session(
        request, approval_sources=approval_sources, backup_providers=backup_providers
    ) as s:
        return run(s)
