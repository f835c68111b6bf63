"""prefer-identity: serial types are legacy; identity columns are standard and own their sequence."""

from __future__ import annotations

import re
from collections.abc import Iterator

from reconciler.sql.rules.base import Hit, Rule, StatementContext, column_defs, located


def check(ctx: StatementContext) -> Iterator[Hit]:
    for col in column_defs(ctx.info):
        if re.match(r"^\S+ (?:SMALL|BIG)?SERIAL[248]?\b", col):
            yield located(
                ctx.info,
                col,
                Hit(
                    f"column {col.split()[0].lower()} uses a serial type",
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
