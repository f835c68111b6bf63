"""ban-drop-object: DROP of an index, view, type, schema, function, constraint, ... in a migration."""

from __future__ import annotations

import re
from collections.abc import Iterator

from reconciler.sql.rules.base import Hit, Rule, StatementContext, alter_actions

_HELP = "keep the object until nothing depends on it; remove it in a separate reviewed change"


def check(ctx: StatementContext) -> Iterator[Hit]:
    i = ctx.info
    if i.kind == "drop" and not re.match(r"^DROP (?:FOREIGN )?TABLE\b", i.shape):
        what = " ".join(i.shape.split()[1:3]).split(" IF")[0]
        yield Hit(f"DROP {what} removes an object other code may rely on", _HELP)
    if i.kind == "alter_table":
        for a in alter_actions(i):
            if a.startswith("DROP CONSTRAINT"):
                yield Hit("dropping a constraint removes a guarantee the data relies on", _HELP)
    for what, line in i.inner:
        if what == "drop_object":
            yield Hit(f"DROP inside a {i.kind.replace('_', ' ').upper()} body", _HELP, line)


RULE = Rule(
    "ban-drop-object",
    "error",
    "warning",
    "no DROP of indexes, views, types, constraints, ...",
    check,
    kinds=frozenset(("drop", "alter_table", "do", "create_function")),
)
