"""prefer-attach-partition: PARTITION OF locks the whole partitioned table, and may scan its default."""

from __future__ import annotations

from collections.abc import Iterator

from reconciler.sql.rules.base import Hit, Rule, StatementContext, hit_at, relation


def check(ctx: StatementContext) -> Iterator[Hit]:
    i = ctx.info
    if i.node != "CreateStmt" or not i.tree.get("partbound"):
        return
    for parent in i.tree.get("inhRelations") or ():
        name = relation(parent.get("RangeVar"))
        if name is None or ctx.is_new(name):
            continue  # a table this file creates: nobody uses it yet
        yield hit_at(
            i,
            (parent.get("RangeVar") or {}).get("location"),
            Hit(
                f"CREATE TABLE ... PARTITION OF {name} holds ACCESS EXCLUSIVE on {name} until "
                "commit (every query on it waits), and where it has a DEFAULT partition, "
                "PostgreSQL scans that partition under the lock",
                f"if {name} is busy or has a DEFAULT partition: create the table on its own, add "
                "a CHECK matching its bounds, then ALTER TABLE ... ATTACH PARTITION in a reviewed "
                "migration (SHARE UPDATE EXCLUSIVE on the parent; the CHECK spares the scan)",
            ),
        )


RULE = Rule(
    "prefer-attach-partition",
    "warning",
    None,
    "partitions attached, not created under the parent's lock",
    check,
    kinds=frozenset(("create_table",)),
)
