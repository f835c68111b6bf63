"""Approvals bound to the exact plan, recorded as the approver's own database login."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from reconciler.engine import (
    EXIT_BLOCKED,
    EXIT_OK,
    Request,
    approve,
    init,
    list_approvals,
    reconcile,
)
from reconciler.errors import ReconcilerError
from tests.conftest import query, run_cli
from tests.gates.conftest import set_policy


@pytest.fixture
def prod(project: Path, approvers: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Path:
    """prod without a backup provider, so only the approval gate is exercised here."""
    set_policy(project, "prod", "backup: {provider: neon, keep: 5}", "backup: {provider: none}")
    notes = init(Request("prod", root=str(project)), grant_approvers=True)
    assert "approver alice: may compute plans and approve (no write access to the trail)" in notes
    assert "approver carol: may compute plans and approve (no write access to the trail)" in notes
    return project


def as_user(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("DATABASE_URL_PROD", url)


def plan_hash(project: Path) -> str:
    return reconcile(Request("prod", root=str(project))).plan.hash


def test_two_listed_approvers_for_the_current_hash_unblock_apply(
    prod: Path, approvers: dict[str, str], db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = plan_hash(prod)
    out = reconcile(Request("prod", "apply", root=str(prod)))
    assert out.exit_code == EXIT_BLOCKED and out.verdict.status == "awaiting-approval"
    assert query(db_url, "SELECT to_regclass('app_config')") == [(None,)]

    as_user(monkeypatch, approvers["alice"])
    first = approve(Request("prod", root=str(prod)), h)
    assert (first.approved_by, first.counted, first.received, first.required) == (
        "alice",
        True,
        ["alice"],
        2,
    )
    again = approve(Request("prod", root=str(prod)), h)  # the same login twice counts once
    assert again.received == ["alice"]
    as_user(monkeypatch, approvers["mallory"])  # a login init did not grant cannot even look
    with pytest.raises(ReconcilerError, match="permission denied"):
        approve(Request("prod", root=str(prod)), h)
    for grant in (
        "USAGE ON SCHEMA reconciler",
        "SELECT ON reconciler.schema_migrations, reconciler.approvals",
        "EXECUTE ON FUNCTION reconciler.approve(text, text, text, text)",
        "EXECUTE ON FUNCTION reconciler.refuse_approval(text, text, text, text)",
    ):
        query(db_url, f"GRANT {grant} TO mallory")
    # mis-granted but not listed: refused, and the refusal is in the trail
    with pytest.raises(ReconcilerError, match="'mallory' is not on prod's approver list"):
        approve(Request("prod", root=str(prod)), h)
    assert query(
        db_url,
        "SELECT db_user, reason FROM reconciler.audit_log WHERE action = 'approval.refused'",
    ) == [("mallory", "mallory is not a listed approver")]

    as_user(monkeypatch, db_url)
    assert reconcile(Request("prod", "apply", root=str(prod))).exit_code == EXIT_BLOCKED
    as_user(monkeypatch, approvers["bob"])
    assert approve(Request("prod", root=str(prod)), h).received == ["alice", "bob"]

    as_user(monkeypatch, db_url)
    done = reconcile(Request("prod", "apply", root=str(prod)))
    assert (
        done.exit_code == EXIT_OK and done.applied is not None and len(done.applied.migrations) == 6
    )
    rows = query(
        db_url,
        "SELECT action, approvals, plan_hash FROM reconciler.audit_log "
        "WHERE action LIKE 'apply.%' ORDER BY id",
    )
    # the two tries before enough approvals were refused, each in the trail with its reason
    assert [r[0] for r in rows[:2]] == ["apply.refused", "apply.refused"]
    assert rows[2:] == [
        ("apply.started", ["alice", "bob"], h),
        ("apply.succeeded", ["alice", "bob"], h),
    ]


def test_approvals_for_another_hash_do_not_count(
    prod: Path, approvers: dict[str, str], db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = plan_hash(prod)
    for who in ("alice", "bob"):
        as_user(monkeypatch, approvers[who])
        approve(Request("prod", root=str(prod)), h)
    # the desired state changes after the approvals: a new plan, a new hash
    cfg = prod / "manifests/config/forum.yaml"
    cfg.write_text(cfg.read_text().replace("value: 20", "value: 25"))
    as_user(monkeypatch, db_url)
    out = reconcile(Request("prod", "apply", root=str(prod)))
    assert (
        out.plan.hash != h
        and out.exit_code == EXIT_BLOCKED
        and out.verdict.approvals_received == []
    )
    listing = list_approvals(Request("prod", root=str(prod)))
    assert listing.plan_hash == out.plan.hash and listing.counted == [] and listing.required == 2
    assert {(a.approver, a.plan_hash) for a in listing.approvals} == {("alice", h), ("bob", h)}
    # approving a stale hash is refused outright
    as_user(monkeypatch, approvers["carol"])
    with pytest.raises(ReconcilerError, match="is not the current plan hash"):
        approve(Request("prod", root=str(prod)), h)


def test_nobody_can_approve_in_someone_elses_name(
    prod: Path, approvers: dict[str, str], db_url: str
) -> None:
    h = plan_hash(prod)
    # even a login an owner mis-granted INSERT and UPDATE: the row is its own, and never moves
    query(db_url, "GRANT USAGE ON SCHEMA reconciler TO mallory")
    query(db_url, "GRANT SELECT, INSERT, UPDATE ON reconciler.approvals TO mallory")
    with psycopg.connect(approvers["mallory"], autocommit=True) as c:
        c.execute(
            "INSERT INTO reconciler.approvals (environment, plan_hash, approved_by) VALUES ('prod', %s, 'alice')",
            (h,),
        )
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="insert-only"):
            c.execute(
                "UPDATE reconciler.approvals SET approved_by = 'bob' WHERE plan_hash = %s", (h,)
            )
    assert query(db_url, "SELECT approved_by FROM reconciler.approvals") == [("mallory",)]


def test_approval_needs_grants_and_schema(
    project: Path, approvers: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    set_policy(project, "prod", "backup: {provider: neon, keep: 5}", "backup: {provider: none}")
    h = plan_hash(project)
    as_user(monkeypatch, approvers["alice"])
    with pytest.raises(ReconcilerError, match="bookkeeping schema does not exist") as e:
        approve(Request("prod", root=str(project)), h)
    assert "reconcile init --env prod --grant-approvers" in (e.value.hint or "")


def test_cli_approve_and_approvals(prod: Path, approvers: dict[str, str]) -> None:
    h = plan_hash(prod)
    r = run_cli(
        prod, "approve", "--env", "prod", "--plan", h, env={"DATABASE_URL_PROD": approvers["carol"]}
    )
    assert r.returncode == 0, r.stderr
    assert f"approved {h[:12]} as carol" in r.stdout and "approvals: 1/2 (carol)" in r.stdout
    r = run_cli(prod, "approvals", "--env", "prod")
    assert r.returncode == 0 and "1/2 approvals (carol)" in r.stdout and "counts" in r.stdout
    r = run_cli(
        prod,
        "approve",
        "--env",
        "prod",
        "--plan",
        "0" * 64,
        env={"DATABASE_URL_PROD": approvers["carol"]},
    )
    assert r.returncode == 1 and "error[stale-plan]" in r.stderr
