"""Cases for prefer-timestamptz: SQL that must fire it (F) and SQL that must not (P)."""

from __future__ import annotations

from tests.sql.cases import F, P

CASES = [
    F("prefer-timestamptz", "CREATE TABLE t (at timestamp);"),
    F("prefer-timestamptz", "CREATE TABLE t (at timestamp(3) without time zone);"),
    F("prefer-timestamptz", "ALTER TABLE t ADD COLUMN at timestamp;"),
    P("prefer-timestamptz", "CREATE TABLE t (at timestamptz);"),
    P("prefer-timestamptz", "CREATE TABLE t (at timestamp with time zone);"),
    F("prefer-timestamptz", "CREATE TABLE t (at timestamp(3) without time zone);"),
    P("prefer-timestamptz", "CREATE TABLE t (at timestamp(3) with time zone);"),
]
