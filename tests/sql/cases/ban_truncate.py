"""Cases for ban-truncate: SQL that must fire it (F) and SQL that must not (P)."""

from __future__ import annotations

from tests.sql.cases import F, P

CASES = [
    F("ban-truncate", "TRUNCATE t;"),
    F("ban-truncate", "TRUNCATE TABLE a, b RESTART IDENTITY CASCADE;"),
    F("ban-truncate", "DO $$ BEGIN TRUNCATE t; END $$;"),
    P("ban-truncate", "COMMENT ON TABLE t IS 'never TRUNCATE this';"),
    P("ban-truncate", "CREATE TABLE truncate_log (id bigint);"),
    F("ban-truncate", "TRUNCATE TABLE ONLY t RESTART IDENTITY;"),
    F("ban-truncate", "DO $$ BEGIN TRUNCATE t; END $$;"),
    P("ban-truncate", "CREATE TABLE truncate_log (id bigint);"),
    # tables the same file made: empty; CASCADE (tables referencing them) or another table
    # named beside them still reported
    P("ban-truncate", "CREATE TABLE t (a bigint);\nTRUNCATE t;"),
    P("ban-truncate", "CREATE TABLE t (a bigint);\nCREATE TABLE u (a bigint);\nTRUNCATE t, u;"),
    F("ban-truncate", "CREATE TABLE t (a bigint);\nTRUNCATE t CASCADE;"),
    F("ban-truncate", "CREATE TABLE t (a bigint);\nTRUNCATE t, users;"),
    F("ban-truncate", "CREATE TABLE IF NOT EXISTS t (a bigint);\nTRUNCATE t;"),
]
