"""The ``reconciler`` schema the tool owns in every database it manages.

Created on the first apply (never by plan, so plan works with a read-only role) and
upgraded in place through numbered steps recorded in ``reconciler.meta``.
"""

from __future__ import annotations

import psycopg

__all__ = ["SCHEMA", "ensure_bookkeeping"]

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
