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
