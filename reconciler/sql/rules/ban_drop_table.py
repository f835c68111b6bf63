"""ban-drop-table: DROP TABLE destroys data and breaks running code (not a table the same file
made, such as a staging or temporary table, dropped without CASCADE)."""

from __future__ import annotations

from collections.abc import Iterator

from reconciler.sql.rules.base import Hit, Rule, StatementContext, drops_only_new, spelled

_HELP = "stop using the table first; drop it later in a reviewed change once nothing reads it, after a backup"
_TABLES = ("OBJECT_TABLE", "OBJECT_FOREIGN_TABLE")


def check(ctx: StatementContext) -> Iterator[Hit]:
    i = ctx.info
    if i.node == "DropStmt" and i.tree.get("removeType") in _TABLES and not drops_only_new(ctx):
        yield Hit("DROP TABLE destroys the table and its data", _HELP)
    for what, line in i.inner:
        if what == "drop_table":
            yield Hit(f"DROP TABLE inside a {spelled(i.kind)} body", _HELP, line)


RULE = Rule(
    "ban-drop-table",
    "error",
    "warning",
    "no DROP TABLE",
    check,
    kinds=frozenset(("drop", "create_function")),
)
