"""require-not-valid-constraint: CHECK and FOREIGN KEY constraints validate every row under a lock."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from reconciler.sql.rules.base import (
    Hit,
    Rule,
    StatementContext,
    alter_commands,
    alter_target,
    column_constraints,
    column_defs,
    hit_at,
    rewritten,
)

_SCANNED = ("CONSTR_CHECK", "CONSTR_FOREIGN")
_GENERIC = "add it NOT VALID, then ALTER TABLE ... VALIDATE CONSTRAINT in a separate statement"


def _not_valid(stmt: Any) -> None:
    for cmd in stmt.cmds:
        if type(cmd.def_).__name__ == "Constraint":
            cmd.def_.skip_validation = True


def _help(ctx: StatementContext, con: dict[str, Any]) -> str:
    """The statement with NOT VALID, then the VALIDATE, when both can be written exactly."""
    if len(alter_commands(ctx.info)) != 1 or not con.get("conname"):
        return _GENERIC

    def validate(stmt: Any) -> None:
        from pglast import ast, enums

        stmt.cmds = (
            ast.AlterTableCmd(
                subtype=enums.AlterTableType.AT_ValidateConstraint, name=con["conname"]
            ),
        )

    safe, then = rewritten(ctx.info, _not_valid), rewritten(ctx.info, validate)
    if not safe or not then:
        return _GENERIC
    return (
        f"write it as: {safe}; and in a later statement: {then}; "
        "(it checks the rows without blocking writes)"
    )


def check(ctx: StatementContext) -> Iterator[Hit]:
    i = ctx.info
    if i.kind != "alter_table" or ctx.is_new(alter_target(i)):
        return
    for cmd in alter_commands(i):
        con = (cmd.get("def") or {}).get("Constraint") or {}
        if (
            cmd.get("subtype") == "AT_AddConstraint"
            and con.get("contype") in _SCANNED
            and not con.get("skip_validation")
        ):
            yield hit_at(
                i,
                con.get("location"),
                Hit(
                    "adding a CHECK or FOREIGN KEY constraint checks every row while blocking writes",
                    _help(ctx, con),
                ),
            )
    for col in column_defs(i):
        for con in column_constraints(col, "CONSTR_CHECK"):
            yield hit_at(
                i,
                con.get("location"),
                Hit(
                    f"column {col.get('colname')} with a CHECK makes PostgreSQL scan every row "
                    "to verify it while holding ACCESS EXCLUSIVE",
                    "add the column, then ADD CONSTRAINT ... CHECK (...) NOT VALID and VALIDATE it",
                ),
            )
        for con in column_constraints(col, "CONSTR_FOREIGN"):
            yield hit_at(
                i,
                con.get("location"),
                Hit(
                    f"column {col.get('colname')} with REFERENCES adds a foreign key that locks "
                    "the referenced table",
                    "add the column, then ADD CONSTRAINT ... FOREIGN KEY ... NOT VALID and VALIDATE it",
                ),
            )


RULE = Rule(
    "require-not-valid-constraint",
    "error",
    "warning",
    "constraints are added NOT VALID",
    check,
    kinds=frozenset(("alter_table",)),
)
