"""The ``reconciler`` schema the tool owns in every database it manages.

Created on the first apply (never by plan, so plan works with a read-only role) and
upgraded in place through numbered steps recorded in ``reconciler.meta``. What guards the
trail (its triggers, functions, rules, policies, row security, owners and grants) is read
before an apply's files run and put back after them if they changed it.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import psycopg
from psycopg import sql

from reconciler.db.schema import CATALOG_SQL
from reconciler.errors import ReconcilerError

__all__ = [
    "CATALOG_ONLY",
    "SCHEMA",
    "ApproverGrants",
    "Guard",
    "ensure_bookkeeping",
    "grant_approvers",
    "read_guards",
    "restore_guards",
]

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
    # 3: nobody but the owner writes the trail. Approvals are insert-only; an audit row always
    # carries the real login and time; approvers write only through SECURITY DEFINER
    # functions, which record the approval, its audit event and its outbox row together.
    """
    CREATE TABLE reconciler.environments (
        name       text PRIMARY KEY,
        outbox     boolean NOT NULL,      -- audit events of this environment go to a webhook
        updated_at timestamptz NOT NULL DEFAULT now()
    );
    DROP TRIGGER approvals_identity ON reconciler.approvals;
    CREATE OR REPLACE FUNCTION reconciler.force_approver() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog AS $f$
    BEGIN
        NEW.approved_by := session_user;
        NEW.at := now();
        RETURN NEW;
    END
    $f$;
    CREATE TRIGGER approvals_identity BEFORE INSERT ON reconciler.approvals
        FOR EACH ROW EXECUTE FUNCTION reconciler.force_approver();
    CREATE FUNCTION reconciler.reject_approval_change() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog AS $f$
    BEGIN
        RAISE EXCEPTION 'reconciler.approvals is insert-only: % is not allowed', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END
    $f$;
    CREATE TRIGGER approvals_insert_only BEFORE UPDATE OR DELETE ON reconciler.approvals
        FOR EACH ROW EXECUTE FUNCTION reconciler.reject_approval_change();
    CREATE TRIGGER approvals_no_truncate BEFORE TRUNCATE ON reconciler.approvals
        FOR EACH STATEMENT EXECUTE FUNCTION reconciler.reject_approval_change();
    CREATE FUNCTION reconciler.stamp_audit() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog AS $f$
    BEGIN
        NEW.db_user := session_user;
        NEW.at := clock_timestamp();
        RETURN NEW;
    END
    $f$;
    CREATE TRIGGER audit_log_stamp BEFORE INSERT ON reconciler.audit_log
        FOR EACH ROW EXECUTE FUNCTION reconciler.stamp_audit();
    CREATE FUNCTION reconciler.approve(
        p_environment text, p_plan_hash text, p_actor text, p_restore text DEFAULT NULL
    ) RETURNS text LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $f$
    DECLARE
        v_id bigint;
    BEGIN
        INSERT INTO reconciler.approvals (environment, plan_hash)
            VALUES (p_environment, p_plan_hash) ON CONFLICT DO NOTHING;
        INSERT INTO reconciler.audit_log (environment, actor, action, plan_hash, outcome, approvals, details)
            VALUES (p_environment, left(coalesce(p_actor, session_user), 200), 'approval.recorded',
                    p_plan_hash, 'recorded', jsonb_build_array(session_user),
                    CASE WHEN p_restore IS NULL THEN '{}'::jsonb
                         ELSE jsonb_build_object('restore', left(p_restore, 500)) END)
            RETURNING id INTO v_id;
        IF EXISTS (SELECT 1 FROM reconciler.environments e WHERE e.name = p_environment AND e.outbox) THEN
            INSERT INTO reconciler.audit_outbox (audit_id) VALUES (v_id);
        END IF;
        RETURN session_user;
    END
    $f$;
    CREATE FUNCTION reconciler.refuse_approval(
        p_environment text, p_plan_hash text, p_actor text, p_reason text
    ) RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $f$
    DECLARE
        v_id bigint;
    BEGIN
        INSERT INTO reconciler.audit_log (environment, actor, action, plan_hash, outcome, approvals, reason)
            VALUES (p_environment, left(coalesce(p_actor, session_user), 200), 'approval.refused',
                    left(p_plan_hash, 64), 'refused', jsonb_build_array(session_user), left(p_reason, 500))
            RETURNING id INTO v_id;
        IF EXISTS (SELECT 1 FROM reconciler.environments e WHERE e.name = p_environment AND e.outbox) THEN
            INSERT INTO reconciler.audit_outbox (audit_id) VALUES (v_id);
        END IF;
    END
    $f$;
    REVOKE ALL ON FUNCTION reconciler.approve(text, text, text, text) FROM PUBLIC;
    REVOKE ALL ON FUNCTION reconciler.refuse_approval(text, text, text, text) FROM PUBLIC;
    REVOKE ALL ON ALL TABLES IN SCHEMA reconciler FROM PUBLIC;
    -- an installation from before: approvers had write grants on the trail; take them back
    DO $d$
    DECLARE r record;
    BEGIN
        FOR r IN
            SELECT DISTINCT grantee FROM information_schema.role_table_grants
            WHERE table_schema = 'reconciler'
              AND table_name IN ('approvals', 'audit_log', 'audit_outbox')
              AND privilege_type IN ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE')
              AND grantee <> current_user
        LOOP
            EXECUTE format('REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON reconciler.approvals, '
                           'reconciler.audit_log, reconciler.audit_outbox FROM %I', r.grantee);
        END LOOP;
    END
    $d$;
    """,
    # 4: the schema as the last apply left it, to tell drift made outside the reconciler
    """
    CREATE TABLE reconciler.schema_snapshot (
        environment text PRIMARY KEY,
        version     text,                  -- the last migration applied when it was taken
        objects     jsonb NOT NULL,        -- object key -> catalog facts (reconciler.db.schema)
        taken_at    timestamptz NOT NULL DEFAULT now(),
        taken_by    text NOT NULL
    );
    REVOKE ALL ON reconciler.schema_snapshot FROM PUBLIC;
    -- the facts read with a fixed search_path, so every login renders them the same way
    CREATE FUNCTION reconciler.catalog_facts() RETURNS TABLE (key text, facts jsonb)
        LANGUAGE sql STABLE SET search_path = pg_catalog AS $catalog$
    """
    + CATALOG_SQL
    + """
    $catalog$;
    """,
    # 5: the catalogs' stamp when the snapshot was taken (reconciler.db.schema), so a plan
    # compares the facts only when some catalog row changed since
    """
    ALTER TABLE reconciler.schema_snapshot ADD COLUMN stamp text;
    """,
    # 6: the definer functions search pg_temp last: a path that does not name it searches it
    # first for tables and types, so a caller's temporary table named jsonb or bigint stood
    # in for the type the function declares
    """
    ALTER FUNCTION reconciler.approve(text, text, text, text)
        SET search_path = pg_catalog, pg_temp;
    ALTER FUNCTION reconciler.refuse_approval(text, text, text, text)
        SET search_path = pg_catalog, pg_temp;
    """,
    # 7: an outbox row is an event a webhook has not had yet: deleting one lost it without a
    # trace. Delivery only ever updates rows, so nothing may delete them.
    """
    CREATE FUNCTION reconciler.reject_outbox_removal() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog AS $f$
    BEGIN
        RAISE EXCEPTION 'reconciler.audit_outbox keeps every event for its webhook: % is not allowed',
            TG_OP USING ERRCODE = 'insufficient_privilege';
    END
    $f$;
    CREATE TRIGGER audit_outbox_keep BEFORE DELETE ON reconciler.audit_outbox
        FOR EACH ROW EXECUTE FUNCTION reconciler.reject_outbox_removal();
    CREATE TRIGGER audit_outbox_no_truncate BEFORE TRUNCATE ON reconciler.audit_outbox
        FOR EACH STATEMENT EXECUTE FUNCTION reconciler.reject_outbox_removal();
    """,
]


_READY: weakref.WeakSet[psycopg.Connection] = weakref.WeakSet()  # connections already checked


def ensure_bookkeeping(conn: psycopg.Connection) -> None:
    """Create or upgrade the schema. Safe to call concurrently from several reconcilers;
    checked once per connection."""
    if conn in _READY:
        return
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
    _READY.add(conn)


def note_environment(conn: psycopg.Connection, environment: str, outbox: bool) -> None:
    """Record whether the environment's audit events go to a webhook (the definer functions read it)."""
    conn.execute(
        "INSERT INTO reconciler.environments (name, outbox) VALUES (%s, %s) "
        "ON CONFLICT (name) DO UPDATE SET outbox = EXCLUDED.outbox, updated_at = now() "
        "WHERE reconciler.environments.outbox IS DISTINCT FROM EXCLUDED.outbox",
        (environment, outbox),
    )


