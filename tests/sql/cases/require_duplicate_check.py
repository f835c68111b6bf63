"""Cases for require-duplicate-check: SQL that must fire it (F) and SQL that must not (P)."""

from __future__ import annotations

from tests.sql.cases import F, P

CASES = [
    # a unique index or constraint on a table in use: rows already there may break it
    F("require-duplicate-check", "CREATE UNIQUE INDEX CONCURRENTLY u ON users (email);"),
    F("require-duplicate-check", "CREATE UNIQUE INDEX u ON app.users (lower(email)) WHERE a;"),
    F("require-duplicate-check", "CREATE UNIQUE INDEX u ON users (a, b) NULLS NOT DISTINCT;"),
    F("require-duplicate-check", "ALTER TABLE users ADD CONSTRAINT k UNIQUE (handle);"),
    F("require-duplicate-check", "ALTER TABLE users ADD PRIMARY KEY (id);"),
    F(
        "require-duplicate-check",
        "ALTER TABLE rooms ADD CONSTRAINT no_overlap EXCLUDE USING gist (room WITH =, during WITH &&);",
    ),
    F(
        "require-duplicate-check",
        "CREATE TABLE IF NOT EXISTS users (id bigint);\nCREATE UNIQUE INDEX u ON users (id);",
    ),  # (IF NOT EXISTS: it may be there already, with its rows)
    # ... not on a table this file made, nor one whose index was built already, nor a plain one
    P(
        "require-duplicate-check",
        "CREATE TABLE t (id bigint, code text);\nCREATE UNIQUE INDEX t_code ON t (code);\n"
        "ALTER TABLE t ADD CONSTRAINT t_pk PRIMARY KEY (id);",
    ),
    P("require-duplicate-check", "ALTER TABLE users ADD CONSTRAINT k UNIQUE USING INDEX k_idx;"),
    P("require-duplicate-check", "CREATE INDEX CONCURRENTLY i ON users (email);"),
    P("require-duplicate-check", "ALTER TABLE users ADD CONSTRAINT c CHECK (a > 0) NOT VALID;"),
]
