"""The ``reconciler`` schema the tool owns in every database it manages.

Created on the first apply (never by plan, so plan works with a read-only role) and
upgraded in place through numbered steps recorded in ``reconciler.meta``.
"""

from __future__ import annotations

import psycopg

__all__ = ["SCHEMA", "ensure_bookkeeping", "grant_approver"]

SCHEMA = "reconciler"
_SETUP_LOCK = 0x6E656F6E  # one transaction-level lock for every environment's first apply

_STEPS: list[str] = [
    """
    CREATE SCHEMA IF NOT EXISTS reconciler;
    CREATE TABLE IF NOT EXISTS reconciler.meta (
        id integer PRIMARY KEY CHECK (id = 1),
        schema_version integer NOT NULL
    );
    CREATE TABLE IF NOT EXISTS reconciler.schema_migrations (
        version         text PRIMARY KEY,
        name            text NOT NULL,
        checksum        text NOT NULL,
        applied_at      timestamptz,            -- NULL while a no-transaction migration is part-way
        applied_by      text NOT NULL DEFAULT session_user,
        duration_ms     integer,
        plan_hash       text,
        statements_done integer NOT NULL DEFAULT 0,
        started_at      timestamptz NOT NULL DEFAULT now()
    );
    COMMENT ON SCHEMA reconciler IS 'Owned by neon-reconciler; do not edit by hand';
    """,
    # 2: audit trail (append-only), webhook outbox, approvals bound to plan hashes
    """
    CREATE TABLE reconciler.audit_log (
        id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at          timestamptz NOT NULL DEFAULT clock_timestamp(),
        environment text NOT NULL,
        actor       text NOT NULL,
        db_user     text NOT NULL DEFAULT session_user,
        action      text NOT NULL,
        plan_hash   text,
        outcome     text NOT NULL,
        approvals   jsonb NOT NULL DEFAULT '[]',
        backup_ref  text,
        emergency   boolean NOT NULL DEFAULT false,
        reason      text,
        details     jsonb NOT NULL DEFAULT '{}',
        delivery_id uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE
    );
    CREATE FUNCTION reconciler.reject_audit_change() RETURNS trigger LANGUAGE plpgsql AS $f$
    BEGIN
        RAISE EXCEPTION 'reconciler.audit_log is append-only: % is not allowed', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END
    $f$;
    CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON reconciler.audit_log
        FOR EACH ROW EXECUTE FUNCTION reconciler.reject_audit_change();
    CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON reconciler.audit_log
        FOR EACH STATEMENT EXECUTE FUNCTION reconciler.reject_audit_change();
    CREATE TABLE reconciler.audit_outbox (
        audit_id        bigint PRIMARY KEY REFERENCES reconciler.audit_log (id),
        attempts        integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        delivered_at    timestamptz,
        last_error      text
    );
    CREATE INDEX audit_outbox_pending ON reconciler.audit_outbox (next_attempt_at)
        WHERE delivered_at IS NULL;
    CREATE TABLE reconciler.approvals (
        environment text NOT NULL,
        plan_hash   text NOT NULL CHECK (plan_hash ~ '^[0-9a-f]{64}$'),
        approved_by text NOT NULL DEFAULT session_user,
        at          timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (environment, plan_hash, approved_by)
    );
    -- identity is the database login: whatever the client sends, approved_by is session_user
    CREATE FUNCTION reconciler.force_approver() RETURNS trigger LANGUAGE plpgsql AS $f$
    BEGIN
        NEW.approved_by := session_user;
        NEW.at := now();
        RETURN NEW;
    END
    $f$;
    CREATE TRIGGER approvals_identity BEFORE INSERT OR UPDATE ON reconciler.approvals
        FOR EACH ROW EXECUTE FUNCTION reconciler.force_approver();
    """,
]


def ensure_bookkeeping(conn: psycopg.Connection) -> None:
    """Create or upgrade the schema. Safe to call concurrently from several reconcilers."""
    with conn.transaction(), conn.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", (_SETUP_LOCK,))
        cur.execute("SELECT to_regclass('reconciler.meta') IS NOT NULL")
        row = cur.fetchone()
        current = 0
        if row and row[0]:
            cur.execute("SELECT coalesce(max(schema_version), 0) FROM reconciler.meta")
            row = cur.fetchone()
            current = int(row[0]) if row else 0
        for n, step in enumerate(_STEPS[current:], start=current + 1):
            cur.execute(step)
            cur.execute(
                "INSERT INTO reconciler.meta (id, schema_version) VALUES (1, %s) "
                "ON CONFLICT (id) DO UPDATE SET schema_version = EXCLUDED.schema_version",
                (n,),
            )


def grant_approver(conn: psycopg.Connection, name: str) -> bool:
    """Let the login ``name`` compute plans and record approvals. False when no such login."""
    from psycopg import sql

    if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone():
        return False
    role = sql.Identifier(name)
    conn.execute(sql.SQL("GRANT USAGE ON SCHEMA reconciler TO {}").format(role))
    conn.execute(sql.SQL("GRANT SELECT, INSERT, UPDATE ON reconciler.approvals TO {}").format(role))
    # their approval is itself an audit event, delivered like every other
    conn.execute(sql.SQL("GRANT INSERT ON reconciler.audit_log TO {}").format(role))
    conn.execute(sql.SQL("GRANT INSERT, UPDATE ON reconciler.audit_outbox TO {}").format(role))
    # approvers compute the plan they approve, so they read what the plan reads
    conn.execute(sql.SQL("GRANT pg_read_all_data TO {}").format(role))
    return True
