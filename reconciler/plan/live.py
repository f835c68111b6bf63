"""What the database holds now, as plain data (filled in by reconciler.db.live, read by the planner)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import cached_property
from typing import Any

from reconciler.records import cheap_init
from reconciler.sql.migration import is_repeatable, version_key

__all__ = [
    "OTHER_HISTORY_TABLES",
    "OWN_SCHEMA_HISTORIES",
    "AppliedMigration",
    "LiveConfig",
    "LiveForum",
    "LiveState",
    "canonical_json",
    "last_applied",
    "other_tool",
    "same_value",
    "tells_last_applied",
]


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def same_value(a: Any, b: Any) -> bool:
    """JSON equality that tells 1 from 1.0 from true, without serialising in the common case."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same_value(v, b[k]) for k, v in a.items())
    if isinstance(a, list):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


# other migration tools' history tables, by the name each tool gives it (in any schema but
# ours), and two kept in a schema of the tool's own: a database one of them migrated
OTHER_HISTORY_TABLES = {
    "flyway_schema_history": "Flyway",
    "schema_version": "Flyway (before 5.0)",
    "databasechangelog": "Liquibase",
    "schema_migrations": "dbmate, golang-migrate, Rails, Ecto, Hasura or Supabase",
    "goose_db_version": "goose",
    "_yoyo_migration": "yoyo",
    "_prisma_migrations": "Prisma",
    "__diesel_schema_migrations": "Diesel",
    "_sqlx_migrations": "sqlx",
    "__drizzle_migrations": "Drizzle",
    "pgmigrations": "node-pg-migrate",
    "knex_migrations": "Knex",
    "kysely_migration": "Kysely",
    "mikro_orm_migrations": "MikroORM",
    "SequelizeMeta": "Sequelize",
    "alembic_version": "Alembic",
    "django_migrations": "Django",
    "seaql_migrations": "SeaORM",
    "__EFMigrationsHistory": "Entity Framework",
    "schemaversions": "DbUp",
    "atlas_schema_revisions": "Atlas",
    "applied_schema_deltas": "Synapse",
    "schema_update_history": "Temporal",
    "db_patches": "LedgerSMB",
}
OWN_SCHEMA_HISTORIES = {
    ("sqitch", "changes"): "sqitch",
    ("graphile_migrate", "migrations"): "graphile-migrate",
}


def _newest(rows: list[dict[str, Any]], order: str, value: str, ok: str | None = None) -> Any:
    done = [r for r in rows if r.get(value) is not None and (ok is None or r.get(ok))]
    if not done:
        return None
    try:
        return max(done, key=lambda r: (r.get(order) is not None, r.get(order)))[value]
    except TypeError:  # (values of mixed types in a column we do not know)
        return None


def _by_number(rows: list[dict[str, Any]]) -> Any:
    numeric = [{**r, "n": int(r["version"])} for r in rows if str(r.get("version")).isdecimal()]
    return _newest(numeric, "n", "version")


def _basename(found: Any) -> Any:
    return str(found).replace("\\", "/").rpartition("/")[2] if found else None


def _version_file(found: Any) -> Any:
    """``<version folder>/<file>`` of a path: the last two of its parts."""
    return "/".join(str(found).replace("\\", "/").split("/")[-2:]) if found else None


def _prisma(rows: list[dict[str, Any]]) -> Any:
    kept = [r for r in rows if r.get("finished_at") and not r.get("rolled_back_at")]
    return _newest(kept, "migration_name", "migration_name")


# how each tool's history says what it applied last, as its file is named (a version, a
# file name, a change name): by the table's name, or (schema, name) for a schema of its own
_LAST_APPLIED: dict[Any, Callable[[list[dict[str, Any]]], Any]] = {
    "flyway_schema_history": lambda rows: _newest(rows, "installed_rank", "version", "success"),
    "schema_version": lambda rows: _newest(rows, "installed_rank", "version", "success"),
    "databasechangelog": lambda rows: _basename(_newest(rows, "orderexecuted", "filename")),
    "schema_migrations": _by_number,
    "__diesel_schema_migrations": _by_number,
    "atlas_schema_revisions": _by_number,
    "goose_db_version": lambda rows: _newest(rows, "id", "version_id", "is_applied"),
    "_sqlx_migrations": lambda rows: _newest(rows, "version", "version", "success"),
    "_yoyo_migration": lambda rows: _newest(rows, "applied_at_utc", "migration_id"),
    "_prisma_migrations": _prisma,
    "pgmigrations": lambda rows: _newest(rows, "id", "name"),
    # Synapse applies a version's deltas in name order and records "<version>/<file>"
    "applied_schema_deltas": lambda rows: _newest(
        [
            {**r, "at": (r["version"], r.get("file"))}
            for r in rows
            if isinstance(r.get("version"), int)
        ],
        "at",
        "file",
    ),
    # LedgerSMB records each change script by its path ("sql/changes/1.6/x.sql")
    "db_patches": lambda rows: _version_file(_newest(rows, "last_updated", "path")),
    ("sqitch", "changes"): lambda rows: _newest(rows, "committed_at", "change"),
    ("graphile_migrate", "migrations"): lambda rows: _newest(rows, "date", "filename"),
}


