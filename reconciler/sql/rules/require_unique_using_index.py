"""require-unique-using-index: ADD UNIQUE / PRIMARY KEY builds an index while blocking writes."""

from __future__ import annotations

from collections.abc import Iterator

from reconciler.sql.rules.base import (
    Hit,
    Rule,
    StatementContext,
    alter_commands,
    alter_target,
    column_constraints,
    column_defs,
    hit_at,
)

_INDEXED = ("CONSTR_UNIQUE", "CONSTR_PRIMARY", "CONSTR_EXCLUSION")
_HIT = Hit(
    "ADD UNIQUE / PRIMARY KEY / EXCLUDE builds its index under a lock that blocks writes",
    "CREATE UNIQUE INDEX CONCURRENTLY first, then ADD CONSTRAINT ... UNIQUE USING INDEX <name>",
)


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
            yield hit_at(i, con.get("location"), _HIT)
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
