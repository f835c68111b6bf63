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
