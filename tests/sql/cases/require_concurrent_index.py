"""Cases for require-concurrent-index: SQL that must fire it (F) and SQL that must not (P)."""

from __future__ import annotations

from tests.sql.cases import F, P

CASES = [
    F(
        "require-concurrent-index",
        "CREATE TABLE IF NOT EXISTS users (id bigint);\nCREATE INDEX users_id ON users (id);",
    ),
    F("require-concurrent-index", "CREATE INDEX i ON t (a);"),
    F(
        "require-concurrent-index",
        "DO $$ BEGIN IF true THEN CREATE INDEX i ON t (a); END IF; END $$;",
    ),
    F("require-concurrent-index", "CREATE UNIQUE INDEX i ON t (a);"),
    F("require-concurrent-index", "DROP INDEX i;"),
    F("require-concurrent-index", "REINDEX INDEX i;"),
    F("require-concurrent-index", "CREATE INDEX IF NOT EXISTS i ON public.t USING gin (doc);"),
    P("require-concurrent-index", "CREATE INDEX CONCURRENTLY i ON t (a);"),
    P("require-concurrent-index", "DROP INDEX CONCURRENTLY IF EXISTS i;"),
    P("require-concurrent-index", "REINDEX INDEX CONCURRENTLY i;"),
    P("require-concurrent-index", "CREATE TABLE t (a int);\nCREATE INDEX i ON t (a);"),
    F("require-concurrent-index", "CREATE UNIQUE INDEX IF NOT EXISTS i ON s.t (lower(a));"),
    F("require-concurrent-index", "DROP INDEX IF EXISTS i;"),
    F("require-concurrent-index", "REINDEX (VERBOSE) TABLE t;"),
    F("require-concurrent-index", "DO $$ BEGIN CREATE INDEX i ON t (a); END $$;"),
    # a table an EXECUTE names at run time is not the one the file made, even when the
    # file made one through the same kind of string
    F(
        "require-concurrent-index",
        "DO $$ DECLARE t text := 'x'; BEGIN\n"
        "  EXECUTE format('CREATE TABLE %I (a text)', t);\n"
        "  EXECUTE format('CREATE INDEX ON %I (a)', 'users');\nEND $$;",
    ),
    P("require-concurrent-index", "REINDEX (VERBOSE) TABLE CONCURRENTLY t;"),
    P("require-concurrent-index", "CREATE TABLE s.t (a int);\nCREATE INDEX i ON s.t (a);"),
]
