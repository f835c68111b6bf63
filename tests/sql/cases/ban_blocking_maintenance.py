"""Cases for ban-blocking-maintenance: SQL that must fire it (F) and SQL that must not (P)."""

from __future__ import annotations

from tests.sql.cases import F, P

CASES = [
    F("ban-blocking-maintenance", "ALTER TABLE measurements DETACH PARTITION measurements_2024;"),
    P(
        "ban-blocking-maintenance",
        "-- reconciler:no-transaction -- detaching concurrently\n"
        "ALTER TABLE measurements DETACH PARTITION measurements_2024 CONCURRENTLY;",
    ),
    P(
        "ban-blocking-maintenance",
        "CREATE TABLE m (at date) PARTITION BY RANGE (at);\n"
        "CREATE TABLE m_1 PARTITION OF m FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');\n"
        "ALTER TABLE m DETACH PARTITION m_1;",
    ),
    F("ban-blocking-maintenance", "VACUUM FULL t;"),
    F("ban-blocking-maintenance", "CLUSTER t;"),
    F("ban-blocking-maintenance", "CLUSTER t USING t_pkey;"),
    F("ban-blocking-maintenance", "LOCK TABLE t IN ACCESS EXCLUSIVE MODE;"),
    F("ban-blocking-maintenance", "REFRESH MATERIALIZED VIEW mv;"),
    P(  # pg_dump fills a view it made WITH NO DATA: nobody reads it yet
        "ban-blocking-maintenance",
        "CREATE MATERIALIZED VIEW app.mv AS SELECT 1 AS one WITH NO DATA;\n"
        "REFRESH MATERIALIZED VIEW app.mv;",
    ),
    F(
        "ban-blocking-maintenance",
        "CREATE MATERIALIZED VIEW IF NOT EXISTS mv AS SELECT 1 AS one WITH NO DATA;\n"
        "REFRESH MATERIALIZED VIEW mv;",
    ),
    P("ban-blocking-maintenance", "VACUUM ANALYZE t;"),
    P("ban-blocking-maintenance", "REFRESH MATERIALIZED VIEW CONCURRENTLY mv;"),
    P("ban-blocking-maintenance", "ANALYZE t;"),
    F("ban-blocking-maintenance", "VACUUM (FULL, ANALYZE) t;"),
    F("ban-blocking-maintenance", "LOCK t;"),
    P("ban-blocking-maintenance", "VACUUM (ANALYZE, VERBOSE) t;"),
    # ALTERs that copy or rewrite every row
    F("ban-blocking-maintenance", "ALTER TABLE t SET TABLESPACE fast;"),
    F("ban-blocking-maintenance", "ALTER INDEX t_pkey SET TABLESPACE fast;"),
    F("ban-blocking-maintenance", "ALTER MATERIALIZED VIEW mv SET TABLESPACE fast;"),
    F("ban-blocking-maintenance", "ALTER TABLE ALL IN TABLESPACE slow SET TABLESPACE fast;"),
    F("ban-blocking-maintenance", "ALTER TABLE t SET ACCESS METHOD heap;"),
    F("ban-blocking-maintenance", "ALTER TABLE t SET LOGGED;"),
    F("ban-blocking-maintenance", "ALTER TABLE public.t SET UNLOGGED;"),
    F("ban-blocking-maintenance", "ALTER TABLE t ALTER COLUMN g SET EXPRESSION AS (a * 2);"),
    P("ban-blocking-maintenance", "ALTER TABLE t ALTER COLUMN g DROP EXPRESSION;"),
    P("ban-blocking-maintenance", "ALTER TABLE t SET (fillfactor = 90);"),
    P(
        "ban-blocking-maintenance",
        "CREATE TABLE t (a bigint);\nALTER TABLE t SET UNLOGGED;",
    ),
    F("ban-blocking-maintenance", "VACUUM (FULL true, ANALYZE) t;"),
    P("ban-blocking-maintenance", "VACUUM (FULL false) t;"),
    P("ban-blocking-maintenance", "VACUUM (FULL off, ANALYZE) t;"),
    P("ban-blocking-maintenance", "VACUUM (FULL 0) t;"),
]