def _reader(table: str) -> Callable[[list[dict[str, Any]]], Any] | None:
    schema, _, name = table.partition(".")
    return _LAST_APPLIED.get((schema, name)) or _LAST_APPLIED.get(name)


def tells_last_applied(table: str) -> bool:
    """Whether :func:`last_applied` can read ``table``'s rows."""
    return _reader(table) is not None


def last_applied(table: str, rows: list[dict[str, Any]]) -> str | None:
    """What another tool's history ``rows`` (each a row of ``table`` as a dict) say it
    applied last, as its file is named (a version, a file name or a change name); None when
    that cannot be told (no rows, a tool that names no file, columns not as expected)."""
    read = _reader(table)
    found = read(rows) if read is not None else None
    return str(found) if found not in (None, "") else None


def other_tool(table: str) -> str:
    """The tool whose history ``table`` (schema.table) is."""
    schema, _, name = table.partition(".")
    return OWN_SCHEMA_HISTORIES.get((schema, name)) or OTHER_HISTORY_TABLES.get(
        name, "another tool"
    )


@dataclass(frozen=True)
class AppliedMigration:
    version: str
    name: str
    checksum: str
    complete: bool  # False: a no-transaction migration stopped part-way
    statements_done: int
    applied_at: str | None = None
    applied_by: str | None = None
    duration_ms: int | None = None


@cheap_init
@dataclass(frozen=True)
class LiveConfig:
    category: str
    key: str
    value: Any
    description: str
    updated_by: str | None = None


@dataclass(frozen=True)
class LiveForum:
    slug: str
    parent_slug: str | None
    kind: str
    name: str
    description: str
    position: int
    settings: dict[str, Any]
    archived: bool


@dataclass(frozen=True)
class LiveState:
    bookkeeping: bool  # schema reconciler exists
    migrations: dict[str, AppliedMigration] = field(default_factory=dict)
    config_table: bool = False
    config: dict[tuple[str, str], LiveConfig] = field(default_factory=dict)
    forum_table: bool = False
    forums: dict[str, LiveForum] = field(default_factory=dict)
    round_trips: int = 0
    snapshots_readable: bool = False  # reconciler.schema_snapshot exists and this login reads it
    snapshot_taken: bool = False  # a schema snapshot exists for this environment
    snapshot_version: str | None = None  # the last migration applied when it was taken
    drift: tuple[tuple[str, Any, Any], ...] = ()  # (object key, snapshot facts, live facts)
    # other migration tools' history tables in the database (schema.table), as read, and,
    # while the reconciler's own history is empty, what each says it applied last
    other_histories: tuple[str, ...] = ()
    other_last: tuple[tuple[str, str], ...] = ()

    def newest_applied(self) -> AppliedMigration | None:
        """The completed versioned migration with the highest version (a repeatable one has no
        place in that order): what out-of-order files, the snapshot and status are told by."""
        return self._newest

    @cached_property
    def _newest(self) -> AppliedMigration | None:  # (asked more than once per plan)
        done = [m for m in self.migrations.values() if m.complete and not is_repeatable(m.version)]
        return max(done, key=lambda m: version_key(m.version), default=None)

    def fingerprint(self) -> str:
        """sha256 of everything the plan depends on (not timestamps or who/when)."""
        # (not whether schema reconciler exists: recording a refusal creates it, and that must
        # not change the hash approvers are reviewing; the history below says what matters)
        doc = {
            "migrations": [
                [m.version, m.checksum, m.complete, m.statements_done]
                for _, m in sorted(self.migrations.items())
            ],
            "config_table": self.config_table,
            "config": [
                [c.category, c.key, c.value, c.description] for _, c in sorted(self.config.items())
            ],
            "forum_table": self.forum_table,
            "forums": [asdict(f) for _, f in sorted(self.forums.items())],
        }
        if self.drift:  # (only when there is some: hashes from before snapshots stay the same)
            doc["schema_drift"] = [list(d) for d in self.drift]
        return hashlib.sha256(canonical_json(doc).encode()).hexdigest()
