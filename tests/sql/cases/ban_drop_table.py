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
    # a table the same file made (a staging or temporary table) holds nothing older
    P("ban-drop-table", "CREATE TABLE ids (id bigint);\nDROP TABLE ids;"),
    P("ban-drop-table", "CREATE TEMP TABLE ids AS SELECT id FROM users;\nDROP TABLE pg_temp.ids;"),
    # unqualified, it is public.ids where a role's search_path lists pg_temp after public
    F("ban-drop-table", "CREATE TEMP TABLE ids AS SELECT id FROM users;\nDROP TABLE ids;"),
    P(
        "ban-drop-table",
        "CREATE TABLE a (id bigint);\nCREATE TABLE b (id bigint);\nDROP TABLE a, b;",
    ),
    P("ban-drop-table", "CREATE TABLE app.x (id bigint);\nDROP TABLE app.x;"),
    P(  # within one DO block, and from a DO block after the file made it
        "ban-drop-table",
        "DO $$ BEGIN CREATE TABLE x AS SELECT 1 AS a; DROP TABLE x; END $$;",
    ),
    P("ban-drop-table", "CREATE TABLE y (a bigint);\nDO $$ BEGIN DROP TABLE y; END $$;"),
    F("ban-drop-table", "DO $$ BEGIN DROP TABLE x; CREATE TABLE x AS SELECT 1 AS a; END $$;"),
    F(  # two names given at run time are two unknowns, not one table made and dropped
        "ban-drop-table",
        "DO $$ DECLARE r record; BEGIN\n"
        "  EXECUTE format('CREATE TABLE %I (a bigint)', r.x);\n"
        "  EXECUTE format('DROP TABLE %I', r.y);\nEND $$;",
    ),
    F("ban-drop-table", "CREATE TABLE a (id bigint);\nDROP TABLE a, b;"),  # b is older
    F("ban-drop-table", "CREATE TABLE x (id bigint);\nDROP TABLE x CASCADE;"),  # and what else?
    F("ban-drop-table", "CREATE TABLE IF NOT EXISTS x (id bigint);\nDROP TABLE x;"),  # was there?
    F("ban-drop-table", "CREATE TABLE app.x (id bigint);\nDROP TABLE x;"),  # public.x
    # named otherwise than made: the same table only where the search_path finds public first
    F("ban-drop-table", "CREATE TABLE x (id bigint);\nDROP TABLE public.x;"),
    F("ban-drop-table", "CREATE TABLE public.x (id bigint);\nDROP TABLE x;"),
    F("ban-drop-table", "CREATE TEMP TABLE x (id bigint);\nDROP TABLE public.x;"),
    F("ban-drop-table", "CREATE VIEW x AS SELECT 1;\nDROP TABLE x;"),  # not a table made
    F(
        "ban-drop-table",
        "SET search_path = app;\nCREATE TABLE x (id bigint);\nDROP TABLE x;",
    ),
    F(  # the name now means an older table renamed to it
        "ban-drop-table",
        "CREATE TABLE x (id bigint);\nDROP TABLE x;\nALTER TABLE users RENAME TO x;\nDROP TABLE x;",
    ),
    F(  # or one moved into its schema
        "ban-drop-table",
        "CREATE TABLE x (id bigint);\nDROP TABLE x;\nALTER TABLE app.x SET SCHEMA public;\n"
        "DROP TABLE x;",
    ),
    F("ban-drop-table", "DO $$ BEGIN IF true THEN EXECUTE E'DROP TABLE \\x74'; END IF; END $$;"),
]
