"""Cases for ban-alter-column-type: SQL that must fire it (F) and SQL that must not (P)."""

from __future__ import annotations

from tests.sql.cases import F, P

CASES = [
    F("ban-alter-column-type", "ALTER TYPE address ALTER ATTRIBUTE zip TYPE text CASCADE;"),
    P(
        "ban-alter-column-type",
        "CREATE TYPE address AS (street text, zip int);\n"
        "ALTER TYPE address ALTER ATTRIBUTE zip TYPE text;",
    ),
    P("ban-alter-column-type", "ALTER TYPE address ADD ATTRIBUTE country text;"),
    # after the file sets search_path, an unqualified name is not public's
    F(
        "ban-alter-column-type",
        "SET search_path = app;\nCREATE TABLE users (id bigint);\nSET search_path = public;\n"
        "ALTER TABLE users ALTER COLUMN id TYPE text;",
    ),
    F(
        "ban-alter-column-type",
        "SET search_path = app;\nCREATE TABLE users (id bigint);\n"
        "ALTER TABLE public.users ALTER COLUMN id TYPE text;",
    ),
    P(
        "ban-alter-column-type",
        "SET search_path = app;\nCREATE TABLE users (id bigint);\n"
        "ALTER TABLE users ALTER COLUMN id TYPE text;",
    ),
    P(
        "ban-alter-column-type",
        "SELECT pg_catalog.set_config('search_path', '', false);\n"
        "CREATE TABLE public.users (id bigint);\nALTER TABLE public.users ALTER COLUMN id TYPE text;",
    ),
    # a table is new only when this file surely made it, and only by that name
    F(
        "ban-alter-column-type",
        "CREATE TABLE IF NOT EXISTS users (id bigint);\nALTER TABLE users ALTER COLUMN email TYPE text;",
    ),
    F(
        "ban-alter-column-type",
        "CREATE TABLE app.users (id bigint);\nALTER TABLE public.users ALTER COLUMN email TYPE text;",
    ),
    F(
        "ban-alter-column-type",
        "CREATE TABLE app.users (id bigint);\nALTER TABLE users ALTER COLUMN email TYPE text;",
    ),
    F(
        "ban-alter-column-type",
        "CREATE TEMP TABLE users (id bigint);\nALTER TABLE public.users ALTER COLUMN id TYPE text;",
    ),
    P(
        "ban-alter-column-type",
        "CREATE TABLE users (id bigint);\nALTER TABLE public.users ALTER COLUMN id TYPE text;",
    ),
    P(
        "ban-alter-column-type",
        "CREATE TABLE app.users (id bigint);\nALTER TABLE app.users ALTER COLUMN id TYPE text;",
    ),
    F("ban-alter-column-type", "ALTER TABLE t ALTER COLUMN a TYPE bigint;"),
    F("ban-alter-column-type", "DO $$ BEGIN ALTER TABLE t ALTER COLUMN a TYPE bigint; END $$;"),
    F("ban-alter-column-type", "ALTER TABLE t ALTER COLUMN a SET DATA TYPE text USING a::text;"),
    F("ban-alter-column-type", "ALTER TABLE t ALTER a TYPE varchar(10);"),
    P("ban-alter-column-type", "ALTER TABLE t ALTER COLUMN a SET DEFAULT 1;"),
    P(
        "ban-alter-column-type",
        "CREATE TABLE t (a int);\nALTER TABLE t ALTER COLUMN a TYPE bigint;",
    ),
    F(
        "ban-alter-column-type",
        "ALTER TABLE t ADD COLUMN b int, ALTER COLUMN a TYPE bigint USING a::bigint;",
    ),
    P("ban-alter-column-type", "ALTER TABLE t ALTER COLUMN a SET STATISTICS 100;"),
]