@dataclass
class ApproverGrants:
    """What ``init --grant-approvers`` did, or would need."""

    granted: list[str] = field(default_factory=list)
    missing_logins: list[str] = field(default_factory=list)
    pending_tables: list[str] = field(default_factory=list)  # created later; the apply grants them


_TRAIL_READS = (
    "reconciler.schema_migrations",
    "reconciler.approvals",
    "reconciler.schema_snapshot",  # drift is part of the plan approvers compute
)
_FUNCTIONS = (
    "reconciler.approve(text, text, text, text)",
    "reconciler.refuse_approval(text, text, text, text)",
)


def _qualified(name: str) -> sql.Composable:
    return sql.Identifier(*name.split("."))


def grant_approvers(
    conn: psycopg.Connection, approvers: list[str], managed_tables: list[str]
) -> ApproverGrants:
    """Let each listed login compute plans and approve: USAGE on schema reconciler, SELECT on
    the history, the approvals and the managed tables, EXECUTE on the definer functions, and
    nothing else (no write grant on the trail, no cluster-wide role).

    Every privilege is checked first (as a non-superuser owner may lack one), then all grants
    are made in one transaction: all of them or none.
    """
    out = ApproverGrants()
    logins = [
        n
        for n in approvers
        if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (n,)).fetchone()
    ]
    out.missing_logins = [n for n in approvers if n not in logins]
    tables = list(_TRAIL_READS)
    for t in managed_tables:
        row = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (t,)).fetchone()
        (tables if row and row[0] else out.pending_tables).append(t)
    schemas = sorted({"reconciler"} | {t.split(".")[0] for t in tables if "." in t})
    lacking = [
        f"USAGE on schema {s}"
        for s in schemas
        if not _check(
            conn, "SELECT has_schema_privilege(current_user, %s, 'USAGE WITH GRANT OPTION')", s
        )
    ]
    lacking += [
        f"SELECT on {t}"
        for t in tables
        if not _check(
            conn, "SELECT has_table_privilege(current_user, %s, 'SELECT WITH GRANT OPTION')", t
        )
    ]
    lacking += [
        f"EXECUTE on {f}"
        for f in _FUNCTIONS
        if not _check(
            conn, "SELECT has_function_privilege(current_user, %s, 'EXECUTE WITH GRANT OPTION')", f
        )
    ]
    if lacking:
        raise ReconcilerError(
            "this login cannot grant what approvers need: it lacks " + "; ".join(lacking),
            code="grant-privilege",
            hint="run init --grant-approvers as the owner of the reconciler schema and of the "
            "managed tables (the login that applies); nothing was granted",
        )
    with conn.transaction():
        for name in logins:
            role = sql.Identifier(name)
            for s in schemas:
                conn.execute(
                    sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(sql.Identifier(s), role)
                )
            for t in tables:
                conn.execute(sql.SQL("GRANT SELECT ON {} TO {}").format(_qualified(t), role))
            for f in _FUNCTIONS:
                conn.execute(sql.SQL("GRANT EXECUTE ON FUNCTION " + f + " TO {}").format(role))
            out.granted.append(name)
    return out


