"""Cases for ban-new-enum-value-use: SQL that must fire it (F) and SQL that must not (P)."""

from __future__ import annotations

from tests.sql.cases import F, P

CASES = [
    F(
        "ban-new-enum-value-use",
        "ALTER TYPE mood ADD VALUE 'x';\nINSERT INTO t VALUES ('x') ON CONFLICT DO NOTHING;",
    ),
    F(
        "ban-new-enum-value-use",
        "ALTER TYPE app.mood ADD VALUE IF NOT EXISTS 'x';\nALTER TABLE t ALTER COLUMN m SET DEFAULT 'x';",
    ),
    F(
        "ban-new-enum-value-use",
        "ALTER TYPE mood ADD VALUE 'x' BEFORE 'a';\nCREATE INDEX i ON t (m) WHERE m = 'x';",
    ),
    P(
        "ban-new-enum-value-use",
        "ALTER TYPE mood ADD VALUE 'x';\nCREATE INDEX CONCURRENTLY i ON t (m) WHERE m = 'x';",
    ),
    F(
        "ban-new-enum-value-use",
        "ALTER TYPE mood ADD VALUE 'x';\nCREATE TABLE u (m mood DEFAULT 'x');",
    ),
    F(
        "ban-new-enum-value-use",
        "ALTER TYPE mood ADD VALUE 'x';\nDO $$ BEGIN PERFORM 'x'::mood; END $$;",
    ),
    P("ban-new-enum-value-use", "ALTER TYPE mood ADD VALUE 'x';\nCOMMENT ON TYPE mood IS 'x';"),
    P(
        "ban-new-enum-value-use",
        "ALTER TYPE mood ADD VALUE 'x';\nINSERT INTO t VALUES ('y') ON CONFLICT DO NOTHING;",
    ),
    P(
        "ban-new-enum-value-use",
        "INSERT INTO t VALUES ('x') ON CONFLICT DO NOTHING;\nALTER TYPE mood ADD VALUE 'x';",
    ),
    P(
        "ban-new-enum-value-use",
        "-- reconciler:no-transaction\nALTER TYPE mood ADD VALUE 'x';\nINSERT INTO t VALUES ('x') ON CONFLICT DO NOTHING;",
    ),
    P(
        "ban-new-enum-value-use",
        "ALTER TYPE mood RENAME VALUE 'a' TO 'x';\nINSERT INTO t VALUES ('x') ON CONFLICT DO NOTHING;",
    ),
]
