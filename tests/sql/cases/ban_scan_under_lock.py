"""Cases for ban-scan-under-lock: SQL that must fire it (F) and SQL that must not (P)."""

from __future__ import annotations

from tests.sql.cases import F, P

CASES = [
    # a lock on one table in use, then a scan of another: the first waits for the scan
    F(
        "ban-scan-under-lock",
        "ALTER TABLE users ADD COLUMN a text;\nALTER TABLE posts VALIDATE CONSTRAINT posts_fk;",
    ),
    F(
        "ban-scan-under-lock",
        "ALTER TABLE users ADD COLUMN a text;\nCREATE TABLE archive AS SELECT * FROM orders;",
    ),
    F(
        "ban-scan-under-lock",
        "ALTER TABLE users ADD COLUMN a text;\nINSERT INTO t (n) VALUES "
        "((SELECT count(*) FROM orders o JOIN items i ON i.order_id = o.id)) "
        "ON CONFLICT DO NOTHING;",
    ),
    F(
        "ban-scan-under-lock",
        "ALTER TABLE users ALTER COLUMN a SET DEFAULT 1;\n"
        "CREATE MATERIALIZED VIEW totals AS SELECT user_id, sum(n) FROM orders GROUP BY 1;",
    ),
    F(
        "ban-scan-under-lock",
        "LOCK TABLE users IN SHARE MODE;\nSELECT id INTO spare FROM accounts WHERE active;",
    ),
    F(
        "ban-scan-under-lock",
        "CREATE TABLE t (id bigint);\nCREATE INDEX i ON users (email);\n"
        "INSERT INTO t SELECT id FROM orders ON CONFLICT DO NOTHING;",
    ),
    F(
        "ban-scan-under-lock",
        "CREATE TRIGGER trg AFTER INSERT ON users FOR EACH ROW EXECUTE FUNCTION f();\n"
        "COPY (SELECT * FROM orders) TO STDOUT;",
    ),
    # a foreign key locks the table it references against writes as well
    F(
        "ban-scan-under-lock",
        "ALTER TABLE posts ADD CONSTRAINT fk FOREIGN KEY (u) REFERENCES users (id) NOT VALID;\n"
        "ALTER TABLE comments VALIDATE CONSTRAINT comments_fk;",
    ),
    # a backfill in the transaction that added the column keeps the table locked throughout
    F(
        "ban-scan-under-lock",
        "ALTER TABLE users ADD COLUMN plan text;\nUPDATE users SET plan = 'free' WHERE plan IS NULL;",
    ),
    F(
        "ban-scan-under-lock",
        "ALTER TABLE users ADD COLUMN a text;\nDELETE FROM users WHERE a < 'x';",
    ),
    F(
        "ban-scan-under-lock",
        "ALTER TABLE users ADD COLUMN org text;\n"
        "UPDATE users SET org = o.name FROM orgs o WHERE o.id = users.org_id;",
    ),
    F(
        "ban-scan-under-lock",
        "ALTER TABLE users ADD COLUMN a text;\nDO $$ BEGIN UPDATE users SET a = 'x'; END $$;",
    ),
    F(
        "ban-scan-under-lock",
        "DO $$ BEGIN\n  ALTER TABLE users ADD COLUMN a text;\n  UPDATE users SET a = 'x';\nEND $$;",
    ),
    F(
        "ban-scan-under-lock",
        "ALTER POLICY p ON users USING (true);\n"
        "MERGE INTO users u USING staging s ON u.id = s.id WHEN MATCHED THEN UPDATE SET a = s.a;",
    ),
    F(
        "ban-scan-under-lock",
        "ALTER TABLE users ADD COLUMN a text;\nUPDATE users SET a = 'x' WHERE id = 1 OR a IS NULL;",
    ),
    # the lock comes after, or is none that stops the application, or nothing long follows
    P(
        "ban-scan-under-lock",
        "ALTER TABLE posts VALIDATE CONSTRAINT posts_fk;\nALTER TABLE users ADD COLUMN a text;",
    ),
    P(
        "ban-scan-under-lock",
        "ALTER TABLE users SET (fillfactor = 90);\nALTER TABLE posts VALIDATE CONSTRAINT fk;",
    ),
    P("ban-scan-under-lock", "LOCK TABLE users IN ROW EXCLUSIVE MODE;\nUPDATE posts SET a = 1;"),
    P(
        "ban-scan-under-lock",
        "ALTER TABLE users ADD COLUMN a text;\nALTER TABLE users ADD COLUMN b text;",
    ),
    P(
        "ban-scan-under-lock",
        "ALTER TABLE users ADD COLUMN a text;\n"
        "UPDATE settings SET value = 'x' WHERE key = 'mode';\n"
        "DELETE FROM flags WHERE name IN ('a', 'b') AND NOT enabled;\n"
        "UPDATE plans SET price = 10 WHERE id = ANY ('{1,2}'::int[]);\n"
        "UPDATE users SET plan = 'pro' WHERE org_id = (SELECT id FROM orgs WHERE slug = 'a');",
    ),
    P(
        "ban-scan-under-lock",
        "ALTER TABLE users ADD COLUMN a text;\n"
        "INSERT INTO audit (who) SELECT name FROM admins WHERE id = 1 ON CONFLICT DO NOTHING;\n"
        "INSERT INTO grants (role_id, perm) VALUES "
        "((SELECT id FROM roles WHERE name = 'admin'), 'all') ON CONFLICT DO NOTHING;",
    ),
    P(
        "ban-scan-under-lock",
        "ALTER TABLE users ADD COLUMN a text;\n"
        "CREATE MATERIALIZED VIEW mv AS SELECT * FROM orders WITH NO DATA;",
    ),
    P(
        "ban-scan-under-lock",
        "ALTER TABLE users ADD COLUMN a text;\nINSERT INTO kinds (k) VALUES ('a') ON CONFLICT DO NOTHING;",
    ),
    P(
        "ban-scan-under-lock",
        "ALTER TABLE users ADD COLUMN a text;\n"
        "CREATE TABLE t AS SELECT c.relname FROM pg_class c "
        "JOIN information_schema.tables s ON s.table_name = c.relname;",
    ),
    # what the file created is nobody's yet: locking or scanning it stops no one
    P(
        "ban-scan-under-lock",
        "CREATE TABLE t (id bigint);\nALTER TABLE t ADD COLUMN a text;\n"
        "CREATE TABLE copy_of AS SELECT * FROM t;",
    ),
    P(
        "ban-scan-under-lock",
        "CREATE TABLE t (id bigint, a text);\nALTER TABLE users ADD COLUMN a text;\n"
        "UPDATE t SET a = 'x';",
    ),
    P(
        "ban-scan-under-lock",
        "CREATE TABLE t (id bigint);\nCREATE INDEX i ON t (id);\n"
        "WITH x AS (SELECT 1 AS id) INSERT INTO t SELECT id FROM x ON CONFLICT DO NOTHING;",
    ),
    # a VALIDATE under a lock on its own table is require-not-valid-constraint's finding
    P(
        "ban-scan-under-lock",
        "ALTER TABLE posts ADD CONSTRAINT fk FOREIGN KEY (u) REFERENCES users (id) NOT VALID;\n"
        "ALTER TABLE posts VALIDATE CONSTRAINT fk;",
    ),
    # each statement commits on its own in a no-transaction file (a DO block is one)
    F(
        "ban-scan-under-lock",
        "-- reconciler:no-transaction\nSELECT 1;\n"
        "DO $$ BEGIN ALTER TABLE users ADD COLUMN a text; UPDATE users SET a = 'x'; END $$;",
    ),
    P(
        "ban-scan-under-lock",
        "-- reconciler:no-transaction\nALTER TABLE users ADD COLUMN a text;\n"
        "ALTER TABLE posts VALIDATE CONSTRAINT fk;",
    ),
]
