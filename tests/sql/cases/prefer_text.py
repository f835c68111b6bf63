"""Cases for prefer-text: SQL that must fire it (F) and SQL that must not (P)."""

from __future__ import annotations

from tests.sql.cases import F, P

CASES = [
    F("prefer-text", "CREATE TABLE t (name varchar(20));"),
    F("prefer-text", "ALTER TABLE t ADD COLUMN code char(3);"),
    F("prefer-text", "ALTER TABLE t ALTER COLUMN code TYPE varchar(10);"),
    P("prefer-text", "CREATE TABLE t (name text CHECK (length(name) <= 20));"),
    P("prefer-text", "CREATE TABLE t (name varchar);"),
    F("prefer-text", "CREATE TABLE t (name character varying(20));"),
    P("prefer-text", "CREATE TABLE t (name character varying);"),
]
