"""check: the verdict on pending migrations and, with --trace, their real locks and rewrites.

The trace runs each pending migration on a shadow copy of the target's schema (a fresh
database on the embedded server); the target itself is only read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from reconciler.engine.reconcile import Outcome, database_errors, plan
from reconciler.engine.request import EXIT_BLOCKED, EXIT_OK, Request, replace_mode
from reconciler.engine.session import Session
from reconciler.errors import Diagnostic

if TYPE_CHECKING:
    from reconciler.db.trace import StatementTrace

__all__ = ["CheckOutcome", "check"]


@dataclass
class CheckOutcome:
    plan: Outcome
    traces: list[StatementTrace]
    diagnostics: list[Diagnostic]
    exit_code: int


def check(
    request: Request, *, trace: bool = False, shadow_admin_url: str | None = None
) -> CheckOutcome:
    """The plan's verdict on pending migrations; with ``trace``, what they lock and rewrite."""
    from reconciler.db.trace import drop_shadow, shadow_from, trace_findings, trace_migration
    from reconciler.embedded import embedded_admin_url
    from reconciler.sql.classify import classify
    from reconciler.sql.lint import statement_ignores
    from reconciler.sql.locks import catalog_only

    with Session(replace_mode(request, "plan"), purpose="check") as s, database_errors(s):
        planned = plan(s)
    diags = list(planned.verdict.blockers) + list(planned.verdict.warnings)
    traces: list[StatementTrace] = []
    if trace and planned.plan.migrations:
        admin = shadow_admin_url or embedded_admin_url()
        shadow = shadow_from(s.target.url, admin)
        try:
            files = {m.version: m for m in planned.desired.migrations}
            for action in planned.plan.migrations:
                m = files[action.version]
                result = trace_migration(shadow, m)
                traces.extend(result)
                diags.extend(
                    trace_findings(
                        result,
                        statement_ignores(m.source),
                        s.env.policy.lock_timeout,
                        lambda st: catalog_only(classify(st)),
                    )
                )
                if any(t.error for t in result):
                    break
        finally:
            drop_shadow(shadow, admin)
    blocked = any(d.severity == "error" for d in diags)
    return CheckOutcome(planned, traces, diags, EXIT_BLOCKED if blocked else EXIT_OK)
