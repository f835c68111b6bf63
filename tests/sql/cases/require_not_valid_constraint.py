"""Cases for require-not-valid-constraint: SQL that must fire it (F) and SQL that must not (P)."""

from __future__ import annotations

from tests.sql.cases import F, P

CASES = [
    # one transaction however written: a DO block's statements, and a DO block in a
    # no-transaction file
    F(
        "require-not-valid-constraint",
        "ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID;\n"
        "DO $$ BEGIN ALTER TABLE t VALIDATE CONSTRAINT c; END $$;",
    ),
    F(
        "require-not-valid-constraint",
        "-- reconciler:no-transaction\nSELECT 1;\nDO $$ BEGIN\n"
        "  ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID;\n"
        "  ALTER TABLE t VALIDATE CONSTRAINT c;\nEND $$;",
    ),
    P(
        "require-not-valid-constraint",
        "-- reconciler:no-transaction\nALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID;\n"
        "ALTER TABLE t VALIDATE CONSTRAINT c;",
    ),
    F("require-not-valid-constraint", "ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0);"),
    F(
        "require-not-valid-constraint",
        "ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (u) REFERENCES u (id);",
    ),
    F("require-not-valid-constraint", "ALTER TABLE t ADD FOREIGN KEY (u) REFERENCES u (id);"),
    F("require-not-valid-constraint", "ALTER TABLE t ADD COLUMN u bigint REFERENCES u (id);"),
    P("require-not-valid-constraint", "ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID;"),
    P(
        "require-not-valid-constraint",
        "ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (u) REFERENCES u (id) NOT VALID;",
    ),
    P("require-not-valid-constraint", "ALTER TABLE t VALIDATE CONSTRAINT fk;"),
    P("require-not-valid-constraint", "CREATE TABLE t (u bigint REFERENCES u (id));"),
    F("require-not-valid-constraint", "ALTER TABLE t ADD FOREIGN KEY (u) REFERENCES u (id);"),
    F("require-not-valid-constraint", "ALTER TABLE t ADD CHECK (a > 0);"),
    F("require-not-valid-constraint", "ALTER TABLE t ADD COLUMN u bigint REFERENCES u (id);"),
    P(
        "require-not-valid-constraint",
        "ALTER TABLE t ADD FOREIGN KEY (u) REFERENCES u (id) NOT VALID;",
    ),
    P(
        "require-not-valid-constraint",
        "ALTER TABLE t ADD COLUMN note text DEFAULT 'REFERENCES u (id)';",
    ),
    F("require-not-valid-constraint", "ALTER TABLE t ADD COLUMN qty int CHECK (qty >= 0);"),
    P("require-not-valid-constraint", "CREATE TABLE t (qty int CHECK (qty >= 0));"),
    F(
        "require-not-valid-constraint",
        "ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID;\nALTER TABLE t VALIDATE CONSTRAINT c;",
    ),
    F(
        "require-not-valid-constraint",
        "ALTER TABLE public.t ADD CONSTRAINT fk FOREIGN KEY (u) REFERENCES u (id) NOT VALID;\n"
        "ALTER TABLE t VALIDATE CONSTRAINT fk;",
    ),
    F(
        "require-not-valid-constraint",
        "ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID, VALIDATE CONSTRAINT c;",
    ),
    F(
        "require-not-valid-constraint",
        "CREATE INDEX i ON t (a);\nALTER TABLE t VALIDATE CONSTRAINT c;",
    ),
    F("require-not-valid-constraint", "LOCK TABLE t;\nALTER TABLE t VALIDATE CONSTRAINT c;"),
    P(
        "require-not-valid-constraint",
        "-- reconciler:no-transaction\nALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID;\n"
        "ALTER TABLE t VALIDATE CONSTRAINT c;",
    ),
    P(
        "require-not-valid-constraint",
        "ALTER TABLE u ADD CONSTRAINT c CHECK (a > 0) NOT VALID;\nALTER TABLE t VALIDATE CONSTRAINT c;",
    ),
    P(
        "require-not-valid-constraint",
        "ALTER TABLE t ALTER COLUMN a SET STATISTICS 100;\nALTER TABLE t VALIDATE CONSTRAINT c;",
    ),
    P(
        "require-not-valid-constraint",
        "ALTER TABLE t VALIDATE CONSTRAINT c;\nALTER TABLE t VALIDATE CONSTRAINT d;",
    ),
    P(
        "require-not-valid-constraint",
        "CREATE TABLE n (a int);\nALTER TABLE n ADD CONSTRAINT c CHECK (a > 0) NOT VALID;\n"
        "ALTER TABLE n VALIDATE CONSTRAINT c;",
    ),
    # a domain's constraint is checked in every column of that type, in every table
    F("require-not-valid-constraint", "ALTER DOMAIN d ADD CONSTRAINT c CHECK (VALUE > 0);"),
    F("require-not-valid-constraint", "ALTER DOMAIN app.email ADD CHECK (VALUE <> '');"),
    F("require-not-valid-constraint", "ALTER DOMAIN d ADD CONSTRAINT nn NOT NULL;"),
    P(
        "require-not-valid-constraint",
        "ALTER DOMAIN d ADD CONSTRAINT c CHECK (VALUE > 0) NOT VALID;",
    ),
    P(
        "require-not-valid-constraint",
        "CREATE DOMAIN app.d AS int;\nALTER DOMAIN app.d ADD CONSTRAINT c CHECK (VALUE > 0);",
    ),
    P("require-not-valid-constraint", "ALTER DOMAIN d DROP CONSTRAINT c;"),
]
