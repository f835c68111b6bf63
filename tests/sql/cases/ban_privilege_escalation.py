"""Cases for ban-privilege-escalation: SQL that must fire it (F) and SQL that must not (P)."""

from __future__ import annotations

from tests.sql.cases import F, P

R = "ban-privilege-escalation"

CASES = [
    # a routine given to a role that holds everything
    F("ban-privilege-escalation", "ALTER FUNCTION app.promote(bigint) OWNER TO postgres;"),
    F("ban-privilege-escalation", "ALTER PROCEDURE app.cleanup() OWNER TO neon_superuser;"),
    P("ban-privilege-escalation", "ALTER FUNCTION app.promote(bigint) OWNER TO app_owner;"),
    # a view made here reads with its owner's rights unless security_invoker
    F(
        "ban-privilege-escalation",
        "CREATE VIEW public.user_emails AS SELECT id, email FROM auth.users;\n"
        "GRANT SELECT ON public.user_emails TO anon, authenticated;",
    ),
    F(
        "ban-privilege-escalation",
        "CREATE VIEW profiles_v AS SELECT * FROM profiles;\n"
        "GRANT INSERT, UPDATE ON TABLE public.profiles_v TO authenticated;",
    ),
    F(
        "ban-privilege-escalation",
        "CREATE VIEW v WITH (security_invoker = false) AS SELECT * FROM profiles;\n"
        "GRANT ALL ON v TO authenticated;",
    ),
    P(
        "ban-privilege-escalation",
        "CREATE VIEW public.user_emails WITH (security_invoker = true) AS\n"
        "SELECT id, email FROM auth.users;\nGRANT SELECT ON public.user_emails TO authenticated;",
    ),
    P(
        "ban-privilege-escalation",
        "CREATE VIEW app.version AS SELECT '1.2' AS v;\nGRANT SELECT ON app.version TO anon;",
    ),
    # another schema's view of that name is not the one this file made
    P(
        "ban-privilege-escalation",
        "CREATE VIEW app.v AS SELECT * FROM app.t;\nGRANT SELECT ON v TO anon;",
    ),
    # a SECURITY DEFINER routine PUBLIC may execute (the default for every new routine)
    F(
        "ban-privilege-escalation",
        "CREATE FUNCTION app.emails() RETURNS SETOF text LANGUAGE sql SECURITY DEFINER\n"
        "SET search_path = app, pg_temp AS $$ SELECT email FROM app.users $$;",
    ),
    F(
        "ban-privilege-escalation",
        "CREATE PROCEDURE app.promote(u bigint) LANGUAGE sql SECURITY DEFINER\n"
        "SET search_path = app, pg_temp AS $$ UPDATE app.users SET admin = true WHERE id = u $$;\n"
        "REVOKE EXECUTE ON PROCEDURE other.promote(bigint) FROM PUBLIC;",
    ),
    F("ban-privilege-escalation", "ALTER FUNCTION app.f() SECURITY DEFINER SET search_path = '';"),
    P(
        "ban-privilege-escalation",
        "CREATE FUNCTION app.emails() RETURNS SETOF text LANGUAGE sql SECURITY DEFINER\n"
        "SET search_path = app, pg_temp AS $$ SELECT email FROM app.users $$;\n"
        "REVOKE EXECUTE ON FUNCTION app.emails() FROM PUBLIC;\n"
        "GRANT EXECUTE ON FUNCTION app.emails() TO support;",
    ),
    P(
        "ban-privilege-escalation",
        "CREATE FUNCTION app.emails() RETURNS SETOF text LANGUAGE sql SECURITY DEFINER\n"
        "SET search_path = app, pg_temp AS $$ SELECT email FROM app.users $$;\n"
        "REVOKE ALL ON ALL FUNCTIONS IN SCHEMA app FROM PUBLIC;",
    ),
    P(
        "ban-privilege-escalation",
        "ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;\n"
        "CREATE FUNCTION app.emails() RETURNS SETOF text LANGUAGE sql SECURITY DEFINER\n"
        "SET search_path = app, pg_temp AS $$ SELECT email FROM app.users $$;",
    ),
    # a trigger function is called only as a trigger
    P(
        "ban-privilege-escalation",
        "CREATE FUNCTION app.stamp() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER\n"
        "SET search_path = app, pg_temp AS $$ BEGIN NEW.at := now(); RETURN NEW; END $$;",
    ),
    P(
        "ban-privilege-escalation",
        "CREATE FUNCTION app.emails() RETURNS SETOF text LANGUAGE sql\n"
        "AS $$ SELECT email FROM app.users $$;",
    ),
    # role attributes that bypass the permission system
    F(R, "ALTER ROLE app SUPERUSER;"),
    F(R, "ALTER ROLE app WITH LOGIN SUPERUSER NOCREATEROLE;"),
    F(R, "ALTER USER app WITH BYPASSRLS;"),
    F(R, "CREATE ROLE reporter LOGIN CREATEROLE;"),
    F(R, "CREATE USER replicator WITH REPLICATION;"),
    # membership in roles that hold everything
    F(R, "GRANT pg_read_all_data TO analyst;"),
    F(R, "GRANT pg_write_all_data, app_rw TO etl;"),
    F(R, "GRANT neon_superuser TO app;"),
    F(R, "GRANT postgres TO app;"),
    F(R, "GRANT pg_execute_server_program TO app;"),
    F(R, "CREATE ROLE x LOGIN IN ROLE pg_read_server_files;"),
    F(R, "ALTER GROUP pg_signal_backend ADD USER app;"),
    F(R, "GRANT app_rw TO app WITH ADMIN OPTION;"),
    F(R, "GRANT app_admin TO PUBLIC;"),  # every role a member
    P(R, "GRANT app_admin TO deploy;"),
    # EXECUTE on the superuser-only built-ins that reach the server's files
    F(R, "GRANT EXECUTE ON FUNCTION pg_read_file(text) TO app;"),
    F(R, "GRANT ALL ON FUNCTION pg_catalog.lo_export(oid, text) TO app;"),
    F(R, "GRANT EXECUTE ON FUNCTION pg_reload_conf(), pg_ls_dir(text) TO ops;"),
    F(R, "GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA pg_catalog TO app;"),
    P(R, "GRANT EXECUTE ON FUNCTION app.pg_read_file(text) TO app;"),  # not the built-in
    P(R, "GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA app TO app;"),
    P(R, "GRANT EXECUTE ON FUNCTION pg_terminate_backend(integer) TO ops;"),  # PUBLIC's already
    P(R, "REVOKE EXECUTE ON FUNCTION pg_read_file(text) FROM app;"),
    F(R, "GRANT app_rw TO app WITH ADMIN TRUE;"),
    # data and CREATE for every role
    F(R, "GRANT SELECT ON users TO PUBLIC;"),
    F(R, "GRANT SELECT, UPDATE (email) ON public.users TO app, PUBLIC;"),
    F(R, "GRANT ALL ON ALL TABLES IN SCHEMA public TO PUBLIC;"),
    F(R, "GRANT USAGE, SELECT ON SEQUENCE users_id_seq TO PUBLIC;"),
    F(R, "GRANT CREATE ON SCHEMA public TO PUBLIC;"),
    F(R, "GRANT ALL ON SCHEMA app TO PUBLIC;"),
    F(R, "GRANT ALL PRIVILEGES ON DATABASE neondb TO PUBLIC;"),
    F(R, "CREATE TABLE t (id bigint PRIMARY KEY);\nGRANT ALL ON t TO PUBLIC;"),
    F(R, "ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT SELECT ON TABLES TO PUBLIC;"),
    F(R, "ALTER DEFAULT PRIVILEGES FOR ROLE app GRANT ALL ON SEQUENCES TO PUBLIC;"),
    # row-level security switched off on a table that had it
    F(R, "ALTER TABLE profiles DISABLE ROW LEVEL SECURITY;"),
    F(R, "ALTER TABLE public.profiles NO FORCE ROW LEVEL SECURITY;"),
    # inside a DO block, as in the file
    F(R, "DO $$ BEGIN ALTER ROLE app SUPERUSER; END $$;"),
    F(R, "DO $$ BEGIN IF true THEN GRANT SELECT ON users TO PUBLIC; END IF; END $$;"),
    # what is fine: roles without those attributes, memberships in ordinary roles,
    # what PostgreSQL itself gives PUBLIC, grants to named roles, switching protections on
    P(R, "CREATE ROLE app_ro NOLOGIN;"),
    P(R, "CREATE ROLE x NOSUPERUSER NOCREATEROLE NOBYPASSRLS;"),
    P(R, "ALTER ROLE app NOSUPERUSER;"),
    P(R, "GRANT app_ro TO app;"),
    P(R, "GRANT app_ro TO app WITH ADMIN FALSE;"),
    P(R, "GRANT app_ro TO app WITH INHERIT TRUE;"),
    P(R, "ALTER GROUP app_ro ADD USER app;"),
    P(R, "GRANT SELECT ON users TO app_ro;"),
    P(R, "GRANT ALL ON ALL TABLES IN SCHEMA app TO app_rw;"),
    P(R, "GRANT USAGE ON SCHEMA app TO PUBLIC;"),
    P(R, "GRANT EXECUTE ON FUNCTION app.score(bigint) TO PUBLIC;"),
    P(R, "GRANT USAGE ON TYPE mood TO PUBLIC;"),
    P(R, "GRANT ALL ON FUNCTION app.score(bigint) TO PUBLIC;"),
    P(R, "GRANT ALL PRIVILEGES ON ALL FUNCTIONS IN SCHEMA app TO PUBLIC;"),
    P(R, "GRANT CONNECT, TEMPORARY ON DATABASE neondb TO PUBLIC;"),
    P(R, "REVOKE ALL ON users FROM PUBLIC;"),
    P(R, "REVOKE CREATE ON SCHEMA public FROM PUBLIC;"),
    P(R, "REVOKE pg_read_all_data FROM analyst;"),
    P(R, "ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT SELECT ON TABLES TO app_ro;"),
    P(R, "ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT EXECUTE ON FUNCTIONS TO PUBLIC;"),
    P(R, "ALTER DEFAULT PRIVILEGES IN SCHEMA app REVOKE ALL ON TABLES FROM PUBLIC;"),
    P(R, "ALTER TABLE profiles ENABLE ROW LEVEL SECURITY;"),
    P(R, "ALTER TABLE profiles FORCE ROW LEVEL SECURITY;"),
    P(R, "CREATE TABLE t (id bigint PRIMARY KEY);\nALTER TABLE t DISABLE ROW LEVEL SECURITY;"),
    P(R, "ALTER TABLE users ADD COLUMN bio text;"),
]
