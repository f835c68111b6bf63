"""Cases for ban-alter-column-type: SQL that must fire it (F) and SQL that must not (P)."""

from __future__ import annotations

from tests.sql.cases import F, P

CASES = [
    F("ban-alter-column-type", "ALTER TABLE t ALTER COLUMN a TYPE bigint;"),
    F("ban-alter-column-type", "DO $$ BEGIN ALTER TABLE t ALTER COLUMN a TYPE bigint; END $$;"),
    F("ban-alter-column-type", "ALTER TABLE t ALTER COLUMN a SET DATA TYPE text USING a::text;"),
    F("ban-alter-column-type", "ALTER TABLE t ALTER a TYPE varchar(10);"),
    P("ban-alter-column-type", "ALTER TABLE t ALTER COLUMN a SET DEFAULT 1;"),
    P(
        "ban-alter-column-type",
        "CREATE TABLE t (a int);\nALTER TABLE t ALTER COLUMN a TYPE bigint;",
    ),
    F(
        "ban-alter-column-type",
        "ALTER TABLE t ADD COLUMN b int, ALTER COLUMN a TYPE bigint USING a::bigint;",
    ),
    P("ban-alter-column-type", "ALTER TABLE t ALTER COLUMN a SET STATISTICS 100;"),
]
