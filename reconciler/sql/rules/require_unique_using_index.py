"""require-unique-using-index: ADD UNIQUE / PRIMARY KEY builds an index while blocking writes."""

from __future__ import annotations

import re
from collections.abc import Iterator

from reconciler.sql.rules.base import Hit, Rule, StatementContext, alter_actions, alter_target


def check(ctx: StatementContext) -> Iterator[Hit]:
    i = ctx.info
    if i.kind != "alter_table" or ctx.is_new(alter_target(i)):
        return
    for a in alter_actions(i):
        if (
            re.match(r"^ADD (?:CONSTRAINT \S+ )?(?:UNIQUE|PRIMARY KEY)\b", a)
            and "USING INDEX" not in a
        ):
            yield Hit(
                "ADD UNIQUE / PRIMARY KEY builds its index under a lock that blocks writes",
                "CREATE UNIQUE INDEX CONCURRENTLY first, then ADD CONSTRAINT ... UNIQUE USING INDEX <name>",
            )


RULE = Rule(
    "require-unique-using-index",
    "error",
    "warning",
    "unique constraints reuse a concurrently built index",
    check,
    kinds=frozenset(("alter_table",)),
)
