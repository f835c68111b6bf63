"""The rule case table: for every rule, SQL that must fire it and SQL that must not.

Each case is linted as a file 0001_case_safe.sql with a rollback section in a strict
environment (unless the case says otherwise). The squawk comparison test reuses these.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Case:
    rule: str
    sql: str
    fires: bool
    filename: str = "0001_case_safe.sql"
    rollback: bool = True


def F(rule: str, sql: str, **kw: object) -> Case:
    return Case(rule, sql, True, **kw)  # type: ignore[arg-type]


def P(rule: str, sql: str, **kw: object) -> Case:
    return Case(rule, sql, False, **kw)  # type: ignore[arg-type]


CASES: list[Case] = [
    # function and trigger creation: a new object is allowed; replacing one is a reviewed change
    P("ban-unlisted-operation", "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;"),
    F(
        "ban-unlisted-operation",
        "CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;",
    ),
    P(
        "ban-unlisted-operation",
        "CREATE TRIGGER trg AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION f();",
    ),
    F(
        "ban-unlisted-operation",
        "CREATE OR REPLACE TRIGGER trg AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION f();",
    ),
    # unparsed-statement
    F("unparsed-statement", "DO $$ BEGIN EXECUTE 'DROP TABLE ' || quote_ident('t'); END $$;"),
    F(
        "unparsed-statement",
        "DO $$ DECLARE r record; BEGIN FOR r IN EXECUTE 'SELECT 1' LOOP END LOOP; END $$;",
    ),
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
    # PostgreSQL's own parser reads these; the allow-list then judges them in strict mode
    P("unparsed-statement", "ALTER TABLE t OWNER TO bob, ADD COLUMN x int;"),
    F("ban-unlisted-operation", "ALTER TABLE t OWNER TO bob, ADD COLUMN x int;"),
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
    # ban-unlisted-operation
    F("ban-unlisted-operation", "GRANT SELECT ON t TO reporting;"),
    F("ban-unlisted-operation", "SELECT count(*) FROM t;"),
    F("ban-unlisted-operation", "UPDATE t SET a = 1 WHERE id = 5;"),
    F("ban-unlisted-operation", "ALTER TABLE t ALTER COLUMN a SET DEFAULT 0;"),
    F("ban-unlisted-operation", "ALTER TABLE t ALTER COLUMN a DROP NOT NULL;"),
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
    # ban-drop-table
    F("ban-drop-table", "DROP TABLE t;"),
    F("ban-drop-table", "DROP TABLE IF EXISTS a, b CASCADE;"),
    F("ban-drop-table", "DO $$ BEGIN\n  DROP TABLE t;\nEND $$;"),
    F(
        "ban-drop-table",
        "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $fn$ BEGIN DROP TABLE t; END $fn$;",
    ),
    P("ban-drop-table", "DROP INDEX CONCURRENTLY i;"),
    P("ban-drop-table", "INSERT INTO notes (body) VALUES ('DROP TABLE t') ON CONFLICT DO NOTHING;"),
    P("ban-drop-table", "-- DROP TABLE t;\nCREATE TABLE t2 (id bigint);"),
    P("ban-drop-table", "DO $$ BEGIN\n  /* DROP TABLE t */ PERFORM 1; -- DROP TABLE u\nEND $$;"),
    P("ban-drop-table", "DO $$ BEGIN RAISE NOTICE 'DROP TABLE t'; END $$;"),
    # ban-drop-column
    F("ban-drop-column", "ALTER TABLE t DROP COLUMN a;"),
    F("ban-drop-column", "ALTER TABLE t DROP a;"),
    F("ban-drop-column", "ALTER TABLE t ADD COLUMN b int, DROP COLUMN IF EXISTS a;"),
    F("ban-drop-column", "DO $$ BEGIN ALTER TABLE t DROP COLUMN a; END $$;"),
    P("ban-drop-column", "ALTER TABLE t DROP CONSTRAINT c;"),
    P("ban-drop-column", "ALTER TABLE t ALTER COLUMN a DROP DEFAULT;"),
    P("ban-drop-column", "ALTER TABLE t ALTER COLUMN a DROP NOT NULL;"),
    # ban-drop-object
    F("ban-drop-object", "DROP INDEX CONCURRENTLY i;"),
    F("ban-drop-object", "DROP VIEW v;"),
    F("ban-drop-object", "DROP SCHEMA s CASCADE;"),
    F("ban-drop-object", "DROP TYPE mood;"),
    F("ban-drop-object", "ALTER TABLE t DROP CONSTRAINT c;"),
    F("ban-drop-object", "DO $$ BEGIN DROP VIEW v; END $$;"),
    P("ban-drop-object", "DROP TABLE t;"),
    P("ban-drop-object", "ALTER TABLE t DROP COLUMN a;"),
    P("ban-drop-object", "CREATE VIEW v AS SELECT 1 AS one;"),
    # ban-delete
    F("ban-delete", "DELETE FROM t WHERE id = 1;"),
    F("ban-delete", "DELETE FROM t;"),
    F(
        "ban-delete",
        "WITH gone AS (DELETE FROM t WHERE a < 0 RETURNING *) INSERT INTO log SELECT * FROM gone;",
    ),
    F("ban-delete", "DO $$ BEGIN DELETE FROM t WHERE id = 1; END $$;"),
    P("ban-delete", "UPDATE t SET deleted = true WHERE id = 1;"),
    P("ban-delete", "INSERT INTO audit (what) VALUES ('DELETE FROM t') ON CONFLICT DO NOTHING;"),
    P("ban-delete", "CREATE TABLE deleted_items (id bigint);"),
    # ban-truncate
    F("ban-truncate", "TRUNCATE t;"),
    F("ban-truncate", "TRUNCATE TABLE a, b RESTART IDENTITY CASCADE;"),
    F("ban-truncate", "DO $$ BEGIN TRUNCATE t; END $$;"),
    P("ban-truncate", "COMMENT ON TABLE t IS 'never TRUNCATE this';"),
    P("ban-truncate", "CREATE TABLE truncate_log (id bigint);"),
    # ban-update-without-where
    F("ban-update-without-where", "UPDATE t SET a = 1;"),
    F("ban-update-without-where", "WITH x AS (UPDATE t SET a = 1 RETURNING id) SELECT * FROM x;"),
    F("ban-update-without-where", "DO $$ BEGIN UPDATE t SET a = 1; END $$;"),
    F("ban-update-without-where", "DO $$ BEGIN UPDATE t SET a = 1 /* WHERE id = 1 */; END $$;"),
    F("ban-update-without-where", "DO $$ BEGIN UPDATE t SET a = 'WHERE'; END $$;"),
    P("ban-update-without-where", "DO $$ BEGIN UPDATE t SET a = 1 WHERE id = 2; END $$;"),
    F("ban-update-without-where", "UPDATE ONLY t SET a = a + 1;"),
    P("ban-update-without-where", "UPDATE t SET a = 1 WHERE id = 1;"),
    P("ban-update-without-where", "DO $$ BEGIN UPDATE t SET a = 1 WHERE id < 10; END $$;"),
    P("ban-update-without-where", "UPDATE t SET a = 1 FROM u WHERE u.id = t.id;"),
    # require-concurrent-index
    F("require-concurrent-index", "CREATE INDEX i ON t (a);"),
    F(
        "require-concurrent-index",
        "DO $$ BEGIN IF true THEN CREATE INDEX i ON t (a); END IF; END $$;",
    ),
    F("require-concurrent-index", "CREATE UNIQUE INDEX i ON t (a);"),
    F("require-concurrent-index", "DROP INDEX i;"),
    F("require-concurrent-index", "REINDEX INDEX i;"),
    F("require-concurrent-index", "CREATE INDEX IF NOT EXISTS i ON public.t USING gin (doc);"),
    P("require-concurrent-index", "CREATE INDEX CONCURRENTLY i ON t (a);"),
    P("require-concurrent-index", "DROP INDEX CONCURRENTLY IF EXISTS i;"),
    P("require-concurrent-index", "REINDEX INDEX CONCURRENTLY i;"),
    P("require-concurrent-index", "CREATE TABLE t (a int);\nCREATE INDEX i ON t (a);"),
    # ban-concurrently-in-transaction
    F("ban-concurrently-in-transaction", "BEGIN;\nCREATE INDEX CONCURRENTLY i ON t (a);\nCOMMIT;"),
    F("ban-concurrently-in-transaction", "START TRANSACTION;\nDROP INDEX CONCURRENTLY i;\nCOMMIT;"),
    P("ban-concurrently-in-transaction", "CREATE INDEX CONCURRENTLY i ON t (a);"),
    P(
        "ban-concurrently-in-transaction",
        "BEGIN;\nSELECT 1;\nCOMMIT;\nCREATE INDEX CONCURRENTLY i ON t (a);",
    ),
    # require-add-column-default
    F("require-add-column-default", "ALTER TABLE t ADD COLUMN a int NOT NULL;"),
    F("require-add-column-default", "ALTER TABLE t ADD a text NOT NULL;"),
    F(
        "require-add-column-default",
        "ALTER TABLE t ADD COLUMN IF NOT EXISTS a boolean NOT NULL CHECK (a);",
    ),
    P("require-add-column-default", "ALTER TABLE t ADD COLUMN a int NOT NULL DEFAULT 0;"),
    P("require-add-column-default", "ALTER TABLE t ADD COLUMN a int;"),
    P("require-add-column-default", "CREATE TABLE t (a int NOT NULL);"),
    P(
        "require-add-column-default",
        "CREATE TABLE t (id bigint);\nALTER TABLE t ADD COLUMN a int NOT NULL;",
    ),
    # ban-volatile-default
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
    # ban-alter-column-type
    F("ban-alter-column-type", "ALTER TABLE t ALTER COLUMN a TYPE bigint;"),
    F("ban-alter-column-type", "DO $$ BEGIN ALTER TABLE t ALTER COLUMN a TYPE bigint; END $$;"),
    F("ban-alter-column-type", "ALTER TABLE t ALTER COLUMN a SET DATA TYPE text USING a::text;"),
    F("ban-alter-column-type", "ALTER TABLE t ALTER a TYPE varchar(10);"),
    P("ban-alter-column-type", "ALTER TABLE t ALTER COLUMN a SET DEFAULT 1;"),
    P(
        "ban-alter-column-type",
        "CREATE TABLE t (a int);\nALTER TABLE t ALTER COLUMN a TYPE bigint;",
    ),
    # ban-set-not-null
    F("ban-set-not-null", "ALTER TABLE t ALTER COLUMN a SET NOT NULL;"),
    F("ban-set-not-null", "DO $$ BEGIN\n  ALTER TABLE t ALTER COLUMN a SET NOT NULL;\nEND $$;"),
    F("ban-set-not-null", "ALTER TABLE t ALTER a SET NOT NULL;"),
    P("ban-set-not-null", "ALTER TABLE t ALTER COLUMN a DROP NOT NULL;"),
    P("ban-set-not-null", "ALTER TABLE t ADD CONSTRAINT a_nn CHECK (a IS NOT NULL) NOT VALID;"),
    P("ban-set-not-null", "CREATE TABLE t (a int);\nALTER TABLE t ALTER COLUMN a SET NOT NULL;"),
    # require-not-valid-constraint
    F("require-not-valid-constraint", "ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0);"),
    F(
        "require-not-valid-constraint",
        "ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (u) REFERENCES u (id);",
    ),
    F("require-not-valid-constraint", "ALTER TABLE t ADD FOREIGN KEY (u) REFERENCES u (id);"),
    F("require-not-valid-constraint", "ALTER TABLE t ADD COLUMN u bigint REFERENCES u (id);"),
    P("require-not-valid-constraint", "ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID;"),
    P(
        "require-not-valid-constraint",
        "ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (u) REFERENCES u (id) NOT VALID;",
    ),
    P("require-not-valid-constraint", "ALTER TABLE t VALIDATE CONSTRAINT fk;"),
    P("require-not-valid-constraint", "CREATE TABLE t (u bigint REFERENCES u (id));"),
    # require-unique-using-index
    F("require-unique-using-index", "ALTER TABLE t ADD CONSTRAINT u UNIQUE (a);"),
    F("require-unique-using-index", "ALTER TABLE t ADD PRIMARY KEY (id);"),
    F("require-unique-using-index", "ALTER TABLE t ADD CONSTRAINT pk PRIMARY KEY (id);"),
    P("require-unique-using-index", "ALTER TABLE t ADD CONSTRAINT u UNIQUE USING INDEX t_a_idx;"),
    P("require-unique-using-index", "CREATE UNIQUE INDEX CONCURRENTLY t_a_idx ON t (a);"),
    P(
        "require-unique-using-index",
        "CREATE TABLE t (id bigint);\nALTER TABLE t ADD PRIMARY KEY (id);",
    ),
    # ban-rename
    F("ban-rename", "ALTER TABLE t RENAME COLUMN a TO b;"),
    F("ban-rename", "DO $$ BEGIN ALTER TABLE t RENAME COLUMN a TO b; END $$;"),
    F("ban-rename", "ALTER TABLE t RENAME TO u;"),
    F("ban-rename", "ALTER TABLE t RENAME a TO b;"),
    P("ban-rename", "ALTER TABLE t RENAME CONSTRAINT c TO d;"),
    P("ban-rename", "CREATE TABLE t (a int);\nALTER TABLE t RENAME COLUMN a TO b;"),
    # ban-blocking-maintenance
    F("ban-blocking-maintenance", "VACUUM FULL t;"),
    F("ban-blocking-maintenance", "CLUSTER t;"),
    F("ban-blocking-maintenance", "CLUSTER t USING t_pkey;"),
    F("ban-blocking-maintenance", "LOCK TABLE t IN ACCESS EXCLUSIVE MODE;"),
    F("ban-blocking-maintenance", "REFRESH MATERIALIZED VIEW mv;"),
    P("ban-blocking-maintenance", "VACUUM ANALYZE t;"),
    P("ban-blocking-maintenance", "REFRESH MATERIALIZED VIEW CONCURRENTLY mv;"),
    P("ban-blocking-maintenance", "ANALYZE t;"),
    # require-insert-on-conflict
    F("require-insert-on-conflict", "INSERT INTO t (id) VALUES (1);"),
    F("require-insert-on-conflict", "INSERT INTO t SELECT * FROM u;"),
    P("require-insert-on-conflict", "INSERT INTO t (id) VALUES (1) ON CONFLICT DO NOTHING;"),
    P("require-insert-on-conflict", "INSERT INTO t (id) VALUES (1) ON CONFLICT (id) DO NOTHING;"),
    P("require-insert-on-conflict", "CREATE TABLE t (id bigint);\nINSERT INTO t (id) VALUES (1);"),
    # ban-transaction-control
    F("ban-transaction-control", "BEGIN;\nCREATE TABLE t (id bigint);\nCOMMIT;"),
    F("ban-transaction-control", "COMMIT;"),
    F("ban-transaction-control", "SAVEPOINT s1;"),
    F("ban-transaction-control", "ROLLBACK;"),
    P("ban-transaction-control", "CREATE TABLE t (id bigint);"),
    P("ban-transaction-control", "DO $$ BEGIN PERFORM 1; END $$;"),
    # ban-credentials
    F("ban-credentials", "CREATE ROLE app LOGIN PASSWORD 'hunter22';"),
    F(
        "ban-credentials",
        "-- connect with postgres://admin:s3cret@db.example.com/forum\nCREATE TABLE t (id bigint);",
    ),
    F("ban-credentials", "COMMENT ON TABLE t IS 'api_key=AKIAABCDEFGHIJKLMNOP';"),
    F("ban-credentials", "-- token: ghp_abcdefghijklmnopqrstuvwxyz0123456789\nSELECT 1;"),
    F("ban-credentials", "-- napi_abcdefghijklmnopqrstuvwxyz0123456789ab\nSELECT 1;"),
    F("ban-credentials", "/* password = 'correcthorse' */ CREATE TABLE t (id bigint);"),
    P("ban-credentials", "CREATE TABLE users (password_hash text NOT NULL);"),
    P(
        "ban-credentials",
        "-- the password column stores argon2 hashes\nCREATE TABLE t (id bigint);",
    ),
    P("ban-credentials", "CREATE ROLE app LOGIN;"),
    # ban-side-effect-functions
    F(
        "ban-side-effect-functions",
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'x';",
    ),
    F("ban-side-effect-functions", "SELECT pg_cancel_backend(42);"),
    F("ban-side-effect-functions", "SELECT pg_read_file('/etc/passwd');"),
    F("ban-side-effect-functions", "DO $$ BEGIN PERFORM pg_terminate_backend(1); END $$;"),
    F("ban-side-effect-functions", "SELECT dblink_exec('host=x', 'DROP TABLE t');"),
    P("ban-side-effect-functions", "SELECT now();"),
    P("ban-side-effect-functions", "COMMENT ON FUNCTION f() IS 'calls pg_terminate_backend(pid)';"),
    # ban-copy-program
    F("ban-copy-program", "COPY t FROM PROGRAM 'curl https://example.com/x.csv';"),
    F("ban-copy-program", "COPY t TO '/tmp/out.csv';"),
    F("ban-copy-program", "COPY t FROM '/var/lib/postgresql/in.csv' WITH (FORMAT csv);"),
    P("ban-copy-program", "COPY t FROM STDIN;"),
    P("ban-copy-program", "COPY t TO STDOUT WITH (FORMAT csv);"),
    # require-safe-suffix (strict environments require it)
    F("require-safe-suffix", "CREATE TABLE t (id bigint);", filename="0001_case.sql"),
    F("require-safe-suffix", "CREATE TABLE t (id bigint);", filename="0001_case_safely.sql"),
    P("require-safe-suffix", "CREATE TABLE t (id bigint);", filename="0001_case_safe.sql"),
    # ban-template-placeholder
    F("ban-template-placeholder", "ALTER TABLE table_name ADD COLUMN new_column TEXT DEFAULT '';"),
    F(
        "ban-template-placeholder",
        "CREATE INDEX CONCURRENTLY idx_table_column ON table_name (new_column);",
    ),
    F(
        "ban-template-placeholder",
        "-- Description: [migration description]\nCREATE TABLE t (id bigint);",
    ),
    P("ban-template-placeholder", "ALTER TABLE users ADD COLUMN nickname text;"),
    P("ban-template-placeholder", "-- Description: add nicknames\nCREATE TABLE t (id bigint);"),
    # require-rollback-section
    F("require-rollback-section", "CREATE TABLE t (id bigint);", rollback=False),
    F(
        "require-rollback-section",
        "CREATE TABLE t (id bigint);\n-- Rollback instructions:\n",
        rollback=False,
    ),
    P("require-rollback-section", "CREATE TABLE t (id bigint);"),
    P(
        "require-rollback-section",
        "CREATE TABLE t (id bigint);\n-- Rollback:\n-- DROP TABLE t;\n",
        rollback=False,
    ),
    # prefer-timestamptz
    F("prefer-timestamptz", "CREATE TABLE t (at timestamp);"),
    F("prefer-timestamptz", "CREATE TABLE t (at timestamp(3) without time zone);"),
    F("prefer-timestamptz", "ALTER TABLE t ADD COLUMN at timestamp;"),
    P("prefer-timestamptz", "CREATE TABLE t (at timestamptz);"),
    P("prefer-timestamptz", "CREATE TABLE t (at timestamp with time zone);"),
    # prefer-identity
    F("prefer-identity", "CREATE TABLE t (id serial PRIMARY KEY);"),
    F("prefer-identity", "CREATE TABLE t (id bigserial);"),
    P("prefer-identity", "CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY);"),
    P("prefer-identity", "CREATE TABLE t (serial_no text);"),
    # prefer-bigint
    F("prefer-bigint", "CREATE TABLE t (id int PRIMARY KEY);"),
    F("prefer-bigint", "CREATE TABLE t (user_id integer);"),
    F("prefer-bigint", "ALTER TABLE t ADD COLUMN owner_id int4;"),
    P("prefer-bigint", "CREATE TABLE t (id bigint PRIMARY KEY);"),
    P("prefer-bigint", "CREATE TABLE t (quantity numeric);"),
    F("prefer-bigint", "CREATE TABLE t (quantity smallint);"),
    # prefer-text
    F("prefer-text", "CREATE TABLE t (name varchar(20));"),
    F("prefer-text", "ALTER TABLE t ADD COLUMN code char(3);"),
    F("prefer-text", "ALTER TABLE t ALTER COLUMN code TYPE varchar(10);"),
    P("prefer-text", "CREATE TABLE t (name text CHECK (length(name) <= 20));"),
    P("prefer-text", "CREATE TABLE t (name varchar);"),
]
