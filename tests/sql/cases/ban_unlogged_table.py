"""Cases for ban-unlogged-table: SQL that must fire it (F) and SQL that must not (P)."""

from __future__ import annotations

from tests.sql.cases import F, P

R = "ban-unlogged-table"

CASES = [
    F(R, "CREATE UNLOGGED TABLE sessions (id bigint PRIMARY KEY, data jsonb);"),
    F(R, "CREATE UNLOGGED TABLE IF NOT EXISTS app.cache (k text PRIMARY KEY, v text);"),
    F(R, "CREATE UNLOGGED TABLE snapshot AS SELECT id FROM users;"),
    F(R, "SELECT id INTO UNLOGGED snapshot FROM users;"),
    F(R, "ALTER TABLE events SET UNLOGGED;"),
    F(R, "DO $$ BEGIN CREATE UNLOGGED TABLE IF NOT EXISTS c (k text); END $$;"),
    P(R, "CREATE TABLE sessions (id bigint PRIMARY KEY, data jsonb);"),
    P(R, "CREATE TABLE snapshot AS SELECT id FROM users;"),
    P(R, "ALTER TABLE events SET LOGGED;"),
    P(R, "CREATE TEMP TABLE scratch (id bigint);"),
    P(R, "CREATE MATERIALIZED VIEW mv AS SELECT 1 AS one;"),
]
