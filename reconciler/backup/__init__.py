"""Backups before production changes: Neon branches (httpx) or pg_dump files, with retention and restore."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reconciler.manifest import Desired
    from reconciler.ports import BackupProvider

__all__ = ["backup_name", "make_provider", "prefix"]


def prefix(environment: str) -> str:
    return f"reconciler/backup/{environment}/"


def backup_name(environment: str, plan_hash: str, now: datetime | None = None) -> str:
    """``reconciler/backup/<env>/<utc>-<plan8>``: sortable by time, tied to the plan it preceded."""
    t = now or datetime.now(UTC)
    stamp = t.strftime("%Y%m%dT%H%M%S") + f".{t.microsecond // 1000:03d}Z"
    return f"{prefix(environment)}{stamp}-{plan_hash[:8]}"


def make_provider(
    desired: Desired, state_folder: str, api_key: str | None = None
) -> BackupProvider:
    """The provider the environment's policy names, configured from its manifest and variables."""
    import os

    from reconciler.errors import ReconcilerError

    env = desired.env
    policy = env.policy.backup
    if policy.provider == "pg_dump":
        from pathlib import Path

        from reconciler.backup.pgdump import PgDumpBackupProvider

        base = os.path.dirname(desired.env_file)
        folder = (
            Path(os.path.join(base, policy.dir)) if policy.dir else Path(state_folder) / "backups"
        )
        return PgDumpBackupProvider(folder)
    if policy.provider == "neon":
        from reconciler.backup.neon import NeonBackupProvider, NeonClient

        if env.neon is None:
            raise ReconcilerError(
                "policy.backup.provider is neon but the environment has no neon: section",
                location=desired.locations.get("policy"),
                code="backup-gate",
                hint="add neon: {project_id: ..., branch: main, api_key_from_env: NEON_API_KEY}",
            )
        key = api_key or os.environ.get(env.neon.api_key_from_env)
        if not key:
            raise ReconcilerError(
                f"{env.neon.api_key_from_env} is not set: cannot take the Neon backup",
                code="backup-gate",
                hint="export the Neon API key in that variable",
            )
        client = NeonClient(env.neon.api_url, key, env.neon.project_id)
        return NeonBackupProvider(client, env.neon.branch, operation_timeout=policy.timeout / 1000)
    raise ReconcilerError(f"no backup provider {policy.provider!r}", code="backup-gate")
