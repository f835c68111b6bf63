"""Cases for ban-credentials: SQL that must fire it (F) and SQL that must not (P)."""

from __future__ import annotations

from tests.sql.cases import F, P

CASES = [
    F("ban-credentials", "CREATE ROLE app LOGIN PASSWORD 'hunter22';"),
    F(
        "ban-credentials",
        "-- connect with postgres://admin:s3cret@db.example.com/forum\nCREATE TABLE t (id bigint);",
    ),
    F("ban-credentials", "COMMENT ON TABLE t IS 'api_key=AKIAABCDEFGHIJKLMNOP';"),
    F("ban-credentials", "-- token: ghp_abcdefghijklmnopqrstuvwxyz0123456789\nSELECT 1;"),
    F("ban-credentials", "-- napi_abcdefghijklmnopqrstuvwxyz0123456789ab\nSELECT 1;"),
    F("ban-credentials", "/* password = 'correcthorse' */ CREATE TABLE t (id bigint);"),
    P("ban-credentials", "CREATE TABLE users (password_hash text NOT NULL);"),
    P(
        "ban-credentials",
        "-- the password column stores argon2 hashes\nCREATE TABLE t (id bigint);",
    ),
    P("ban-credentials", "CREATE ROLE app LOGIN;"),
]
