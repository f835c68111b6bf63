"""prefer-timestamptz: timestamp without time zone silently drops the offset."""

from __future__ import annotations

import re
from collections.abc import Iterator

from reconciler.sql.rules.base import Hit, Rule, StatementContext, column_defs, located

_TS = re.compile(
    r"^\S+ (?:TIMESTAMP(?:\s*\(\d+\))?(?! WITH TIME ZONE)(?: WITHOUT TIME ZONE)?)\b(?!TZ)"
)


def check(ctx: StatementContext) -> Iterator[Hit]:
    for col in column_defs(ctx.info):
        if _TS.match(col) and not re.match(r"^\S+ TIMESTAMPTZ", col):
            yield located(
                ctx.info,
                col,
                Hit(
                    f"column {col.split()[0].lower()} is timestamp without time zone",
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
