"""Cases for ban-update-without-where: SQL that must fire it (F) and SQL that must not (P)."""

from __future__ import annotations

from tests.sql.cases import F, P

CASES = [
    F(
        "ban-update-without-where",
        "CREATE TABLE t AS WITH u AS (UPDATE users SET admin = true RETURNING id) SELECT * FROM u;",
    ),
    F("ban-update-without-where", "EXPLAIN ANALYZE UPDATE users SET admin = true;"),
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
    F("ban-update-without-where", "UPDATE t SET a = (SELECT max(b) FROM u WHERE u.c = 1);"),
    F("ban-update-without-where", "WITH x AS (UPDATE t SET a = 1 RETURNING id) SELECT * FROM x;"),
    F("ban-update-without-where", "UPDATE t SET a = 1 RETURNING (SELECT 1 WHERE true);"),
    P("ban-update-without-where", "UPDATE t SET a = u.a FROM u WHERE t.id = u.id;"),
    P("ban-update-without-where", "DO $$ BEGIN UPDATE t SET a = 1 WHERE id = 2; END $$;"),
    F("ban-update-without-where", "UPDATE users SET admin = true WHERE true;"),
    F("ban-update-without-where", "UPDATE users SET admin = true WHERE 1 = 1;"),
    F("ban-update-without-where", "UPDATE users SET admin = true WHERE id = id OR false;"),
    F("ban-update-without-where", "UPDATE users SET admin = true WHERE 't'::boolean;"),
    P("ban-update-without-where", "UPDATE users SET admin = true WHERE id = 1 OR id = 2;"),
    # more disguises of "every row"
    F("ban-update-without-where", "UPDATE users SET admin = true WHERE NOT false;"),
    F("ban-update-without-where", "UPDATE users SET admin = true WHERE NOT (1 <> 1) OR NOT false;"),
    F(
        "ban-update-without-where",
        "UPDATE users SET admin = true WHERE email IS NULL OR email IS NOT NULL;",
    ),
    P("ban-update-without-where", "UPDATE users SET admin = true WHERE NOT banned;"),
    P(
        "ban-update-without-where",
        "UPDATE users SET admin = true WHERE email IS NULL OR name IS NOT NULL;",
    ),
    P("ban-update-without-where", "UPDATE users SET admin = true WHERE NOT (id = 1);"),
    P(
        "ban-update-without-where",
        "CREATE TABLE lookup (id bigint PRIMARY KEY, name text);\nUPDATE lookup SET name = upper(name);",
    ),
    F(
        "ban-update-without-where",
        "UPDATE lookup SET name = upper(name);\nCREATE TABLE lookup (id bigint PRIMARY KEY, name text);\n",
    ),
    F(
        "ban-update-without-where",
        "CREATE TABLE lookup (id bigint PRIMARY KEY, name text);\nWITH x AS (UPDATE users SET a = 1 RETURNING id) UPDATE lookup SET name = 'x' "
        "FROM x WHERE lookup.id = x.id;",
    ),
]
