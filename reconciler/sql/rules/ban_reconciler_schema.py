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

from reconciler.sql.classify import StatementInfo, function_name
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
    if info.node == "GrantStmt" and (
        t.get("objtype") == "OBJECT_SCHEMA" or t.get("targtype") == "ACL_TARGET_ALL_IN_SCHEMA"
    ):  # (ON SCHEMA reconciler, or ON ALL TABLES | SEQUENCES | FUNCTIONS IN SCHEMA reconciler)
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
        return any(_path_names_it(v) for v in values)
    for _, call in nodes(t, "FuncCall"):  # SELECT set_config('search_path', 'reconciler', ...)
        names = function_name(call)
        args = [
            (a.get("A_Const") or {}).get("sval", {}).get("sval")
            for a in call.get("args") or ()
            if isinstance(a, dict)
        ]
        if (
            names[-1:] == ["set_config"]
            and args[:1] == ["search_path"]
            and len(args) > 1
            and (args[1] is None or _path_names_it(args[1]))  # (a path given at run time too)
        ):
            return True
    return False


def _path_names_it(path: str) -> bool:
    return SCHEMA in [p.strip().strip('"') for p in path.split(",")]


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
    """A SELECT that writes nothing: no INTO, no row locks, no data-modifying WITH (a
    ``WITH x AS (DELETE ...) SELECT`` is a DELETE), no set_config() of the search_path, no
    call of the tool's own functions."""
    t = info.tree
    return (
        info.node == "SelectStmt"
        and not t.get("intoClause")
        and not t.get("lockingClause")
        and not any(True for _ in info.find("InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt"))
        and not any(_writing_call(call) for _, call in info.find("FuncCall"))
    )


def _writing_call(call: dict[str, Any]) -> bool:
    """set_config() (of the search_path, judged above), or any function of the tool's own
    schema: reconciler.approve() records an approval and its audit event."""
    names = function_name(call)
    return names[-1:] == ["set_config"] or names[-2:-1] == [SCHEMA]


def _writes_there(info: StatementInfo) -> bool:
    if not info.parsed or (info.raw and SCHEMA not in info.raw) or _reads_only(info):
        return False
    return _schema_itself(info) or _names_it(info.tree)


def check(ctx: StatementContext) -> Iterator[Hit]:
    i = ctx.info
    if _writes_there(i):
        yield Hit(
            f"this changes the {SCHEMA} schema, where the tool keeps the applied migrations, "
            "the approvals and the audit log: a migration that writes there can mark a "
            "migration applied without running it, or lose audit events",
            "keep the migration to the application's schemas; the tool manages its own "
            "(`reconcile repair` for its history)",
        )
    for stmt in i.body:  # a routine this file makes, which whoever calls it runs: now or later
        if _writes_there(stmt):
            yield Hit(
                f"this routine's body changes the {SCHEMA} schema (the applied migrations, "
                "the approvals, the audit log): called now or later, by the application or a "
                "later migration, it would forge that record",
                "keep routines to the application's schemas; the tool manages its own",
                stmt.stmt.line,
                stmt.stmt.col,
            )


RULE = Rule(
    "ban-reconciler-schema",
    "error",
    "error",
    "no migration touches the reconciler's own schema",
    check,
)
