"""ban-delete: DELETE in a migration, including one hidden in a CTE or a DO block."""

from __future__ import annotations

from collections.abc import Iterator

from sqlglot import exp

from reconciler.sql.rules.base import Hit, Rule, StatementContext

_HELP = "archive rows instead (set an archived_at), or delete by hand in a reviewed, backed-up operation"


def check(ctx: StatementContext) -> Iterator[Hit]:
    i = ctx.info
    if i.kind == "delete" or (i.ast is not None and i.ast.find(exp.Delete) is not None):
        where = "" if i.kind == "delete" else " (inside a WITH clause)"
        yield Hit(f"DELETE removes rows{where}", _HELP)
    for what, line in i.inner:
        if what == "delete":
            yield Hit(f"DELETE inside a {i.kind.replace('_', ' ').upper()} body", _HELP, line)


RULE = Rule(
    "ban-delete",
    "error",
    "warning",
    "no DELETE",
    check,
    kinds=frozenset(("delete", "with", "insert", "update", "select", "do", "create_function")),
)
