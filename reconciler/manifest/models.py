"""The desired-state file formats as pydantic models: environment, config category, forum map.

Unknown keys are errors (``extra="forbid"``). Durations are written ``500ms``, ``2s``,
``10min`` or ``1h`` and held in milliseconds. Credentials appear only by reference
(``*_from_env``), never literally.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
)

__all__ = [
    "ApprovalsPolicy",
    "AuditSpec",
    "BackupPolicy",
    "CheckSpec",
    "ConfigEntrySpec",
    "ConfigFileSpec",
    "ConfigSpec",
    "DatabaseSpec",
    "Duration",
    "EnvironmentSpec",
    "ForumMapSpec",
    "ForumNodeSpec",
    "MigrationsSpec",
    "NeonSpec",
    "Policy",
    "WatchSpec",
    "parse_duration",
]

_DURATION = re.compile(r"^\s*(\d+)\s*(ms|s|min|m|h)\s*$")
_UNIT_MS = {"ms": 1, "s": 1000, "min": 60_000, "m": 60_000, "h": 3_600_000}
IDENT = r"^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$"
ENV_VAR = r"^[A-Za-z_][A-Za-z0-9_]*$"
SLUG = r"^[a-z0-9][a-z0-9-]*$"


def parse_duration(v: Any) -> int:
    """``"2s"`` -> 2000. Integers are taken as milliseconds."""
    if isinstance(v, bool):
        raise ValueError("a duration is a number with a unit, like 2s or 10min")
    if isinstance(v, int):
        return v
    if isinstance(v, str):
        m = _DURATION.match(v)
        if m:
            return int(m.group(1)) * _UNIT_MS[m.group(2)]
    raise ValueError(f"{v!r} is not a duration; write it like 500ms, 2s, 10min or 1h")


Duration = Annotated[int, BeforeValidator(parse_duration)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatabaseSpec(_Model):
    """Where the database is. Credentials only through an environment variable."""

    url_from_env: str | None = Field(None, pattern=ENV_VAR, description="variable holding the URL")
    embedded: bool = Field(
        False, description="use the embedded Postgres when the variable is unset"
    )
    connect_timeout: Duration = Field(5000, description="per connection attempt (ms)")
    connect_attempts: int = Field(6, ge=1, le=50, description="attempts before giving up")
    application_name: str = "neon-reconciler"


class MigrationsSpec(_Model):
    dir: str = Field(description="folder of NNNN_name[_safe].sql files, relative to this file")
    target: str | int = Field(
        "latest", description='apply up to this version (0042 or 0042_name); "latest" for all'
    )
    placeholders: dict[str, str | int | float | bool] | None = Field(
        None,
        description="Flyway's ${name} placeholders, replaced in every migration before it is "
        "checked, checksummed and run; present (even {}) turns replacement on",
    )
    placeholder_prefix: str = Field("${", min_length=1, description="what opens a placeholder")
    placeholder_suffix: str = Field(
        "}",
        description="what closes a placeholder; empty: psql's variables, a name after the "
        "prefix (with prefix ':': :name, :'name' as a string, :\"name\" as an identifier, as "
        "psql -v and graphile-migrate put them in)",
    )
    checked_from: str | int | None = Field(
        None,
        description="`validate --env` holds the files from this version on to the policy; "
        "those before it are history (applied everywhere, never edited again) and are checked "
        "only for what would break the apply itself; a plan checks every pending file",
    )


class ConfigSpec(_Model):
    files: list[str] = Field(default_factory=list, description="globs of category files")
    overrides: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="{category: {key: value}} replacing file values"
    )
    table: str = Field("app_config", pattern=IDENT)


class KubernetesRef(_Model):
    """The DatabaseSync whose approval annotations count for this environment."""

    namespace: str = Field(pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
    name: str = Field(pattern=r"^[a-z0-9]([-.a-z0-9]*[a-z0-9])?$")


ApprovalSourceName = Literal["database", "kubernetes", "github"]


class GitHubApprovalsSpec(_Model):
    """Who approves in a GitHub Actions run: the reviewers of its deployment environment."""

    environment: str = Field(
        "production", description="the GitHub environment whose required reviewers approve"
    )
    logins: dict[str, str] = Field(
        default_factory=dict,
        description="{github-login: approver name on policy.approvals.approvers}",
    )


class ApprovalsPolicy(_Model):
    required: int = Field(0, ge=0, description="distinct listed approvers needed per plan hash")
    approvers: list[str] = Field(default_factory=list)
    sources: list[ApprovalSourceName] = Field(
        default_factory=lambda: list[ApprovalSourceName](["database"]),
        min_length=1,
        description="where approvals are read; an approver counts once across them",
    )
    kubernetes: KubernetesRef | None = Field(
        None,
        description="the DatabaseSync whose annotations the CLI reads (the operator knows its own)",
    )
    github: GitHubApprovalsSpec = Field(default_factory=GitHubApprovalsSpec)


class BackupPolicy(_Model):
    provider: Literal["neon", "pg_dump", "none"] = "none"
    keep: int = Field(5, ge=1, description="newest backups of ours kept; older ones are deleted")
    dir: str | None = Field(
        None, description="pg_dump: folder for dumps (default .reconciler/backups)"
    )
    timeout: Duration = Field(600_000, description="neon: wait for branch operations (ms)")


class Policy(_Model):
    """How careful this environment is. Defaults are permissive (dev); prod sets strict."""

    strict: bool = Field(False, description="allow-list SQL, fail closed on anything unknown")
    require_safe_suffix: bool = False
    require_rollback_section: bool = False
    rules: dict[str, Literal["error", "warning", "off"]] = Field(default_factory=dict)
    approvals: ApprovalsPolicy = Field(default_factory=ApprovalsPolicy)
    backup: BackupPolicy = Field(default_factory=BackupPolicy)
    lock_timeout: Duration = Field(2000, description="SET LOCAL lock_timeout per migration (ms)")
    statement_timeout: Duration = Field(600_000, description="SET LOCAL statement_timeout (ms)")
    lock_retries: int = Field(
        5, ge=0, le=100, description="retries after a lock timeout or a deadlock"
    )
    advisory_lock_wait: Duration = Field(10_000, description="wait for another reconciler (ms)")
    auto_apply: bool = False
    prune_config: bool = False
    schema_drift: Literal["error", "warning", "off"] | None = Field(
        None,
        description="objects changed outside the reconciler since the last apply's snapshot: "
        "error (blocks the plan), warning or off; default error when strict, else warning",
    )
    schema_drift_ignore: list[str] = Field(
        default_factory=list,
        description="object keys (glob patterns, e.g. 'extension:neon', '*:analytics.*') whose "
        "changes are not drift: objects this environment's migrations do not own",
    )
    allow_out_of_order: bool = Field(
        False, description="apply a migration older than the newest applied"
    )


class NeonSpec(_Model):
    project_id: str
    branch: str = "main"
    api_key_from_env: str = Field("NEON_API_KEY", pattern=ENV_VAR)
    api_url: str = "https://console.neon.tech/api/v2"


class AuditSpec(_Model):
    webhook_url_from_env: str | None = Field(None, pattern=ENV_VAR)
    secret_from_env: str | None = Field(None, pattern=ENV_VAR)


class CheckSpec(_Model):
    """A post-migration check: a query that returns no rows (or one row holding true) when
    all is well. Run read-only after every apply and by ``reconcile verify``."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    sql: str = Field(min_length=1)
    description: str = ""


