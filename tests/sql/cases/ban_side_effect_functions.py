"""Cases for ban-side-effect-functions: SQL that must fire it (F) and SQL that must not (P)."""

from __future__ import annotations

from tests.sql.cases import F, P

CASES = [
    # large objects and replication slots outlive the tables and the migration
    F("ban-side-effect-functions", "SELECT lo_unlink(oid) FROM pg_largeobject_metadata;"),
    F("ban-side-effect-functions", "SELECT pg_catalog.pg_drop_replication_slot('cdc');"),
    F(
        "ban-side-effect-functions",
        "SELECT pg_create_logical_replication_slot('s', 'pgoutput');",
    ),
    P("ban-side-effect-functions", "SELECT lo_get(42);"),
    F(
        "ban-side-effect-functions",
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'x';",
    ),
    F("ban-side-effect-functions", "SELECT pg_cancel_backend(42);"),
    F("ban-side-effect-functions", "SELECT pg_read_file('/etc/passwd');"),
    F("ban-side-effect-functions", "DO $$ BEGIN PERFORM pg_terminate_backend(1); END $$;"),
    F("ban-side-effect-functions", "SELECT dblink_exec('host=x', 'DROP TABLE t');"),
    P("ban-side-effect-functions", "SELECT now();"),
    P("ban-side-effect-functions", "COMMENT ON FUNCTION f() IS 'calls pg_terminate_backend(pid)';"),
    F(
        "ban-side-effect-functions",
        "SELECT pg_catalog.pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'x';",
    ),
    F(
        "ban-side-effect-functions",
        "DO $$ DECLARE ok boolean; BEGIN ok := pg_cancel_backend(42); END $$;",
    ),
    F("ban-side-effect-functions", "DO $$ BEGIN IF pg_reload_conf() THEN NULL; END IF; END $$;"),
    P("ban-side-effect-functions", "SELECT my_pg_sleep(1);"),
    # a routine that polls sleeps when called, not while the migration holds its locks ...
    P(
        "ban-side-effect-functions",
        "CREATE FUNCTION app.wait_for(n int) RETURNS void LANGUAGE plpgsql AS $$ BEGIN "
        "LOOP EXIT WHEN n > 3; PERFORM pg_sleep(0.1); n := n + 1; END LOOP; END $$;",
    ),
    # ... but one a DO block runs sleeps now, and a routine's other calls stay reported
    F("ban-side-effect-functions", "DO $$ BEGIN PERFORM pg_sleep(5); END $$;"),
    F(
        "ban-side-effect-functions",
        "CREATE FUNCTION app.kick() RETURNS void LANGUAGE plpgsql AS $$ BEGIN "
        "PERFORM pg_terminate_backend(pid) FROM pg_stat_activity; END $$;",
    ),
    P("ban-side-effect-functions", "COMMENT ON TABLE t IS 'pg_sleep(1)';"),
    F(
        "ban-side-effect-functions",
        "DO $$ DECLARE ok bool; BEGIN ok := pg_catalog.pg_terminate_backend(1); END $$;",
    ),
    F("ban-side-effect-functions", "SELECT pg_advisory_unlock_all();"),
    F("ban-side-effect-functions", "DO $$ BEGIN PERFORM pg_advisory_unlock_all(); END $$;"),
]
