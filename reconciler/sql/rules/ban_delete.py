"""ban-delete: DELETE in a migration, including one hidden in a CTE or a DO block."""

from __future__ import annotations

from collections.abc import Iterator

from reconciler.sql.rules.base import Hit, Rule, StatementContext, relation, spelled

_HELP = "archive rows instead (set an archived_at), or delete by hand in a reviewed, backed-up operation"


def check(ctx: StatementContext) -> Iterator[Hit]:
    i = ctx.info
    if i.node == "DeleteStmt" and not ctx.is_new(relation(i.tree.get("relation"))):
        yield Hit("DELETE removes rows", _HELP)  # (of a table this file made: its own rows)
    elif any(True for _ in i.find("DeleteStmt")):
        yield Hit("DELETE removes rows (inside a WITH clause)", _HELP)
    elif i.node == "MergeStmt" and any(
        w.get("commandType") == "CMD_DELETE" for _, w in i.find("MergeWhenClause")
    ):
        yield Hit("DELETE removes rows (in a MERGE)", _HELP)
    for what, line in i.inner:
        if what == "delete":
            yield Hit(f"DELETE inside a {spelled(i.kind)} body", _HELP, line)


RULE = Rule(
    "ban-delete",
    "error",
    "warning",
    "no DELETE",
    check,
    kinds=frozenset(
        ("delete", "insert", "update", "select", "merge", "create_function", "create_table")
    ),
)
