"""Cases for ban-reconciler-schema: SQL that must fire it (F) and SQL that must not (P)."""

from __future__ import annotations

from tests.sql.cases import F, P

R = "ban-reconciler-schema"

CASES = [
    # forging the record: history, approvals, audit
    F(
        R,
        "INSERT INTO reconciler.schema_migrations (version, name, checksum) "
        "VALUES ('0100', 'x', 'y') ON CONFLICT DO NOTHING;",
    ),
    F(R, "UPDATE reconciler.approvals SET approver = 'alice' WHERE plan_hash = 'abc';"),
    F(R, "DELETE FROM reconciler.audit_outbox WHERE id > 0;"),
    F(R, "DO $$ BEGIN INSERT INTO reconciler.schema_migrations (version) VALUES ('0100'); END $$;"),
    F(
        R,
        "CREATE FUNCTION app.drop_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; "
        "END $$;\nCREATE TRIGGER quiet BEFORE INSERT ON reconciler.audit_log FOR EACH ROW "
        "EXECUTE FUNCTION app.drop_row();",
    ),
    # changing its objects, or the schema itself
    F(R, "CREATE TABLE reconciler.extra (id bigint PRIMARY KEY);"),
    F(R, "ALTER TABLE reconciler.schema_migrations ADD COLUMN note text;"),
    F(R, "CREATE INDEX CONCURRENTLY i ON reconciler.schema_migrations (version);"),
    F(R, "COMMENT ON TABLE reconciler.schema_migrations IS 'mine';"),
    F(R, "GRANT INSERT ON reconciler.schema_migrations TO app;"),
    F(R, "CREATE FUNCTION reconciler.f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;"),
    F(R, "CREATE SCHEMA IF NOT EXISTS reconciler;"),
    F(R, "ALTER SCHEMA reconciler OWNER TO someone;"),
    F(R, "ALTER SCHEMA staging RENAME TO reconciler;"),
    F(R, "ALTER TABLE app.evil SET SCHEMA reconciler;"),
    F(R, "GRANT ALL ON SCHEMA reconciler TO app;"),
    F(R, "ALTER DEFAULT PRIVILEGES IN SCHEMA reconciler GRANT ALL ON TABLES TO app;"),
    F(R, "DROP SCHEMA reconciler CASCADE;"),
    # a routine whose body writes there, whenever it is called
    F(
        R,
        "CREATE FUNCTION app.g() RETURNS void LANGUAGE plpgsql AS $$ BEGIN "
        "UPDATE reconciler.approvals SET approver = 'alice'; END $$;",
    ),
    F(
        R,
        "CREATE PROCEDURE app.p() LANGUAGE sql AS $$ DELETE FROM reconciler.audit_log $$;",
    ),
    # a SELECT that writes: a data-modifying WITH
    F(R, "WITH d AS (DELETE FROM reconciler.audit_log RETURNING 1) SELECT count(*) FROM d;"),
    # the tool's own functions: an approval and its audit event recorded by a migration
    F(R, "SELECT reconciler.approve('staging', repeat('a', 64), 'alice');"),
    F(R, "SELECT * FROM reconciler.refuse_approval('prod', 'x', 'y', 'z');"),
    # privileges on everything in it
    F(R, "GRANT ALL ON ALL TABLES IN SCHEMA reconciler TO app;"),
    F(R, "GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA reconciler TO app;"),
    # unqualified names sent there
    F(R, "SELECT set_config('search_path', 'reconciler, public', false);"),
    F(R, "SELECT pg_catalog.set_config('search_path', 'app,\"reconciler\"', true);"),
    F(R, "SET search_path = reconciler, public;"),
    F(R, "SET LOCAL search_path TO 'app,reconciler';"),
    # no file can ignore it
    F(
        R,
        "-- reconciler:ignore ban-reconciler-schema -- we know what we do\n"
        "INSERT INTO reconciler.approvals (plan_hash, approver) VALUES ('x', 'y') "
        "ON CONFLICT DO NOTHING;",
    ),
    # reading it is fine, and so is the word elsewhere
    P(
        R,
        "DO $$ BEGIN IF EXISTS (SELECT 1 FROM reconciler.schema_migrations WHERE version = "
        "'0003') THEN RAISE NOTICE 'done'; END IF; END $$;",
    ),
    P(R, "CREATE TABLE app.notes (body text DEFAULT 'reconciler');"),
    P(R, "COMMENT ON TABLE users IS 'kept in sync by the reconciler';"),
    P(R, "SET search_path = app, public;"),
    P(R, "SELECT pg_catalog.set_config('search_path', '', false);"),  # pg_dump's preamble
    P(
        R,
        "CREATE FUNCTION app.applied() RETURNS bigint LANGUAGE sql STABLE AS $$ "
        "SELECT count(*) FROM reconciler.schema_migrations $$;",
    ),
    P(R, "GRANT SELECT ON ALL TABLES IN SCHEMA app TO reconciler_reader;"),
    P(R, "CREATE SCHEMA reconciler_reports;"),
    P(R, "CREATE TABLE app.reconciler (id bigint);"),
]
