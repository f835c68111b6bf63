"""The one orchestration every front door calls.

:func:`reconcile`: load -> read live -> plan -> verdict -> gates -> apply.
:func:`validate`: load -> lint (no database).
The CLI, the watch loop, the operator and the web UI differ only in how they present the
outcome; none of them has reconcile logic of its own. The database edge is imported only
when a database is needed, so validating stays light.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import socket
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

from reconciler.embedded import state_dir
from reconciler.errors import Diagnostic
from reconciler.files import LocalFiles
from reconciler.lintcache import LintCache, dump_diagnostic, load_diagnostic
from reconciler.loadcache import RecordingFiles, load_cached, still_valid
from reconciler.ports import Approval, ApprovalSource, BackupInfo, BackupProvider

if TYPE_CHECKING:  # the heavy modules are imported where they are used, so validate stays light
    import psycopg

    from reconciler.audit import AuditEvent, DeliveryReport
    from reconciler.db.apply import ApplyReport
    from reconciler.db.connect import DatabaseTarget
    from reconciler.db.trace import StatementTrace
    from reconciler.manifest import Desired, DesiredMigration, Files
    from reconciler.plan import LiveState, Plan, Verdict

__all__ = [
    "EXIT_BLOCKED",
    "EXIT_CHANGES",
    "EXIT_ERROR",
    "EXIT_OK",
    "ApprovalSource",
    "BackupProvider",
    "CheckOutcome",
    "Outcome",
    "Request",
    "ValidateOutcome",
    "check",
    "deliver_owed",
    "load",
    "package",
    "reconcile",
    "validate",
]

EXIT_OK, EXIT_ERROR, EXIT_CHANGES, EXIT_BLOCKED = 0, 1, 2, 3

EventSink = Callable[[str, str], None]


@dataclass(frozen=True)
class Request:
    env: str
    mode: Literal["plan", "apply"] = "plan"
    root: str = "."
    actor: str | None = None
    files: Files | None = None
    emergency: bool = False
    reason: str | None = None  # required with emergency; recorded in the audit trail
    # overrides for the front doors that do not use environment variables
    connect_attempts: int | None = (
        None  # instead of database.connect_attempts (watch retries itself)
    )
    database_url: str | None = None  # instead of database.url_from_env (the operator reads Secrets)
    neon_api_key: str | None = None  # instead of neon.api_key_from_env


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


@dataclass
class ValidateOutcome:
    desired: Desired | None  # None when the result came whole from the cache
    diagnostics: list[Diagnostic]
    files_checked: int
    exit_code: int
    cache_hits: int = 0


def default_actor() -> str:
    explicit = os.environ.get("RECONCILER_ACTOR")
    if explicit:
        return explicit
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


def load(request: Request) -> Desired:
    """The environment's desired state (cached while no input file changed)."""
    from reconciler.manifest import load_environment, resolve_env_file

    env_file = resolve_env_file(request.env, request.root)
    if request.files is None:
        return load_cached(env_file, LocalFiles(), state_dir() / "cache")
    return load_environment(env_file, request.files)


def _validate_key(request: Request, paths: Sequence[str]) -> str:
    from reconciler import __version__
    from reconciler.sql.lintconfig import rules_fingerprint

    doc = json.dumps(
        [
            __version__,
            rules_fingerprint(),
            os.path.abspath(request.root),
            request.env,
            list(paths),
            request.emergency,
        ]
    )
    return hashlib.sha256(doc.encode()).hexdigest()[:32]


