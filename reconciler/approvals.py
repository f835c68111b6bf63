"""Approval sources (I/O edge): every source answers ``approvals_for(environment, plan_hash)``.

- :class:`DatabaseApprovals`: rows of ``reconciler.approvals``, recorded as the approver's
  own database login (the identity is PostgreSQL's authentication).
- :class:`AnnotationApprovals`: ``approve.reconciler.neonsync.dev/<approver>: <hash>``
  annotations of a DatabaseSync already in hand (the operator passes its object's).
- :class:`KubernetesApprovals`: the same annotations, read from the API server (for the
  CLI: approve, approvals, apply and restore count them like the operator does).

None takes a connection argument: the engine builds each source for one Session. Who counts
is decided by the pure policy check (:func:`reconciler.policy.count_approvals`): listed
approvers, once each whatever the number of sources, naming exactly the current hash.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from reconciler.errors import ReconcilerError
from reconciler.kube import APPROVAL_PREFIX
from reconciler.ports import Approval

if TYPE_CHECKING:
    import psycopg

__all__ = [
    "AnnotationApprovals",
    "DatabaseApprovals",
    "GitHubApprovals",
    "KubernetesApprovals",
    "annotation_approvals",
    "record_approval",
    "refuse_approval",
    "session_login",
]


class DatabaseApprovals:
    """Approvals stored in ``reconciler.approvals`` of the environment's database."""

    source = "database"

    def __init__(self, connection: Callable[[], psycopg.Connection[Any]]) -> None:
        self._connection = connection

    def approvals_for(self, environment: str, plan_hash: str | None = None) -> list[Approval]:
        conn = self._connection()
        row = conn.execute("SELECT to_regclass('reconciler.approvals') IS NOT NULL").fetchone()
        if not (row and row[0]):
            return []
        sql = "SELECT approved_by, plan_hash, at FROM reconciler.approvals WHERE environment = %s"
        args: tuple[str, ...] = (environment,)
        if plan_hash is not None:
            sql += " AND plan_hash = %s"
            args = (environment, plan_hash)
        rows = conn.execute(sql + " ORDER BY at", args).fetchall()
        return [Approval(str(by), str(h), self.source, at.isoformat()) for by, h, at in rows]


def record_approval(
    conn: psycopg.Connection[Any],
    environment: str,
    plan_hash: str,
    actor: str,
    restore: str | None = None,
) -> str:
    """Record an approval as the connected login, with its audit event and outbox row, through
    the SECURITY DEFINER function ``reconciler.approve``; return the login the database recorded."""
    import psycopg

    try:
        with conn.transaction():
            row = conn.execute(
                "SELECT reconciler.approve(%s, %s, %s, %s)",
                (environment, plan_hash, actor, restore),
            ).fetchone()
    except (
        psycopg.errors.UndefinedTable,
        psycopg.errors.UndefinedFunction,
        psycopg.errors.InvalidSchemaName,
    ):
        raise ReconcilerError(
            "the reconciler's bookkeeping schema does not exist in this database yet",
            hint=f"the database owner runs `reconcile init --env {environment} --grant-approvers` first",
            code="not-initialised",
        ) from None
    except psycopg.errors.InsufficientPrivilege:
        raise ReconcilerError(
            "this database login may not record approvals",
            hint=f"the owner runs `reconcile init --env {environment} --grant-approvers` "
            "(approvers need EXECUTE on reconciler.approve and read access to compute the plan)",
            code="approval-privilege",
        ) from None
    assert row is not None
    return str(row[0])


def refuse_approval(
    conn: psycopg.Connection[Any], environment: str, plan_hash: str, actor: str, reason: str
) -> bool:
    """Put a refused approval in the audit trail (``approval.refused``); False when the trail is
    not set up or this login may not write it (the refusal itself still stands)."""
    import psycopg

    try:
        with conn.transaction():
            conn.execute(
                "SELECT reconciler.refuse_approval(%s, %s, %s, %s)",
                (environment, plan_hash, actor, reason),
            )
    except psycopg.Error:
        return False
    return True


