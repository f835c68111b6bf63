"""Cases for ban-set-not-null: SQL that must fire it (F) and SQL that must not (P)."""

from __future__ import annotations

from tests.sql.cases import F, P

CASES = [
    # a primary key on an index sets NOT NULL on its columns (a scan for each nullable one)
    F(
        "ban-set-not-null",
        "ALTER TABLE users ADD CONSTRAINT users_pkey PRIMARY KEY USING INDEX users_id_idx;",
    ),
    F(
        "ban-set-not-null",
        "ALTER TABLE users ADD COLUMN c text, ADD CONSTRAINT users_pkey PRIMARY KEY USING INDEX "
        "users_id_idx;",
    ),
    P(
        "ban-set-not-null",
        "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_idx;",
    ),
    P(
        "ban-set-not-null",
        "CREATE TABLE t (id bigint);\nCREATE UNIQUE INDEX t_id ON t (id);\n"
        "ALTER TABLE t ADD CONSTRAINT t_pkey PRIMARY KEY USING INDEX t_id;",
    ),
    F("ban-set-not-null", "ALTER TABLE t ALTER COLUMN a SET NOT NULL;"),
    F("ban-set-not-null", "DO $$ BEGIN\n  ALTER TABLE t ALTER COLUMN a SET NOT NULL;\nEND $$;"),
    F("ban-set-not-null", "ALTER TABLE t ALTER a SET NOT NULL;"),
    P("ban-set-not-null", "ALTER TABLE t ALTER COLUMN a DROP NOT NULL;"),
    P("ban-set-not-null", "ALTER TABLE t ADD CONSTRAINT a_nn CHECK (a IS NOT NULL) NOT VALID;"),
    P("ban-set-not-null", "CREATE TABLE t (a int);\nALTER TABLE t ALTER COLUMN a SET NOT NULL;"),
    F("ban-set-not-null", "ALTER TABLE ONLY t ALTER a SET NOT NULL;"),
    F("ban-set-not-null", "DO $$ BEGIN ALTER TABLE t ALTER COLUMN a SET NOT NULL; END $$;"),
    P("ban-set-not-null", "ALTER TABLE t ALTER COLUMN a DROP NOT NULL;"),
    F("ban-set-not-null", "ALTER DOMAIN d SET NOT NULL;"),
    P("ban-set-not-null", "CREATE DOMAIN d AS int;\nALTER DOMAIN d SET NOT NULL;"),
    P("ban-set-not-null", "ALTER DOMAIN d DROP NOT NULL;"),
    # the three steps, each committed on its own: the validated check proves the column
    P(
        "ban-set-not-null",
        "-- reconciler:no-transaction\n"
        "ALTER TABLE t ADD CONSTRAINT t_a_nn CHECK (a IS NOT NULL) NOT VALID;\n"
        "ALTER TABLE t VALIDATE CONSTRAINT t_a_nn;\n"
        "ALTER TABLE t ALTER COLUMN a SET NOT NULL;",
    ),
    P(
        "ban-set-not-null",
        "-- reconciler:no-transaction\n"
        'ALTER TABLE public.t ADD CONSTRAINT k CHECK (a > 0 AND "a" IS NOT NULL) NOT VALID;\n'
        "ALTER TABLE t VALIDATE CONSTRAINT k;\n"
        "ALTER TABLE t ALTER a SET NOT NULL;",
    ),
    # not validated, validated after, another column, another table, an OR, IS NULL
    F(
        "ban-set-not-null",
        "-- reconciler:no-transaction\n"
        "ALTER TABLE t ADD CONSTRAINT k CHECK (a IS NOT NULL) NOT VALID;\n"
        "ALTER TABLE t ALTER COLUMN a SET NOT NULL;\n"
        "ALTER TABLE t VALIDATE CONSTRAINT k;",
    ),
    F(
        "ban-set-not-null",
        "-- reconciler:no-transaction\n"
        "ALTER TABLE t ADD CONSTRAINT k CHECK (b IS NOT NULL) NOT VALID;\n"
        "ALTER TABLE t VALIDATE CONSTRAINT k;\n"
        "ALTER TABLE t ALTER COLUMN a SET NOT NULL;",
    ),
    F(
        "ban-set-not-null",
        "-- reconciler:no-transaction\n"
        "ALTER TABLE u ADD CONSTRAINT k CHECK (a IS NOT NULL) NOT VALID;\n"
        "ALTER TABLE u VALIDATE CONSTRAINT k;\n"
        "ALTER TABLE t ALTER COLUMN a SET NOT NULL;",
    ),
    F(
        "ban-set-not-null",
        "-- reconciler:no-transaction\n"
        "ALTER TABLE t ADD CONSTRAINT k CHECK (a IS NOT NULL OR b > 0) NOT VALID;\n"
        "ALTER TABLE t VALIDATE CONSTRAINT k;\n"
        "ALTER TABLE t ALTER COLUMN a SET NOT NULL;",
    ),
    F(
        "ban-set-not-null",
        "-- reconciler:no-transaction\n"
        "ALTER TABLE t ADD CONSTRAINT k CHECK (NOT (a IS NULL)) NOT VALID;\n"
        "ALTER TABLE t VALIDATE CONSTRAINT k;\n"
        "ALTER TABLE t ALTER COLUMN a SET NOT NULL;",
    ),
    # a check from an earlier migration cannot be seen from here
    F(
        "ban-set-not-null",
        "ALTER TABLE t VALIDATE CONSTRAINT t_a_nn;\nALTER TABLE t ALTER COLUMN a SET NOT NULL;",
    ),
    # one column proven, the other not
    F(
        "ban-set-not-null",
        "-- reconciler:no-transaction\n"
        "ALTER TABLE t ADD CONSTRAINT k CHECK (a IS NOT NULL) NOT VALID;\n"
        "ALTER TABLE t VALIDATE CONSTRAINT k;\n"
        "ALTER TABLE t ALTER COLUMN a SET NOT NULL, ALTER COLUMN b SET NOT NULL;",
    ),
]
