"""Cases for ban-psql-meta-command: SQL that must fire it (F) and SQL that must not (P)."""

from __future__ import annotations

from tests.sql.cases import F, P

CASES = [
    F(
        "ban-psql-meta-command",
        "\\restrict AbC123\nCREATE TABLE a (id bigint);\n\\unrestrict AbC123",
    ),
    F("ban-psql-meta-command", "\\set VERBOSITY verbose\nSELECT 1;"),
    # stopping at the first error is what the reconciler does anyway: asking psql for it, or
    # letting go of it after the last statement, says nothing the file does not do ...
    P("ban-psql-meta-command", "\\set ON_ERROR_STOP on\nSELECT 1;\n\\unset ON_ERROR_STOP"),
    P("ban-psql-meta-command", "\\set ON_ERROR_STOP 1\nSELECT 1;\n\\set ON_ERROR_STOP off"),
    # ... going on past errors is something else: psql would, the reconciler would not
    F("ban-psql-meta-command", "\\set ON_ERROR_STOP off\nSELECT 1;"),
    F("ban-psql-meta-command", "\\unset ON_ERROR_STOP\nCREATE LANGUAGE plpgsql;\nSELECT 1;"),
    F("ban-psql-meta-command", "\\set ON_ERROR_STOP\nSELECT 1;"),  # (no value: not on)
    F("ban-psql-meta-command", "SELECT 1;\n  \\connect other\nSELECT 2;"),
    F("ban-psql-meta-command", "\\i seed.sql"),
    P(
        "ban-psql-meta-command",
        "CREATE FUNCTION f() RETURNS text LANGUAGE sql AS $$\n\\x\n$$;",
    ),
    P("ban-psql-meta-command", "SELECT 'a\n\\set b\n';"),
    P("ban-psql-meta-command", "/*\n\\d users\n*/\nSELECT 1;"),
    P("ban-psql-meta-command", "COPY t FROM STDIN;\n\\N\t1\n\\.\nSELECT 1;"),
    # psql variables: nothing puts their values in without psql (unless placeholders do)
    F("ban-psql-meta-command", "CREATE TABLE :schema.t (id bigint PRIMARY KEY);"),
    F("ban-psql-meta-command", "INSERT INTO t (k) VALUES (:'key') ON CONFLICT DO NOTHING;"),
    F("ban-psql-meta-command", 'GRANT SELECT ON t TO :"reader";'),
    F(
        "ban-psql-meta-command",
        "CREATE FUNCTION f() RETURNS bigint LANGUAGE plpgsql AS $$\n"
        "BEGIN RETURN (SELECT count(*) FROM :SCHEMA.jobs); END $$;",
    ),
    F(
        "ban-psql-meta-command",
        "CREATE FUNCTION f() RETURNS bigint LANGUAGE sql AS $$\n"
        "  SELECT count(*) FROM :SCHEMA.jobs\n$$;",
    ),
    P("ban-psql-meta-command", "SELECT a[1:2], a[i:j], x::int FROM t;"),
    P(
        "ban-psql-meta-command",
        "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$\n"
        "DECLARE x int; BEGIN x := 1; RETURN x::int; END $$;",
    ),
    P("ban-psql-meta-command", "COMMENT ON TABLE t IS 'at 10:30 :sharp';"),
]
