"""ban-alter-column-type: changing a column's type rewrites the table under ACCESS EXCLUSIVE."""

from __future__ import annotations

from collections.abc import Iterator

from reconciler.sql.rules.base import (
    Hit,
    Rule,
    StatementContext,
    alter_commands,
    alter_target,
    hit_at,
    relation,
    retype_keeps_rows,
)


def check(ctx: StatementContext) -> Iterator[Hit]:
    i = ctx.info
    if i.kind == "alter_type" and i.node == "AlterTableStmt":  # a composite type's attribute
        target = relation(i.tree.get("relation"))
        if ctx.made_earlier(target):
            return
        what = "attribute {} of type " + str(target)
        message = (
            "with CASCADE every table with a column of that type is rewritten and blocked "
            "meanwhile; without, it fails where one exists"
        )
        advice = (
            "add a new attribute (or a new type), move the code and the values over, then drop "
            "the old one later"
        )
    elif i.kind == "alter_table" and not ctx.is_new(alter_target(i)):
        what, message = "column {}", "it rewrites the table and blocks reads and writes meanwhile"
        advice = (
            "add a new column of the new type, backfill it in batches, switch readers, then "
            "drop the old one later"
        )
    else:
        return
    for cmd in alter_commands(i):
        if cmd.get("subtype") == "AT_AlterColumnType" and not (
            i.kind == "alter_table" and retype_keeps_rows(ctx, cmd)
        ):
            yield hit_at(
                i,
                ((cmd.get("def") or {}).get("ColumnDef") or {}).get("location"),
                Hit(f"changing the type of {what.format(cmd.get('name'))}: {message}", advice),
            )


RULE = Rule(
    "ban-alter-column-type",
    "error",
    "warning",
    "no ALTER COLUMN ... TYPE",
    check,
    kinds=frozenset(("alter_table", "alter_type")),
)