def _check(conn: psycopg.Connection, query: str, *args: str) -> bool:
    row = conn.execute(query, args).fetchone()
    return bool(row and row[0])


def grant_new_tables(
    conn: psycopg.Connection, approvers: list[str], managed_tables: list[str]
) -> None:
    """After an apply created a managed table: let the approvers set up by init read it too."""
    existing = [t for t in managed_tables if _check(conn, "SELECT to_regclass(%s) IS NOT NULL", t)]
    for name in approvers:
        ok = conn.execute(
            "SELECT 1 FROM pg_roles WHERE rolname = %s AND has_function_privilege("
            "rolname, 'reconciler.approve(text, text, text, text)', 'EXECUTE')",
            (name,),
        ).fetchone()
        if not ok:
            continue
        for t in existing:
            if not _check(conn, "SELECT has_table_privilege(%s, %s, 'SELECT')", name, t):
                conn.execute(
                    sql.SQL("GRANT SELECT ON {} TO {}").format(_qualified(t), sql.Identifier(name))
                )


def repair_history(
    conn: psycopg.Connection,
    forget: list[str],
    rechecksum: dict[str, str],
    baseline: Sequence[tuple[str, str, str, int]] = (),
    repair_hash: str | None = None,
) -> None:
    """Forget part-way rows, re-record checksums and record baselined files (version, name,
    checksum, statements) as applied without running them, in one transaction."""
    with conn.transaction():
        for version, name, checksum, statements in baseline:
            conn.execute(
                "INSERT INTO reconciler.schema_migrations (version, name, checksum, applied_at, "
                "statements_done, plan_hash, duration_ms) VALUES (%s, %s, %s, now(), %s, %s, 0) "
                "ON CONFLICT (version) DO NOTHING",
                (version, name, checksum, statements, repair_hash),
            )
        if forget:
            conn.execute(
                "DELETE FROM reconciler.schema_migrations WHERE version = ANY(%s) "
                "AND applied_at IS NULL AND statements_done = 0",
                (forget,),
            )
        for version, checksum in rechecksum.items():
            conn.execute(
                "UPDATE reconciler.schema_migrations SET checksum = %s "
                "WHERE version = %s AND applied_at IS NULL AND statements_done = 0",
                (checksum, version),
            )


