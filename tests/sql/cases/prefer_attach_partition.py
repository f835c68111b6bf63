"""Cases for prefer-attach-partition: SQL that must fire it (F) and SQL that must not (P)."""

from __future__ import annotations

from tests.sql.cases import F, P

CASES = [
    F("prefer-attach-partition", "CREATE TABLE p1 PARTITION OF parent FOR VALUES IN (1);"),
    F(
        "prefer-attach-partition",
        "CREATE TABLE IF NOT EXISTS app.e27 PARTITION OF app.events "
        "FOR VALUES FROM ('2027-01-01') TO ('2028-01-01');",
    ),
    F("prefer-attach-partition", "CREATE TABLE pd PARTITION OF parent DEFAULT;"),
    P(
        "prefer-attach-partition",
        "CREATE TABLE parent (k int) PARTITION BY LIST (k);\n"
        "CREATE TABLE p1 PARTITION OF parent FOR VALUES IN (1);",
    ),
    P("prefer-attach-partition", "CREATE TABLE child (a int) INHERITS (parent);"),
    P("prefer-attach-partition", "CREATE TABLE parent (k int) PARTITION BY RANGE (k);"),
]
