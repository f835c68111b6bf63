"""Cases for ban-drop-object: SQL that must fire it (F) and SQL that must not (P)."""

from __future__ import annotations

from tests.sql.cases import F, P

CASES = [
    F("ban-drop-object", "ALTER TABLE orders ALTER COLUMN id DROP IDENTITY IF EXISTS;"),
    F("ban-drop-object", "ALTER TABLE orders ALTER COLUMN total DROP EXPRESSION;"),
    P(
        "ban-drop-object",
        "CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY);\n"
        "ALTER TABLE t ALTER COLUMN id DROP IDENTITY;",
    ),
    F("ban-drop-object", "ALTER DOMAIN email DROP CONSTRAINT email_check;"),
    P("ban-drop-object", "ALTER DOMAIN email SET DEFAULT '';"),
    F("ban-drop-object", "DROP INDEX CONCURRENTLY i;"),
    # objects the same file made, gone again: nothing older is lost
    P(
        "ban-drop-object",
        "CREATE INDEX CONCURRENTLY i ON public.t (a);\nDROP INDEX CONCURRENTLY public.i;",
    ),
    P("ban-drop-object", "CREATE INDEX i ON app.t (a);\nDROP INDEX app.i;"),
    # unqualified, DROP INDEX searches the search_path; the index went to its table's schema
    F("ban-drop-object", "CREATE INDEX CONCURRENTLY i ON t (a);\nDROP INDEX CONCURRENTLY i;"),
    F(
        "ban-drop-object",
        "CREATE INDEX CONCURRENTLY i ON t (a);\nDROP INDEX CONCURRENTLY public.i;",
    ),
    F("ban-drop-object", "CREATE INDEX i ON app.t (a);\nDROP INDEX i;"),  # public.i
    F("ban-drop-object", "CREATE INDEX IF NOT EXISTS i ON t (a);\nDROP INDEX i;"),
    P("ban-drop-object", "CREATE VIEW v AS SELECT 1;\nDROP VIEW v;"),
    F("ban-drop-object", "CREATE OR REPLACE VIEW v AS SELECT 1;\nDROP VIEW v;"),
    F("ban-drop-object", "CREATE VIEW v AS SELECT 1;\nDROP VIEW v CASCADE;"),
    P("ban-drop-object", "CREATE MATERIALIZED VIEW m AS SELECT 1;\nDROP MATERIALIZED VIEW m;"),
    F("ban-drop-object", "CREATE TABLE m AS SELECT 1;\nDROP MATERIALIZED VIEW m;"),
    P("ban-drop-object", "CREATE TYPE e AS ENUM ('a');\nDROP TYPE e;"),
    P("ban-drop-object", "CREATE DOMAIN d AS text;\nDROP DOMAIN d;"),
    P("ban-drop-object", "CREATE SEQUENCE s;\nDROP SEQUENCE s;"),
    F("ban-drop-object", "CREATE SEQUENCE s;\nDROP SEQUENCE s, s2;"),
    F(  # a function's overloads share the name: not judged
        "ban-drop-object",
        "CREATE FUNCTION f(int) RETURNS int LANGUAGE sql AS 'select 1';\nDROP FUNCTION f(text);",
    ),
    F("ban-drop-object", "DROP VIEW v;"),
    F("ban-drop-object", "DROP SCHEMA s CASCADE;"),
    F("ban-drop-object", "DROP TYPE mood;"),
    F("ban-drop-object", "ALTER TABLE t DROP CONSTRAINT c;"),
    F("ban-drop-object", "DO $$ BEGIN DROP VIEW v; END $$;"),
    P("ban-drop-object", "DROP TABLE t;"),
    P("ban-drop-object", "ALTER TABLE t DROP COLUMN a;"),
    P("ban-drop-object", "CREATE VIEW v AS SELECT 1 AS one;"),
    F("ban-drop-object", "DROP OWNED BY legacy_app;"),
    F("ban-drop-object", "DROP ROLE legacy_app;"),
    F("ban-drop-object", "ALTER TABLE t ADD COLUMN c int, DROP CONSTRAINT t_a_check;"),
    F("ban-drop-object", "DROP POLICY IF EXISTS p ON t;"),
    F("ban-drop-object", "DROP MATERIALIZED VIEW mv;"),
    P("ban-drop-object", "ALTER TABLE t ALTER COLUMN a DROP DEFAULT;"),
    P("ban-drop-object", "COMMENT ON TABLE t IS 'DROP VIEW v';"),
]
