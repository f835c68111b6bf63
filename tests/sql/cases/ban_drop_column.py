"""Cases for ban-drop-column: SQL that must fire it (F) and SQL that must not (P)."""

from __future__ import annotations

from tests.sql.cases import F, P

CASES = [
    F("ban-drop-column", "ALTER TABLE t DROP COLUMN a;"),
    F("ban-drop-column", "ALTER TABLE t DROP a;"),
    # a composite type's attribute: its data goes from every column of that type
    F("ban-drop-column", "ALTER TYPE address DROP ATTRIBUTE zip CASCADE;"),
    P("ban-drop-column", "ALTER TYPE address ADD ATTRIBUTE country text;"),
    F("ban-drop-column", "ALTER TABLE t ADD COLUMN b int, DROP COLUMN IF EXISTS a;"),
    F("ban-drop-column", "DO $$ BEGIN ALTER TABLE t DROP COLUMN a; END $$;"),
    P("ban-drop-column", "ALTER TABLE t DROP CONSTRAINT c;"),
    P("ban-drop-column", "ALTER TABLE t ALTER COLUMN a DROP DEFAULT;"),
    P("ban-drop-column", "ALTER TABLE t ALTER COLUMN a DROP NOT NULL;"),
    F("ban-drop-column", "ALTER TABLE t DROP a;"),
    F("ban-drop-column", "ALTER TABLE t ADD COLUMN b int, DROP COLUMN IF EXISTS a CASCADE;"),
    F("ban-drop-column", "DO $$ BEGIN\n  ALTER TABLE t DROP COLUMN a;\nEND $$;"),
    P("ban-drop-column", "ALTER TABLE t DROP CONSTRAINT c;"),
    P("ban-drop-column", "ALTER TABLE t ALTER COLUMN a DROP NOT NULL;"),
    P("ban-drop-column", "ALTER TABLE t ALTER COLUMN a DROP IDENTITY IF EXISTS;"),
    # made earlier in the same file: nothing holds data or reads it yet
    P("ban-drop-column", "CREATE TABLE t (a bigint, b bigint);\nALTER TABLE t DROP COLUMN b;"),
    P(
        "ban-drop-column",
        "CREATE TYPE address AS (zip text, city text);\nALTER TYPE address DROP ATTRIBUTE zip;",
    ),
    F("ban-drop-column", "CREATE TABLE u (a bigint);\nALTER TABLE t DROP COLUMN a;"),
    F("ban-drop-column", "CREATE TABLE t (a bigint);\nALTER TABLE other.t DROP COLUMN a;"),
]
