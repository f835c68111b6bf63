"""Cases for ban-set-not-null: SQL that must fire it (F) and SQL that must not (P)."""

from __future__ import annotations

from tests.sql.cases import F, P

CASES = [
    F("ban-set-not-null", "ALTER TABLE t ALTER COLUMN a SET NOT NULL;"),
    F("ban-set-not-null", "DO $$ BEGIN\n  ALTER TABLE t ALTER COLUMN a SET NOT NULL;\nEND $$;"),
    F("ban-set-not-null", "ALTER TABLE t ALTER a SET NOT NULL;"),
    P("ban-set-not-null", "ALTER TABLE t ALTER COLUMN a DROP NOT NULL;"),
    P("ban-set-not-null", "ALTER TABLE t ADD CONSTRAINT a_nn CHECK (a IS NOT NULL) NOT VALID;"),
    P("ban-set-not-null", "CREATE TABLE t (a int);\nALTER TABLE t ALTER COLUMN a SET NOT NULL;"),
    F("ban-set-not-null", "ALTER TABLE ONLY t ALTER a SET NOT NULL;"),
    F("ban-set-not-null", "DO $$ BEGIN ALTER TABLE t ALTER COLUMN a SET NOT NULL; END $$;"),
    P("ban-set-not-null", "ALTER TABLE t ALTER COLUMN a DROP NOT NULL;"),
    F("ban-set-not-null", "ALTER DOMAIN d SET NOT NULL;"),
    P("ban-set-not-null", "CREATE DOMAIN d AS int;\nALTER DOMAIN d SET NOT NULL;"),
    P("ban-set-not-null", "ALTER DOMAIN d DROP NOT NULL;"),
]
