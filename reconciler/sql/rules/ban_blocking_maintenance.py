"""ban-blocking-maintenance: VACUUM FULL, CLUSTER, LOCK and non-concurrent REFRESH block the table."""

from __future__ import annotations

from collections.abc import Iterator

from reconciler.sql.rules.base import Hit, Rule, StatementContext, nodes


def check(ctx: StatementContext) -> Iterator[Hit]:
    i = ctx.info
    if i.node == "VacuumStmt" and any(
        d.get("defname") == "full" for _, d in nodes(i.tree.get("options"), "DefElem")
    ):
        yield Hit(
            "VACUUM FULL rewrites the table under ACCESS EXCLUSIVE",
            "use plain VACUUM, or pg_repack outside migrations",
        )
    elif i.node == "ClusterStmt":
        yield Hit(
            "CLUSTER rewrites the table under ACCESS EXCLUSIVE",
            "order data with an index instead, or pg_repack outside migrations",
        )
    elif i.node == "LockStmt":
        yield Hit(
            "an explicit LOCK in a migration blocks other sessions for the rest of the transaction",
            "rely on lock_timeout and the statements' own locks; remove the LOCK",
        )
    elif i.node == "RefreshMatViewStmt" and not i.concurrently:
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
    kinds=frozenset(("vacuum", "cluster", "lock", "refresh_materialized_view")),
)