def session_login(conn: psycopg.Connection[Any]) -> str:
    row = conn.execute("SELECT session_user").fetchone()
    return str(row[0]) if row else ""


def annotation_approvals(annotations: Mapping[str, str] | None) -> dict[str, str]:
    """``{approver: hash}`` from a DatabaseSync's approval annotations."""
    return {
        k[len(APPROVAL_PREFIX) :]: v.strip()
        for k, v in (annotations or {}).items()
        if k.startswith(APPROVAL_PREFIX)
    }


class AnnotationApprovals:
    """The approval annotations of one DatabaseSync object already read."""

    source = "kubernetes"

    def __init__(self, annotations: Mapping[str, str] | None) -> None:
        self.found = annotation_approvals(annotations)

    def approvals_for(self, environment: str, plan_hash: str | None = None) -> list[Approval]:
        return [
            Approval(who, h, self.source)
            for who, h in sorted(self.found.items())
            if plan_hash is None or h == plan_hash
        ]


class GitHubApprovals:
    """The approving reviews of a GitHub Actions run's deployment, for the plan that run reviewed.

    Reviewers approve a deployment, not a hash: their approval counts for the plan hash the
    run computed before they approved (``reviewed_hash``, which the deploy job passes with
    ``--expect-plan``), and apply refuses if the plan is no longer that one. GitHub logins are
    mapped to approver names through ``policy.approvals.github.logins``; an unmapped login
    does not count.
    """

    source = "github"

    def __init__(
        self,
        client: Any,
        run_id: int,
        reviewed_hash: str,
        environment: str,
        logins: Mapping[str, str],
    ) -> None:
        self.client, self.run_id, self.reviewed_hash = client, run_id, reviewed_hash
        self.environment, self.logins = environment, dict(logins)

    def approvals_for(self, environment: str, plan_hash: str | None = None) -> list[Approval]:
        out = []
        for review in self.client.run_approvals(self.run_id):
            envs = {e.get("name") for e in review.get("environments") or []}
            login = str((review.get("user") or {}).get("login") or "")
            if review.get("state") != "approved" or self.environment not in envs:
                continue
            who = self.logins.get(login)
            if who is None:
                continue
            if plan_hash is None or plan_hash == self.reviewed_hash:
                out.append(Approval(who, self.reviewed_hash, self.source))
        return out


class KubernetesApprovals:
    """The approval annotations of the DatabaseSync ``namespace/name``, read from the API server."""

    source = "kubernetes"

    def __init__(self, namespace: str, name: str) -> None:
        self.namespace, self.name = namespace, name

    def approvals_for(self, environment: str, plan_hash: str | None = None) -> list[Approval]:
        from reconciler.kube import database_sync, sync_client

        try:
            from lightkube import ApiError, ConfigError

            client = sync_client()
            try:
                obj = client.get(database_sync(), self.name, namespace=self.namespace)
            finally:
                client.close()
        except Exception as e:  # ApiError, ConfigError, httpx errors: say which, never crash a plan
            what = type(e).__name__
            if isinstance(e, ApiError):
                what = f"HTTP {e.status.code}: {e.status.message}"
            elif isinstance(e, ConfigError):
                what = f"no Kubernetes configuration ({e})"
            raise ReconcilerError(
                f"cannot read the approvals of DatabaseSync {self.namespace}/{self.name}: {what}",
                code="approval-source",
                hint="check policy.approvals.kubernetes and the Kubernetes credentials "
                "(in-cluster service account, RECONCILER_KUBE_URL or kubeconfig)",
            ) from None
        annotations = dict((obj.metadata.annotations if obj.metadata else None) or {})
        return AnnotationApprovals(annotations).approvals_for(environment, plan_hash)
