"""Cases for ban-rename: SQL that must fire it (F) and SQL that must not (P)."""

from __future__ import annotations

from tests.sql.cases import F, P

CASES = [
    F("ban-rename", "ALTER TABLE users SET SCHEMA archive;"),
    F("ban-rename", "ALTER FUNCTION app.score(bigint) SET SCHEMA lib;"),
    F("ban-rename", "ALTER TYPE mood SET SCHEMA app;"),
    F("ban-rename", "ALTER ROLE app_rw RENAME TO app_writer;"),
    P("ban-rename", "CREATE TABLE staging (id bigint);\nALTER TABLE staging SET SCHEMA app;"),
    P("ban-rename", "ALTER TABLE users OWNER TO app_owner;"),
    F("ban-rename", "ALTER TABLE t RENAME COLUMN a TO b;"),
    F("ban-rename", "DO $$ BEGIN ALTER TABLE t RENAME COLUMN a TO b; END $$;"),
    F("ban-rename", "ALTER TABLE t RENAME TO u;"),
    F("ban-rename", "ALTER TABLE t RENAME a TO b;"),
    P("ban-rename", "ALTER TABLE t RENAME CONSTRAINT c TO d;"),
    P("ban-rename", "CREATE TABLE t (a int);\nALTER TABLE t RENAME COLUMN a TO b;"),
    F("ban-rename", "ALTER TABLE t RENAME a TO b;"),
    F("ban-rename", "ALTER TABLE IF EXISTS s.t RENAME TO u;"),
    F("ban-rename", "DO $$ BEGIN ALTER TABLE t RENAME COLUMN a TO b; END $$;"),
    P("ban-rename", "ALTER TABLE t RENAME CONSTRAINT c TO d;"),
    P("ban-rename", "ALTER INDEX i RENAME TO j;"),
    # everything else application code names
    F("ban-rename", "ALTER VIEW active_users RENAME TO current_users;"),
    F("ban-rename", "ALTER VIEW v RENAME COLUMN a TO b;"),
    F("ban-rename", "ALTER MATERIALIZED VIEW mv RENAME TO mv2;"),
    F("ban-rename", "ALTER SCHEMA app RENAME TO app_v2;"),
    F("ban-rename", "ALTER TYPE mood RENAME TO feeling;"),
    F("ban-rename", "ALTER TYPE mood RENAME VALUE 'sad' TO 'unhappy';"),
    F("ban-rename", "ALTER TYPE address RENAME ATTRIBUTE zip TO postcode;"),
    F("ban-rename", "ALTER DOMAIN email RENAME TO email_address;"),
    F("ban-rename", "ALTER FUNCTION app.score(bigint) RENAME TO rank;"),
    F("ban-rename", "ALTER PROCEDURE app.cleanup() RENAME TO purge;"),
    F("ban-rename", "ALTER SEQUENCE order_no RENAME TO order_number;"),
    P("ban-rename", "ALTER TYPE mood ADD VALUE 'meh';"),
    P("ban-rename", "ALTER TRIGGER trg ON t RENAME TO trg2;"),
    P("ban-rename", "ALTER POLICY p ON t RENAME TO q;"),
    # made earlier in the same file (Prisma's enum change): nobody names it yet
    P(
        "ban-rename",
        'CREATE TYPE "Role_new" AS ENUM (\'USER\');\nALTER TYPE "Role_new" RENAME TO "Role";',
    ),
    P("ban-rename", "CREATE VIEW v2 AS SELECT 1;\nALTER VIEW v2 RENAME TO v3;"),
    F("ban-rename", "CREATE TYPE a AS ENUM ('x');\nALTER TYPE b RENAME TO c;"),
]
