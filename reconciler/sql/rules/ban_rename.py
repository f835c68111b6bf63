"""ban-rename: renaming what queries name (a table, column, view, schema, type, enum value,
function or sequence), or moving it to another schema, breaks every running query and
deployed client that uses the old name; renaming a role breaks the logins that name it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from reconciler.sql.rules.base import (
    Hit,
    Rule,
    StatementContext,
    object_name,
    relation,
)

# renamed object kinds that application code refers to by name (indexes, constraints,
# triggers and policies are named by nobody but the schema itself)
_NAMED_BY_CLIENTS = {
    "OBJECT_TABLE": "table",
    "OBJECT_VIEW": "view",
    "OBJECT_MATVIEW": "materialized view",
    "OBJECT_FOREIGN_TABLE": "foreign table",
    "OBJECT_SEQUENCE": "sequence",
    "OBJECT_SCHEMA": "schema",
    "OBJECT_TYPE": "type",
    "OBJECT_DOMAIN": "domain",
    "OBJECT_FUNCTION": "function",
    "OBJECT_PROCEDURE": "procedure",
    "OBJECT_ROUTINE": "routine",
}
_ADVICE = "add the new name (a column or a view), move the code over, remove the old name later"


def _name(tree: dict[str, Any]) -> str:
    rel = relation(tree.get("relation"))
    if rel:
        return rel
    if tree.get("subname") and tree.get("renameType") == "OBJECT_SCHEMA":
        return str(tree["subname"])
    return object_name(tree.get("object") or {}) or "?"


def check(ctx: StatementContext) -> Iterator[Hit]:
    i = ctx.info
    if i.node == "AlterObjectSchemaStmt" and i.tree.get("objectType") in _NAMED_BY_CLIENTS:
        name = _name(i.tree)
        if ctx.is_new(relation(i.tree.get("relation"))) or ctx.made_earlier(name):
            return  # made earlier in this file: nobody names it yet
        what = _NAMED_BY_CLIENTS[str(i.tree["objectType"])]
        yield Hit(
            f"moving {what} {name} to schema {i.tree.get('newschema')} breaks the code that "
            "names it with its old schema or finds it through a search_path without the new one",
            "create it in the new schema and move the code over (a view or a wrapper under the "
            "old name meanwhile), then remove the old one",
        )
        return
    if i.node == "RenameStmt" and i.tree.get("renameType") == "OBJECT_ROLE":
        yield Hit(
            f"renaming role {i.tree.get('subname')} breaks every connection string and grant "
            "script that names it, and clears its password if that is MD5-hashed (the name is "
            "the hash's salt)",
            "create the new role, grant it the old one's memberships and privileges, move the "
            "clients over, then drop the old role",
        )
        return
    if i.node == "AlterEnumStmt" and i.tree.get("oldVal"):
        yield Hit(
            f"renaming enum value {i.tree.get('oldVal')!r} breaks the code that still writes "
            "or compares the old value",
            "add the new value (ADD VALUE), move the code and the rows over, stop using the old one",
        )
        return
    if i.node != "RenameStmt" or ctx.is_new(relation(i.tree.get("relation"))):
        return
    if i.tree.get("renameType") in _NAMED_BY_CLIENTS and ctx.made_earlier(_name(i.tree)):
        return  # made earlier in this file: nobody names it yet
    renames = str(i.tree.get("renameType"))
    if renames in ("OBJECT_COLUMN", "OBJECT_ATTRIBUTE"):
        what = f"column {i.tree.get('subname')} of {_name(i.tree)}"
    elif renames in _NAMED_BY_CLIENTS:
        what = f"{_NAMED_BY_CLIENTS[renames]} {_name(i.tree)}"
    else:
        return
    yield Hit(f"renaming {what} breaks the application code still using the old name", _ADVICE)


RULE = Rule(
    "ban-rename",
    "error",
    "warning",
    "no renames of what queries name (tables, columns, views, types, functions, ...)",
    check,
    kinds=frozenset(
        (
            "alter_table",
            "alter_view",
            "alter_materialized_view",
            "alter_foreign_table",
            "alter_sequence",
            "alter_schema",
            "alter_type",
            "alter_domain",
            "alter_function",
            "alter_procedure",
            "alter_routine",
            "alter_role",
        )
    ),
)
