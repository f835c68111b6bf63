"""prefer-bigint: 32-bit integers run out at 2^31; widening the column later rewrites the table."""

from __future__ import annotations

import re
from collections.abc import Iterator

from reconciler.sql.rules.base import Hit, Rule, StatementContext, column_defs, located

_SMALL = re.compile(r"^(\S+) (INT|INTEGER|INT4|SMALLINT|INT2|SERIAL|SERIAL4|SMALLSERIAL|SERIAL2)\b")


def check(ctx: StatementContext) -> Iterator[Hit]:
    for col in column_defs(ctx.info):
        m = _SMALL.match(col)
        if m:
            yield located(
                ctx.info,
                col,
                Hit(
                    f"column {m.group(1).lower()} is a 32-bit (or smaller) {m.group(2).lower()}",
                    "use bigint: it costs 4 bytes more and never needs a table rewrite to widen",
                ),
            )


RULE = Rule(
    "prefer-bigint",
    "warning",
    "warning",
    "bigint over int and smallint",
    check,
    kinds=frozenset(("create_table", "alter_table")),
)