def validate(request: Request, paths: Sequence[str] = ()) -> ValidateOutcome:
    """Lint migrations under the environment's policy: the given files, else every wanted one.

    A run whose inputs (every file read, glob and listing) are unchanged since the last one
    is answered from the cache at the cost of reading and hashing the files.
    """
    cache_file = None
    if request.files is None and not os.environ.get("RECONCILER_NO_CACHE"):
        cache_file = state_dir() / "cache" / f"validate-{_validate_key(request, paths)}.json"
        try:
            entry = json.loads(cache_file.read_text())
            if still_valid([(o[0], o[1], o[2]) for o in entry["ops"]], LocalFiles()):
                cached = [load_diagnostic(r) for r in entry["diagnostics"]]
                return ValidateOutcome(
                    None, cached, entry["checked"], entry["exit"], entry["checked"]
                )
        except (OSError, ValueError, KeyError, TypeError):
            pass
    from reconciler.manifest import load_environment, resolve_env_file
    from reconciler.manifest.load import load_migration_file
    from reconciler.policy import lint_config

    recorder = RecordingFiles(request.files or LocalFiles())
    env_file = resolve_env_file(request.env, request.root)
    if request.files is None:  # the desired-state cache replays its inputs through the recorder
        desired = load_cached(env_file, recorder, state_dir() / "cache")
    else:
        desired = load_environment(env_file, recorder)
    diags: list[Diagnostic] = []
    migrations: list[DesiredMigration]
    if paths:
        migrations = []
        for p in paths:
            m = load_migration_file(os.path.normpath(p), recorder, diags)
            if m is not None:
                migrations.append(m)
    else:
        migrations = desired.wanted
    cache = LintCache(state_dir() / "cache", lint_config(desired, request.emergency))
    cache.prefetch(migrations)
    for m in migrations:
        diags.extend(cache.lint(m))
    cache.save()
    code = EXIT_BLOCKED if any(d.severity == "error" for d in diags) else EXIT_OK
    if cache_file is not None:
        try:
            cache_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache_file.with_suffix(".tmp")
            tmp.write_text(
                json.dumps(
                    {
                        "ops": recorder.ops,
                        "checked": len(migrations),
                        "exit": code,
                        "diagnostics": [dump_diagnostic(d) for d in diags],
                    }
                )
            )
            os.replace(tmp, cache_file)
        except OSError:
            pass
    return ValidateOutcome(desired, diags, len(migrations), code, cache.hits)


@dataclass
class CheckOutcome:
    plan: Outcome
    traces: list[StatementTrace]
    diagnostics: list[Diagnostic]
    exit_code: int


def check(
    request: Request, *, trace: bool = False, shadow_admin_url: str | None = None
) -> CheckOutcome:
    """The plan's verdict on pending migrations; with ``trace``, their real locks and rewrites
    on a shadow copy of the target's schema (a fresh database on the embedded server)."""
    from reconciler.db.connect import resolve_target
    from reconciler.db.trace import drop_shadow, shadow_from, trace_migration
    from reconciler.embedded import embedded_admin_url
    from reconciler.sql.lint import statement_ignores

    planned = reconcile(
        Request(request.env, "plan", request.root, request.actor, request.files, request.emergency)
    )
    diags = list(planned.verdict.blockers) + list(planned.verdict.warnings)
    traces: list[StatementTrace] = []
    if trace and planned.plan.migrations:
        target = resolve_target(planned.desired.env.database, planned.desired.env.name, _embedded)
        admin = shadow_admin_url or embedded_admin_url()
        shadow = shadow_from(target.url, admin)
        try:
            files = {m.version: m for m in planned.desired.migrations}
            for action in planned.plan.migrations:
                m = files[action.version]
                ignored = statement_ignores(m.source)
                result = trace_migration(shadow, m)
                traces.extend(result)
                for t in result:
                    skip = ignored.get(t.statement.line, set())
                    for lk in t.locks:
                        if (
                            lk.preexisting
                            and lk.mode == "ACCESS EXCLUSIVE"
                            and "trace-access-exclusive" not in skip
                        ):
                            diags.append(
                                Diagnostic(
                                    "trace-access-exclusive",
                                    f"takes ACCESS EXCLUSIVE on {lk.relation}, which existed before this migration: "
                                    "reads and writes of it stop while the lock is held"
                                    + (
                                        " (and it queued behind running writes)"
                                        if lk.waited
                                        else ""
                                    ),
                                    t.location,
                                    "use the safe pattern of the matching rule (docs/rules/), or if the lock is brief "
                                    "and bounded by lock_timeout, say so: -- reconciler:ignore trace-access-exclusive -- <reason>",
                                )
                            )
                    for rel in t.rewrites:
                        if "trace-table-rewrite" not in skip:
                            diags.append(
                                Diagnostic(
                                    "trace-table-rewrite",
                                    f"rewrites table {rel} (its relfilenode changed)",
                                    t.location,
                                    "a rewrite copies every row under ACCESS EXCLUSIVE; add columns without volatile "
                                    "defaults and avoid type changes",
                                )
                            )
                    if t.error and "trace-failed" not in skip:
                        diags.append(
                            Diagnostic(
                                "trace-failed",
                                f"fails on the shadow database: {t.error}",
                                t.location,
                                "it would fail the same way on the target",
                            )
                        )
                if any(t.error for t in result):
                    break
        finally:
            drop_shadow(shadow, admin)
    blocked = any(d.severity == "error" for d in diags)
    return CheckOutcome(planned, traces, diags, EXIT_BLOCKED if blocked else EXIT_OK)