# -- what guards the trail ---------------------------------------------------------------
# The triggers that keep the audit log append-only and stamp who approved, the functions
# they and the approvers run, rules and policies on the tool's tables, and those tables'
# row-security switches and grants: what a migration could change, through SQL built at run
# time, to lose audit events or forge approvals. Read before and after an apply's files ran,
# by definition, so that what changed can be put back from the server's own DDL of it.
_GUARDS_SQL = """
SELECT 'trigger ' || c.relname || '.' || t.tgname,
       pg_get_triggerdef(t.oid) || ' ' || t.tgenabled::text,
       format('DROP TRIGGER IF EXISTS %I ON reconciler.%I', t.tgname, c.relname),
       pg_get_triggerdef(t.oid) || CASE t.tgenabled WHEN 'D' THEN
           format('; ALTER TABLE reconciler.%I DISABLE TRIGGER %I', c.relname, t.tgname)
           ELSE '' END
  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
 WHERE c.relnamespace = 'reconciler'::regnamespace AND NOT t.tgisinternal
UNION ALL
SELECT 'rule ' || c.relname || '.' || r.rulename, pg_get_ruledef(r.oid),
       format('DROP RULE IF EXISTS %I ON reconciler.%I', r.rulename, c.relname),
       pg_get_ruledef(r.oid)
  FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class
 WHERE c.relnamespace = 'reconciler'::regnamespace AND c.relkind <> 'v'
UNION ALL
SELECT 'function ' || p.oid::regprocedure::text,
       md5(pg_get_functiondef(p.oid)) || ' ' || pg_get_userbyid(p.proowner),
       'DROP FUNCTION IF EXISTS ' || p.oid::regprocedure::text,
       pg_get_functiondef(p.oid)
  FROM pg_proc p
 WHERE p.pronamespace = 'reconciler'::regnamespace AND p.prokind IN ('f', 'p')
UNION ALL
SELECT 'policy ' || c.relname || '.' || pol.polname, pol.polcmd::text || ' ' || coalesce(pg_get_expr(pol.polqual, pol.polrelid), ''),
       format('DROP POLICY IF EXISTS %I ON reconciler.%I', pol.polname, c.relname), NULL
  FROM pg_policy pol JOIN pg_class c ON c.oid = pol.polrelid
 WHERE c.relnamespace = 'reconciler'::regnamespace
UNION ALL
SELECT 'table ' || c.relname,
       c.relkind::text || ' rls=' || c.relrowsecurity || ' force=' || c.relforcerowsecurity
           || ' owner=' || pg_get_userbyid(c.relowner) || ' acl=' || coalesce(c.relacl::text, ''),
       NULL,
       format('ALTER TABLE reconciler.%I %s ROW LEVEL SECURITY, %s ROW LEVEL SECURITY',
              c.relname, CASE WHEN c.relrowsecurity THEN 'ENABLE' ELSE 'DISABLE' END,
              CASE WHEN c.relforcerowsecurity THEN 'FORCE' ELSE 'NO FORCE' END)
  FROM pg_class c
 WHERE c.relnamespace = 'reconciler'::regnamespace AND c.relkind IN ('r', 'p')
"""


