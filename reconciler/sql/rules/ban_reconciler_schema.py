"""ban-reconciler-schema: a migration does not touch the reconciler's own schema.

The ``reconciler`` schema holds what the tool trusts about the database: the applied
migrations and their checksums, the approvals, the audit log and its outbox. A migration runs
with the same rights as the tool, so one that writes there (a history row that marks a later
migration applied without running it, an approval, a trigger that drops audit rows, a table
moved in, a search_path that sends unqualified names there) would forge that record. Reading
it (a DO block's SELECT deciding what to do) is fine. An error in every environment.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from reconciler.sql.classify import StatementInfo
from reconciler.sql.rules.base import Hit, Rule, StatementContext, nodes

SCHEMA = "reconciler"  # reconciler.db.bookkeeping.SCHEMA (the core does not import the edge)


def _qualified(names: Any) -> bool:
    """A list of name parts whose schema is the reconciler's (``reconciler.x``)."""
    parts = [n.get("String", {}).get("sval") for n in names or () if isinstance(n, dict)]
    return len(parts) >= 2 and parts[0] == SCHEMA


def _schema_itself(info: StatementInfo) -> bool:
    """Statements about the schema: GRANT ... ON SCHEMA, ALTER/DROP SCHEMA, default
    privileges in it, a search_path that names it."""
    t = info.tree
    strings = [s.get("sval") for _, s in nodes(t.get("objects"), "String")]
    if info.node == "GrantStmt" and t.get("objtype") == "OBJECT_SCHEMA":
        return SCHEMA in strings
    if info.node == "DropStmt" and t.get("removeType") == "OBJECT_SCHEMA":
        return SCHEMA in strings
    if info.node in ("RenameStmt", "AlterOwnerStmt") and "OBJECT_SCHEMA" in (
        t.get("renameType"),
        t.get("objectType"),
    ):
        obj = t.get("object") or {}
        named = {(obj.get("String") or {}).get("sval"), t.get("subname"), t.get("newname")}
        return SCHEMA in named
    if info.node == "AlterDefaultPrivilegesStmt":
        for _, opt in nodes(t.get("options"), "DefElem"):
            if opt.get("defname") == "schemas":
                return SCHEMA in [s.get("sval") for _, s in nodes(opt.get("arg"), "String")]
    if info.node == "VariableSetStmt" and t.get("name") == "search_path":
        values = [c.get("sval", {}).get("sval", "") for _, c in nodes(t.get("args"), "A_Const")]
        return any(SCHEMA in [p.strip().strip('"') for p in v.split(",")] for v in values)
    return False


def _names_it(tree: Any) -> bool:
    stack = [tree]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            if _qualified(item):
                return True
            stack.extend(item)
        elif isinstance(item, dict):
            for key, value in item.items():
                if key in ("schemaname", "newschema") and value == SCHEMA:
                    return True
                if isinstance(value, (dict, list)):
                    stack.append(value)
    return False


def _reads_only(info: StatementInfo) -> bool:
    t = info.tree
    return info.node == "SelectStmt" and not t.get("intoClause") and not t.get("lockingClause")


def check(ctx: StatementContext) -> Iterator[Hit]:
    i = ctx.info
    if not i.parsed or (i.raw and SCHEMA not in i.raw) or _reads_only(i):
        return
    if _schema_itself(i) or _names_it(i.tree):
        yield Hit(
            f"this changes the {SCHEMA} schema, where the tool keeps the applied migrations, "
            "the approvals and the audit log: a migration that writes there can mark a "
            "migration applied without running it, or lose audit events",
            "keep the migration to the application's schemas; the tool manages its own "
            "(`reconcile repair` for its history)",
        )


RULE = Rule(
    "ban-reconciler-schema",
    "error",
    "error",
    "no migration touches the reconciler's own schema",
    check,
)
