"""require-not-valid-constraint: CHECK and FOREIGN KEY constraints validate every row under a lock.

Also the classic slip with NOT VALID: validating in the same transaction as an earlier
statement that locked the table (the ADD ... NOT VALID itself, most often). That lock is
held until commit, so the VALIDATE's scan blocks writes after all.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from reconciler.sql.classify import StatementInfo
from reconciler.sql.rules.base import (
    WRITES_GO_ON,
    Hit,
    Rule,
    StatementContext,
    alter_commands,
    alter_target,
    column_constraints,
    column_defs,
    domain_target,
    hit_at,
    locks_held,
    relation,
    rewritten,
    same_table,
)

_SCANNED = ("CONSTR_CHECK", "CONSTR_FOREIGN")
_GENERIC = (
    "add it NOT VALID, then ALTER TABLE ... VALIDATE CONSTRAINT in a later migration (or make "
    "this file -- reconciler:no-transaction, so each statement commits on its own)"
)
# a constraint declared with a new column: what it is, what it costs, how to add it instead
_COLUMN = {
    "CONSTR_CHECK": (
        "a CHECK",
        "makes PostgreSQL scan every row to verify it while holding ACCESS EXCLUSIVE",
        "CHECK (...)",
    ),
    "CONSTR_FOREIGN": (
        "REFERENCES",
        "adds a foreign key that locks the referenced table",
        "FOREIGN KEY ...",
    ),
}


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
        f"write it as: {safe}; and in a later migration (or with this file no-transaction): "
        f"{then}; (it checks the rows without blocking writes)"
    )


def _blocks_writes(info: StatementInfo, table: str | None) -> bool:
    """This statement locks ``table`` against writes until its transaction ends."""
    return any(same_table(locked, table) for locked, _ in locks_held(info))


def _validated_under_a_lock(ctx: StatementContext) -> Iterator[Hit]:
    """VALIDATE CONSTRAINT where this transaction already holds a lock that blocks writes."""
    i = ctx.info
    commands = alter_commands(i)
    validates = [c for c in commands if c.get("subtype") == "AT_ValidateConstraint"]
    table = relation(i.tree.get("relation"))
    if not validates or ctx.is_new(table):
        return
    name = validates[0].get("name")
    if any(c.get("subtype") not in WRITES_GO_ON for c in commands):
        yield Hit(
            f"VALIDATE CONSTRAINT {name} runs in the same ALTER TABLE as actions that block "
            f"writes to {table}: the scan holds that lock, so NOT VALID gains nothing",
            "validate it in a statement of its own, in a later migration",
        )
        return
    for earlier in ctx.earlier_in_transaction():
        if _blocks_writes(earlier, table):
            yield Hit(
                f"VALIDATE CONSTRAINT {name} runs in the same transaction as line "
                f"{earlier.stmt.line}, which locked {table} against writes until commit: the "
                "scan blocks writes after all, so NOT VALID gains nothing",
                "validate it in a later migration, or make this file -- reconciler:no-transaction "
                "so each statement commits (and releases its lock) on its own",
            )
            return


def _domain(ctx: StatementContext) -> Iterator[Hit]:
    """ALTER DOMAIN ... ADD CONSTRAINT CHECK: every column of that type, in every table."""
    i = ctx.info
    con = (i.tree.get("def") or {}).get("Constraint") or {}
    name = domain_target(ctx)
    if (
        name is None
        or i.tree.get("subtype") != "C"
        or con.get("contype") not in ("CONSTR_CHECK", "CONSTR_NOTNULL")
        or con.get("skip_validation")
    ):
        return
    if con.get("contype") == "CONSTR_NOTNULL":
        yield hit_at(
            i,
            con.get("location"),
            Hit(
                f"ALTER DOMAIN {name} ADD NOT NULL checks every column of type {name}, in every "
                "table, while blocking writes to those tables (and cannot be NOT VALID)",
                "give the columns table constraints instead: ADD CONSTRAINT c CHECK (col IS NOT "
                "NULL) NOT VALID, VALIDATE it in a later migration, then SET NOT NULL",
            ),
        )
        return
    yield hit_at(
        i,
        con.get("location"),
        Hit(
            f"ALTER DOMAIN {name} ADD CONSTRAINT checks the value of every column of type {name}, "
            "in every table, while blocking writes to those tables",
            "add it NOT VALID (new values are checked at once) and VALIDATE CONSTRAINT in a "
            "later migration; before PostgreSQL 19 that VALIDATE blocks writes as well, so for "
            "busy tables constrain their columns with table CHECKs added NOT VALID instead",
        ),
    )


def check(ctx: StatementContext) -> Iterator[Hit]:
    i = ctx.info
    if i.node == "AlterDomainStmt":
        yield from _domain(ctx)
        return
    if i.inside in ("", "do"):  # (a function's body runs later, in a transaction of its own)
        yield from _validated_under_a_lock(ctx)
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
        for contype, (what, why, constraint) in _COLUMN.items():
            for con in column_constraints(col, contype):
                yield hit_at(
                    i,
                    con.get("location"),
                    Hit(
                        f"column {col.get('colname')} with {what} {why}",
                        f"add the column, then ADD CONSTRAINT ... {constraint} NOT VALID, and "
                        "VALIDATE it in a later migration",
                    ),
                )


RULE = Rule(
    "require-not-valid-constraint",
    "error",
    "warning",
    "constraints are added NOT VALID",
    check,
    kinds=frozenset(("alter_table", "validate_constraint", "alter_domain")),
)
