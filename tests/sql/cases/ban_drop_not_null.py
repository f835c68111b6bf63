"""Cases for ban-drop-not-null: SQL that must fire it (F) and SQL that must not (P)."""

from __future__ import annotations

from tests.sql.cases import F, P

CASES = [
    F("ban-drop-not-null", "ALTER TABLE t ALTER COLUMN a DROP NOT NULL;"),
    F("ban-drop-not-null", "ALTER TABLE ONLY app.t ALTER a DROP NOT NULL;"),
    F("ban-drop-not-null", "ALTER TABLE t ADD COLUMN b int, ALTER COLUMN a DROP NOT NULL;"),
    F("ban-drop-not-null", "DO $$ BEGIN ALTER TABLE t ALTER COLUMN a DROP NOT NULL; END $$;"),
    F("ban-drop-not-null", "ALTER DOMAIN d DROP NOT NULL;"),
    P("ban-drop-not-null", "ALTER TABLE t ALTER COLUMN a SET NOT NULL;"),
    P("ban-drop-not-null", "ALTER TABLE t ALTER COLUMN a DROP DEFAULT;"),
    P(
        "ban-drop-not-null",
        "CREATE TABLE n (a int NOT NULL);\nALTER TABLE n ALTER COLUMN a DROP NOT NULL;",
    ),
    P("ban-drop-not-null", "CREATE DOMAIN d AS int NOT NULL;\nALTER DOMAIN d DROP NOT NULL;"),
]
