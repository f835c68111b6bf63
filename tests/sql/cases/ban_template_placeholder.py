"""Cases for ban-template-placeholder: SQL that must fire it (F) and SQL that must not (P)."""

from __future__ import annotations

from tests.sql.cases import F, P

CASES = [
    F("ban-template-placeholder", "ALTER TABLE table_name ADD COLUMN new_column TEXT DEFAULT '';"),
    F(
        "ban-template-placeholder",
        "CREATE INDEX CONCURRENTLY idx_table_column ON table_name (new_column);",
    ),
    F(
        "ban-template-placeholder",
        "-- Description: [migration description]\nCREATE TABLE t (id bigint);",
    ),
    P("ban-template-placeholder", "ALTER TABLE users ADD COLUMN nickname text;"),
    P("ban-template-placeholder", "-- Description: add nicknames\nCREATE TABLE t (id bigint);"),
    F(
        "ban-template-placeholder",
        "alter table \"table_name\"\n  add column new_column text /* mine */ default '';",
    ),
    P("ban-template-placeholder", "ALTER TABLE table_name ADD COLUMN nickname text;"),
    F(
        "ban-template-placeholder",
        "-- Description:\n-- Created: 2026-01-02\nCREATE TABLE t (id bigint);",
    ),
    # another tool's header lines, with no Description line at all
    P("ban-template-placeholder", "-- Rollback: DROP TABLE t;\nCREATE TABLE t (id bigint);"),
    P("ban-template-placeholder", "-- Created: 2019-03-04 by jane\nCREATE TABLE t (id bigint);"),
    P("ban-template-placeholder", "-- Type: schema\nCREATE TABLE t (id bigint);"),
]
