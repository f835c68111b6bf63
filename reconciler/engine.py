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
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

from reconciler.embedded import state_dir
from reconciler.errors import Diagnostic
from reconciler.files import LocalFiles
from reconciler.lintcache import LintCache, dump_diagnostic, load_diagnostic
from reconciler.loadcache import RecordingFiles, load_cached, still_valid

if TYPE_CHECKING:  # the heavy modules are imported where they are used, so validate stays light
    import psycopg

    from reconciler.db.apply import ApplyReport
    from reconciler.db.connect import DatabaseTarget
    from reconciler.db.trace import StatementTrace
    from reconciler.manifest import Desired, DesiredMigration, Files
    from reconciler.plan import LiveState, Plan, Verdict
    from reconciler.policy import Approval

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
    "load",
    "reconcile",
    "validate",
]

EXIT_OK, EXIT_ERROR, EXIT_CHANGES, EXIT_BLOCKED = 0, 1, 2, 3

EventSink = Callable[[str, str], None]


class ApprovalSource(Protocol):
    def approvals(self, conn: psycopg.Connection[Any], environment: str) -> Sequence[Approval]: ...


class BackupProvider(Protocol):
    def backup(self, desired: Desired, plan: Plan, target: DatabaseTarget) -> str:
        """Take a backup before the apply; return its reference. Raise to stop the apply."""
        ...


@dataclass(frozen=True)
class Request:
    env: str
    mode: Literal["plan", "apply"] = "plan"
    root: str = "."
    actor: str | None = None
    files: Files | None = None
    emergency: bool = False


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


def reconcile(
    request: Request,
    *,
    on_event: EventSink | None = None,
    approval_sources: Sequence[ApprovalSource] = (),
    backup_providers: Mapping[str, BackupProvider] | None = None,
) -> Outcome:
    """Plan (and, in apply mode, carry out) one environment. Raise ReconcilerError on failure."""
    import psycopg

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
    target = resolve_target(env.database, env.name, _embedded)
    if request.mode == "apply":
        refuse_pooler(target)
    conn = connect(
        target,
        env.database,
        application_name=f"neon-reconciler {env.name} {request.mode} by {actor} pid {os.getpid()}",
    )
    lock = EnvironmentLock(conn, env.name, env.policy.advisory_lock_wait)
    try:
        if request.mode == "apply":
            lock.acquire()
        live = read_live(conn, desired)
        plan = make_plan(desired, live)
        approvals: list[Approval] = []
        for source in approval_sources:
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
            return outcome
        # gates, in order; any failure stops before the first change
        provider_name = env.policy.backup.provider
        if provider_name != "none":
            provider = (backup_providers or {}).get(provider_name)
            if provider is None:
                outcome.gate_failures.append(
                    Diagnostic(
                        "backup-gate",
                        f"policy requires a {provider_name} backup before applying, and no such backup "
                        "provider is available",
                        desired.locations.get("policy"),
                        "fail-closed: configure the provider, or set policy.backup.provider: none for "
                        "environments that need no backup",
                    )
                )
                outcome.exit_code = EXIT_BLOCKED
                return outcome
            event("backup", f"{provider_name} backup of {env.name}")
            provider.backup(desired, plan, target)
        applier = Applier(conn, desired, actor=actor, plan_hash=plan.hash, event=event)
        ensure_bookkeeping(conn)
        try:
            for action in plan.migrations:
                applier.apply_migration(action)
            applier.apply_data(plan.data_actions)
        finally:
            outcome.applied = applier.report
        event(
            "done",
            f"{env.name}: applied {len(applier.report.migrations)} migration(s) and "
            f"{applier.report.data_actions} row change(s)",
        )
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
