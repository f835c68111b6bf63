"""Cases for ban-rename: SQL that must fire it (F) and SQL that must not (P)."""

from __future__ import annotations

from tests.sql.cases import F, P

CASES = [
    F("ban-rename", "ALTER TABLE t RENAME COLUMN a TO b;"),
    F("ban-rename", "DO $$ BEGIN ALTER TABLE t RENAME COLUMN a TO b; END $$;"),
    F("ban-rename", "ALTER TABLE t RENAME TO u;"),
    F("ban-rename", "ALTER TABLE t RENAME a TO b;"),
    P("ban-rename", "ALTER TABLE t RENAME CONSTRAINT c TO d;"),
    P("ban-rename", "CREATE TABLE t (a int);\nALTER TABLE t RENAME COLUMN a TO b;"),
    F("ban-rename", "ALTER TABLE t RENAME a TO b;"),
    F("ban-rename", "ALTER TABLE IF EXISTS s.t RENAME TO u;"),
    F("ban-rename", "DO $$ BEGIN ALTER TABLE t RENAME COLUMN a TO b; END $$;"),
    P("ban-rename", "ALTER TABLE t RENAME CONSTRAINT c TO d;"),
    P("ban-rename", "ALTER INDEX i RENAME TO j;"),
]