def _embedded(environment: str) -> str:
    from reconciler.embedded import embedded_url

    return embedded_url(environment)


def _default_sources() -> list[ApprovalSource]:
    from reconciler.approvals import DatabaseApprovals

    return [DatabaseApprovals()]


def _audit(conn: psycopg.Connection[Any], desired: Desired, event: AuditEvent) -> int:
    from reconciler.audit import record
    from reconciler.db.bookkeeping import ensure_bookkeeping

    ensure_bookkeeping(conn)
    outbox = desired.env.audit is not None and desired.env.audit.webhook_url_from_env is not None
    audit_id, _ = record(conn, event, outbox=outbox)
    return audit_id


def _deliver(
    conn: psycopg.Connection[Any],
    desired: Desired,
    event: EventSink,
    *,
    respect_schedule: bool = False,
) -> DeliveryReport | None:
    """Send owed audit events; a receiver that is down only delays them to a later run."""
    from reconciler.audit import DeliveryReport, deliver_pending, webhook_from_env

    spec = desired.env.audit
    if spec is None or spec.webhook_url_from_env is None:
        return None
    row = conn.execute("SELECT to_regclass('reconciler.audit_outbox') IS NOT NULL").fetchone()
    if not (row and row[0]):
        return None
    hook, why = webhook_from_env(spec.webhook_url_from_env, spec.secret_from_env)
    if hook is None:
        pending = conn.execute(
            "SELECT count(*) FROM reconciler.audit_outbox WHERE delivered_at IS NULL"
        ).fetchone()
        report = DeliveryReport(
            pending=int(pending[0]) if pending else 0, errors=[why or "no webhook"]
        )
        if report.pending:
            event("audit", f"{report.pending} audit event(s) not delivered: {why}")
        return report
    report = deliver_pending(conn, hook, respect_schedule=respect_schedule)
    if report.delivered or report.failed:
        event(
            "audit",
            f"webhook {hook.shown}: {report.delivered} delivered, {report.failed} failed, "
            f"{report.pending} pending" + (f" ({report.errors[-1]})" if report.errors else ""),
        )
    return report


def _provider(
    desired: Desired, providers: Mapping[str, BackupProvider] | None, api_key: str | None = None
) -> BackupProvider:
    from reconciler.backup import make_provider

    name = desired.env.policy.backup.provider
    if providers is not None and name in providers:
        return providers[name]
    return make_provider(desired, str(state_dir()), api_key)


@dataclass
class _Session:
    """An open connection to the environment's database, for the operations beside reconcile."""

    desired: Desired
    target: DatabaseTarget
    conn: psycopg.Connection[Any]
    actor: str


