"""Cases for require-not-valid-constraint: SQL that must fire it (F) and SQL that must not (P)."""

from __future__ import annotations

from tests.sql.cases import F, P

CASES = [
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
]
