"""ban-blocking-maintenance: VACUUM FULL, CLUSTER, LOCK and non-concurrent REFRESH block the table."""

from __future__ import annotations

import re
from collections.abc import Iterator

from reconciler.sql.rules.base import Hit, Rule, StatementContext


def check(ctx: StatementContext) -> Iterator[Hit]:
    i = ctx.info
    if i.kind == "vacuum" and re.search(r"\bFULL\b", i.shape):
        yield Hit(
            "VACUUM FULL rewrites the table under ACCESS EXCLUSIVE",
            "use plain VACUUM, or pg_repack outside migrations",
        )
    elif i.kind == "cluster":
        yield Hit(
            "CLUSTER rewrites the table under ACCESS EXCLUSIVE",
            "order data with an index instead, or pg_repack outside migrations",
        )
    elif i.kind == "lock":
        yield Hit(
            "an explicit LOCK in a migration blocks other sessions for the rest of the transaction",
            "rely on lock_timeout and the statements' own locks; remove the LOCK",
        )
    elif i.kind == "refresh" and not i.concurrently:
        yield Hit(
            "REFRESH MATERIALIZED VIEW blocks reads of the view while it runs",
            "use REFRESH MATERIALIZED VIEW CONCURRENTLY",
        )


RULE = Rule(
    "ban-blocking-maintenance",
    "error",
    "warning",
    "no VACUUM FULL, CLUSTER, LOCK in migrations",
    check,
    kinds=frozenset(("vacuum", "cluster", "lock", "refresh")),
)
