"""require-add-column-default: ADD COLUMN ... NOT NULL without a DEFAULT fails on a table with rows."""

from __future__ import annotations

import re
from collections.abc import Iterator

from reconciler.sql.rules.base import (
    Hit,
    Rule,
    StatementContext,
    alter_target,
    column_defs,
    located,
)


def check(ctx: StatementContext) -> Iterator[Hit]:
    i = ctx.info
    if i.kind != "alter_table" or ctx.is_new(alter_target(i)):
        return
    for col in column_defs(i):
        if re.search(r"\bNOT NULL\b", col) and not re.search(r"\bDEFAULT\b|\bGENERATED\b", col):
            yield located(
                ctx.info,
                col,
                Hit(
                    "ADD COLUMN ... NOT NULL without DEFAULT fails as soon as the table has a row",
                    "add it with a constant DEFAULT, or add it nullable, backfill, then add a NOT VALID check",
                ),
            )


RULE = Rule(
    "require-add-column-default",
    "error",
    "warning",
    "NOT NULL columns need a default",
    check,
    kinds=frozenset(("alter_table",)),
)