def _open(request: Request, purpose: str) -> _Session:
    from reconciler.db.connect import connect, resolve_target

    actor = request.actor or default_actor()
    desired = load(request)
    target = resolve_target(desired.env.database, desired.env.name, _embedded, request.database_url)
    conn = connect(
        target,
        desired.env.database,
        application_name=f"neon-reconciler {desired.env.name} {purpose} by {actor} pid {os.getpid()}",
    )
    return _Session(desired, target, conn, actor)


def reconcile(
    request: Request,
    *,
    on_event: EventSink | None = None,
    approval_sources: Sequence[ApprovalSource] | None = None,
    backup_providers: Mapping[str, BackupProvider] | None = None,
) -> Outcome:
    """Plan (and, in apply mode, carry out) one environment. Raise ReconcilerError on failure.

    Apply order: verdict (findings, rules, approvals bound to the plan hash) -> backup ->
    audit "started" committed -> migrations, config, forum map -> audit "succeeded" or
    "failed" -> webhook delivery. A gate that fails stops before the first change.
    """
    import psycopg

    from reconciler.audit import AuditEvent
    from reconciler.db.apply import Applier
    from reconciler.db.bookkeeping import ensure_bookkeeping
    from reconciler.db.connect import connect, refuse_pooler, resolve_target, scrub
    from reconciler.db.live import read_live
    from reconciler.db.lock import EnvironmentLock
    from reconciler.errors import DatabaseUnavailable, ReconcilerError
    from reconciler.plan import make_plan
    from reconciler.policy import evaluate, lint_config

    event = on_event or (lambda kind, msg: None)
    actor = request.actor or default_actor()
    desired = load(request)
    env = desired.env
    sources = _default_sources() if approval_sources is None else list(approval_sources)
    target = resolve_target(env.database, env.name, _embedded, request.database_url)
    if request.mode == "apply":
        refuse_pooler(target)
    spec = env.database
    if request.connect_attempts is not None:
        spec = spec.model_copy(update={"connect_attempts": request.connect_attempts})
    conn = connect(
        target,
        spec,
        application_name=f"neon-reconciler {env.name} {request.mode} by {actor} pid {os.getpid()}",
    )
    lock = EnvironmentLock(conn, env.name, env.policy.advisory_lock_wait)
    try:
        if request.mode == "apply":
            lock.acquire()
        live = read_live(conn, desired)
        plan = make_plan(desired, live)
        approvals: list[Approval] = []
        if env.policy.approvals.required:  # no queries where nothing needs approving
            for source in sources:
                approvals.extend(source.approvals(conn, env.name))
        pending = [
            m for m in desired.migrations if m.version in {a.version for a in plan.migrations}
        ]
        lint = LintCache(state_dir() / "cache", lint_config(desired, request.emergency)).lint_all(
            pending
        )
        verdict = evaluate(desired, plan, approvals, lint)
        outcome = Outcome(desired, live, plan, verdict, target.redacted, EXIT_OK)
        if request.mode == "plan":
            outcome.exit_code = (
                EXIT_BLOCKED
                if verdict.status == "blocked" or (verdict.status != "allowed" and not plan.empty)
                else EXIT_OK
                if plan.empty
                else EXIT_CHANGES
            )
            return outcome
        if not verdict.allowed:
            event("blocked", f"{env.name}: {verdict.status}; nothing applied")
            outcome.exit_code = EXIT_BLOCKED
            return outcome
        if plan.empty:
            outcome.delivery = _deliver(conn, desired, event)
            return outcome
        # gate: backup, before anything changes
        if env.policy.backup.provider != "none":
            try:
                provider = _provider(desired, backup_providers, request.neon_api_key)
                event("backup", f"{provider.name} backup of {env.name}")
                outcome.backup = provider.backup(env.name, plan.hash, target)
            except ReconcilerError as e:
                outcome.gate_failures.append(
                    Diagnostic(
                        "backup-gate",
                        f"the backup before applying failed, so nothing was applied: {e.message}",
                        e.location or desired.locations.get("policy"),
                        e.hint,
                    )
                )
                outcome.exit_code = EXIT_BLOCKED if e.code == "backup-gate" else EXIT_ERROR
                return outcome
            event("backup", f"{outcome.backup.name} ({outcome.backup.id})")
            try:
                for gone in provider.prune(env.name, env.policy.backup.keep):
                    event("backup", f"retention: deleted {gone}")
            except ReconcilerError as e:  # retention is housekeeping: report, do not block
                event("backup", f"retention failed: {e.message}")
        base = AuditEvent(
            env.name,
            actor,
            "apply",
            "started",
            plan.hash,
            verdict.approvals_received,
            outcome.backup.name if outcome.backup else None,
            request.emergency,
            request.reason,
        )
        details = {"changes": plan.counts(), "database": target.redacted, "target": desired.target}
        # gate: the "started" event is committed before the first change
        event_ = replace(base, action="apply.started", outcome="started", details=details)
        outcome.audit_ids.append(_audit(conn, desired, event_))
        applier = Applier(conn, desired, actor=actor, plan_hash=plan.hash, event=event)
        ensure_bookkeeping(conn)
        try:
            for action in plan.migrations:
                applier.apply_migration(action)
            applier.apply_data(plan.data_actions)
        except ReconcilerError as e:
            failure = {
                **details,
                "error": e.message,
                "code": e.code,
                "location": str(e.location) if e.location else None,
                "applied_before_failure": applier.report.migrations,
            }
            event_ = replace(base, action="apply.failed", outcome="failed", details=failure)
            outcome.audit_ids.append(_audit(conn, desired, event_))
            outcome.delivery = _deliver(conn, desired, event)
            raise
        finally:
            outcome.applied = applier.report
        done = {
            **details,
            "migrations": applier.report.migrations,
            "row_changes": applier.report.data_actions,
        }
        event_ = replace(base, action="apply.succeeded", outcome="succeeded", details=done)
        outcome.audit_ids.append(_audit(conn, desired, event_))
        event(
            "done",
            f"{env.name}: applied {len(applier.report.migrations)} migration(s) and "
            f"{applier.report.data_actions} row change(s)",
        )
        outcome.delivery = _deliver(conn, desired, event)
        return outcome
    except psycopg.OperationalError as e:
        raise DatabaseUnavailable(
            f"lost the database connection to {target.redacted}: {scrub(str(e).strip(), target.url)}",
            hint="nothing past the last committed step was applied; run again",
        ) from None
    except psycopg.Error as e:
        raise ReconcilerError(
            f"database error on {target.redacted}: {scrub(str(e).strip(), target.url)}",
            code="database-error",
        ) from None
    finally:
        lock.release()
        conn.close()


