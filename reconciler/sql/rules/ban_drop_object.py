"""ban-drop-object: DROP of an index, view, type, schema, function, constraint, ... in a migration
(not of one the same file made, dropped without CASCADE)."""

from __future__ import annotations

from collections.abc import Iterator

from reconciler.sql.rules.base import (
    Hit,
    Rule,
    StatementContext,
    alter_commands,
    command_at,
    drops_only_new,
    relation,
    spelled,
)

_HELP = "keep the object until nothing depends on it; remove it in a separate reviewed change"


_COLUMN_PARTS = {
    "AT_DropIdentity": "DROP IDENTITY removes the sequence that numbers the inserts "
    "without a value (they then fail, or store NULL)",
    "AT_DropExpression": "DROP EXPRESSION turns a generated column into a plain one: it "
    "stops following the columns it was computed from",
}


def check(ctx: StatementContext) -> Iterator[Hit]:
    i = ctx.info
    removes = str(i.tree.get("removeType", ""))
    if (
        i.node == "DropStmt"
        and removes not in ("OBJECT_TABLE", "OBJECT_FOREIGN_TABLE")
        and not drops_only_new(ctx)
    ):
        what = removes.removeprefix("OBJECT_").replace("MATVIEW", "MATERIALIZED VIEW")
        yield Hit(f"DROP {what.replace('_', ' ')} removes an object other code may rely on", _HELP)
    elif i.kind == "drop" and i.node != "DropStmt":  # DROP OWNED, ROLE, DATABASE, ...
        what = " ".join(i.stmt.code.upper().split()[1:2])
        yield Hit(f"DROP {what} removes objects other code may rely on", _HELP)
    if i.node == "AlterDomainStmt" and i.tree.get("subtype") == "X":  # DROP CONSTRAINT
        yield Hit(
            f"dropping constraint {i.tree.get('name')} of a domain removes a guarantee every "
            "column of that type relies on",
            _HELP,
        )
    table_is_new = ctx.is_new(relation(i.tree.get("relation")))
    for cmd in alter_commands(i):
        if cmd.get("subtype") in _COLUMN_PARTS and not table_is_new:
            yield command_at(
                i,
                cmd,
                Hit(f"{_COLUMN_PARTS[str(cmd['subtype'])]} of column {cmd.get('name')}", _HELP),
            )
        if cmd.get("subtype") == "AT_DropConstraint":
            yield command_at(
                i,
                cmd,
                Hit(
                    f"dropping constraint {cmd.get('name')} removes a guarantee the data relies on",
                    _HELP,
                ),
            )
    for what, line in i.inner:
        if what == "drop_object":
            yield Hit(f"DROP inside a {spelled(i.kind)} body", _HELP, line)


RULE = Rule(
    "ban-drop-object",
    "error",
    "warning",
    "no DROP of indexes, views, types, constraints, ...",
    check,
    kinds=frozenset(("drop", "alter_table", "alter_domain", "create_function")),
)
