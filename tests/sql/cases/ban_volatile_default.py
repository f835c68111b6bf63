"""Cases for ban-volatile-default: SQL that must fire it (F) and SQL that must not (P)."""

from __future__ import annotations

from tests.sql.cases import F, P

CASES = [
    # a column of a domain with a CHECK or NOT NULL: PostgreSQL rewrites the table to check it
    F(
        "ban-volatile-default",
        "CREATE DOMAIN positive AS int CHECK (VALUE > 0);\nALTER TABLE t ADD COLUMN n positive;",
    ),
    F(
        "ban-volatile-default",
        "CREATE DOMAIN app.code AS text;\nALTER DOMAIN app.code SET NOT NULL;\n"
        "ALTER TABLE t ADD COLUMN c app.code DEFAULT 'x';",
    ),
    P(
        "ban-volatile-default",
        "CREATE DOMAIN label AS text DEFAULT 'none';\nALTER TABLE t ADD COLUMN l label;",
    ),
    P(
        "ban-volatile-default",
        "CREATE DOMAIN positive AS int CHECK (VALUE > 0);\n"
        "CREATE TABLE t2 (id bigint);\nALTER TABLE t2 ADD COLUMN n positive;",
    ),
    P(
        "ban-volatile-default",
        "CREATE DOMAIN app.positive AS int CHECK (VALUE > 0);\nALTER TABLE t ADD COLUMN n positive;",
    ),
    F("ban-volatile-default", "ALTER TABLE t ADD COLUMN u uuid DEFAULT gen_random_uuid();"),
    F("ban-volatile-default", "ALTER TABLE t ADD COLUMN r float8 DEFAULT random();"),
    F(
        "ban-volatile-default",
        "ALTER TABLE t ADD COLUMN at timestamptz NOT NULL DEFAULT clock_timestamp();",
    ),
    F("ban-volatile-default", "ALTER TABLE t ADD COLUMN n bigserial;"),
    F("ban-volatile-default", "ALTER TABLE t ADD COLUMN d int GENERATED ALWAYS AS (a * 2) STORED;"),
    P("ban-volatile-default", "ALTER TABLE t ADD COLUMN at timestamptz DEFAULT now();"),
    F("ban-volatile-default", "ALTER TABLE t ADD COLUMN foo jsonb DEFAULT myjsonb();"),
    F("ban-volatile-default", "ALTER TABLE t ADD COLUMN foo jsonb DEFAULT app.settings_default();"),
    F("ban-volatile-default", 'ALTER TABLE t ADD COLUMN foo int DEFAULT "MyCounter"();'),
    F("ban-volatile-default", "ALTER TABLE t ADD COLUMN n bigint DEFAULT nextval('s');"),
    F("ban-volatile-default", "ALTER TABLE t ADD COLUMN c timestamptz DEFAULT clock_timestamp();"),
    P(
        "ban-volatile-default",
        "ALTER TABLE t ADD COLUMN j jsonb DEFAULT jsonb_build_object('a', 1);",
    ),
    P("ban-volatile-default", "ALTER TABLE t ADD COLUMN p numeric(10,2) DEFAULT 0::numeric(10,2);"),
    P(
        "ban-volatile-default",
        "ALTER TABLE t ADD COLUMN v varchar(20) DEFAULT CAST('x' AS varchar(20));",
    ),
    P(
        "ban-volatile-default",
        "ALTER TABLE t ADD COLUMN l text DEFAULT lower(coalesce(NULL, 'A'));",
    ),
    P("ban-volatile-default", "ALTER TABLE t ADD COLUMN q int DEFAULT 1 CHECK (q > 0);"),
    P(
        "ban-volatile-default",
        "ALTER TABLE t ADD COLUMN z timestamptz DEFAULT timezone('utc', now());",
    ),
    P("ban-volatile-default", "ALTER TABLE t ADD COLUMN s text DEFAULT '';"),
    P("ban-volatile-default", "CREATE TABLE t (id uuid DEFAULT gen_random_uuid());"),
    F("ban-volatile-default", "ALTER TABLE t ADD COLUMN r int DEFAULT (random() * 10)::int;"),
    F("ban-volatile-default", "ALTER TABLE t ADD COLUMN r jsonb DEFAULT public.make_doc();"),
    F("ban-volatile-default", "ALTER TABLE t ADD COLUMN r timestamptz DEFAULT clock_timestamp();"),
    F("ban-volatile-default", "ALTER TABLE t ADD COLUMN r uuid DEFAULT gen_random_uuid();"),
    P(
        "ban-volatile-default",
        "ALTER TABLE t ADD COLUMN p numeric(10,2) DEFAULT '0'::numeric(10,2);",
    ),
    P("ban-volatile-default", "ALTER TABLE t ADD COLUMN at timestamptz DEFAULT CURRENT_TIMESTAMP;"),
    P("ban-volatile-default", "ALTER TABLE t ADD COLUMN n text DEFAULT lower('X') || 'random()';"),
    P(
        "ban-volatile-default",
        "ALTER TABLE t ADD COLUMN v varchar(20) DEFAULT CAST(1 AS varchar(20));",
    ),
    F("ban-volatile-default", "ALTER TABLE t ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY;"),
    P(
        "ban-volatile-default",
        "CREATE TABLE t2 (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);",
    ),
    # a function the file creates IMMUTABLE or STABLE: PostgreSQL reads what it declares
    P(
        "ban-volatile-default",
        "CREATE FUNCTION two() RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT 2 $$;\n"
        "ALTER TABLE t ADD COLUMN c int DEFAULT two();",
    ),
    P(
        "ban-volatile-default",
        "CREATE FUNCTION app.pick(a int, b int DEFAULT 0) RETURNS int LANGUAGE sql STABLE\n"
        "  AS $$ SELECT a + b $$;\nALTER TABLE t ADD COLUMN c int DEFAULT app.pick(1);",
    ),
    # ... not one it creates VOLATILE (the default), nor where another of that name could be
    # the one called (another argument count, another schema, a volatile overload beside it)
    F(
        "ban-volatile-default",
        "CREATE FUNCTION code() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END $$;\n"
        "ALTER TABLE t ADD COLUMN c int DEFAULT code();",
    ),
    F(
        "ban-volatile-default",
        "CREATE FUNCTION two(a int) RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT 2 $$;\n"
        "ALTER TABLE t ADD COLUMN c int DEFAULT two();",
    ),
    F(
        "ban-volatile-default",
        "CREATE FUNCTION app.two() RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT 2 $$;\n"
        "ALTER TABLE t ADD COLUMN c int DEFAULT other.two();",
    ),
    F(
        "ban-volatile-default",
        "CREATE FUNCTION two() RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT 2 $$;\n"
        "CREATE FUNCTION two(a int) RETURNS int LANGUAGE sql VOLATILE AS $$ SELECT a $$;\n"
        "ALTER TABLE t ADD COLUMN c int DEFAULT two();",
    ),
    F(
        "ban-volatile-default",
        "ALTER TABLE t ADD COLUMN c int DEFAULT two();\n"
        "CREATE FUNCTION two() RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT 2 $$;",
    ),
]