# -- the gates' own operations -------------------------------------------------------------


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


def init(request: Request, *, grant_approvers: bool = False) -> list[str]:
    """Create the bookkeeping schema; optionally let the listed approvers' logins approve."""
    from psycopg import sql

    from reconciler.db.bookkeeping import ensure_bookkeeping

    s = _open(request, "init")
    notes = []
    try:
        ensure_bookkeeping(s.conn)
        notes.append("schema reconciler is ready")
        if grant_approvers:
            for name in s.desired.env.policy.approvals.approvers:
                exists = s.conn.execute(
                    "SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)
                ).fetchone()
                if not exists:
                    notes.append(
                        f"approver {name}: no database login of that name (create it, then run init again)"
                    )
                    continue
                role = sql.Identifier(name)
                s.conn.execute(sql.SQL("GRANT USAGE ON SCHEMA reconciler TO {}").format(role))
                s.conn.execute(
                    sql.SQL("GRANT SELECT, INSERT, UPDATE ON reconciler.approvals TO {}").format(
                        role
                    )
                )
                # their approval is itself an audit event, delivered like every other
                s.conn.execute(sql.SQL("GRANT INSERT ON reconciler.audit_log TO {}").format(role))
                s.conn.execute(
                    sql.SQL("GRANT INSERT, UPDATE ON reconciler.audit_outbox TO {}").format(role)
                )
                # approvers compute the plan they approve, so they read what the plan reads
                s.conn.execute(sql.SQL("GRANT pg_read_all_data TO {}").format(role))
                notes.append(f"approver {name}: may read the database and record approvals")
    finally:
        s.conn.close()
    return notes


