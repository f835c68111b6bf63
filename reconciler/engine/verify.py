"""Post-migration checks: after every apply (a no-op one too), and by ``reconcile verify``.

A failed check is an audit event (``checks.failed``) and exit code 4; the operator marks its
DatabaseSync Degraded. The checks run read-only (see :mod:`reconciler.db.checks`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from reconciler.engine import audit
from reconciler.engine.events import emit
from reconciler.engine.reconcile import database_errors
from reconciler.engine.request import EXIT_CHECKS, EXIT_OK, Request
from reconciler.engine.session import Session

if TYPE_CHECKING:
    from reconciler.db.checks import CheckResult

__all__ = ["VerifyOutcome", "run_post_checks", "verify"]


@dataclass
class VerifyOutcome:
    results: list[CheckResult] = field(default_factory=list)
    exit_code: int = EXIT_OK

    @property
    def failed(self) -> list[CheckResult]:
        return [r for r in self.results if not r.passed]


def run_post_checks(s: Session, after: str, plan_hash: str | None = None) -> list[CheckResult]:
    """Run the environment's checks; audit the failures. Empty when none are configured."""
    from reconciler.audit import AuditEvent
    from reconciler.db.checks import run_checks

    if not s.env.checks:
        return []
    results = run_checks(s.connection, list(s.env.checks), s.env.policy.statement_timeout)
    for r in results:
        emit(s.env.name, "check", f"{r.name}: {'passed' if r.passed else 'FAILED: ' + r.detail}")
    failed = [r for r in results if not r.passed]
    reason = "; ".join(f"{r.name}: {r.detail}" for r in failed)[:500]
    if failed and not _said_already(s, plan_hash, reason):
        audit.record(
            s,
            AuditEvent(
                s.env.name,
                s.actor,
                "checks.failed",
                "failed",
                plan_hash,
                reason=reason,
                details={
                    "after": after,
                    "failed": [{"name": r.name, "detail": r.detail} for r in failed],
                    "passed": [r.name for r in results if r.passed],
                },
            ),
        )
    return results


def _said_already(s: Session, plan_hash: str | None, reason: str) -> bool:
    """The same failure, for the same plan, is the newest event: a loop says it once."""
    from reconciler.audit import last_event

    if not audit.trail_exists(s):
        return False
    return last_event(s.connection, s.env.name) == ("checks.failed", plan_hash, reason)


def verify(request: Request) -> VerifyOutcome:
    """Run the post-migration checks now (read-only); exit 4 when one fails."""
    with Session(request, purpose="verify") as s, database_errors(s):
        results = run_post_checks(s, "verify")
        if any(not r.passed for r in results):
            audit.deliver(s)
        return VerifyOutcome(
            results, EXIT_CHECKS if any(not r.passed for r in results) else EXIT_OK
        )
