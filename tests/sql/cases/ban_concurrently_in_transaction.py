"""Cases for ban-concurrently-in-transaction: SQL that must fire it (F) and SQL that must not (P)."""

from __future__ import annotations

from tests.sql.cases import F, P

CASES = [
    F("ban-concurrently-in-transaction", "BEGIN;\nCREATE INDEX CONCURRENTLY i ON t (a);\nCOMMIT;"),
    F("ban-concurrently-in-transaction", "START TRANSACTION;\nDROP INDEX CONCURRENTLY i;\nCOMMIT;"),
    P("ban-concurrently-in-transaction", "CREATE INDEX CONCURRENTLY i ON t (a);"),
    P(
        "ban-concurrently-in-transaction",
        "BEGIN;\nSELECT 1;\nCOMMIT;\nCREATE INDEX CONCURRENTLY i ON t (a);",
    ),
    F(
        "ban-concurrently-in-transaction",
        "DO $$ BEGIN CREATE INDEX CONCURRENTLY i ON t (a); END $$;",
    ),
    F("ban-concurrently-in-transaction", "DO $$ BEGIN VACUUM t; END $$;"),
    P("ban-concurrently-in-transaction", "DO $$ BEGIN CREATE INDEX i ON t (a); END $$;"),
    # an index on a partitioned table cannot be built concurrently
    F(
        "ban-concurrently-in-transaction",
        "CREATE TABLE ev (id bigint, at date) PARTITION BY RANGE (at);\n"
        "CREATE INDEX CONCURRENTLY ev_at ON ev (at);",
    ),
    P(
        "ban-concurrently-in-transaction",
        "CREATE TABLE ev (id bigint, at date) PARTITION BY RANGE (at);\n"
        "CREATE INDEX ev_at ON ev (at);",
    ),
    P(
        "ban-concurrently-in-transaction",
        "CREATE TABLE ev (id bigint, at date) PARTITION BY RANGE (at);\n"
        "CREATE TABLE ev_2027 PARTITION OF ev FOR VALUES FROM ('2027-01-01') TO ('2028-01-01');\n"
        "CREATE INDEX CONCURRENTLY ev_2027_at ON ev_2027 (at);",
    ),
]
