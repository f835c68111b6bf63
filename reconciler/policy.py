"""Plan x Policy x Approvals -> Verdict. Pure; fail-closed in strict environments."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from reconciler.errors import Diagnostic
from reconciler.manifest.desired import Desired, DesiredMigration
from reconciler.plan.model import Plan, Verdict
from reconciler.ports import Approval
from reconciler.sql.lintconfig import LintConfig

__all__ = ["Approval", "count_approvals", "evaluate", "lint_config", "lint_pending"]


def count_approvals(
    approvals: Sequence[Approval], plan_hash: str, allowed: Sequence[str]
) -> list[str]:
    """Distinct listed approvers who named exactly this plan hash."""
    listed = set(allowed)
    return sorted(
        {a.approver for a in approvals if a.plan_hash == plan_hash and a.approver in listed}
    )


def lint_config(
    desired: Desired, emergency: bool = False, migration_type: str | None = None
) -> LintConfig:
    """The lint settings an environment's policy implies, for a deploy of ``migration_type``
    (schema_safe: every pending file must be a _safe one; data_migration: DATA files may
    change rows within bounds; hotfix: the emergency path)."""
    p = desired.env.policy
    return LintConfig(
        p.strict,
        p.require_safe_suffix or migration_type == "schema_safe",
        p.require_rollback_section,
        dict(p.rules),
        emergency or migration_type == "hotfix",
        migration_type == "data_migration",
        int(p.lock_timeout),
        int(p.statement_timeout),
    )


def lint_file(m: DesiredMigration, cfg: LintConfig) -> list[Diagnostic]:
    """One migration's diagnostics under ``cfg``, with what the files before it proved."""
    from reconciler.sql.lint import lint_migration  # the parser is loaded only when linting

    return lint_migration(m.source, m.filename, m.safe, cfg, m.proven)


def lint_pending(
    desired: Desired, plan: Plan, emergency: bool = False
) -> dict[str, list[Diagnostic]]:
    """Lint the plan's pending migrations (uncached; the engine uses the cached edge version)."""
    cfg = lint_config(desired, emergency)
    files = {m.version: m for m in desired.migrations}
    return {a.version: lint_file(files[a.version], cfg) for a in plan.migrations}


def evaluate(
    desired: Desired,
    plan: Plan,
    approvals: Sequence[Approval] = (),
    lint: Mapping[str, Sequence[Diagnostic]] | None = None,
) -> Verdict:
    """What the environment's policy allows of this plan.

    ``lint`` maps each pending migration's version to its diagnostics; when omitted it is
    computed here. Any error-level finding or diagnostic blocks the plan.
    """
    policy = desired.env.policy
    blockers: list[Diagnostic] = []
    warnings: list[Diagnostic] = []
    for f in plan.findings:
        (blockers if f.severity == "error" else warnings).append(f.diagnostic())
    results = lint if lint is not None else lint_pending(desired, plan)
    for a in plan.migrations:
        for d in results.get(a.version, ()):
            (blockers if d.severity == "error" else warnings).append(d)
    required = policy.approvals.required
    received = count_approvals(approvals, plan.hash, policy.approvals.approvers)
    if blockers:
        status = "blocked"
    elif required and not plan.empty and len(received) < required:
        status = "awaiting-approval"
    else:
        status = "allowed"
    return Verdict(status, blockers, warnings, received, required)  # type: ignore[arg-type]
