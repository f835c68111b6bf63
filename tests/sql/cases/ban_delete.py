"""Cases for ban-delete: SQL that must fire it (F) and SQL that must not (P)."""

from __future__ import annotations

from tests.sql.cases import F, P

CASES = [
    # read past the application's own types (an enum variable in a multi-item INTO)
    F(
        "ban-delete",
        "CREATE FUNCTION purge(p_id bigint) RETURNS void LANGUAGE plpgsql AS $$ DECLARE "
        "s job_status; a boolean; BEGIN SELECT status, aborted INTO s, a FROM jobs "
        "WHERE id = p_id; DELETE FROM jobs; END $$;",
    ),
    # a CREATE TABLE AS runs its query's data-modifying WITH (PostgreSQL accepts it there)
    F(
        "ban-delete",
        "CREATE TABLE gone AS WITH d AS (DELETE FROM users RETURNING *) SELECT * FROM d;",
    ),
    # an EXPLAIN ANALYZE runs its statement; a PREPARE names one for EXECUTE; a COPY runs its query
    F("ban-delete", "EXPLAIN ANALYZE DELETE FROM users WHERE id = 1;"),
    F("ban-delete", "EXPLAIN (ANALYZE true, BUFFERS) DELETE FROM users WHERE id = 1;"),
    F("ban-delete", "PREPARE p (bigint) AS DELETE FROM users WHERE id = $1;"),
    F("ban-delete", "COPY (DELETE FROM users WHERE id = 1 RETURNING *) TO STDOUT;"),
    P("ban-delete", "EXPLAIN DELETE FROM users WHERE id = 1;"),
    P("ban-delete", "EXPLAIN (ANALYZE off) DELETE FROM users WHERE id = 1;"),
    F("ban-delete", "DELETE FROM t WHERE id = 1;"),
    F("ban-delete", "DELETE FROM t;"),
    F(
        "ban-delete",
        "WITH gone AS (DELETE FROM t WHERE a < 0 RETURNING *) INSERT INTO log SELECT * FROM gone;",
    ),
    F("ban-delete", "DO $$ BEGIN DELETE FROM t WHERE id = 1; END $$;"),
    P("ban-delete", "UPDATE t SET deleted = true WHERE id = 1;"),
    P("ban-delete", "INSERT INTO audit (what) VALUES ('DELETE FROM t') ON CONFLICT DO NOTHING;"),
    P("ban-delete", "CREATE TABLE deleted_items (id bigint);"),
    F(
        "ban-delete",
        "WITH gone AS (DELETE FROM t WHERE a < 0 RETURNING *) SELECT count(*) FROM gone;",
    ),
    F("ban-delete", "MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE;"),
    F("ban-delete", "DO $$ BEGIN\n  IF true THEN DELETE FROM t WHERE a = 1; END IF;\nEND $$;"),
    P("ban-delete", "SELECT 'DELETE FROM t';"),
    P("ban-delete", "MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN UPDATE SET a = s.a;"),
    # the rows of a table this file made are its own seed rows: nobody's data yet
    P(
        "ban-delete",
        "CREATE TABLE lookup (id bigint PRIMARY KEY, name text);\nINSERT INTO lookup VALUES (1, 'a');\nDELETE FROM lookup WHERE id = 1;",
    ),
    P("ban-delete", "CREATE TABLE lookup (id bigint PRIMARY KEY, name text);\nDELETE FROM lookup;"),
    # ... but not a table of that name made in another schema, nor a DELETE hidden in its WITH
    F("ban-delete", "CREATE TABLE app.lookup (id bigint);\nDELETE FROM lookup;"),
    F(
        "ban-delete",
        "CREATE TABLE lookup (id bigint PRIMARY KEY, name text);\nWITH x AS (DELETE FROM users RETURNING id) DELETE FROM lookup USING x "
        "WHERE lookup.id = x.id;",
    ),
    F(
        "ban-delete",
        "DELETE FROM lookup;\nCREATE TABLE lookup (id bigint PRIMARY KEY, name text);\n",
    ),
]
