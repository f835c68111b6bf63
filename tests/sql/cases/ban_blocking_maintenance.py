"""Cases for ban-blocking-maintenance: SQL that must fire it (F) and SQL that must not (P)."""

from __future__ import annotations

from tests.sql.cases import F, P

CASES = [
    F("ban-blocking-maintenance", "VACUUM FULL t;"),
    F("ban-blocking-maintenance", "CLUSTER t;"),
    F("ban-blocking-maintenance", "CLUSTER t USING t_pkey;"),
    F("ban-blocking-maintenance", "LOCK TABLE t IN ACCESS EXCLUSIVE MODE;"),
    F("ban-blocking-maintenance", "REFRESH MATERIALIZED VIEW mv;"),
    P("ban-blocking-maintenance", "VACUUM ANALYZE t;"),
    P("ban-blocking-maintenance", "REFRESH MATERIALIZED VIEW CONCURRENTLY mv;"),
    P("ban-blocking-maintenance", "ANALYZE t;"),
    F("ban-blocking-maintenance", "VACUUM (FULL, ANALYZE) t;"),
    F("ban-blocking-maintenance", "LOCK t;"),
    P("ban-blocking-maintenance", "VACUUM (ANALYZE, VERBOSE) t;"),
]
