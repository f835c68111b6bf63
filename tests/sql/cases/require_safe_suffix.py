"""Cases for require-safe-suffix: SQL that must fire it (F) and SQL that must not (P)."""

from __future__ import annotations

from tests.sql.cases import F, P

CASES = [
    F("require-safe-suffix", "CREATE TABLE t (id bigint);", filename="0001_case.sql"),
    F("require-safe-suffix", "CREATE TABLE t (id bigint);", filename="0001_case_safely.sql"),
    P("require-safe-suffix", "CREATE TABLE t (id bigint);", filename="0001_case_safe.sql"),
]
