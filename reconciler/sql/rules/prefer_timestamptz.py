"""prefer-timestamptz: timestamp without time zone silently drops the offset."""

from __future__ import annotations

from collections.abc import Iterator

from reconciler.sql.rules.base import Hit, Rule, StatementContext, column_defs, hit_at, type_name


def check(ctx: StatementContext) -> Iterator[Hit]:
    for col in column_defs(ctx.info):
        if type_name(col)[0] == "timestamp":
            yield hit_at(
                ctx.info,
                col.get("location"),
                Hit(
                    f"column {col.get('colname')} is timestamp without time zone",
                    "use timestamptz: it stores an absolute instant",
                ),
            )


RULE = Rule(
    "prefer-timestamptz",
    "warning",
    "warning",
    "timestamptz over timestamp",
    check,
    kinds=frozenset(("create_table", "alter_table")),
)
