"""Cases for require-definer-search-path: SQL that must fire it (F) and SQL that must not (P)."""

from __future__ import annotations

from tests.sql.cases import F, P

CASES = [
    # the path does not name pg_temp, so the caller's temporary tables come first
    F(
        "require-definer-search-path",
        "CREATE FUNCTION is_admin() RETURNS boolean LANGUAGE sql SECURITY DEFINER\n"
        "SET search_path = public AS $$ SELECT admin FROM users WHERE id = 1 $$;",
    ),
    F(
        "require-definer-search-path",
        "CREATE FUNCTION log_it() RETURNS void LANGUAGE plpgsql SECURITY DEFINER "
        "SET search_path = app AS $$ BEGIN INSERT INTO audit (x) VALUES (1); END $$;",
    ),
    F(
        "require-definer-search-path",
        "CREATE FUNCTION n() RETURNS bigint LANGUAGE sql SECURITY DEFINER "
        "SET search_path = '' BEGIN ATOMIC SELECT count(*) FROM pg_class; END;",
    ),
    F(
        "require-definer-search-path",
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql SECURITY DEFINER "
        "SET search_path = pg_temp, app AS $$ SELECT 1 $$;",
    ),
    # one quoted string is one schema named 'app, pg_temp'
    F(
        "require-definer-search-path",
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql SECURITY DEFINER "
        "SET search_path = 'app, pg_temp' AS $$ SELECT 1 $$;",
    ),
    F(
        "require-definer-search-path",
        "ALTER FUNCTION f() SECURITY DEFINER SET search_path TO pg_temp, public;",
    ),
    P(
        "require-definer-search-path",
        "CREATE FUNCTION is_admin() RETURNS boolean LANGUAGE sql SECURITY DEFINER\n"
        "SET search_path = public AS $$ SELECT admin FROM public.users WHERE id = 1 $$;",
    ),
    P(
        "require-definer-search-path",
        "CREATE FUNCTION is_admin() RETURNS boolean LANGUAGE sql SECURITY DEFINER\n"
        "SET search_path = public, pg_temp AS $$ SELECT admin FROM users WHERE id = 1 $$;",
    ),
    P(
        "require-definer-search-path",
        "CREATE FUNCTION c() RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER "
        "SET search_path = app AS $$ DECLARE n bigint; BEGIN "
        "CREATE TEMP TABLE scratch (x int); INSERT INTO scratch VALUES (1); "
        "WITH w AS (SELECT 1) SELECT count(*) INTO n FROM w; RETURN n; END $$;",
    ),
    # not a definer: runs with the caller's own rights
    P(
        "require-definer-search-path",
        "CREATE FUNCTION f() RETURNS bigint LANGUAGE sql SET search_path = public "
        "AS $$ SELECT count(*) FROM users $$;",
    ),
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
