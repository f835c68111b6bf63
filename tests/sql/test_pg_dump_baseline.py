"""A baseline taken with the server's own pg_dump is judged as the new objects it makes.

The schema below has what real applications dump (a domain with a check, an enum, identity,
bigserial and a sequence owned by a column, a generated column, a partitioned table, a
trigger and its function, a view, a materialized view, row-level security and a policy,
comments, grants): pg_dump writes it as CREATE statements followed by the set-up of each
object (OWNED BY, setval, a REFRESH of each materialized view, ALTER ... OWNER). In a strict
environment the only findings left must be the ones a reviewer is meant to see: the dump's
preamble switching the policy's timeouts off.
"""

from __future__ import annotations

import subprocess

import psycopg

from reconciler.embedded import pg_tool
from tests.sql.test_rules import ROLLBACK, STRICT, lint

SCHEMA = """
CREATE SCHEMA app;
CREATE TYPE app.status AS ENUM ('active', 'banned');
CREATE DOMAIN app.email AS text CHECK (VALUE ~ '@');
CREATE TABLE app.users (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email app.email NOT NULL UNIQUE,
  status app.status NOT NULL DEFAULT 'active',
  created_at timestamptz NOT NULL DEFAULT now(),
  token uuid DEFAULT gen_random_uuid()
);
CREATE TABLE app.posts (
  id bigserial PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES app.users(id) ON DELETE CASCADE,
  body text,
  search tsvector GENERATED ALWAYS AS (to_tsvector('english', coalesce(body, ''))) STORED
);
CREATE INDEX posts_user_idx ON app.posts (user_id);
CREATE INDEX posts_search_idx ON app.posts USING gin (search);
CREATE TABLE app.events (id bigint, at timestamptz NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE app.events_2026 PARTITION OF app.events
  FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql
  AS $$ BEGIN NEW.body := trim(NEW.body); RETURN NEW; END $$;
CREATE TRIGGER posts_touch BEFORE INSERT ON app.posts FOR EACH ROW EXECUTE FUNCTION app.touch();
CREATE VIEW app.active_users AS SELECT id, email FROM app.users WHERE status = 'active';
CREATE MATERIALIZED VIEW app.post_counts AS
  SELECT user_id, count(*) AS n FROM app.posts GROUP BY user_id;
CREATE UNIQUE INDEX post_counts_user ON app.post_counts (user_id);
ALTER TABLE app.posts ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_posts ON app.posts USING (user_id = current_setting('app.uid')::bigint);
COMMENT ON TABLE app.users IS 'people';
CREATE SEQUENCE app.invoice_no START 1000;
CREATE TABLE app.invoices (
  no bigint DEFAULT nextval('app.invoice_no') PRIMARY KEY,
  total numeric(12, 2) CHECK (total >= 0)
);
ALTER SEQUENCE app.invoice_no OWNED BY app.invoices.no;
INSERT INTO app.users (email) VALUES ('a@b.c');
INSERT INTO app.posts (user_id, body) VALUES (1, 'hello');
"""


def test_a_pg_dump_baseline_is_new_objects_only(db_url: str) -> None:
    with psycopg.connect(db_url, autocommit=True) as c:
        c.execute(SCHEMA)
    dump = subprocess.run(
        [pg_tool("pg_dump"), "--no-owner", "--no-privileges", "-d", db_url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "SELECT pg_catalog.setval('app.users_id_seq'" in dump  # what is judged is there
    assert "REFRESH MATERIALIZED VIEW app.post_counts;" in dump
    assert "OWNED BY app.invoices.no" in dump
    found = lint(dump + ROLLBACK, STRICT)
    errors = sorted({(d.code, d.message.split(";")[0]) for d in found if d.severity == "error"})
    assert errors == [
        ("ban-unlisted-operation", "this switches off idle_in_transaction_session_timeout"),
        ("ban-unlisted-operation", "this switches off lock_timeout"),
        ("ban-unlisted-operation", "this switches off statement_timeout"),
    ], found
    # and the same file with its preamble's timeouts removed passes strict
    kept = "\n".join(line for line in dump.splitlines() if not line.endswith("timeout = 0;"))
    assert [d for d in lint(kept + ROLLBACK, STRICT) if d.severity == "error"] == []
