"""Cases for ban-builtin-shadowing: SQL that must fire it (F) and SQL that must not (P)."""

from __future__ import annotations

from tests.sql.cases import F, P

R = "ban-builtin-shadowing"

CASES = [
    F(
        R,
        "CREATE FUNCTION public.lower(v varchar) RETURNS text LANGUAGE sql IMMUTABLE\n"
        "AS $$ SELECT 'x' $$;",
    ),
    F(
        R,
        "CREATE OR REPLACE FUNCTION now() RETURNS timestamptz LANGUAGE sql AS $$ SELECT 'epoch'::timestamptz $$;",
    ),
    F(
        R,
        "CREATE FUNCTION app.pg_terminate_backend(p int) RETURNS bool LANGUAGE sql AS $$ SELECT true $$;",
    ),
    F(R, "CREATE PROCEDURE public.format(t text) LANGUAGE sql AS $$ SELECT 1 $$;"),
    F(R, "CREATE AGGREGATE public.sum(text) (SFUNC = textcat, STYPE = text);"),
    F(R, "CREATE OPERATOR public.= (LEFTARG = text, RIGHTARG = varchar, FUNCTION = texteq);"),
    F(R, "ALTER FUNCTION app.my_lower(varchar) RENAME TO lower;"),
    F(
        R,
        "DO $$ BEGIN CREATE FUNCTION upper(v varchar) RETURNS text LANGUAGE sql AS 'SELECT v'; END $$;",
    ),
    # a type of the file's own: no existing query passes a value of it (ip4r's operators)
    P(
        R,
        "CREATE TYPE ip4;\nCREATE FUNCTION ip4_in(cstring) RETURNS ip4 LANGUAGE c AS 'ip4r';\n"
        "CREATE FUNCTION ip4_out(ip4) RETURNS cstring LANGUAGE c AS 'ip4r';\n"
        "CREATE TYPE ip4 (INPUT = ip4_in, OUTPUT = ip4_out);\n"
        "CREATE OPERATOR < (LEFTARG = ip4, RIGHTARG = public.ip4, PROCEDURE = ip4_lt);\n"
        "CREATE AGGREGATE max(ip4) (SFUNC = ip4_larger, STYPE = ip4);\n"
        "CREATE FUNCTION lower(r ip4[], OUT n int) LANGUAGE sql AS 'SELECT 1';",
    ),
    P(
        R,
        "CREATE TYPE mood AS ENUM ('a', 'b');\n"
        "CREATE FUNCTION upper(m mood, t text) RETURNS text LANGUAGE sql AS 'SELECT t';",
    ),
    # ... unless a cast makes an existing type into it implicitly, or it is a domain (a value
    # of its base type is passed as it is), or it is not the file's (it may be in use)
    F(
        R,
        "CREATE TYPE ip4;\nCREATE OPERATOR < (LEFTARG = ip4, RIGHTARG = ip4, PROCEDURE = f);\n"
        "CREATE CAST (bigint AS ip4) WITH FUNCTION ip4(bigint) AS IMPLICIT;",
    ),
    F(
        R,
        "CREATE TYPE ip4;\nCREATE OPERATOR < (LEFTARG = ip4, RIGHTARG = ip4, PROCEDURE = f);\n"
        "DO $$ BEGIN CREATE CAST (bigint AS ip4) WITH FUNCTION ip4(bigint) AS IMPLICIT; END $$;",
    ),
    F(
        R,
        "CREATE DOMAIN short AS varchar(10);\n"
        "CREATE FUNCTION lower(s short) RETURNS text LANGUAGE sql AS 'SELECT 1';",
    ),
    F(R, "CREATE FUNCTION lower(m mood) RETURNS text LANGUAGE sql AS 'SELECT 1';"),
    # (a built-in type's name, unqualified, is the built-in type: pg_catalog is searched first)
    F(
        R,
        "CREATE TYPE public.int2 AS ENUM ('a');\n"
        "CREATE FUNCTION public.sqrt(v int2) RETURNS float8 LANGUAGE sql AS 'SELECT 1';",
    ),
    P(
        R,
        "CREATE TYPE app.int2 AS ENUM ('a');\n"
        "CREATE FUNCTION app.sqrt(v app.int2) RETURNS float8 LANGUAGE sql AS 'SELECT 1';",
    ),
    F(
        R,
        "CREATE TYPE app.mood AS ENUM ('a');\n"
        "CREATE FUNCTION lower(m other.mood) RETURNS text LANGUAGE sql AS 'SELECT 1';",
    ),
    P(
        R,
        "CREATE FUNCTION public.app_lower(v varchar) RETURNS text LANGUAGE sql AS $$ SELECT 'x' $$;",
    ),
    P(R, 'CREATE FUNCTION public."Lower"(v varchar) RETURNS text LANGUAGE sql AS $$ SELECT v $$;'),
    P(R, "CREATE OPERATOR public.=== (LEFTARG = text, RIGHTARG = text, FUNCTION = texteq);"),
    P(R, "CREATE AGGREGATE public.concat_all(text) (SFUNC = textcat, STYPE = text);"),
    P(R, "ALTER FUNCTION app.lower_v1(varchar) RENAME TO app_lower;"),
    P(
        R,
        "CREATE FUNCTION app.set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;",
    ),
]
