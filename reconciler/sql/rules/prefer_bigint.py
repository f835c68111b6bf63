"""prefer-bigint: 32-bit integers run out at 2^31; widening the column later rewrites the table."""

from __future__ import annotations

from collections.abc import Iterator

from reconciler.sql.rules.base import Hit, Rule, StatementContext, column_defs, hit_at, type_name

_SMALL = {
    "int4": "integer",
    "int2": "smallint",
    "serial": "serial",
    "serial4": "serial",
    "smallserial": "smallserial",
    "serial2": "smallserial",
}


def check(ctx: StatementContext) -> Iterator[Hit]:
    for col in column_defs(ctx.info):
        name = type_name(col)[0]
        if name in _SMALL and not (col.get("typeName") or {}).get("arrayBounds"):
            yield hit_at(
                ctx.info,
                col.get("location"),
                Hit(
                    f"column {col.get('colname')} is a 32-bit (or smaller) {_SMALL[name]}",
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