class WatchSpec(_Model):
    paths: list[str] = Field(default_factory=list, description="extra files or folders to watch")
    debounce_ms: int = Field(
        300, ge=0, description="quiet time after the last change before reconciling"
    )
    memory_limit_mb: int = Field(512, ge=16, description="the agent restarts itself above this RSS")
    restart_backoff_ms: int = Field(
        500, ge=10, description="first delay before restarting after a crash"
    )


class EnvironmentSpec(_Model):
    """``environments/<name>.yaml``."""

    name: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    database: DatabaseSpec
    migrations: MigrationsSpec
    config: ConfigSpec = Field(default_factory=ConfigSpec)
    forum_map: str | None = None
    forum_table: str = Field("forum_structure", pattern=IDENT)
    policy: Policy = Field(default_factory=Policy)
    neon: NeonSpec | None = None
    audit: AuditSpec | None = None
    allow_outside_root: str | None = Field(
        None,
        min_length=8,
        description="why this environment may read files outside the project folder "
        "(without it, any path or symlink leading out of the project is an error)",
    )
    watch: WatchSpec = Field(default_factory=WatchSpec)
    checks: list[CheckSpec] = Field(
        default_factory=list,
        description="post-migration checks (the original's post-migration tests)",
    )


ValueType = Literal["string", "integer", "number", "boolean", "object", "array"]


class ConfigEntrySpec(_Model):
    value: Any
    description: str = ""
    type: ValueType | None = None
    min: float | None = None
    max: float | None = None
    enum: list[Any] | None = None


# (a key that does not match is reported at the key itself: see load._validate)
ConfigKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_.]*$")]


class ConfigFileSpec(_Model):
    """``manifests/config/<category>.yaml``."""

    category: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    entries: dict[ConfigKey, ConfigEntrySpec]


class ForumNodeSpec(_Model):
    slug: str = Field(pattern=SLUG)
    name: str
    description: str = ""
    position: int | None = Field(
        None, ge=-2_147_483_648, le=2_147_483_647, description="fits the table's integer column"
    )
    settings: dict[str, Any] = Field(default_factory=dict)
    forums: list[ForumNodeSpec] = Field(default_factory=list)
    subforums: list[ForumNodeSpec] = Field(default_factory=list)


class ForumMapSpec(_Model):
    """``manifests/forum-map.yaml``: zones -> forums -> subforums."""

    zones: list[ForumNodeSpec]
