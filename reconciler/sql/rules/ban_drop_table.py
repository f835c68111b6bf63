"""ban-drop-table: DROP TABLE destroys data and breaks running code."""

from __future__ import annotations

import re
from collections.abc import Iterator

from reconciler.sql.rules.base import Hit, Rule, StatementContext

_HELP = "stop using the table first; drop it later in a reviewed change once nothing reads it, after a backup"


def check(ctx: StatementContext) -> Iterator[Hit]:
    i = ctx.info
    if i.kind == "drop" and re.match(r"^DROP (?:FOREIGN )?TABLE\b", i.shape):
        yield Hit("DROP TABLE destroys the table and its data", _HELP)
    for what, line in i.inner:
        if what == "drop_table":
            yield Hit(f"DROP TABLE inside a {i.kind.replace('_', ' ').upper()} body", _HELP, line)


RULE = Rule(
    "ban-drop-table",
    "error",
    "warning",
    "no DROP TABLE",
    check,
    kinds=frozenset(("drop", "do", "create_function")),
)
