"""ban-blocking-maintenance: VACUUM FULL, CLUSTER, LOCK, non-concurrent REFRESH and the ALTERs
that copy or rewrite a whole table (SET TABLESPACE, SET ACCESS METHOD, SET LOGGED/UNLOGGED, a
generated column's SET EXPRESSION) block the table while they run, and so does DETACH
PARTITION without CONCURRENTLY (ACCESS EXCLUSIVE on the partitioned table)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from reconciler.sql.rules.base import (
    Hit,
    Rule,
    StatementContext,
    alter_commands,
    command_at,
    made_here,
    nodes,
    option_text,
    relation,
)

# ALTER TABLE actions that copy or rewrite every row under ACCESS EXCLUSIVE
_REWRITES = {
    "AT_SetTableSpace": (
        "SET TABLESPACE copies",
        "create the object in its tablespace, or move it with pg_repack outside migrations",
    ),
    "AT_SetAccessMethod": (
        "SET ACCESS METHOD rewrites",
        "create a new table with the access method and move the rows in batches",
    ),
    "AT_SetLogged": ("SET LOGGED rewrites", "decide a table's logging when it is created"),
    "AT_SetUnLogged": ("SET UNLOGGED rewrites", "decide a table's logging when it is created"),
    "AT_SetExpression": (
        "SET EXPRESSION recomputes and rewrites",
        "add a new generated column, switch readers to it, and drop the old one later",
    ),
}


def _on(arg: Any) -> bool:
    """A VACUUM option's value: none (the option alone), or a boolean PostgreSQL reads."""
    if not arg:
        return True
    return option_text(arg).lower() not in ("false", "off", "0", "no")


def _rewrites(ctx: StatementContext) -> Iterator[Hit]:
    target = relation(ctx.info.tree.get("relation"))
    if ctx.is_new(target):
        return  # made earlier in this file: nothing to copy yet
    for cmd in alter_commands(ctx.info):
        part = (cmd.get("def") or {}).get("PartitionCmd") or {}
        if cmd.get("subtype") == "AT_DetachPartition" and not part.get("concurrent"):
            yield command_at(
                ctx.info,
                cmd,
                Hit(
                    f"DETACH PARTITION without CONCURRENTLY holds ACCESS EXCLUSIVE on {target}: "
                    "every read and write of the partitioned table waits until it ends",
                    "DETACH PARTITION ... CONCURRENTLY (PostgreSQL 14+), in a -- "
                    "reconciler:no-transaction file",
                ),
            )
        what = _REWRITES.get(str(cmd.get("subtype")))
        if what is not None:
            yield command_at(
                ctx.info,
                cmd,
                Hit(
                    f"{what[0]} all of {target} while holding ACCESS EXCLUSIVE: reads and "
                    "writes wait until it ends",
                    what[1],
                ),
            )


def check(ctx: StatementContext) -> Iterator[Hit]:
    i = ctx.info
    if i.node == "AlterTableStmt":
        yield from _rewrites(ctx)
    elif i.node == "AlterTableMoveAllStmt":
        yield Hit(
            "ALTER ... ALL IN TABLESPACE copies every object it moves while holding ACCESS "
            "EXCLUSIVE on each",
            "move tablespaces outside migrations, in a maintenance window",
        )
    elif i.node == "VacuumStmt" and any(
        d.get("defname") == "full" and _on(d.get("arg"))
        for _, d in nodes(i.tree.get("options"), "DefElem")
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
    elif (
        i.node == "RefreshMatViewStmt"
        and not i.concurrently
        # (pg_dump fills the views it made WITH NO DATA)
        and not made_here(ctx, "OBJECT_MATVIEW", relation(i.tree.get("relation")))
    ):
        yield Hit(
            "REFRESH MATERIALIZED VIEW blocks reads of the view while it runs",
            "use REFRESH MATERIALIZED VIEW CONCURRENTLY",
        )


RULE = Rule(
    "ban-blocking-maintenance",
    "error",
    "warning",
    "no VACUUM FULL, CLUSTER, LOCK or table-copying ALTER in migrations",
    check,
    kinds=frozenset(
        (
            "vacuum",
            "cluster",
            "lock",
            "refresh_materialized_view",
            "alter_table",
            "alter_index",
            "alter_materialized_view",
            "alter_table_move_all",
        )
    ),
)
