"""Cases for ban-sequence-reset: SQL that must fire it (F) and SQL that must not (P)."""

from __future__ import annotations

from tests.sql.cases import F, P

R = "ban-sequence-reset"

CASES = [
    F(R, "ALTER SEQUENCE users_id_seq RESTART WITH 1;"),
    F(R, "ALTER SEQUENCE IF EXISTS public.users_id_seq RESTART;"),
    F(R, "ALTER TABLE users ALTER COLUMN id RESTART WITH 5;"),
    F(R, "ALTER TABLE users ALTER COLUMN id SET INCREMENT BY 1 RESTART;"),
    F(R, "SELECT setval('users_id_seq', 1, false);"),
    F(R, "SELECT pg_catalog.setval('public.users_id_seq', 42, true);"),
    F(R, "DO $$ BEGIN PERFORM setval('users_id_seq', 1); END $$;"),
    P(R, "SELECT setval('users_id_seq', (SELECT max(id) FROM users));"),
    P(R, "SELECT setval('users_id_seq', COALESCE(max(id), 1)) FROM users;"),
    P(R, "ALTER SEQUENCE users_id_seq INCREMENT BY 2;"),
    P(R, "ALTER SEQUENCE users_id_seq OWNED BY users.id;"),
    P(R, "CREATE SEQUENCE order_no;\nALTER SEQUENCE order_no RESTART WITH 1000;"),
    P(
        R,
        "CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY);\nALTER TABLE t ALTER COLUMN id RESTART WITH 100;",
    ),
]