def approve(request: Request, plan_hash: str, *, restore: str | None = None) -> ApproveOutcome:
    """Record an approval of the current plan (or of a restore) as the connected database login."""
    from reconciler.approvals import DatabaseApprovals, record_approval
    from reconciler.audit import AuditEvent
    from reconciler.errors import ReconcilerError
    from reconciler.policy import count_approvals

    if restore is not None:
        desired = load(request)
        current = restore_hash(desired.env.name, restore)
    else:
        current = reconcile(
            Request(request.env, "plan", request.root, request.actor, request.files),
            approval_sources=[],
        ).plan.hash
    if plan_hash != current:
        raise ReconcilerError(
            f"{plan_hash[:12]} is not the current {'restore' if restore else 'plan'} hash ({current[:12]})",
            hint="the desired or the live state changed since that plan was shown: review "
            f"`reconcile plan --env {request.env}` again and approve its hash",
            code="stale-plan",
        )
    s = _open(request, "approve")
    try:
        who = record_approval(s.conn, s.desired.env.name, plan_hash)
        listed = s.desired.env.policy.approvals.approvers
        received = count_approvals(
            DatabaseApprovals().approvals(s.conn, s.desired.env.name), plan_hash, listed
        )
        _audit(
            s.conn,
            s.desired,
            AuditEvent(
                s.desired.env.name,
                s.actor,
                "approval.recorded",
                "recorded",
                plan_hash,
                [who],
                details={"restore": restore} if restore else {},
            ),
        )
        _deliver(s.conn, s.desired, lambda k, m: None)
        return ApproveOutcome(
            who, plan_hash, who in listed, received, s.desired.env.policy.approvals.required
        )
    finally:
        s.conn.close()


def list_approvals(request: Request) -> tuple[str, list[Approval], list[str], int]:
    """The current plan hash, every recorded approval, who counts for the current plan, and how many are needed."""
    from reconciler.policy import count_approvals

    out = reconcile(Request(request.env, "plan", request.root, request.actor, request.files))
    s = _open(request, "approvals")
    try:
        from reconciler.approvals import DatabaseApprovals

        all_ = DatabaseApprovals().approvals(s.conn, s.desired.env.name)
    finally:
        s.conn.close()
    policy = out.desired.env.policy.approvals
    return (
        out.plan.hash,
        all_,
        count_approvals(all_, out.plan.hash, policy.approvers),
        policy.required,
    )


def take_backup(
    request: Request, *, providers: Mapping[str, BackupProvider] | None = None
) -> BackupInfo:
    """A backup now, with the environment's provider and retention, recorded in the audit trail."""
    from reconciler.audit import AuditEvent
    from reconciler.errors import ReconcilerError

    s = _open(request, "backup")
    try:
        if s.desired.env.policy.backup.provider == "none":
            raise ReconcilerError(
                f"{s.desired.env.name} has policy.backup.provider: none",
                code="backup-gate",
                hint="set policy.backup.provider to neon or pg_dump",
            )
        provider = _provider(s.desired, providers)
        info = provider.backup(s.desired.env.name, "0" * 8 + "manual", s.target)
        provider.prune(s.desired.env.name, s.desired.env.policy.backup.keep)
        _audit(
            s.conn,
            s.desired,
            AuditEvent(
                s.desired.env.name,
                s.actor,
                "backup.created",
                "succeeded",
                backup_ref=info.name,
                details={"id": info.id, "provider": info.provider},
            ),
        )
        _deliver(s.conn, s.desired, lambda k, m: None)
        return info
    finally:
        s.conn.close()


