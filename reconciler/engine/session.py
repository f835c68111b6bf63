"""The Session: everything one engine operation shares, opened lazily and closed once.

One request, one loaded :class:`~reconciler.manifest.Desired`, one database connection
(opened on first use and reused by every step: plan, approvals, gates, apply, audit,
delivery), the environment's advisory lock, its approval sources and its backup provider.
Operations take a Session; the public functions in this package open one per call.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from functools import cached_property
from types import TracebackType
from typing import TYPE_CHECKING, Any

from reconciler.embedded import state_dir
from reconciler.engine.events import emit
from reconciler.engine.request import Request, default_actor
from reconciler.files import LocalFiles
from reconciler.loadcache import load_cached
from reconciler.ports import ApprovalSource, BackupProvider

if TYPE_CHECKING:
    import psycopg

    from reconciler.db.connect import DatabaseTarget
    from reconciler.db.lock import EnvironmentLock
    from reconciler.manifest import Desired
    from reconciler.manifest.models import EnvironmentSpec

__all__ = ["Session", "load"]


def load(request: Request, *, trusted_only: bool = False) -> Desired:
    """The environment's desired state: from the cache while no input file changed, or (for
    the gates, ``trusted_only``) read and checked afresh from the files themselves."""
    from reconciler.manifest import load_environment, resolve_env_file

    env_file = resolve_env_file(request.env, request.root)
    if request.files is not None:
        return load_environment(env_file, request.files, request.root)
    if trusted_only:
        return load_environment(env_file, LocalFiles(), request.root)
    return load_cached(
        env_file,
        LocalFiles(),
        state_dir() / "cache",
        lambda msg: emit(request.env, "cache", msg, logging.WARNING),
        request.root,
    )


def _embedded(environment: str) -> str:
    from reconciler.embedded import embedded_url

    return embedded_url(environment)


class Session:
    """One operation's shared state. Use as a context manager, or call :meth:`close`."""

    def __init__(
        self,
        request: Request,
        *,
        purpose: str | None = None,
        approval_sources: Mapping[str, ApprovalSource] | None = None,
        backup_providers: Mapping[str, BackupProvider] | None = None,
        desired: Desired | None = None,
    ) -> None:
        self.request = request
        self.purpose = purpose or request.mode
        self.actor = request.actor or default_actor()
        self._given_sources = dict(approval_sources or {})
        self._given_providers = dict(backup_providers or {})
        self._conn: psycopg.Connection[Any] | None = None
        self._lock: EnvironmentLock | None = None
        if desired is not None:
            self.__dict__["desired"] = desired
        self.notes: list[str] = []  # things the caller should tell the user (unavailable sources)
        self.environment_noted = False  # reconciler.environments is up to date for this env

    # -- what is declared ------------------------------------------------------------------
    @property
    def gated(self) -> bool:
        """An operation that changes something or records a decision: no cache is trusted."""
        return self.request.mode == "apply" or self.purpose in ("approve", "restore")

    @cached_property
    def desired(self) -> Desired:
        return load(self.request, trusted_only=self.gated)

    @property
    def env(self) -> EnvironmentSpec:
        return self.desired.env

    @cached_property
    def target(self) -> DatabaseTarget:
        from reconciler.db.connect import resolve_target

        return resolve_target(
            self.env.database, self.env.name, _embedded, self.request.database_url
        )

    # -- the database ----------------------------------------------------------------------
    @property
    def connected(self) -> bool:
        return self._conn is not None and not self._conn.closed

    @property
    def connection(self) -> psycopg.Connection[Any]:
        """The session's connection, opened on first use (bounded retries, redacted errors)."""
        if self._conn is None or self._conn.closed:
            from reconciler.db.connect import connect

            spec = self.env.database
            if self.request.connect_attempts is not None:
                spec = spec.model_copy(update={"connect_attempts": self.request.connect_attempts})
            self._conn = connect(
                self.target,
                spec,
                application_name=f"neon-reconciler {self.env.name} {self.purpose} by "
                f"{self.actor} pid {os.getpid()}",
            )
        return self._conn

    @property
    def lock(self) -> EnvironmentLock:
        """The environment's advisory lock on this session's connection (not yet acquired)."""
        if self._lock is None or self._lock.conn is not self.connection:
            from reconciler.db.lock import EnvironmentLock

            self._lock = EnvironmentLock(
                self.connection, self.env.name, self.env.policy.advisory_lock_wait
            )
        return self._lock

    def release_lock(self) -> None:
        """Let the environment's lock go if this session holds it. Never connects: after the
        connection was lost, the lock went with it, and opening a new one to release nothing
        would only replace the error being reported with a failure to connect."""
        if self._lock is not None:
            self._lock.release()

    def reconnect(self) -> None:
        """Drop the connection (a restore replaced the database under it); the next use reopens."""
        if self._conn is not None and not self._conn.closed:
            self._conn.close()
        self._conn = None
        self._lock = None

    def close(self) -> None:
        if self._lock is not None:
            self._lock.release()
        if self._conn is not None and not self._conn.closed:
            self._conn.close()
        self._conn = None

    def __enter__(self) -> Session:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- the edges the policy names ----------------------------------------------------------
    def approval_sources(self) -> list[ApprovalSource]:
        """Every source ``policy.approvals.sources`` lists, configured for this environment.

        A door may supply a source itself (the operator hands in the annotations of the
        DatabaseSync it runs for); otherwise it is built from the environment file. A listed
        source that cannot be used from here contributes nothing, with a note saying why.
        """
        from reconciler.approvals import DatabaseApprovals, KubernetesApprovals

        policy = self.env.policy.approvals
        out: list[ApprovalSource] = []
        for name in policy.sources:
            if name in self._given_sources:
                out.append(self._given_sources[name])
            elif name == "database":
                out.append(DatabaseApprovals(lambda: self.connection))
            elif name == "kubernetes" and policy.kubernetes is not None:
                out.append(KubernetesApprovals(policy.kubernetes.namespace, policy.kubernetes.name))
            elif name == "github" and (github := self._github_run()) is not None:
                out.append(github)
            else:
                self.notes.append(
                    f"approval source {name} is not available here: "
                    + (
                        "set policy.approvals.kubernetes {namespace, name} to read the "
                        "DatabaseSync's annotations outside the operator"
                        if name == "kubernetes"
                        else "it is read only inside a GitHub Actions run (GITHUB_RUN_ID, "
                        "GITHUB_REPOSITORY, GITHUB_TOKEN), for the plan the run reviewed "
                        "(--expect-plan)"
                    )
                )
        return out

    def _github_run(self) -> ApprovalSource | None:
        """The GitHub source, when this runs in an Actions run that reviewed a plan."""
        if "_github" in self.__dict__:
            cached: ApprovalSource | None = self.__dict__["_github"]
            return cached
        from reconciler.approvals import GitHubApprovals

        run_id = os.environ.get("GITHUB_RUN_ID", "")
        repo = os.environ.get("GITHUB_REPOSITORY", "")
        token = os.environ.get("GITHUB_TOKEN", "")
        source: ApprovalSource | None = None
        if run_id.isdigit() and repo and token and self.request.expect_plan:
            from reconciler.github import GitHub

            spec = self.env.policy.approvals.github
            client = GitHub(os.environ.get("GITHUB_API_URL", "https://api.github.com"), token, repo)
            source = GitHubApprovals(
                client, int(run_id), self.request.expect_plan, spec.environment, spec.logins
            )
        self.__dict__["_github"] = source
        return source

    def backup_provider(self) -> BackupProvider:
        from reconciler.backup import make_provider

        name = self.env.policy.backup.provider
        if name in self._given_providers:
            return self._given_providers[name]
        return make_provider(self.desired, str(state_dir()), self.request.neon_api_key)
