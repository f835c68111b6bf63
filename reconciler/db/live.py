"""Reading the live state in a constant number of round trips, whatever the number of rows.

Round trip 1 asks which of the tables exist; round trip 2 fetches every applied
migration, config row and forum row as three JSON aggregates in one SELECT, and the
differences between the live schema and its last snapshot (:mod:`reconciler.db.schema`;
where the snapshot has a stamp, compared only when the catalogs changed since).
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql

from reconciler.db.schema import DRIFT_SQL, STAMPED_DRIFT_SQL
from reconciler.errors import ReconcilerError
from reconciler.manifest.desired import Desired
from reconciler.plan.live import (
    OTHER_HISTORY_TABLES,
    OWN_SCHEMA_HISTORIES,
    AppliedMigration,
    LiveConfig,
    LiveForum,
    LiveState,
    last_applied,
    tells_last_applied,
)

__all__ = ["qualified", "read_live"]


# which of them this database holds, in the first round trip
OTHER_HISTORIES_SQL = (
    "(SELECT coalesce(json_agg(json_build_array(n.nspname || '.' || c.relname, "
    "has_table_privilege(c.oid, 'SELECT')) ORDER BY n.nspname, c.relname), '[]') "
    "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
    "WHERE c.relkind IN ('r', 'p') AND n.nspname <> 'reconciler' "
    # (schema_version is a name an application may give a table of its own: Flyway's has
    # installed_rank)
    "AND (c.relname <> 'schema_version' OR EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a "
    "WHERE a.attrelid = c.oid AND a.attname = 'installed_rank')) "
    "AND (c.relname = ANY(%s) OR (n.nspname, c.relname) IN ("
    + ", ".join(f"('{a}', '{b}')" for a, b in OWN_SCHEMA_HISTORIES)
    + ")))"
)
# while the reconciler's own history is empty, each readable one's rows (to say which version
# to adopt the database at); a plan of a database the reconciler runs reads nothing of them
_OTHER_ROWS = (
    "CASE WHEN {empty} THEN (SELECT jsonb_agg(to_jsonb(t)) FROM (SELECT * FROM {table} "
    "LIMIT 100000) t) END"
)


def qualified(name: str) -> sql.Composable:
    """``schema.table`` or ``table`` as a safely quoted identifier."""
    return sql.Identifier(*name.split("."))


def read_live(conn: psycopg.Connection, desired: Desired) -> LiveState:
    config_table = desired.env.config.table
    forum_table = desired.env.forum_table
    with conn.cursor() as cur:
        cur.execute(
            "SELECT to_regclass('reconciler.schema_migrations') IS NOT NULL, "
            "to_regclass(%s) IS NOT NULL, to_regclass(%s) IS NOT NULL, "
            "to_regclass('reconciler.schema_snapshot') IS NOT NULL AND "
            "has_table_privilege('reconciler.schema_snapshot', 'SELECT'), "
            "EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = "
            "to_regclass('reconciler.schema_snapshot') AND attname = 'stamp' AND NOT attisdropped), "
            + OTHER_HISTORIES_SQL,
            (config_table, forum_table, list(OTHER_HISTORY_TABLES)),
        )
        row = cur.fetchone()
        assert row is not None
        has_book, has_config, has_forum = bool(row[0]), bool(row[1]), bool(row[2])
        has_snapshots, stamped = bool(row[3]), bool(row[4])
        others = tuple(str(t) for t, _ in row[5])
        # (their rows are read only where there are migrations to adopt the database for)
        readable = [t for t, can in row[5] if can and desired.migrations and tells_last_applied(t)]
        params: list[Any] = []
        want_config = has_config and desired.config is not None
        want_forum = has_forum and desired.forums is not None
        parts: list[sql.Composable] = []
        if has_book:
            parts.append(
                sql.SQL(
                    "(SELECT coalesce(json_agg(json_build_array(version, name, checksum, "
                    "applied_at IS NOT NULL, statements_done, applied_at, applied_by, duration_ms)), "
                    "'[]') FROM reconciler.schema_migrations)"
                )
            )
        if want_config:
            parts.append(
                sql.SQL(
                    "(SELECT coalesce(json_agg(json_build_array(category, key, value, description, "
                    "updated_by)), '[]') FROM {})"
                ).format(qualified(config_table))
            )
        if want_forum:
            parts.append(
                sql.SQL(
                    "(SELECT coalesce(json_agg(json_build_array(slug, parent_slug, kind, name, "
                    "description, position, settings, archived_at IS NOT NULL)), '[]') FROM {})"
                ).format(qualified(forum_table))
            )
        if has_snapshots:
            parts.append(sql.SQL(STAMPED_DRIFT_SQL if stamped else DRIFT_SQL))
            params.append(desired.env.name)
        empty = sql.SQL(
            "NOT EXISTS (SELECT 1 FROM reconciler.schema_migrations)" if has_book else "true"
        )
        for table in readable:
            parts.append(sql.SQL(_OTHER_ROWS).format(empty=empty, table=qualified(table)))
        results: list[Any] = []
        trips = 1
        if parts:
            try:
                cur.execute(sql.SQL("SELECT ") + sql.SQL(", ").join(parts), params)
            except psycopg.errors.UndefinedColumn as e:
                raise ReconcilerError(
                    f"a managed table lacks a column the reconciler needs: {e.diag.message_primary}",
                    hint=f"{config_table} needs (category, key, value, description, updated_by); "
                    f"{forum_table} needs (slug, parent_slug, kind, name, description, position, "
                    "settings, archived_at)",
                    code="table-shape",
                ) from None
            trips = 2
            fetched = cur.fetchone()
            results = list(fetched) if fetched else []
    it = iter(results)
    migrations: dict[str, AppliedMigration] = {}
    if has_book:
        for v, n, c, done, stmts, at, by, dur in next(it):
            migrations[v] = AppliedMigration(v, n, c, done, stmts, at, by, dur)
    config: dict[tuple[str, str], LiveConfig] = {}
    if want_config:
        for cat, key, value, desc, by in next(it):
            config[(cat, key)] = LiveConfig(cat, key, value, desc or "", by)
    forums: dict[str, LiveForum] = {}
    if want_forum:
        for slug, parent, kind, name, desc, pos, settings, archived in next(it):
            forums[slug] = LiveForum(
                slug, parent, kind, name, desc or "", pos, settings or {}, archived
            )
    snapshot: tuple[str | None, tuple[tuple[str, Any, Any], ...]] | None = None
    if has_snapshots:
        found = next(it)
        if found is not None:
            version, drift = found
            snapshot = (version, tuple((k, old, new) for k, old, new in drift))
    last: list[tuple[str, str]] = []
    for table in readable:
        rows = next(it)
        said = last_applied(table, rows) if isinstance(rows, list) else None
        if said is not None:
            last.append((table, said))
    return LiveState(
        has_book,
        migrations,
        has_config,
        config,
        has_forum,
        forums,
        trips,
        snapshots_readable=has_snapshots,
        snapshot_taken=snapshot is not None,
        snapshot_version=snapshot[0] if snapshot else None,
        drift=snapshot[1] if snapshot else (),
        other_histories=others,
        other_last=tuple(last),
    )
