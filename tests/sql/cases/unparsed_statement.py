"""Cases for unparsed-statement: SQL that must fire it (F) and SQL that must not (P)."""

from __future__ import annotations

from tests.sql.cases import F, P

CASES = [
    # an application's own types in a routine: the server's library reads PL/pgSQL without a
    # catalog and takes them for records; the routine is read all the same
    P(
        "unparsed-statement",
        "CREATE FUNCTION f(p_id bigint) RETURNS void LANGUAGE plpgsql AS $$ DECLARE "
        "s job_status; a boolean; BEGIN SELECT status, aborted INTO s, a FROM jobs "
        "WHERE id = p_id; END $$;",
    ),
    P(
        "unparsed-statement",
        "CREATE FUNCTION f(jobs app.job_to_defer[]) RETURNS SETOF app.jobs LANGUAGE plpgsql "
        "AS $$ BEGIN RETURN QUERY SELECT * FROM app.jobs; END $$;",
    ),
    P(  # (a semicolon, DECLARE or BEGIN in a string or a comment is not a section's end)
        "unparsed-statement",
        "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ DECLARE\n"
        "  msg text := 'a; DECLARE b';  -- ; BEGIN\n  s job_status;\n  n int;\n"
        "BEGIN SELECT 'a', 1 INTO s, n; RAISE NOTICE '%', msg; END $$;",
    ),
    # ... but one the server refuses too (a row variable in a list of INTO targets) stays so
    F(
        "unparsed-statement",
        "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ DECLARE r record; n int; "
        "BEGIN SELECT 1, 2 INTO r, n; END $$;",
    ),
    # SQL text built at run time: any statement at all
    F("unparsed-statement", "DO $$ DECLARE t text; BEGIN EXECUTE 'DROP TABLE ' || t; END $$;"),
    F("unparsed-statement", "CREATE TABLE ${schema}.t (id bigint);"),  # a Flyway placeholder
    # other tools' template placeholders: Go templates (pop, Supabase's auth), Synapse's
    F(
        "unparsed-statement",
        'CREATE INDEX IF NOT EXISTS i ON {{ index .Options "Namespace" }}.sessions (user_id);',
    ),
    F("unparsed-statement", "CREATE TABLE t (id $%AUTO_INCREMENT_PRIMARY_KEY%$);"),
    F("unparsed-statement", "DO $$ DECLARE t text; BEGIN EXECUTE format('DROP %s', t); END $$;"),
    F(
        "unparsed-statement",
        "DO $$ DECLARE d text; BEGIN EXECUTE format('ALTER TABLE t ADD x int %s', d); END $$;",
    ),
    F("unparsed-statement", "DO $$ BEGIN EXECUTE format('ALTER TABLE %I ADD x text'); END $$;"),
    # %s of constant text or of quoted values is known text
    P(
        "unparsed-statement",
        "DO $$ DECLARE t text := 'x'; BEGIN EXECUTE format('CREATE INDEX %s ON %s (%s)', "
        "quote_ident(t || '_i'), quote_ident(t), quote_ident('a')); END $$;",
    ),
    P(
        "unparsed-statement",
        "DO $$ BEGIN EXECUTE format('ALTER TABLE %2$I ADD COLUMN %1$I text', 'c', 'users'); END $$;",
    ),
    F(
        "unparsed-statement",
        "DO $$ BEGIN EXECUTE format('ALTER TABLE %*I ADD x int', 3, 't'); END $$;",
    ),
    F("unparsed-statement", "DO $$ BEGIN EXECUTE 'DROP TABLE ' || upper('t'); END $$;"),
    F("unparsed-statement", "DO $$ DECLARE q text; BEGIN EXECUTE q; END $$;"),
    F(
        "unparsed-statement",
        "DO $$ DECLARE r record; BEGIN FOR r IN EXECUTE 'SELECT ' || 1 LOOP END LOOP; END $$;",
    ),
    # only names and values come at run time (%I, %L, quote_ident()): one token each, the
    # statement's kind and clauses are in the text, read with placeholders
    P(
        "unparsed-statement",
        "DO $$ BEGIN EXECUTE format('ALTER TABLE %I ADD x text', 't'); END $$;",
    ),
    P("unparsed-statement", "DO $$ BEGIN EXECUTE 'DROP TABLE ' || quote_ident('t'); END $$;"),
    P(
        "unparsed-statement",
        "DO $$ DECLARE r record; BEGIN FOR r IN SELECT tablename FROM pg_tables LOOP\n"
        "  EXECUTE format('COMMENT ON TABLE %1$I IS %2$L', r.tablename, '50%% done');\n"
        "END LOOP; END $$;",
    ),
    P(
        "unparsed-statement",
        "DO $$ DECLARE t text := 'x'; BEGIN EXECUTE 'COMMENT ON TABLE ' || quote_ident(t) "
        "|| ' IS ' || quote_literal('it''s')::text; END $$;",
    ),
    # a constant string is plain SQL: read, and judged like the block's other statements
    P(
        "unparsed-statement",
        "DO $$ DECLARE r record; BEGIN FOR r IN EXECUTE 'SELECT 1' LOOP END LOOP; END $$;",
    ),
    P("unparsed-statement", "DO $$ BEGIN EXECUTE 'ALTER TABLE t ADD COLUMN x text'; END $$;"),
    P("unparsed-statement", "DO $$ BEGIN EXECUTE $q$COMMENT ON TABLE t IS 'it''s'$q$; END $$;"),
    F("unparsed-statement", "DO $$ BEGIN EXECUTE 'SELEC 1'; END $$;"),
    F("unparsed-statement", "DO $$ BEGIN UPDAT t SET a = 1; END $$;"),
    F("unparsed-statement", "DO LANGUAGE plpython3u $$ plpy.execute('DROP TABLE t') $$;"),
    P("unparsed-statement", "DO $$ BEGIN PERFORM 1; END $$;"),
    P(
        "unparsed-statement",
        "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'mood') THEN\n"
        "  CREATE TYPE mood AS ENUM ('ok');\nEND IF; END $$;",
    ),
    P("unparsed-statement", "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;"),
    F("unparsed-statement", "CREATE FUNCTION f( RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;"),
    F("unparsed-statement", "SELEC 1;"),
    P("unparsed-statement", "ALTER TABLE t OWNER TO bob, ADD COLUMN x int;"),
    P(
        "unparsed-statement",
        "CREATE TRIGGER trg AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION f();",
    ),
    P("unparsed-statement", "ALTER SEQUENCE s RESTART WITH 100;"),
    P("unparsed-statement", "ALTER FUNCTION f() SET search_path = public;"),
    P("unparsed-statement", "CREATE POLICY p ON t USING (owner = current_user);"),
    P("unparsed-statement", "CREATE DOMAIN posint AS integer CHECK (VALUE > 0);"),
    P("unparsed-statement", "CREATE PUBLICATION pub FOR TABLE t;"),
    P("unparsed-statement", "ALTER TABLE t ENABLE ROW LEVEL SECURITY;"),
    P("unparsed-statement", "ALTER TRIGGER trg ON t RENAME TO trg2;"),
    F("unparsed-statement", "CREATE TRIGGER trg AFTER INSERT ON t EXECUTE FUNCTION;"),
    F("unparsed-statement", "CLUSTER t USING i WITH junk;"),
    P("unparsed-statement", "CLUSTER t;"),
    P("unparsed-statement", "ALTER TABLE t VALIDATE CONSTRAINT c;"),
    P("unparsed-statement", "ALTER TYPE mood ADD VALUE IF NOT EXISTS 'meh' AFTER 'ok';"),
    P("unparsed-statement", "CREATE EXTENSION IF NOT EXISTS pgcrypto;"),
    P("unparsed-statement", "LOCK TABLE t IN SHARE MODE;"),
    P("unparsed-statement", "CREATE TABLE t (id bigint PRIMARY KEY);"),
    F("unparsed-statement", "DO $$ BEGIN OPEN c FOR EXECUTE 'SELECT 1'; END $$;"),
    F("unparsed-statement", "ALTER TABLE t ADD COLUMN;"),
    P(
        "unparsed-statement",
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END;",
    ),
    P(
        "unparsed-statement",
        "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO log VALUES (1); NOTIFY t);",
    ),
    P("unparsed-statement", "ALTER TABLE t ATTACH PARTITION t_2026 FOR VALUES FROM (1) TO (2);"),
    P("unparsed-statement", "GRANT USAGE ON SCHEMA s TO r;"),
    P("unparsed-statement", "ALTER DEFAULT PRIVILEGES IN SCHEMA s GRANT SELECT ON TABLES TO r;"),
    P(
        "unparsed-statement",
        "CREATE TABLE p_2026 PARTITION OF p FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');",
    ),
    # psql variables (and graphile-migrate's :NAME placeholders, in bodies too) are read past:
    # the statement is checked, the variable reported by ban-psql-meta-command
    P("unparsed-statement", "CREATE TABLE :schema.t (id bigint PRIMARY KEY, s text DEFAULT :'v');"),
    P(
        "unparsed-statement",
        "CREATE FUNCTION :S.f() RETURNS :S.jobs LANGUAGE plpgsql AS $$\nDECLARE v :S.jobs;\n"
        "BEGIN SELECT * INTO v FROM :S.jobs WHERE (1, 2):::S.spec IS NOT NULL; RETURN v; END $$;",
    ),
    F("unparsed-statement", "SELECT :x y z;"),
]
