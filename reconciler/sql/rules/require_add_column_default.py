"""require-add-column-default: ADD COLUMN ... NOT NULL without a DEFAULT fails on a table with rows."""

from __future__ import annotations

from collections.abc import Iterator

from reconciler.sql.rules.base import (
    Hit,
    Rule,
    StatementContext,
    alter_target,
    column_defs,
    constraint_types,
    hit_at,
)

_FILLED = {"CONSTR_DEFAULT", "CONSTR_GENERATED", "CONSTR_IDENTITY"}
_NOT_NULL = {"CONSTR_NOTNULL", "CONSTR_PRIMARY"}


def check(ctx: StatementContext) -> Iterator[Hit]:
    i = ctx.info
    if i.kind != "alter_table" or ctx.is_new(alter_target(i)):
        return
    for col in column_defs(i):
        kinds = constraint_types(col)
        if kinds & _NOT_NULL and not kinds & _FILLED:
            yield hit_at(
                i,
                col.get("location"),
                Hit(
                    f"ADD COLUMN {col.get('colname')} NOT NULL without DEFAULT fails as soon as "
                    "the table has a row",
                    "add it with a constant DEFAULT, or add it nullable, backfill, then add a NOT VALID check",
                ),
            )


RULE = Rule(
    "require-add-column-default",
    "error",
    "warning",
    "NOT NULL columns need a default",
    check,
    kinds=frozenset(("alter_table",)),
)
