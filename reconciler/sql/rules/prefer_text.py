"""prefer-text: varchar(n) and char(n) limits need a table rewrite (or a lock) to change."""

from __future__ import annotations

import re
from collections.abc import Iterator

from reconciler.sql.rules.base import (
    Hit,
    Rule,
    StatementContext,
    alter_actions,
    column_defs,
    located,
)


def check(ctx: StatementContext) -> Iterator[Hit]:
    retyped = [
        re.sub(r"^ALTER (?:COLUMN )?(\S+) (?:SET DATA )?TYPE ", r"\1 ", a)
        for a in alter_actions(ctx.info)
        if re.match(r"^ALTER (?:COLUMN )?\S+ (?:SET DATA )?TYPE ", a)
    ]
    for col in column_defs(ctx.info) + retyped:
        m = re.match(r"^(\S+) (VARCHAR|CHARACTER VARYING|CHAR|CHARACTER|BPCHAR)\s*\(", col)
        if m:
            yield located(
                ctx.info,
                col,
                Hit(
                    f"column {m.group(1).lower()} has a length-limited {m.group(2).lower()} type",
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
