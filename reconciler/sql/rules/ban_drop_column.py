"""ban-drop-column: dropping a column breaks every running query that names it."""

from __future__ import annotations

import re
from collections.abc import Iterator

from reconciler.sql.rules.base import Hit, Rule, StatementContext, alter_actions

_HELP = "deploy code that no longer uses the column, then drop it in a later reviewed change"


def check(ctx: StatementContext) -> Iterator[Hit]:
    i = ctx.info
    if i.kind == "alter_table":
        for a in alter_actions(i):
            if re.match(r"^DROP (?!CONSTRAINT\b|DEFAULT\b|NOT NULL\b|EXPRESSION\b|IDENTITY\b)", a):
                yield Hit(
                    "dropping a column destroys its data and breaks code that reads it", _HELP
                )
    for what, line in i.inner:
        if what == "drop_column":
            yield Hit(f"column drop inside a {i.kind.replace('_', ' ').upper()} body", _HELP, line)


RULE = Rule(
    "ban-drop-column",
    "error",
    "warning",
    "no ALTER TABLE ... DROP COLUMN",
    check,
    kinds=frozenset(("alter_table", "do", "create_function")),
)
