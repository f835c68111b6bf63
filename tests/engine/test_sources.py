"""Approval sources are equals: every configured source counts, for apply and for restore alike."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reconciler.engine import (
    EXIT_OK,
    Request,
    list_approvals,
    reconcile,
    restore,
    restore_hash,
    take_backup,
)
from reconciler.ports import Approval
from tests.conftest import query
from tests.gates.conftest import set_policy
from tests.operator.conftest import API, KubeThread

PROD_APPROVALS = (
    "approvals: {required: 2, approvers: [alice, bob, carol], sources: [database, kubernetes]}"
)


def _annotate(kube: KubeThread, approvals: dict[str, str]) -> None:
    kube.patch(
        f"{API}/forum-prod",
        {
            "metadata": {
                "annotations": {
                    f"approve.reconciler.neonsync.dev/{who}": h for who, h in approvals.items()
                }
            }
        },
    )


@pytest.fixture
def prod_on_kube(project: Path, kube: KubeThread, monkeypatch: pytest.MonkeyPatch) -> KubeThread:
    """prod with pg_dump backups, its approvals read from DatabaseSync default/forum-prod on kmock."""
    set_policy(
        project, "prod", "backup: {provider: neon, keep: 5}", "backup: {provider: pg_dump, keep: 5}"
    )
    set_policy(
        project,
        "prod",
        PROD_APPROVALS,
        PROD_APPROVALS[:-1] + ", kubernetes: {namespace: default, name: forum-prod}}",
    )
    monkeypatch.setenv("RECONCILER_KUBE_URL", kube.url)
    kube.dbsync("forum-prod", "prod")
    return kube


def test_annotation_approvals_count_for_a_restore(
    project: Path, db_url: str, prod_on_kube: KubeThread
) -> None:
    kube = prod_on_kube
    # get prod applied (approved through annotations too), then back it up
    plan = reconcile(Request("prod", root=str(project)))
    _annotate(kube, {"alice": plan.plan.hash, "bob": plan.plan.hash})
    assert reconcile(Request("prod", "apply", root=str(project))).exit_code == EXIT_OK
    backup = take_backup(Request("prod", root=str(project)))
    query(db_url, "UPDATE app_config SET value = '999' WHERE key = 'posts_per_page'")
    wanted = restore_hash("prod", backup.name)
    # one annotation is not enough; a stale one does not count; two listed ones do
    _annotate(kube, {"alice": wanted, "bob": "0" * 64})
    out = restore(Request("prod", root=str(project)), backup.name)
    assert out.status == "awaiting-approval" and out.received == ["alice"]
    assert query(db_url, "SELECT value FROM app_config WHERE key = 'posts_per_page'") == [(999,)]
    _annotate(kube, {"bob": wanted})
    out = restore(Request("prod", root=str(project)), backup.name)
    assert out.status == "restored" and out.received == ["alice", "bob"]
    assert query(db_url, "SELECT value FROM app_config WHERE key = 'posts_per_page'") == [(20,)]
    started = query(
        db_url, "SELECT approvals FROM reconciler.audit_log WHERE action = 'restore.started'"
    )
    assert started == [(["alice", "bob"],)]


class _Fixed:
    """A source answering what it is told (to check that sources are merged, not replaced)."""

    def __init__(self, source: str, approvals: list[Approval]) -> None:
        self.source, self._approvals = source, approvals

    def approvals_for(self, environment: str, plan_hash: str | None = None) -> list[Approval]:
        return [a for a in self._approvals if plan_hash in (None, a.plan_hash)]


def test_an_approver_counts_once_across_sources_and_a_given_source_adds_to_the_others(
    project: Path, db_url: str, approvers: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from reconciler.engine import approve, init

    set_policy(
        project, "prod", "backup: {provider: neon, keep: 5}", "backup: {provider: none, keep: 5}"
    )
    init(Request("prod", root=str(project)), grant_approvers=True)
    h = reconcile(Request("prod", root=str(project))).plan.hash
    monkeypatch.setenv("DATABASE_URL_PROD", approvers["alice"])
    approve(Request("prod", root=str(project)), h)  # alice in the database
    monkeypatch.setenv("DATABASE_URL_PROD", db_url)
    kube = _Fixed("kubernetes", [Approval("alice", h, "kubernetes")])  # alice again
    out = reconcile(Request("prod", root=str(project)), approval_sources={"kubernetes": kube})
    assert out.verdict.approvals_received == ["alice"] and out.verdict.status == "awaiting-approval"
    kube = _Fixed(
        "kubernetes", [Approval("alice", h, "kubernetes"), Approval("bob", h, "kubernetes")]
    )
    out = reconcile(
        Request("prod", "apply", root=str(project)), approval_sources={"kubernetes": kube}
    )
    assert out.exit_code == EXIT_OK and out.verdict.approvals_received == ["alice", "bob"]
    listing = list_approvals(
        Request("prod", root=str(project)), approval_sources={"kubernetes": kube}
    )
    assert {(a.approver, a.source) for a in listing.approvals} == {
        ("alice", "database"),
        ("alice", "kubernetes"),
        ("bob", "kubernetes"),
    }


def test_a_source_that_cannot_be_read_counts_nothing_and_says_why(
    project: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_policy(
        project,
        "prod",
        PROD_APPROVALS,
        PROD_APPROVALS[:-1] + ", kubernetes: {namespace: default, name: forum-prod}}",
    )
    monkeypatch.setenv("RECONCILER_KUBE_URL", "http://127.0.0.1:9")  # nothing listens there
    out: Any = reconcile(Request("prod", root=str(project)))
    assert out.verdict.status == "awaiting-approval" and out.verdict.approvals_received == []
    assert any(
        d.code == "approval-source" and "forum-prod" in d.message for d in out.verdict.warnings
    )
