"""ban-drop-column: dropping a column breaks every running query that names it."""

from __future__ import annotations

from collections.abc import Iterator

from reconciler.sql.rules.base import (
    Hit,
    Rule,
    StatementContext,
    alter_commands,
    command_at,
    relation,
    spelled,
)

_HELP = "deploy code that no longer uses the column, then drop it in a later reviewed change"


def check(ctx: StatementContext) -> Iterator[Hit]:
    i = ctx.info
    target = relation(i.tree.get("relation")) if i.node == "AlterTableStmt" else None
    if ctx.is_new(target) or ctx.made_earlier(target):
        return  # made earlier in this file: no data yet, no code reading it
    for cmd in alter_commands(i):
        if cmd.get("subtype") == "AT_DropColumn" and i.tree.get("objtype") == "OBJECT_TYPE":
            yield command_at(
                i,
                cmd,
                Hit(
                    f"dropping attribute {cmd.get('name')} of a composite type destroys its "
                    "data in every column of that type, in every table, and breaks code that "
                    "reads it",
                    _HELP,
                ),
            )
        elif cmd.get("subtype") == "AT_DropColumn":
            yield command_at(
                i,
                cmd,
                Hit(
                    f"dropping column {cmd.get('name')} destroys its data and breaks code that "
                    "reads it",
                    _HELP,
                ),
            )
    for what, line in i.inner:
        if what == "drop_column":
            yield Hit(f"column drop inside a {spelled(i.kind)} body", _HELP, line)


RULE = Rule(
    "ban-drop-column",
    "error",
    "warning",
    "no ALTER TABLE ... DROP COLUMN",
    check,
    kinds=frozenset(("alter_table", "alter_type", "create_function")),
)
