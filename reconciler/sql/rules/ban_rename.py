"""ban-rename: renaming a table or column breaks every running query that uses the old name."""

from __future__ import annotations

import re
from collections.abc import Iterator

from reconciler.sql.rules.base import Hit, Rule, StatementContext, alter_actions, alter_target


def check(ctx: StatementContext) -> Iterator[Hit]:
    i = ctx.info
    if i.kind != "alter_table" or ctx.is_new(alter_target(i)):
        return
    for a in alter_actions(i):
        if re.match(r"^RENAME (?:(?:COLUMN )?\S+ )?TO\b", a) and not a.startswith(
            "RENAME CONSTRAINT"
        ):
            what = "table" if a.startswith("RENAME TO") else "column"
            yield Hit(
                f"renaming a {what} breaks the application code still using the old name",
                "add the new name (a column or a view), move the code over, remove the old name later",
            )


RULE = Rule(
    "ban-rename",
    "error",
    "warning",
    "no table or column renames",
    check,
    kinds=frozenset(("alter_table",)),
)
