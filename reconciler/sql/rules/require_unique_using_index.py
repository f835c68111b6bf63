"""require-unique-using-index: ADD UNIQUE / PRIMARY KEY builds an index while blocking writes."""

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

_INDEXED = ("CONSTR_UNIQUE", "CONSTR_PRIMARY", "CONSTR_EXCLUSION")
_HIT = Hit(
    "ADD UNIQUE / PRIMARY KEY / EXCLUDE builds its index under a lock that blocks writes",
    "CREATE UNIQUE INDEX CONCURRENTLY first, then ADD CONSTRAINT ... UNIQUE USING INDEX <name>",
)


def _help(ctx: StatementContext, con: dict[str, Any]) -> str:
    """The two exact statements: the unique index built concurrently, then the constraint
    taking it over (for one named UNIQUE or PRIMARY KEY constraint on plain columns)."""
    plain = not (con.get("including") or con.get("options") or con.get("nulls_not_distinct"))
    name = con.get("conname")
    if len(alter_commands(ctx.info)) != 1 or not name or not con.get("keys") or not plain:
        return _HIT.help
    index = f"{name}_idx"[:63]

    def build(stmt: Any) -> Any:
        from pglast import ast, enums

        keys = stmt.cmds[0].def_.keys
        stmt.relation.inh = True  # an index is built ON the table (ONLY refuses CONCURRENTLY)
        return ast.IndexStmt(
            idxname=index,
            relation=stmt.relation,
            accessMethod="btree",
            indexParams=tuple(
                ast.IndexElem(
                    name=k.sval,
                    ordering=enums.SortByDir.SORTBY_DEFAULT,
                    nulls_ordering=enums.SortByNulls.SORTBY_NULLS_DEFAULT,
                )
                for k in keys
            ),
            unique=True,
            concurrent=True,
        )

    def take_over(stmt: Any) -> None:
        c = stmt.cmds[0].def_
        c.keys, c.indexname = None, index

    first, then = rewritten(ctx.info, build), rewritten(ctx.info, take_over)
    if not first or not then:
        return _HIT.help
    return f"write it as: {first}; then: {then}; (the lock is then brief)"


def check(ctx: StatementContext) -> Iterator[Hit]:
    i = ctx.info
    if i.kind != "alter_table" or ctx.is_new(alter_target(i)):
        return
    for cmd in alter_commands(i):
        con = (cmd.get("def") or {}).get("Constraint") or {}
        if (
            cmd.get("subtype") == "AT_AddConstraint"
            and con.get("contype") in _INDEXED
            and not con.get("indexname")
        ):
            yield hit_at(i, con.get("location"), Hit(_HIT.message, _help(ctx, con)))
    for col in column_defs(i):
        for contype in ("CONSTR_UNIQUE", "CONSTR_PRIMARY"):
            for con in column_constraints(col, contype):
                yield hit_at(i, con.get("location"), _HIT)


RULE = Rule(
    "require-unique-using-index",
    "error",
    "warning",
    "unique constraints reuse a concurrently built index",
    check,
    kinds=frozenset(("alter_table",)),
)
