"""The small interfaces the engine works through, so each edge can be swapped and tested.

They live at the bottom of the layering (no I/O here) so that both the engine, which
defines what it needs, and the I/O edges, which provide it, can import them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

__all__ = ["Approval", "ApprovalSource", "BackupInfo", "BackupProvider", "Target"]


@dataclass(frozen=True)
class Approval:
    """One approver's approval of one plan (or restore) hash, from one source."""

    approver: str
    plan_hash: str
    source: str  # database | kubernetes | ...
    at: str | None = None


class Target(Protocol):
    """Where the database is (see reconciler.db.connect.DatabaseTarget)."""

    @property
    def url(self) -> str: ...

    @property
    def redacted(self) -> str: ...


@dataclass(frozen=True)
class BackupInfo:
    id: str  # Neon branch id, or dump file path
    name: str  # reconciler/backup/<env>/<utc>-<plan8>
    created_at: str
    provider: str
    ours: bool = True
    has_children: bool = False


class BackupProvider(Protocol):
    """Takes, lists, prunes and restores the backups of one environment."""

    name: str

    def backup(self, environment: str, plan_hash: str, target: Target) -> BackupInfo: ...

    def backups(self, environment: str) -> list[BackupInfo]: ...

    def prune(self, environment: str, keep: int) -> list[str]:
        """Delete our own backups beyond the newest ``keep``; return what was deleted."""
        ...

    def restore(self, environment: str, backup_id: str, target: Target) -> str:
        """Put the backup back in place; return a reference to the preserved previous state."""
        ...


class ApprovalSource(Protocol):
    """Where approvals come from (database logins, Kubernetes annotations, GitHub reviews).

    A source is built for one operation with whatever it needs (a connection, a client), so
    every operation asks every source the same question the same way.
    """

    source: str

    def approvals_for(self, environment: str, plan_hash: str | None = None) -> list[Approval]:
        """Approvals recorded for the environment: of ``plan_hash`` only, or all when None."""
        ...
