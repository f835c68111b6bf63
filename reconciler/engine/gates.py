"""The gates between a plan and its apply: lint, approvals from every source, the verdict, the backup.

Each gate fails closed and stops before the first change; a refusal is returned as data
(a Diagnostic) for the doors to present.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from reconciler.embedded import state_dir
from reconciler.engine.events import emit
from reconciler.engine.session import Session
from reconciler.errors import Diagnostic, ReconcilerError
from reconciler.lintcache import LintCache

if TYPE_CHECKING:
    from reconciler.manifest import DesiredMigration
    from reconciler.plan import Plan, Verdict
    from reconciler.ports import Approval, BackupInfo

__all__ = ["approvals_for", "backup_gate", "lint_pending", "verdict"]


def approvals_for(s: Session, plan_hash: str | None) -> tuple[list[Approval], list[Diagnostic]]:
    """Approvals from every configured source; a source that fails contributes none (fail closed)."""
    found: list[Approval] = []
    problems: list[Diagnostic] = []
    for source in s.approval_sources():
        try:
            found.extend(source.approvals_for(s.env.name, plan_hash))
        except ReconcilerError as e:
            problems.append(Diagnostic(e.code, e.message, e.location, e.hint, "warning"))
    for note in s.notes:
        problems.append(Diagnostic("approval-source", note, None, None, "warning"))
    s.notes.clear()
    return found, problems


def lint_pending(s: Session, pending: Sequence[DesiredMigration]) -> dict[str, list[Diagnostic]]:
    """Lint results of the pending migrations under the environment's policy. The gates
    (apply, approve, restore) lint afresh; a plan may take results from the on-disk cache."""
    from reconciler.policy import lint_config

    cache_dir = None if s.gated else state_dir() / "cache"
    cfg = lint_config(s.desired, s.request.emergency, s.request.migration_type)
    return LintCache(cache_dir, cfg).lint_all(pending)


def verdict(s: Session, plan: Plan, lint: Mapping[str, Sequence[Diagnostic]]) -> Verdict:
    """What the policy allows of the plan: findings, lint, and approvals naming its hash."""
    from reconciler.policy import evaluate

    approvals: list[Approval] = []
    problems: list[Diagnostic] = []
    if s.env.policy.approvals.required and not plan.empty:  # no queries where none are needed
        approvals, problems = approvals_for(s, plan.hash)
    out = evaluate(s.desired, plan, approvals, lint)
    return replace(out, warnings=[*out.warnings, *problems]) if problems else out


def backup_gate(s: Session, plan_hash: str) -> tuple[BackupInfo | None, Diagnostic | None, bool]:
    """Take the backup the policy asks for. Returns (backup, refusal, refusal-is-a-gate)."""
    if s.env.policy.backup.provider == "none":
        return None, None, False
    try:
        provider = s.backup_provider()
        emit(s.env.name, "backup", f"{provider.name} backup of {s.env.name}")
        info = provider.backup(s.env.name, plan_hash, s.target)
    except ReconcilerError as e:
        refusal = Diagnostic(
            "backup-gate",
            f"the backup before applying failed, so nothing was applied: {e.message}",
            e.location or s.desired.locations.get("policy"),
            e.hint,
        )
        return None, refusal, e.code == "backup-gate"
    emit(s.env.name, "backup", f"{info.name} ({info.id})")
    try:
        for gone in provider.prune(s.env.name, s.env.policy.backup.keep):
            emit(s.env.name, "backup", f"retention: deleted {gone}")
    except ReconcilerError as e:  # retention is housekeeping: report, do not block
        emit(s.env.name, "backup", f"retention failed: {e.message}")
    return info, None, False
