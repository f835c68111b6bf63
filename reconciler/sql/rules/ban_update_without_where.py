"""ban-update-without-where: an UPDATE with no WHERE rewrites every row under a lock."""

from __future__ import annotations

from collections.abc import Iterator

from reconciler.sql.classify import always_true
from reconciler.sql.rules.base import Hit, Rule, StatementContext, relation, spelled

_HELP = "add a WHERE clause; for a backfill, update in batches (WHERE id BETWEEN ...) from a DATA migration"


def check(ctx: StatementContext) -> Iterator[Hit]:
    i = ctx.info
    # every row of a table this file made is one of its own seed rows: nobody's data yet
    mine = i.node == "UpdateStmt" and ctx.is_new(relation(i.tree.get("relation")))
    if i.node == "UpdateStmt" and not mine and not i.tree.get("whereClause"):
        yield Hit("UPDATE without WHERE changes every row", _HELP)
    elif i.node == "UpdateStmt" and not mine and always_true(i.tree.get("whereClause")):
        yield Hit("UPDATE whose WHERE is always true changes every row", _HELP)
    for _, u in i.find("UpdateStmt"):
        if not u.get("whereClause") or always_true(u.get("whereClause")):
            yield Hit("UPDATE without WHERE changes every row (inside a WITH clause)", _HELP)
    for what, line in i.inner:
        if what == "update_without_where":
            yield Hit(
                f"UPDATE without WHERE inside a {spelled(i.kind)} body",
                _HELP,
                line,
            )


RULE = Rule(
    "ban-update-without-where",
    "error",
    "warning",
    "no UPDATE without WHERE",
    check,
    kinds=frozenset(
        ("update", "insert", "delete", "select", "merge", "create_function", "create_table")
    ),
)
