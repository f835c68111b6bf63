"""Cases for require-rollback-section: SQL that must fire it (F) and SQL that must not (P)."""

from __future__ import annotations

from tests.sql.cases import F, P

CASES = [
    F("require-rollback-section", "CREATE TABLE t (id bigint);", rollback=False),
    F(
        "require-rollback-section",
        "CREATE TABLE t (id bigint);\n-- Rollback instructions:\n",
        rollback=False,
    ),
    P("require-rollback-section", "CREATE TABLE t (id bigint);"),
    P(
        "require-rollback-section",
        "CREATE TABLE t (id bigint);\n-- Rollback:\n-- DROP TABLE t;\n",
        rollback=False,
    ),
]
