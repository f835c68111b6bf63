"""ban-rename: renaming a table or column breaks every running query that uses the old name."""

from __future__ import annotations

from collections.abc import Iterator

from reconciler.sql.rules.base import Hit, Rule, StatementContext, relation


def check(ctx: StatementContext) -> Iterator[Hit]:
    i = ctx.info
    if i.node != "RenameStmt" or ctx.is_new(relation(i.tree.get("relation"))):
        return
    renames = i.tree.get("renameType")
    if renames in ("OBJECT_TABLE", "OBJECT_COLUMN"):
        what = "table" if renames == "OBJECT_TABLE" else f"column {i.tree.get('subname')}"
        yield Hit(
            f"renaming {what} breaks the application code still using the old name",
            "add the new name (a column or a view), move the code over, remove the old name later",
        )


RULE = Rule(
    "ban-rename",
    "error",
    "warning",
    "no table or column renames",
    check,
    kinds=frozenset(("alter_table",)),
)
