"""ban-set-not-null: SET NOT NULL scans the whole table under ACCESS EXCLUSIVE."""

from __future__ import annotations

import re
from collections.abc import Iterator

from reconciler.sql.rules.base import Hit, Rule, StatementContext, alter_actions, alter_target


def check(ctx: StatementContext) -> Iterator[Hit]:
    i = ctx.info
    if i.kind != "alter_table" or ctx.is_new(alter_target(i)):
        return
    for a in alter_actions(i):
        if re.match(r"^ALTER (?:COLUMN )?\S+ SET NOT NULL\b", a):
            yield Hit(
                "SET NOT NULL scans every row while holding ACCESS EXCLUSIVE",
                "ADD CONSTRAINT c CHECK (col IS NOT NULL) NOT VALID; VALIDATE CONSTRAINT c; then SET NOT NULL "
                "(PostgreSQL 12+ uses the validated check and skips the scan)",
            )


RULE = Rule(
    "ban-set-not-null",
    "error",
    "warning",
    "no SET NOT NULL on existing tables",
    check,
    kinds=frozenset(("alter_table",)),
)
