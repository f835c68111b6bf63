"""Cases for ban-transaction-control: SQL that must fire it (F) and SQL that must not (P)."""

from __future__ import annotations

from tests.sql.cases import F, P

CASES = [
    F(
        "ban-transaction-control",
        "CREATE TABLE t (id bigint);\nCOMMIT;\nCREATE TABLE u (id bigint);",
    ),
    F("ban-transaction-control", "COMMIT;"),
    F("ban-transaction-control", "SAVEPOINT s1;"),
    F("ban-transaction-control", "ROLLBACK;"),
    P("ban-transaction-control", "CREATE TABLE t (id bigint);"),
    P("ban-transaction-control", "DO $$ BEGIN PERFORM 1; END $$;"),
    F("ban-transaction-control", "END;"),
    F("ban-transaction-control", "ABORT;"),
    F("ban-transaction-control", "SAVEPOINT s;"),
    F("ban-transaction-control", "RELEASE SAVEPOINT s;"),
    P("ban-transaction-control", "DO $$ BEGIN PERFORM 1; END $$;"),
    F(
        "ban-transaction-control",
        "DO $$ BEGIN FOR i IN 1..10 LOOP UPDATE t SET a = i WHERE id = i; COMMIT; END LOOP; END $$;",
    ),
    F("ban-transaction-control", "DO $$ BEGIN ROLLBACK; END $$;"),
    P("ban-transaction-control", "DO $$ BEGIN PERFORM 1; END $$;"),
    P(
        "ban-transaction-control",
        "CREATE PROCEDURE p() LANGUAGE plpgsql AS $$ BEGIN COMMIT; END $$;",
    ),
    # the file's own transaction around all of it: the one the reconciler gives it anyway
    P(
        "ban-transaction-control",
        "BEGIN;\nCREATE TABLE t (id bigint);\nCREATE INDEX t_id ON t (id);\nCOMMIT;",
    ),
    P("ban-transaction-control", "START TRANSACTION;\nCREATE TABLE t (id bigint);\nEND;"),
    # anything else stays reported: an isolation level, a savepoint, a ROLLBACK, a pair
    # that does not wrap the whole file, CONCURRENTLY inside (which psql would refuse too)
    F(
        "ban-transaction-control",
        "BEGIN ISOLATION LEVEL SERIALIZABLE;\nCREATE TABLE t (id bigint);\nCOMMIT;",
    ),
    F(
        "ban-transaction-control",
        "BEGIN;\nCREATE TABLE t (id bigint);\nSAVEPOINT s;\nCOMMIT;",
    ),
    F("ban-transaction-control", "BEGIN;\nCREATE TABLE t (id bigint);\nROLLBACK;"),
    # Prisma's enum change: a BEGIN ... COMMIT around part of the file, in the one
    # transaction the whole file gets
    P(
        "ban-transaction-control",
        "-- AlterEnum\nBEGIN;\nCREATE TYPE \"Role_new\" AS ENUM ('USER');\n"
        'ALTER TYPE "Role" RENAME TO "Role_old";\nCOMMIT;\n\n'
        "-- AlterTable\nALTER TABLE t ADD COLUMN c text;",
    ),
    F("ban-transaction-control", "BEGIN;\nBEGIN;\nCREATE TABLE t (id bigint);\nCOMMIT;\nCOMMIT;"),
    F("ban-transaction-control", "CREATE TABLE t (id bigint);\nCOMMIT;"),
    F("ban-transaction-control", "BEGIN;\nCREATE TABLE t (id bigint);"),
    # a no-transaction file runs statement by statement: its pair is what keeps the block whole
    F(
        "ban-transaction-control",
        "-- reconciler:no-transaction\nBEGIN;\nCREATE TABLE t (id bigint);\nCOMMIT;",
    ),
    F(
        "ban-transaction-control",
        "BEGIN;\nCREATE INDEX CONCURRENTLY i ON t (a);\nCOMMIT;",
    ),
]
