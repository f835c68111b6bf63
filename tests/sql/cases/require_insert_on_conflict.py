"""Cases for require-insert-on-conflict: SQL that must fire it (F) and SQL that must not (P)."""

from __future__ import annotations

from tests.sql.cases import F, P

CASES = [
    F("require-insert-on-conflict", "INSERT INTO t (id) VALUES (1);"),
    F("require-insert-on-conflict", "INSERT INTO t SELECT * FROM u;"),
    P("require-insert-on-conflict", "INSERT INTO t (id) VALUES (1) ON CONFLICT DO NOTHING;"),
    P("require-insert-on-conflict", "INSERT INTO t (id) VALUES (1) ON CONFLICT (id) DO NOTHING;"),
    P("require-insert-on-conflict", "CREATE TABLE t (id bigint);\nINSERT INTO t (id) VALUES (1);"),
    F("require-insert-on-conflict", "WITH v AS (SELECT 1 AS id) INSERT INTO s.t SELECT id FROM v;"),
    F("require-insert-on-conflict", "INSERT INTO t DEFAULT VALUES;"),
    P(
        "require-insert-on-conflict",
        "INSERT INTO t (a) VALUES (1) ON CONFLICT (a) DO UPDATE SET a = EXCLUDED.a;",
    ),
]