# what the integrity checks run under: a search_path a file left in the role's or the
# database's settings (which RESET ALL brings back) cannot put its own functions, operators
# or types before the catalog's
CATALOG_ONLY = "SET LOCAL search_path = pg_catalog, pg_temp"


@dataclass(frozen=True)
class Guard:
    """One object that guards the trail: how it is defined, how to remove it, how to make it
    again as it was (None: it cannot be made from here)."""

    definition: str
    drop: str | None
    create: str | None


def read_guards(conn: psycopg.Connection) -> dict[str, Guard]:
    """The trail's guards by name, read with a search_path of pg_catalog only (what a file
    left in the role's settings cannot stand in for the catalog's functions)."""
    with conn.transaction(), conn.cursor() as cur:
        cur.execute(CATALOG_ONLY)
        cur.execute(_GUARDS_SQL)
        return {str(k): Guard(str(d), drop, create) for k, d, drop, create in cur.fetchall()}


def _changed(before: Mapping[str, Guard], after: Mapping[str, Guard]) -> list[str]:
    """The names of the guards added, removed or changed."""
    return [
        name
        for name in sorted(set(before) | set(after))
        if name not in before
        or name not in after
        or before[name].definition != after[name].definition
    ]


def _described(
    names: list[str], before: Mapping[str, Guard], after: Mapping[str, Guard]
) -> list[str]:
    return [
        f"{n} {'added' if n not in before else 'removed' if n not in after else 'changed'}"
        for n in names
    ]


def restore_guards(
    conn: psycopg.Connection, before: Mapping[str, Guard], after: Mapping[str, Guard]
) -> tuple[list[str], list[str]]:
    """Put the guards back as ``before`` had them, in one transaction: the changed and added
    triggers, rules and policies dropped first, then each function made again from the
    server's own definition of it (or dropped, if added), then the triggers, rules and
    table settings made again. Returns (what had changed, what is still not as it was)."""
    names = _changed(before, after)
    if not names:
        return [], []
    changed = _described(names, before, after)
    routines = [n for n in names if n.startswith("function ")]
    others = [n for n in names if not n.startswith("function ")]
    try:
        with conn.transaction(), conn.cursor() as cur:
            cur.execute(CATALOG_ONLY)
            for name in others:  # triggers and rules off first: added functions they call go next
                now = after.get(name)
                if now is not None and now.drop:
                    cur.execute(now.drop)
            for name in routines:
                was, now = before.get(name), after.get(name)
                if was is None and now is not None and now.drop:
                    cur.execute(now.drop)
                elif was is not None and was.create:
                    cur.execute(was.create)
            for name in others:
                was = before.get(name)
                if was is not None and was.create:
                    cur.execute(was.create)
    except psycopg.Error as e:
        return changed, [f"all of it ({e.diag.message_primary or type(e).__name__})"]
    after = read_guards(conn)
    return changed, _described(_changed(before, after), before, after)
