"""The plan hash binds everything the approver reviewed: change any of it and the approvals
given for the old hash stop counting."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from reconciler.engine import EXIT_BLOCKED, EXIT_OK, Request, approve, init, reconcile
from reconciler.errors import Diagnostic, SourceLocation
from reconciler.plan import PlanContext, make_plan
from tests.gates.conftest import set_policy
from tests.plan.test_plan import desired, live

LINT = {
    "0002": [
        Diagnostic("prefer-text", "use text", SourceLocation("m/0002.sql", 1, 1), None, "warning")
    ]
}


def _hash(ctx: PlanContext) -> str:
    return make_plan(desired(), live(), ctx).hash


def test_every_part_of_the_context_changes_the_hash() -> None:
    d = desired()
    base = PlanContext.of(d, lint=LINT, ruleset="r1")
    h = _hash(base)
    assert _hash(base) == h  # deterministic
    variants = {
        "policy": replace(base, policy={**base.policy, "lock_retries": 9}),
        "scope": replace(base, scope="config"),
        "emergency": replace(base, emergency=True, reason="outage"),
        "reason": replace(base, emergency=True, reason="another outage"),
        "lint severity": replace(base, lint={"0002": [replace(LINT["0002"][0], severity="error")]}),
        "lint finding": replace(base, lint={"0002": []}),
        "ruleset": replace(base, ruleset="r2"),
    }
    hashes = {name: _hash(ctx) for name, ctx in variants.items()}
    assert h not in hashes.values()
    assert len(set(hashes.values())) == len(hashes)  # and each differs from the others


@pytest.fixture
def prod(project: Path, approvers: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Path:
    set_policy(
        project, "prod", "backup: {provider: neon, keep: 5}", "backup: {provider: none, keep: 5}"
    )
    init(Request("prod", root=str(project)), grant_approvers=True)
    return project


def _approve_all(
    prod: Path, approvers: dict[str, str], monkeypatch: pytest.MonkeyPatch, h: str, **kw: object
) -> None:
    for who in ("alice", "bob"):
        monkeypatch.setenv("DATABASE_URL_PROD", approvers[who])
        approve(Request("prod", root=str(prod), **kw), h)  # type: ignore[arg-type]
    monkeypatch.undo()


def test_switching_the_backup_provider_needs_new_approvals(
    prod: Path, db_url: str, approvers: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL_PROD", db_url)
    h = reconcile(Request("prod", root=str(prod))).plan.hash
    _approve_all(prod, approvers, monkeypatch, h)
    monkeypatch.setenv("DATABASE_URL_PROD", db_url)
    set_policy(
        prod, "prod", "backup: {provider: none, keep: 5}", "backup: {provider: pg_dump, keep: 5}"
    )
    out = reconcile(Request("prod", "apply", root=str(prod)))
    assert out.plan.hash != h and out.exit_code == EXIT_BLOCKED
    assert out.verdict.approvals_received == []


def test_an_approval_of_the_normal_plan_does_not_count_for_an_emergency_apply(
    prod: Path, db_url: str, approvers: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # a file that strict prod blocks; the approvers approve the plan while it is blocked
    set_policy(prod, "prod", "target: 0006_add_user_prefs_safe", "target: latest")
    (prod / "manifests/migrations/0008_drop_safe.sql").write_text(
        "DROP TABLE IF EXISTS nothing_here;\n-- Rollback instructions:\n-- 1. nothing\n"
    )
    monkeypatch.setenv("DATABASE_URL_PROD", db_url)
    blocked = reconcile(Request("prod", root=str(prod)))
    assert blocked.verdict.status == "blocked"
    _approve_all(prod, approvers, monkeypatch, blocked.plan.hash)
    monkeypatch.setenv("DATABASE_URL_PROD", db_url)
    emergency = Request("prod", "apply", root=str(prod), emergency=True, reason="incident 42")
    out = reconcile(emergency)
    assert out.plan.hash != blocked.plan.hash and out.exit_code == EXIT_BLOCKED
    assert out.verdict.status == "awaiting-approval" and out.verdict.approvals_received == []
    # approving the emergency plan itself (same flag, same reason) is what lets it through
    _approve_all(prod, approvers, monkeypatch, out.plan.hash, emergency=True, reason="incident 42")
    monkeypatch.setenv("DATABASE_URL_PROD", db_url)
    other_reason = reconcile(replace(emergency, reason="something else"))
    assert other_reason.exit_code == EXIT_BLOCKED and other_reason.verdict.approvals_received == []
    done = reconcile(emergency)
    assert done.exit_code == EXIT_OK and done.verdict.approvals_received == ["alice", "bob"]
