"""prefer-identity: serial types are legacy; identity columns are standard and own their sequence."""

from __future__ import annotations

from collections.abc import Iterator

from reconciler.sql.rules.ban_volatile_default import SERIALS
from reconciler.sql.rules.base import Hit, Rule, StatementContext, column_defs, hit_at, type_name


def check(ctx: StatementContext) -> Iterator[Hit]:
    for col in column_defs(ctx.info):
        if type_name(col)[0] in SERIALS:
            yield hit_at(
                ctx.info,
                col.get("location"),
                Hit(
                    f"column {col.get('colname')} uses a serial type",
                    "use bigint GENERATED ALWAYS AS IDENTITY",
                ),
            )


RULE = Rule(
    "prefer-identity",
    "warning",
    "warning",
    "identity columns over serial",
    check,
    kinds=frozenset(("create_table", "alter_table")),
)
