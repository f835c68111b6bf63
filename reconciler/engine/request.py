"""What a front door asks the engine for: the frozen :class:`Request`, exit codes, the actor."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from reconciler.manifest import Files

__all__ = [
    "EXIT_BLOCKED",
    "EXIT_CHANGES",
    "EXIT_CHECKS",
    "EXIT_ERROR",
    "EXIT_OK",
    "EXIT_USAGE",
    "Request",
    "default_actor",
    "replace_mode",
]

EXIT_OK, EXIT_ERROR, EXIT_CHANGES, EXIT_BLOCKED = 0, 1, 2, 3
EXIT_CHECKS = 4  # applied (or nothing to apply), but a post-migration check failed
EXIT_USAGE = 64  # EX_USAGE (sysexits.h): the command line itself is wrong


@dataclass(frozen=True)
class Request:
    """One operation on one environment. Frozen: derive variants with ``dataclasses.replace``."""

    env: str
    mode: Literal["plan", "apply"] = "plan"
    root: str = "."
    actor: str | None = None  # who is recorded as acting; default user@host
    files: Files | None = None  # manifests from memory (the operator's ConfigMap) instead of disk
    emergency: bool = False
    reason: str | None = None  # required with emergency; recorded in the audit trail
    # overrides for the front doors that do not read environment variables
    connect_attempts: int | None = (
        None  # instead of database.connect_attempts (watch retries itself)
    )
    database_url: str | None = None  # instead of database.url_from_env (the operator reads Secrets)
    neon_api_key: str | None = None  # instead of neon.api_key_from_env
    scope: Literal["all", "migrations", "config", "forums"] = "all"  # --only: part of the hash
    expect_plan: str | None = None  # apply only if the plan hash is still this one
    # the original's deploy types: schema_safe | config_only | data_migration | hotfix
    migration_type: Literal["schema_safe", "config_only", "data_migration", "hotfix"] | None = None


def default_actor() -> str:
    explicit = os.environ.get("RECONCILER_ACTOR")
    if explicit:
        return explicit
    import getpass  # here: only a run that records an actor pays for these
    import socket

    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


def replace_mode(request: Request, mode: Literal["plan", "apply"]) -> Request:
    """The same request in another mode (every other field kept)."""
    from dataclasses import replace

    return replace(request, mode=mode)
