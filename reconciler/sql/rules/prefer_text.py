"""prefer-text: varchar(n) and char(n) limits need a table rewrite (or a lock) to change."""

from __future__ import annotations

from collections.abc import Iterator

from reconciler.sql.rules.base import (
    Hit,
    Rule,
    StatementContext,
    alter_commands,
    column_defs,
    hit_at,
    type_name,
)

_LIMITED = {"varchar": "varchar", "bpchar": "char"}


def check(ctx: StatementContext) -> Iterator[Hit]:
    retyped = [
        {**c["def"]["ColumnDef"], "colname": c.get("name")}
        for c in alter_commands(ctx.info)
        if c.get("subtype") == "AT_AlterColumnType" and "ColumnDef" in (c.get("def") or {})
    ]
    for col in column_defs(ctx.info) + retyped:
        name, modified = type_name(col)
        if name in _LIMITED and modified:
            yield hit_at(
                ctx.info,
                col.get("location"),
                Hit(
                    f"column {col.get('colname')} has a length-limited {_LIMITED[name]} type",
                    "use text with a CHECK (length(col) <= n) constraint, which can change without a rewrite",
                ),
            )


RULE = Rule(
    "prefer-text",
    "warning",
    "warning",
    "text over varchar(n)",
    check,
    kinds=frozenset(("create_table", "alter_table")),
)
