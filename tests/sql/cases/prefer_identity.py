"""Cases for prefer-identity: SQL that must fire it (F) and SQL that must not (P)."""

from __future__ import annotations

from tests.sql.cases import F, P

CASES = [
    F("prefer-identity", "CREATE TABLE t (id serial PRIMARY KEY);"),
    F("prefer-identity", "CREATE TABLE t (id bigserial);"),
    P("prefer-identity", "CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY);"),
    P("prefer-identity", "CREATE TABLE t (serial_no text);"),
    F("prefer-identity", "ALTER TABLE t ADD COLUMN n serial8;"),
    P("prefer-identity", "CREATE TABLE t (serial text);"),
]
