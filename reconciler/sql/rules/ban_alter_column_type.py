"""ban-alter-column-type: changing a column's type rewrites the table under ACCESS EXCLUSIVE."""

from __future__ import annotations

import re
from collections.abc import Iterator

from reconciler.sql.rules.base import Hit, Rule, StatementContext, alter_actions, alter_target


def check(ctx: StatementContext) -> Iterator[Hit]:
    i = ctx.info
    if i.kind != "alter_table" or ctx.is_new(alter_target(i)):
        return
    for a in alter_actions(i):
        if re.match(r"^ALTER (?:COLUMN )?\S+ (?:SET DATA )?TYPE\b", a):
            yield Hit(
                "changing a column's type rewrites the table and blocks reads and writes meanwhile",
                "add a new column of the new type, backfill it in batches, switch readers, then drop the old one later",
            )


RULE = Rule(
    "ban-alter-column-type",
    "error",
    "warning",
    "no ALTER COLUMN ... TYPE",
    check,
    kinds=frozenset(("alter_table",)),
)
