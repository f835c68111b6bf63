"""Approval sources (I/O). The database source records an approval as the approver's own login.

``reconciler.approvals.approved_by`` is forced to ``session_user`` by a trigger, so nobody
can approve in someone else's name; who counts is decided by the pure policy check
(:func:`reconciler.policy.count_approvals`). The Kubernetes source (annotations on a
DatabaseSync) lives with the operator.
"""

from __future__ import annotations

import psycopg

from reconciler.errors import ReconcilerError
from reconciler.ports import Approval

__all__ = ["DatabaseApprovals", "record_approval"]


class DatabaseApprovals:
    """Approvals stored in ``reconciler.approvals`` of the environment's database."""

    source = "database"

    def approvals(self, conn: psycopg.Connection, environment: str) -> list[Approval]:
        row = conn.execute("SELECT to_regclass('reconciler.approvals') IS NOT NULL").fetchone()
        if not (row and row[0]):
            return []
        rows = conn.execute(
            "SELECT approved_by, plan_hash, at FROM reconciler.approvals WHERE environment = %s ORDER BY at",
            (environment,),
        ).fetchall()
        return [Approval(str(by), str(h), self.source, at.isoformat()) for by, h, at in rows]


def record_approval(conn: psycopg.Connection, environment: str, plan_hash: str) -> str:
    """Insert an approval as the connected login; return that login (as the database recorded it)."""
    try:
        with conn.transaction():
            row = conn.execute(
                "INSERT INTO reconciler.approvals (environment, plan_hash) VALUES (%s, %s) "
                "ON CONFLICT (environment, plan_hash, approved_by) DO UPDATE SET at = now() "
                "RETURNING approved_by",
                (environment, plan_hash),
            ).fetchone()
    except psycopg.errors.UndefinedTable:
        raise ReconcilerError(
            "the reconciler's bookkeeping schema does not exist in this database yet",
            hint=f"the database owner runs `reconcile init --env {environment} --grant-approvers` first",
            code="not-initialised",
        ) from None
    except psycopg.errors.InsufficientPrivilege:
        raise ReconcilerError(
            "this database login may not record approvals",
            hint=f"the owner runs `reconcile init --env {environment} --grant-approvers` "
            "(approvers need USAGE on schema reconciler and INSERT, SELECT, UPDATE on reconciler.approvals)",
            code="approval-privilege",
        ) from None
    assert row is not None
    return str(row[0])
