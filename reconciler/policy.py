"""Plan x Policy x Approvals -> Verdict. Pure; fail-closed in strict environments."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reconciler.errors import Diagnostic, SourceLocation
from reconciler.manifest.desired import Desired
from reconciler.plan.model import Plan, Verdict

__all__ = ["Approval", "count_approvals", "evaluate"]


@dataclass(frozen=True)
class Approval:
    approver: str
    plan_hash: str
    source: str  # database | kubernetes | ...
    at: str | None = None


def count_approvals(
    approvals: Sequence[Approval], plan_hash: str, allowed: Sequence[str]
) -> list[str]:
    """Distinct listed approvers who named exactly this plan hash."""
    listed = set(allowed)
    return sorted(
        {a.approver for a in approvals if a.plan_hash == plan_hash and a.approver in listed}
    )


def evaluate(desired: Desired, plan: Plan, approvals: Sequence[Approval] = ()) -> Verdict:
    """What the environment's policy allows of this plan."""
    policy = desired.env.policy
    blockers: list[Diagnostic] = []
    warnings: list[Diagnostic] = []
    for f in plan.findings:
        (blockers if f.severity == "error" else warnings).append(f.diagnostic())
    files = {m.version: m for m in desired.migrations}
    for a in plan.migrations:
        m = files[a.version]
        if policy.require_safe_suffix and not m.safe:
            blockers.append(
                Diagnostic(
                    "require-safe-suffix",
                    f"{m.filename} must be named *_safe.sql in {desired.env.name}",
                    SourceLocation(m.path),
                    "rename it to end in _safe.sql once it only holds safe operations",
                )
            )
        if policy.require_rollback_section and not m.source.rollback:
            blockers.append(
                Diagnostic(
                    "require-rollback-section",
                    f"{m.filename} has no rollback instructions",
                    SourceLocation(m.path, 1, 1),
                    "add a `-- Rollback instructions:` comment section with the steps to undo it",
                )
            )
    required = policy.approvals.required
    received = count_approvals(approvals, plan.hash, policy.approvals.approvers)
    if blockers:
        status = "blocked"
    elif required and not plan.empty and len(received) < required:
        status = "awaiting-approval"
    else:
        status = "allowed"
    return Verdict(status, blockers, warnings, received, required)  # type: ignore[arg-type]
