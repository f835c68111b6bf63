"""Cases for ban-drop-table: SQL that must fire it (F) and SQL that must not (P)."""

from __future__ import annotations

from tests.sql.cases import F, P

CASES = [
    F("ban-drop-table", "DROP TABLE t;"),
    F("ban-drop-table", "DROP TABLE IF EXISTS a, b CASCADE;"),
    F("ban-drop-table", "DO $$ BEGIN\n  DROP TABLE t;\nEND $$;"),
    F(
        "ban-drop-table",
        "DO $$ DECLARE r record; BEGIN FOR r IN SELECT tablename FROM pg_tables LOOP\n"
        "  EXECUTE format('DROP TABLE IF EXISTS %I.%I', 'public', r.tablename);\nEND LOOP; END $$;",
    ),
    F("ban-drop-table", "DO $$ BEGIN EXECUTE 'DROP TABLE ' || quote_ident('t'); END $$;"),
    F("ban-drop-table", "DO $$ BEGIN EXECUTE format('DROP TABLE %s', 'old_sessions'); END $$;"),
    F(
        "ban-drop-table",
        "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $fn$ BEGIN DROP TABLE t; END $fn$;",
    ),
    P("ban-drop-table", "DROP INDEX CONCURRENTLY i;"),
    P("ban-drop-table", "INSERT INTO notes (body) VALUES ('DROP TABLE t') ON CONFLICT DO NOTHING;"),
    P("ban-drop-table", "-- DROP TABLE t;\nCREATE TABLE t2 (id bigint);"),
    P("ban-drop-table", "DO $$ BEGIN\n  /* DROP TABLE t */ PERFORM 1; -- DROP TABLE u\nEND $$;"),
    P("ban-drop-table", "DO $$ BEGIN RAISE NOTICE 'DROP TABLE t'; END $$;"),
    F("ban-drop-table", "DO $$ BEGIN EXECUTE 'DROP TABLE t'; END $$;"),
    F("ban-drop-table", "DO $$ BEGIN IF true THEN EXECUTE E'DROP TABLE \\x74'; END IF; END $$;"),
]
