"""Cases for ban-disabled-triggers: SQL that must fire it (F) and SQL that must not (P)."""

from __future__ import annotations

from tests.sql.cases import F, P

R = "ban-disabled-triggers"

CASES = [
    # foreign-key checks switched off: the rows written meanwhile are never checked
    F(R, "ALTER TABLE orders DISABLE TRIGGER ALL;"),
    F(
        R,
        "ALTER TABLE orders DISABLE TRIGGER ALL;\nINSERT INTO orders VALUES (1, 99) "
        "ON CONFLICT DO NOTHING;\nALTER TABLE orders ENABLE TRIGGER ALL;",
    ),
    F(R, "SET session_replication_role = replica;"),
    F(R, "SET LOCAL session_replication_role TO 'local';"),
    F(R, "SELECT set_config('session_replication_role', 'replica', true);"),
    F(R, "SELECT pg_catalog.set_config('session_replication_role', 'replica', false);"),
    F(R, "DO $$ BEGIN PERFORM set_config('session_replication_role', 'replica', true); END $$;"),
    F(R, "DO $$ BEGIN SET LOCAL session_replication_role = replica; END $$;"),
    # a user trigger left off after the migration
    F(R, "ALTER TABLE users DISABLE TRIGGER audit_users;"),
    F(R, "ALTER TABLE users DISABLE TRIGGER USER;"),
    F(
        R,
        "ALTER TABLE users DISABLE TRIGGER audit_users;\nALTER TABLE users ENABLE TRIGGER other;",
    ),
    F(R, "ALTER TABLE users DISABLE TRIGGER USER;\nALTER TABLE orgs ENABLE TRIGGER USER;"),
    F(
        R,
        "ALTER TABLE users ENABLE TRIGGER audit_users;\n"
        "ALTER TABLE users DISABLE TRIGGER audit_users;",
    ),
    # outside a transaction, other sessions write past it between the statements
    F(
        R,
        "-- reconciler:no-transaction -- the index build\n"
        "ALTER TABLE users DISABLE TRIGGER audit_users;\n"
        "ALTER TABLE users ENABLE TRIGGER audit_users;",
    ),
    # disabled and enabled again in the same transaction: other writers wait on its lock
    P(
        R,
        "ALTER TABLE users DISABLE TRIGGER audit_users;\n"
        "UPDATE users SET email = lower(email) WHERE email <> lower(email);\n"
        "ALTER TABLE users ENABLE TRIGGER audit_users;",
    ),
    P(R, "ALTER TABLE users DISABLE TRIGGER USER;\nALTER TABLE users ENABLE TRIGGER USER;"),
    P(
        R,
        "ALTER TABLE users DISABLE TRIGGER audit_users;\n"
        "DO $$ BEGIN UPDATE users SET a = 1 WHERE id = 1;\n"
        "ALTER TABLE users ENABLE ALWAYS TRIGGER audit_users; END $$;",
    ),
    P(R, "SET session_replication_role = origin;"),
    P(R, "SET session_replication_role TO DEFAULT;"),
    P(R, "RESET session_replication_role;"),
    P(R, "SELECT set_config('search_path', '', false);"),
    P(R, "ALTER TABLE users ENABLE TRIGGER ALL;"),
    P(R, "ALTER TABLE users ENABLE REPLICA TRIGGER sync_users;"),
]
