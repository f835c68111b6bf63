"""Cases for require-unique-using-index: SQL that must fire it (F) and SQL that must not (P)."""

from __future__ import annotations

from tests.sql.cases import F, P

CASES = [
    F("require-unique-using-index", "ALTER TABLE t ADD CONSTRAINT u UNIQUE (a);"),
    F("require-unique-using-index", "ALTER TABLE t ADD PRIMARY KEY (id);"),
    F("require-unique-using-index", "ALTER TABLE t ADD CONSTRAINT pk PRIMARY KEY (id);"),
    P("require-unique-using-index", "ALTER TABLE t ADD CONSTRAINT u UNIQUE USING INDEX t_a_idx;"),
    P("require-unique-using-index", "CREATE UNIQUE INDEX CONCURRENTLY t_a_idx ON t (a);"),
    P(
        "require-unique-using-index",
        "CREATE TABLE t (id bigint);\nALTER TABLE t ADD PRIMARY KEY (id);",
    ),
    F("require-unique-using-index", "ALTER TABLE t ADD COLUMN code text UNIQUE;"),
    F(
        "require-unique-using-index",
        "ALTER TABLE t ADD CONSTRAINT no_overlap EXCLUDE USING gist (r WITH &&);",
    ),
    F("require-unique-using-index", "ALTER TABLE t ADD UNIQUE (a, b);"),
    P(
        "require-unique-using-index",
        "ALTER TABLE t ADD CONSTRAINT t_pkey PRIMARY KEY USING INDEX t_id_idx;",
    ),
]
