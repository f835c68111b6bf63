"""Cases for ban-copy-program: SQL that must fire it (F) and SQL that must not (P)."""

from __future__ import annotations

from tests.sql.cases import F, P

CASES = [
    F("ban-copy-program", "COPY t FROM PROGRAM 'curl https://example.com/x.csv';"),
    F("ban-copy-program", "COPY t TO '/tmp/out.csv';"),
    F("ban-copy-program", "COPY t FROM '/var/lib/postgresql/in.csv' WITH (FORMAT csv);"),
    P("ban-copy-program", "COPY t FROM STDIN;"),
    P("ban-copy-program", "COPY t TO STDOUT WITH (FORMAT csv);"),
    F("ban-copy-program", "COPY (SELECT * FROM t) TO '/tmp/t.csv';"),
    P("ban-copy-program", "COPY (SELECT * FROM t) TO STDOUT;"),
]
