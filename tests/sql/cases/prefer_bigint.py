"""Cases for prefer-bigint: SQL that must fire it (F) and SQL that must not (P)."""

from __future__ import annotations

from tests.sql.cases import F, P

CASES = [
    F("prefer-bigint", "CREATE TABLE t (id int PRIMARY KEY);"),
    F("prefer-bigint", "CREATE TABLE t (user_id integer);"),
    F("prefer-bigint", "ALTER TABLE t ADD COLUMN owner_id int4;"),
    P("prefer-bigint", "CREATE TABLE t (id bigint PRIMARY KEY);"),
    P("prefer-bigint", "CREATE TABLE t (quantity numeric);"),
    F("prefer-bigint", "CREATE TABLE t (quantity smallint);"),
    F("prefer-bigint", "CREATE TABLE t (n int2);"),
    P("prefer-bigint", "CREATE TABLE t (int text);"),
]
