"""Cases for require-definer-search-path: SQL that must fire it (F) and SQL that must not (P)."""

from __future__ import annotations

from tests.sql.cases import F, P

CASES = [
    F(
        "require-definer-search-path",
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql SECURITY DEFINER AS $$ SELECT 1 $$;",
    ),
    F(
        "require-definer-search-path",
        "CREATE OR REPLACE FUNCTION app.grant_admin(u bigint) RETURNS void\n"
        "LANGUAGE plpgsql SECURITY DEFINER AS $$ BEGIN UPDATE users SET admin = true "
        "WHERE id = u; END $$;",
    ),
    F(
        "require-definer-search-path",
        "CREATE PROCEDURE p() LANGUAGE sql SECURITY DEFINER SET work_mem = '64MB' "
        "AS $$ SELECT 1 $$;",
    ),
    F("require-definer-search-path", "ALTER FUNCTION f(int) SECURITY DEFINER;"),
    F("require-definer-search-path", "ALTER PROCEDURE p() EXTERNAL SECURITY DEFINER;"),
    F(
        "require-definer-search-path",
        "ALTER FUNCTION f() SECURITY DEFINER RESET search_path;",
    ),
    P(
        "require-definer-search-path",
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql SECURITY DEFINER "
        "SET search_path = app, pg_temp AS $$ SELECT 1 $$;",
    ),
    P(
        "require-definer-search-path",
        "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql SECURITY DEFINER "
        "SET search_path TO '' AS $$ BEGIN RETURN 1; END $$;",
    ),
    P(
        "require-definer-search-path",
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql SET search_path FROM CURRENT "
        "SECURITY DEFINER AS $$ SELECT 1 $$;",
    ),
    P(
        "require-definer-search-path",
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql SECURITY INVOKER AS $$ SELECT 1 $$;",
    ),
    P(
        "require-definer-search-path",
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;",
    ),
    P(
        "require-definer-search-path",
        "ALTER FUNCTION f() SECURITY DEFINER SET search_path = app, pg_temp;",
    ),
    P("require-definer-search-path", "ALTER FUNCTION f() SECURITY INVOKER;"),
]
