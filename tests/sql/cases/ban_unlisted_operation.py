"""Cases for ban-unlisted-operation: SQL that must fire it (F) and SQL that must not (P)."""

from __future__ import annotations

from tests.sql.cases import F, P

CASES = [
    # extended statistics on a table in use: a catalog entry, gathered by the next ANALYZE;
    # SET CONSTRAINTS decides when this transaction checks its deferrable constraints
    P(
        "ban-unlisted-operation",
        "CREATE STATISTICS users_stats (dependencies) ON city, zip FROM users;",
    ),
    P("ban-unlisted-operation", "SET CONSTRAINTS ALL DEFERRED;"),
    # a detached partition's rows leave every query of the parent, concurrently or not
    F("ban-unlisted-operation", "ALTER TABLE events DETACH PARTITION events_2019 CONCURRENTLY;"),
    # an extension known to stay in the sandbox is a new object; one the linter does not know
    # installs what it cannot see (CREATE LANGUAGE without a handler is CREATE EXTENSION)
    P("ban-unlisted-operation", 'CREATE EXTENSION IF NOT EXISTS "uuid-ossp";'),
    P("ban-unlisted-operation", "CREATE EXTENSION vector WITH SCHEMA extensions;"),
    P("ban-unlisted-operation", "CREATE EXTENSION plv8;"),
    P("ban-unlisted-operation", "CREATE LANGUAGE plperl;"),
    F("ban-unlisted-operation", "CREATE EXTENSION pg_evil_worker;"),
    F("ban-unlisted-operation", "CREATE LANGUAGE plsample;"),
    F("ban-unlisted-operation", "CREATE EXTENSION IF NOT EXISTS xml2;"),
    # (Supabase's migrations install these)
    P(
        "ban-unlisted-operation",
        "CREATE EXTENSION IF NOT EXISTS index_advisor WITH SCHEMA extensions;",
    ),
    P(
        "ban-unlisted-operation",
        'CREATE EXTENSION IF NOT EXISTS "pgroonga" WITH SCHEMA "extensions";',
    ),
    F("ban-unlisted-operation", "CREATE EXTENSION pg_tle;"),
    # planner statistics and tuning storage parameters: catalog only, nothing scanned or rewritten
    P(
        "ban-unlisted-operation",
        "ALTER TABLE event_search ALTER COLUMN room_id SET (n_distinct = -0.01);",
    ),
    P("ban-unlisted-operation", "ALTER TABLE t ALTER c RESET (n_distinct);"),
    P("ban-unlisted-operation", "ALTER TABLE t ALTER c SET STATISTICS 500;"),
    P(
        "ban-unlisted-operation",
        "ALTER TABLE t SET (fillfactor = 70, autovacuum_vacuum_scale_factor = 0.01, "
        "toast.autovacuum_enabled = true);",
    ),
    P("ban-unlisted-operation", "ALTER TABLE t RESET (fillfactor, autovacuum_enabled);"),
    P("ban-unlisted-operation", "ALTER INDEX i SET (fillfactor = 80, deduplicate_items = off);"),
    P("ban-unlisted-operation", "ALTER INDEX i ALTER COLUMN 1 SET STATISTICS 1000;"),
    P("ban-unlisted-operation", "ALTER MATERIALIZED VIEW mv SET (autovacuum_enabled);"),
    # ... but switching autovacuum off is no tuning: dead rows pile up, statistics go stale
    F("ban-unlisted-operation", "ALTER MATERIALIZED VIEW mv SET (autovacuum_enabled = false);"),
    F(
        "ban-unlisted-operation",
        "ALTER TABLE t SET (fillfactor = 70, toast.autovacuum_enabled = off);",
    ),
    F("ban-unlisted-operation", "ALTER TABLE t SET (autovacuum_enabled = 0);"),
    F("ban-unlisted-operation", "ALTER TABLE t SET (autovacuum_enabled = 'fals');"),
    P(
        "ban-unlisted-operation",
        "CREATE TABLE staging (id bigint) WITH (autovacuum_enabled = false);",
    ),
    # ... but not who sees what, nor what logical decoding reads, nor a tuning one beside those
    F("ban-unlisted-operation", "ALTER VIEW v SET (security_barrier = false);"),
    F("ban-unlisted-operation", "ALTER VIEW v SET (security_invoker = true);"),
    F("ban-unlisted-operation", "ALTER TABLE t SET (user_catalog_table = true);"),
    F("ban-unlisted-operation", "ALTER TABLE t SET (fillfactor = 70, user_catalog_table = true);"),
    F(
        "ban-unlisted-operation",
        "ALTER TABLE t ALTER c SET STATISTICS 100, ALTER c SET STORAGE EXTERNAL;",
    ),
    F("ban-unlisted-operation", "ALTER INDEX i ATTACH PARTITION i_2020;"),
    # a child of an existing table adds rows to its queries, past its unique constraints
    F("ban-unlisted-operation", "CREATE TABLE shadow_users () INHERITS (users);"),
    P(
        "ban-unlisted-operation",
        "CREATE TABLE base (id bigint);\nCREATE TABLE child () INHERITS (base);",
    ),
    P(
        "ban-unlisted-operation",
        "CREATE TABLE events_2020 PARTITION OF events FOR VALUES IN (2020);",
    ),
    # extensions that install an untrusted language beside any trusted one
    F("ban-unlisted-operation", "CREATE EXTENSION pljava;"),
    F("ban-unlisted-operation", "CREATE FUNCTION f() RETURNS int LANGUAGE javaU AS 'X.f';"),
    P("ban-unlisted-operation", "CREATE EXTENSION plv8;"),
    # a data-modifying WITH is a write, wherever the query stands
    F(
        "ban-unlisted-operation",
        "CREATE TABLE x AS WITH u AS (UPDATE users SET admin = true WHERE id = 1 RETURNING id)\n"
        "SELECT * FROM u;",
    ),
    F(
        "ban-unlisted-operation",
        "DO $$ DECLARE x int; BEGIN\n"
        "WITH u AS (UPDATE users SET admin = true WHERE id = 1 RETURNING 1) SELECT 1 INTO x FROM u;\n"
        "END $$;",
    ),
    F(
        "ban-unlisted-operation",
        "DO $$ DECLARE r record; BEGIN FOR r IN\n"
        "WITH u AS (UPDATE users SET admin = true WHERE id = 1 RETURNING id) SELECT * FROM u\n"
        "LOOP END LOOP; END $$;",
    ),
    P(
        "ban-unlisted-operation",
        "DO $$ DECLARE n bigint; BEGIN\n"
        "WITH c AS (SELECT id FROM users) SELECT count(*) INTO n FROM c;\n"
        "IF n = 0 THEN CREATE TABLE fresh (id bigint); END IF; END $$;",
    ),
    P("ban-unlisted-operation", "CREATE TABLE x AS WITH c AS (SELECT 1 AS a) SELECT * FROM c;"),
    # the DEFAULT of a conversion is a flag, not a clause: read without failing
    F("ban-unlisted-operation", "CREATE DEFAULT CONVERSION c FOR 'UTF8' TO 'LATIN1' FROM app.f;"),
    # a schema named at run time could be any, the reconciler's own included
    F(
        "ban-unlisted-operation",
        "DO $$ DECLARE r record; BEGIN FOR r IN SELECT schemaname, tablename FROM pg_tables LOOP\n"
        "  EXECUTE format('INSERT INTO %I.%I VALUES (1) ON CONFLICT DO NOTHING', r.schemaname, "
        "r.tablename);\nEND LOOP; END $$;",
    ),
    F(
        "ban-unlisted-operation",
        "DO $$ DECLARE s text := 'app'; BEGIN\n"
        "  EXECUTE format('ALTER TABLE %I.users ADD COLUMN note text', s);\nEND $$;",
    ),
    P(
        "ban-unlisted-operation",
        "DO $$ DECLARE t text := 'users'; BEGIN\n"
        "  EXECUTE format('ALTER TABLE app.%I ADD COLUMN note text', t);\nEND $$;",
    ),
    # an allowed INSERT does not carry other changes in its WITH
    F(
        "ban-unlisted-operation",
        "WITH u AS (UPDATE users SET admin = true WHERE id = 1 RETURNING id)\n"
        "INSERT INTO audit (user_id) SELECT id FROM u ON CONFLICT DO NOTHING;",
    ),
    F(
        "ban-unlisted-operation",
        "WITH n AS (INSERT INTO users (id) VALUES (1) RETURNING id)\n"
        "INSERT INTO audit (user_id) SELECT id FROM n ON CONFLICT DO NOTHING;",
    ),
    F("ban-unlisted-operation", "CREATE EXTENSION IF NOT EXISTS pg_net;"),
    F("ban-unlisted-operation", "CREATE EXTENSION pg_cron WITH SCHEMA extensions;"),
    F("ban-unlisted-operation", "CREATE EXTENSION http;"),
    F(
        "ban-unlisted-operation",
        "CREATE SCHEMA IF NOT EXISTS app;\nGRANT ALL ON SCHEMA app TO anon;",
    ),
    F(
        "ban-unlisted-operation",
        "CREATE TABLE IF NOT EXISTS users (id bigint);\nCREATE POLICY p ON users USING (true);",
    ),
    P("ban-unlisted-operation", "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;"),
    F(
        "ban-unlisted-operation",
        "CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;",
    ),
    # a trigger on a table in use runs its function on every write: one whose body the file
    # does not show is out of sight
    F(
        "ban-unlisted-operation",
        "CREATE TRIGGER trg AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION f();",
    ),
    F(
        "ban-unlisted-operation",
        "CREATE FUNCTION app.refuse() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RETURN NULL; END $$;\n"
        "CREATE TRIGGER trg BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION refuse();",
    ),
    P(
        "ban-unlisted-operation",
        "create function public.handle_new_user() returns trigger language plpgsql "
        "security definer set search_path = '' as $$ begin insert into public.profiles (id) "
        "values (new.id); return new; end; $$;\n"
        "create trigger on_auth_user_created after insert on auth.users for each row "
        "execute procedure public.handle_new_user();",
    ),
    F(
        "ban-unlisted-operation",
        "CREATE CONSTRAINT TRIGGER trg AFTER UPDATE ON app.orders DEFERRABLE "
        "FOR EACH ROW EXECUTE FUNCTION app.check_order();",
    ),
    P(
        "ban-unlisted-operation",
        "CREATE TABLE t (id bigint);\n"
        "CREATE TRIGGER trg AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION f();",
    ),
    F(
        "ban-unlisted-operation",
        "CREATE OR REPLACE TRIGGER trg AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION f();",
    ),
    F("ban-unlisted-operation", "ALTER TABLE t OWNER TO bob, ADD COLUMN x int;"),
    F("ban-unlisted-operation", "GRANT SELECT ON t TO reporting;"),
    F("ban-unlisted-operation", "SELECT count(*) FROM t;"),
    F("ban-unlisted-operation", "UPDATE t SET a = 1 WHERE id = 5;"),
    F("ban-unlisted-operation", "ALTER TABLE t ALTER COLUMN a DROP DEFAULT;"),
    P(  # a staging table made and dropped again by the same file
        "ban-unlisted-operation",
        "CREATE TEMP TABLE ids AS SELECT id FROM users WHERE NOT active;\n"
        "INSERT INTO archive SELECT id FROM ids ON CONFLICT DO NOTHING;\nDROP TABLE pg_temp.ids;",
    ),
    P("ban-unlisted-operation", "CREATE TYPE e AS ENUM ('a');\nDROP TYPE e;"),
    # pg_dump's sequence set-up after a CREATE SEQUENCE
    P(
        "ban-unlisted-operation",
        "CREATE TABLE t (id bigint NOT NULL);\nCREATE SEQUENCE t_id_seq;\n"
        "ALTER SEQUENCE t_id_seq OWNED BY t.id;\nSELECT pg_catalog.setval('public.t_id_seq', 1, false);",
    ),
    F("ban-unlisted-operation", "ALTER SEQUENCE users_id_seq OWNED BY users.id;"),
    P("ban-unlisted-operation", "CREATE DOMAIN app.email AS text CHECK (VALUE ~ '@');"),
    P(
        "ban-unlisted-operation",
        "CREATE MATERIALIZED VIEW mv AS SELECT count(*) AS n FROM users WITH NO DATA;\n"
        "REFRESH MATERIALIZED VIEW mv;",
    ),
    F(  # the refresh runs the view's query, and the function an earlier migration made
        "ban-unlisted-operation",
        "CREATE MATERIALIZED VIEW mv AS SELECT app.f() AS x WITH NO DATA;\n"
        "REFRESH MATERIALIZED VIEW mv;",
    ),
    F("ban-unlisted-operation", "CREATE SEQUENCE s;\nSELECT setval('s', 1) FROM users;"),
    F("ban-unlisted-operation", "CREATE SEQUENCE s;\nSELECT setval('s', 1), app.f();"),
    F(
        "ban-unlisted-operation",
        "INSERT INTO t SELECT * FROM u ON CONFLICT (id) DO UPDATE SET a = 1;",
    ),
    P("ban-unlisted-operation", "CREATE TABLE t (id bigint PRIMARY KEY);"),
    P("ban-unlisted-operation", "CREATE INDEX CONCURRENTLY i ON t (a);"),
    P("ban-unlisted-operation", "ALTER TABLE t ADD COLUMN note text;"),
    P("ban-unlisted-operation", "ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID;"),
    P("ban-unlisted-operation", "INSERT INTO t (id) VALUES (1) ON CONFLICT DO NOTHING;"),
    P("ban-unlisted-operation", "COMMENT ON TABLE t IS 'x';"),
    P("ban-unlisted-operation", "SET LOCAL lock_timeout = '1s';"),
    P(
        "ban-unlisted-operation",
        "CREATE TABLE n (id bigint); ALTER TABLE n ALTER COLUMN id SET NOT NULL;",
    ),
    P("ban-unlisted-operation", "CREATE VIEW v AS SELECT 1 AS one;"),
    P("ban-unlisted-operation", "CREATE TYPE mood AS ENUM ('ok', 'bad');"),
    F("ban-unlisted-operation", "CREATE OR REPLACE VIEW v AS SELECT 1 AS a;"),
    P("ban-unlisted-operation", "CREATE VIEW v AS SELECT 1 AS a;"),
    F("ban-unlisted-operation", "ALTER TABLE t REPLICA IDENTITY FULL;"),
    F("ban-unlisted-operation", "ALTER TABLE t ENABLE TRIGGER ALL;"),
    P("ban-unlisted-operation", "ALTER TABLE t ADD COLUMN b int, VALIDATE CONSTRAINT c;"),
    P("ban-unlisted-operation", "ALTER TABLE t ADD CONSTRAINT u UNIQUE USING INDEX i;"),
    F(
        "ban-unlisted-operation",
        "INSERT INTO t (a) VALUES (1) ON CONFLICT (a) DO UPDATE SET a = 2;",
    ),
    F("ban-unlisted-operation", "CALL do_things();"),
    F("ban-unlisted-operation", "SET LOCAL session_replication_role = origin;"),
    F("ban-unlisted-operation", "SET ROLE postgres;"),
    P("ban-unlisted-operation", "SET LOCAL search_path TO app, public;"),
    F("ban-unlisted-operation", "CREATE EXTENSION IF NOT EXISTS plpython3u;"),
    F("ban-unlisted-operation", "CREATE LANGUAGE plperlu;"),
    F("ban-unlisted-operation", "CREATE EXTENSION dblink;"),
    F("ban-unlisted-operation", "CREATE FUNCTION f() RETURNS void LANGUAGE c AS 'evil', 'f';"),
    P("ban-unlisted-operation", "CREATE EXTENSION IF NOT EXISTS pg_trgm;"),
    P(
        "ban-unlisted-operation",
        "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END $$;",
    ),
    P(
        "ban-unlisted-operation",
        "DO $$ DECLARE n int; BEGIN SELECT count(*) INTO n FROM t; IF n = 0 THEN CREATE TABLE u (id bigint); END IF; END $$;",
    ),
    F(
        "ban-unlisted-operation",
        "DO $$ BEGIN FOR i IN 1..3 LOOP UPDATE t SET a = i WHERE id = i; END LOOP; END $$;",
    ),
    F("ban-unlisted-operation", "SET lock_timeout = 0;"),
    F("ban-unlisted-operation", "SET LOCAL statement_timeout TO '0';"),
    F("ban-unlisted-operation", "SET lock_timeout TO DEFAULT;"),
    P("ban-unlisted-operation", "SET LOCAL statement_timeout = '30s';"),
    F("ban-unlisted-operation", "RESET lock_timeout;"),
    F("ban-unlisted-operation", "RESET statement_timeout;"),
    F("ban-unlisted-operation", "RESET ALL;"),
    F("ban-unlisted-operation", "SET idle_in_transaction_session_timeout = 'soon';"),
    F("ban-unlisted-operation", "DO $$ BEGIN RESET lock_timeout; END $$;"),
    F(
        "ban-unlisted-operation",
        "DO $$ BEGIN PERFORM set_config('lock_timeout', '0', false); END $$;",
    ),
    F(
        "ban-unlisted-operation",
        "DO $$ DECLARE x text; BEGIN x := pg_catalog.set_config('role', 'admin', false); END $$;",
    ),
    P("ban-unlisted-operation", "RESET ROLE;"),
    F("ban-unlisted-operation", "COPY t (a, b) FROM stdin;\n1\tx\n\\.\n"),
    P(
        "ban-unlisted-operation",
        "CREATE TABLE t (a bigint, b text);\nCOPY t (a, b) FROM stdin;\n1\tx\n\\.\n",
    ),
    P("ban-unlisted-operation", "RESET search_path;"),
    P("ban-unlisted-operation", "DO $$ BEGIN PERFORM count(*) FROM pg_class; END $$;"),
    P("ban-unlisted-operation", "ALTER DOMAIN d ADD CONSTRAINT c CHECK (VALUE > 0) NOT VALID;"),
    F("ban-unlisted-operation", "ALTER DOMAIN d VALIDATE CONSTRAINT c;"),
    P("ban-unlisted-operation", "ALTER TABLE t ALTER COLUMN c SET DEFAULT '';"),
    P("ban-unlisted-operation", "ALTER TABLE t ALTER c SET DEFAULT gen_random_uuid();"),
    F("ban-unlisted-operation", "ALTER TABLE t ALTER COLUMN c DROP DEFAULT;"),
    # SET NOT NULL is listed only where a check this file validated proves it (no scan)
    P(
        "ban-unlisted-operation",
        "-- reconciler:no-transaction\n"
        "ALTER TABLE t ADD CONSTRAINT k CHECK (a IS NOT NULL) NOT VALID;\n"
        "ALTER TABLE t VALIDATE CONSTRAINT k;\n"
        "ALTER TABLE t ALTER COLUMN a SET NOT NULL;",
    ),
    # row security and privileges of a table this file creates (nobody uses it yet)
    P(
        "ban-unlisted-operation",
        "CREATE TABLE public.profiles (id bigint PRIMARY KEY);\n"
        "ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;\n"
        "CREATE POLICY read_all ON public.profiles FOR SELECT USING (true);\n"
        "GRANT SELECT ON profiles TO anon;\nREVOKE ALL ON TABLE public.profiles FROM PUBLIC;",
    ),
    F("ban-unlisted-operation", "CREATE POLICY read_all ON profiles FOR SELECT USING (true);"),
    F(
        "ban-unlisted-operation",
        "CREATE TABLE a (id bigint);\nGRANT SELECT ON a, b TO anon;",
    ),
    F(
        "ban-unlisted-operation",
        "CREATE TABLE a (id bigint);\nGRANT SELECT ON ALL TABLES IN SCHEMA public TO anon;",
    ),
    # pg_dump's opening settings: set_config() of constants is a SET by another name
    P("ban-unlisted-operation", "SELECT pg_catalog.set_config('search_path', '', false);"),
    P("ban-unlisted-operation", "SELECT set_config('lock_timeout', '500ms', true);"),
    F("ban-unlisted-operation", "SELECT pg_catalog.set_config('lock_timeout', '0', false);"),
    F("ban-unlisted-operation", "SELECT set_config('statement_timeout', 'forever', false);"),
    F("ban-unlisted-operation", "SELECT set_config('role', 'postgres', false);"),
    F(
        "ban-unlisted-operation",
        "SELECT set_config('search_path', '', false), set_config('session_authorization', 'x', false);",
    ),
    F("ban-unlisted-operation", "SELECT set_config('search_path', '', false) FROM pg_class;"),
    F("ban-unlisted-operation", "SELECT set_config(name, '', false) FROM t;"),
    # owners and privileges of objects this file creates, as pg_dump writes them after each
    P(
        "ban-unlisted-operation",
        "CREATE SCHEMA app;\nALTER SCHEMA app OWNER TO postgres;\n"
        "GRANT USAGE ON SCHEMA app TO anon;\n"
        "CREATE SEQUENCE app.ids;\nALTER SEQUENCE app.ids OWNER TO postgres;\n"
        "GRANT USAGE ON SEQUENCE app.ids TO anon;\n"
        "CREATE FUNCTION app.f(a text) RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;\n"
        "ALTER FUNCTION app.f(a text) OWNER TO postgres;\n"
        "REVOKE ALL ON FUNCTION app.f(a text) FROM PUBLIC;\n"
        "CREATE TYPE app.mood AS ENUM ('a');\nALTER TYPE app.mood OWNER TO postgres;",
    ),
    F("ban-unlisted-operation", "ALTER FUNCTION app.f(a text) OWNER TO someone;"),
    F("ban-unlisted-operation", "ALTER SCHEMA app OWNER TO someone;"),
    F("ban-unlisted-operation", "GRANT EXECUTE ON FUNCTION app.f() TO anon;"),
    # functions run at migration time: only built-ins PostgreSQL marks IMMUTABLE or STABLE
    # (aggregates and window functions included) and value makers; anything else (a function
    # of an earlier migration, setval) can change data, settings or locks out of sight
    F("ban-unlisted-operation", "DO $$ BEGIN PERFORM app.cleanup(); END $$;"),
    F("ban-unlisted-operation", "DO $$ DECLARE n bigint; BEGIN n := app.cleanup(); END $$;"),
    F(
        "ban-unlisted-operation",
        "DO $$ BEGIN IF app.cleanup() > 0 THEN RAISE NOTICE 'done'; END IF; END $$;",
    ),
    F(
        "ban-unlisted-operation",
        "DO $$ BEGIN PERFORM setval('users_id_seq', (SELECT max(id) FROM users)); END $$;",
    ),
    F("ban-unlisted-operation", "DO $$ BEGIN PERFORM app.lower('x'); END $$;"),
    F("ban-unlisted-operation", "CREATE TABLE t AS SELECT app.cleanup() AS n;"),
    F(
        "ban-unlisted-operation",
        "CREATE MATERIALIZED VIEW mv AS SELECT id FROM users WHERE app.keep(id);",
    ),
    F(
        "ban-unlisted-operation",
        "INSERT INTO settings (k, v) VALUES ('a', app.cleanup()) ON CONFLICT DO NOTHING;",
    ),
    F(
        "ban-unlisted-operation",
        "INSERT INTO settings (k, v) VALUES ('a', set_config('role', 'postgres', false)) "
        "ON CONFLICT DO NOTHING;",
    ),
    # a write that fires a trigger this file made runs its function now
    F(
        "ban-unlisted-operation",
        "CREATE TABLE t (id bigint PRIMARY KEY);\n"
        "CREATE TRIGGER t_audit AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION app.audit();\n"
        "INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING;",
    ),
    P(
        "ban-unlisted-operation",
        "CREATE TABLE t (id bigint PRIMARY KEY);\nINSERT INTO t VALUES (1) ON CONFLICT DO NOTHING;\n"
        "CREATE TRIGGER t_audit AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION app.audit();",
    ),
    P(
        "ban-unlisted-operation",
        "INSERT INTO settings (k, v, at, id, pw) VALUES (lower('A'), format('%s', 1), now(), "
        "gen_random_uuid(), extensions.crypt('x', extensions.gen_salt('bf'))) "
        "ON CONFLICT DO NOTHING;",
    ),
    P(
        "ban-unlisted-operation",
        "INSERT INTO stats (n, r) SELECT count(*), row_number() OVER () FROM users "
        "ON CONFLICT DO NOTHING;",
    ),
    P("ban-unlisted-operation", "CREATE TABLE t AS SELECT id, upper(name) AS n FROM users;"),
    # a CHECK added to an existing table runs on every row written and, validated, on all
    F(
        "ban-unlisted-operation",
        "ALTER TABLE users ADD CONSTRAINT c CHECK (app.cleanup() > 0) NOT VALID;",
    ),
    F("ban-unlisted-operation", "ALTER DOMAIN d ADD CONSTRAINT c CHECK (app.ok(VALUE)) NOT VALID;"),
    P(
        "ban-unlisted-operation",
        "ALTER TABLE users ADD CONSTRAINT c CHECK (length(email) > 3) NOT VALID;",
    ),
    # a write into a table this file made runs its defaults (for the columns it does not
    # give) and its checks
    F(
        "ban-unlisted-operation",
        "CREATE TABLE t (id bigint, v text DEFAULT app.cleanup());\n"
        "INSERT INTO t (id) VALUES (1) ON CONFLICT DO NOTHING;",
    ),
    P(
        "ban-unlisted-operation",
        "CREATE TABLE t (id bigint, v text DEFAULT app.cleanup());\n"
        "INSERT INTO t (id, v) VALUES (1, 'x') ON CONFLICT DO NOTHING;",
    ),
    P(
        "ban-unlisted-operation",
        "CREATE TABLE t (id bigint, at timestamptz DEFAULT now(), u uuid DEFAULT gen_random_uuid());\n"
        "INSERT INTO t (id) VALUES (1) ON CONFLICT DO NOTHING;",
    ),
    # without a column list, an INSERT gives the first columns, one per value; a COPY all
    P(
        "ban-unlisted-operation",
        "CREATE TABLE t (id bigint, v text DEFAULT app.cleanup());\n"
        "INSERT INTO t VALUES (1, 'x'), (2, 'y') ON CONFLICT DO NOTHING;",
    ),
    P(
        "ban-unlisted-operation",
        "CREATE TABLE t (id bigint, v text DEFAULT app.cleanup());\nCOPY t FROM STDIN;\n1\tx\n\\.",
    ),
    F(
        "ban-unlisted-operation",
        "CREATE TABLE t (id bigint, v text DEFAULT app.cleanup());\n"
        "INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING;",
    ),
    F(
        "ban-unlisted-operation",
        "CREATE TABLE t (id bigint, v text DEFAULT app.cleanup());\n"
        "INSERT INTO t VALUES (1, 'x'), (2, DEFAULT) ON CONFLICT DO NOTHING;",
    ),
    F(
        "ban-unlisted-operation",
        "CREATE TABLE t (id bigint, v text DEFAULT app.cleanup());\n"
        "INSERT INTO t (v, id) VALUES (DEFAULT, 1) ON CONFLICT DO NOTHING;",
    ),
    F(
        "ban-unlisted-operation",
        "CREATE TABLE t (id bigint, v text DEFAULT app.cleanup());\n"
        "INSERT INTO t DEFAULT VALUES ON CONFLICT DO NOTHING;",
    ),
    F(
        "ban-unlisted-operation",
        "CREATE TABLE t (id bigint, v text DEFAULT app.cleanup());\n"
        "INSERT INTO t SELECT * FROM (VALUES (1)) s ON CONFLICT DO NOTHING;",
    ),
    # the file does not show every column: a COPY without a list counts every default
    F(
        "ban-unlisted-operation",
        "CREATE TABLE t (LIKE users, v text DEFAULT app.cleanup());\nCOPY t FROM STDIN;\n1\tx\n\\.",
    ),
    # a function made here under a value maker's name is not the built-in
    F(
        "ban-unlisted-operation",
        "CREATE FUNCTION public.gen_salt(t text) RETURNS text LANGUAGE plpgsql AS $$\n"
        "BEGIN UPDATE users SET admin = true WHERE id = 1; RETURN t; END $$;\n"
        "INSERT INTO app.keys (salt) VALUES (public.gen_salt('bf')) ON CONFLICT DO NOTHING;",
    ),
    # a function this file made that only computes (IMMUTABLE or STABLE, known calls only)
    P(
        "ban-unlisted-operation",
        "CREATE FUNCTION app.slug(t text) RETURNS text LANGUAGE sql IMMUTABLE\n"
        "AS $$ SELECT lower(regexp_replace(t, '[^a-z0-9]+', '-', 'g')) $$;\n"
        "INSERT INTO app.categories (slug) VALUES (app.slug('Hello World')) ON CONFLICT DO NOTHING;",
    ),
    F(
        "ban-unlisted-operation",
        "CREATE FUNCTION app.slug(t text) RETURNS text LANGUAGE sql\n"
        "AS $$ SELECT lower(t) $$;\n"
        "INSERT INTO app.categories (slug) VALUES (app.slug('x')) ON CONFLICT DO NOTHING;",
    ),
    F(
        "ban-unlisted-operation",
        "CREATE FUNCTION app.slug(t text) RETURNS text LANGUAGE plpgsql STABLE\n"
        "AS $$ BEGIN PERFORM app.audit(t); RETURN lower(t); END $$;\n"
        "INSERT INTO app.categories (slug) VALUES (app.slug('x')) ON CONFLICT DO NOTHING;",
    ),
    F(
        "ban-unlisted-operation",
        "CREATE FUNCTION app.slug(t text) RETURNS text LANGUAGE plpgsql IMMUTABLE\n"
        "AS $$ DECLARE r text; BEGIN EXECUTE t INTO r; RETURN r; END $$;\n"
        "INSERT INTO app.categories (slug) VALUES (app.slug('x')) ON CONFLICT DO NOTHING;",
    ),
    P("ban-unlisted-operation", "CREATE MATERIALIZED VIEW mv AS SELECT app.f() WITH NO DATA;"),
    P("ban-unlisted-operation", "CREATE VIEW v AS SELECT app.cleanup();"),
    P("ban-unlisted-operation", "CREATE TABLE t (id bigint DEFAULT app.next_id());"),
    P(
        "ban-unlisted-operation",
        "DO $$ BEGIN IF pg_relation_size('users') > 0 THEN RAISE NOTICE 'has rows'; END IF; END $$;",
    ),
    P(
        "ban-unlisted-operation",
        "DO $$ BEGIN IF to_regclass('app.t') IS NULL AND current_setting('app.x', true) IS NULL "
        "THEN PERFORM pg_advisory_xact_lock(42); END IF; END $$;",
    ),
    # seed rows of a table this file creates, as COPY already was
    P(
        "ban-unlisted-operation",
        "CREATE TABLE lookup (id bigint PRIMARY KEY, name text);\nINSERT INTO lookup (id, name) VALUES (1, 'a');",
    ),
    P(
        "ban-unlisted-operation",
        "CREATE TABLE lookup (id bigint PRIMARY KEY, name text);\nUPDATE lookup SET name = 'b' WHERE id = 1;",
    ),
    P(
        "ban-unlisted-operation",
        "CREATE TABLE lookup (id bigint PRIMARY KEY, name text);\nINSERT INTO lookup SELECT id, name FROM users;",
    ),
    F(
        "ban-unlisted-operation",
        "INSERT INTO lookup (id, name) VALUES (1, 'a') ON CONFLICT (id) DO UPDATE SET name = 'a';",
    ),
    F(
        "ban-unlisted-operation",
        "CREATE TABLE lookup (id bigint PRIMARY KEY, name text);\nWITH x AS (UPDATE users SET a = 1 WHERE id = 2 RETURNING id) INSERT INTO lookup "
        "SELECT id, 'x' FROM x;",
    ),
    # Django's ADD COLUMN ... DEFAULT then DROP DEFAULT: code deployed before it inserts
    # without the column and then fails (NOT NULL) or stores NULL
    F(
        "ban-unlisted-operation",
        'ALTER TABLE "e" ADD COLUMN "rating" integer DEFAULT 0 NOT NULL;\n'
        'ALTER TABLE "e" ALTER COLUMN "rating" DROP DEFAULT;',
    ),
    P(
        "ban-unlisted-operation",
        "CREATE TABLE e (id bigint, rating integer DEFAULT 0);\n"
        "ALTER TABLE e ALTER COLUMN rating DROP DEFAULT;",
    ),
    # fresh statistics after a backfill: blocks no read or write (VACUUM FULL stays banned)
    P("ban-unlisted-operation", "ANALYZE users;"),
    P("ban-unlisted-operation", "ANALYZE users (email);"),
    # a bloated or corrupt index rebuilt beside the old one; a whole schema is too broad
    P("ban-unlisted-operation", "REINDEX INDEX CONCURRENTLY users_email_idx;"),
    P("ban-unlisted-operation", "REINDEX TABLE CONCURRENTLY users;"),
    F("ban-unlisted-operation", "REINDEX SCHEMA CONCURRENTLY public;"),
    # a SELECT of constants reads and changes nothing (a placeholder migration's body)
    P("ban-unlisted-operation", "SELECT 1;"),
    P("ban-unlisted-operation", "SELECT 'nothing to do' AS note, 42, NULL;"),
    F("ban-unlisted-operation", "SELECT 1 FROM users;"),
    F("ban-unlisted-operation", "SELECT nextval('users_id_seq');"),
    F("ban-unlisted-operation", "SELECT 1 INTO TEMP t;"),
    # TRUNCATE of tables the same file made (without CASCADE, which reaches others; any other
    # TRUNCATE is ban-truncate's to report)
    P("ban-unlisted-operation", "CREATE TABLE t (a bigint);\nTRUNCATE t;"),
]