def list_backups(
    request: Request, *, providers: Mapping[str, BackupProvider] | None = None
) -> list[BackupInfo]:
    desired = load(request)
    if desired.env.policy.backup.provider == "none":
        return []
    return _provider(desired, providers).backups(desired.env.name)


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
    on_event: EventSink | None = None,
) -> RestoreOutcome:
    """Put a backup back in place. Needs the same approvals as an apply, for the restore's own hash."""
    from reconciler.approvals import DatabaseApprovals
    from reconciler.audit import AuditEvent
    from reconciler.db.lock import EnvironmentLock
    from reconciler.policy import count_approvals

    event = on_event or (lambda kind, msg: None)
    s = _open(request, "restore")
    env = s.desired.env
    wanted = restore_hash(env.name, backup)
    received = count_approvals(
        DatabaseApprovals().approvals(s.conn, env.name), wanted, env.policy.approvals.approvers
    )
    if len(received) < env.policy.approvals.required:
        s.conn.close()
        return RestoreOutcome("awaiting-approval", wanted, received, env.policy.approvals.required)
    lock = EnvironmentLock(s.conn, env.name, env.policy.advisory_lock_wait)
    try:
        lock.acquire()
        base = AuditEvent(
            env.name,
            s.actor,
            "restore",
            "started",
            wanted,
            received,
            backup,
            request.emergency,
            request.reason,
        )
        _audit(s.conn, s.desired, replace(base, action="restore.started"))
        _deliver(
            s.conn, s.desired, event
        )  # everything owed goes out before the database is rewound
        provider = _provider(s.desired, providers)
        lock.release()
        s.conn.close()
        preserved = provider.restore(env.name, backup, s.target)
        event("restore", f"{env.name} restored from {backup}; previous state kept as {preserved}")
        after = _open(request, "restore")
        try:
            done = replace(
                base,
                action="restore.succeeded",
                outcome="succeeded",
                details={"preserved_as": preserved},
            )
            _audit(after.conn, after.desired, done)
            _deliver(after.conn, after.desired, event)
        finally:
            after.conn.close()
        return RestoreOutcome(
            "restored", wanted, received, env.policy.approvals.required, preserved
        )
    finally:
        lock.release()
        if not s.conn.closed:
            s.conn.close()


def package(request: Request, name: str, namespace: str) -> dict[str, Any]:
    """The ConfigMap holding the environment file and every file it loads (for the operator)."""
    from reconciler.errors import ReconcilerError
    from reconciler.manifest import load_environment, resolve_env_file
    from reconciler.manifest.package import MAX_BYTES, package_configmap

    recorder = RecordingFiles(LocalFiles())
    load_environment(resolve_env_file(request.env, request.root), recorder)
    root = os.path.abspath(request.root)
    files = {
        os.path.relpath(os.path.abspath(path), root): LocalFiles().read_text(path)
        for op, path, _ in recorder.ops
        if op == "read_text"
    }
    size = sum(len(v.encode()) for v in files.values())
    if size > MAX_BYTES:
        raise ReconcilerError(
            f"the package is {size:,} bytes; a ConfigMap holds about 1 MB",
            code="package-too-large",
            hint="mount the manifests as a volume and use source.path",
        )
    return package_configmap(name, namespace, files)


def deliver_owed(request: Request) -> DeliveryReport | None:
    """Retry owed audit deliveries whose backoff has passed (for loops that run often)."""
    s = _open(request, "deliver")
    try:
        return _deliver(s.conn, s.desired, lambda k, m: None, respect_schedule=True)
    finally:
        s.conn.close()


def audit_events(
    request: Request, *, limit: int = 50, deliver: bool = True
) -> tuple[list[dict[str, Any]], DeliveryReport | None]:
    """The newest audit events with their delivery state, after trying to deliver what is owed."""
    from reconciler.audit import list_events

    s = _open(request, "audit")
    try:
        row = s.conn.execute("SELECT to_regclass('reconciler.audit_log') IS NOT NULL").fetchone()
        if not (row and row[0]):
            return [], None
        report = _deliver(s.conn, s.desired, lambda k, m: None) if deliver else None
        return list_events(s.conn, s.desired.env.name, limit), report
    finally:
        s.conn.close()
