"""require-not-valid-constraint: CHECK and FOREIGN KEY constraints validate every row under a lock."""

from __future__ import annotations

import re
from collections.abc import Iterator

from reconciler.sql.rules.base import Hit, Rule, StatementContext, alter_actions, alter_target


def check(ctx: StatementContext) -> Iterator[Hit]:
    i = ctx.info
    if i.kind != "alter_table" or ctx.is_new(alter_target(i)):
        return
    for a in alter_actions(i):
        if re.match(r"^ADD (?:CONSTRAINT \S+ )?(?:CHECK|FOREIGN KEY)\b", a) and not a.endswith(
            "NOT VALID"
        ):
            yield Hit(
                "adding a CHECK or FOREIGN KEY constraint checks every row while blocking writes",
                "add it NOT VALID, then ALTER TABLE ... VALIDATE CONSTRAINT in a separate statement",
            )
        elif re.match(r"^ADD (?:COLUMN )?\S+ .*\bREFERENCES\b", a) and not a.startswith(
            "ADD CONSTRAINT"
        ):
            yield Hit(
                "a column with REFERENCES adds a foreign key that locks the referenced table",
                "add the column, then ADD CONSTRAINT ... FOREIGN KEY ... NOT VALID and VALIDATE it",
            )


RULE = Rule(
    "require-not-valid-constraint",
    "error",
    "warning",
    "constraints are added NOT VALID",
    check,
    kinds=frozenset(("alter_table",)),
)
