"""require-definer-search-path: a SECURITY DEFINER function or procedure pins its search_path.

Such a function runs with its owner's rights, but resolves unqualified names through the
caller's search_path: a user who can create objects in any schema on that path (``public``
before PostgreSQL 15, or a temporary schema) can put a table, function or operator there
that the function then uses with the owner's rights. PostgreSQL's documentation ("Writing
SECURITY DEFINER Functions Safely") asks for a ``SET search_path`` clause on the function.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from reconciler.sql.classify import StatementInfo
from reconciler.sql.rules.base import Hit, Rule, StatementContext, definer_clause, hit_at

_HELP = (
    "add SET search_path to the function: schemas only trusted roles can write, then "
    "pg_temp last (SET search_path = app, pg_temp), or SET search_path = '' and "
    "schema-qualified names in the body"
)


def _pinned_path(options: list[dict[str, Any]]) -> tuple[dict[str, Any], list[str]] | None:
    """The SET search_path clause and the schemas it names ([] for FROM CURRENT, which
    stores the path the migration runs with), or None when there is none."""
    for o in options:
        if o.get("defname") != "set":
            continue
        var = (o.get("arg") or {}).get("VariableSetStmt") or {}
        if var.get("name") == "search_path" and var.get("kind") in (
            "VAR_SET_VALUE",
            "VAR_SET_CURRENT",
        ):
            names = [
                str((a.get("A_Const") or {}).get("sval", {}).get("sval", ""))
                for a in var.get("args") or ()
                if isinstance(a, dict)
            ]
            return o, names
    return None


def _temp_first(info: StatementInfo, names: list[str]) -> str | None:
    """Why the pinned path still lets the caller's temporary tables come first, or None.
    PostgreSQL searches pg_temp before every schema for tables, views and types unless the
    path names it, and then where it stands; a quoted 'a, b' is one schema named so."""
    joined = [n for n in names if "," in n]
    if joined:
        return (
            f"'{joined[0]}' is one schema of that name, not a list (write each schema apart: "
            f"SET search_path = {joined[0]}); PostgreSQL then searches pg_temp first"
        )
    if "pg_temp" in names:
        if names[-1] == "pg_temp":
            return None
        after = names[names.index("pg_temp") + 1]
        return f"pg_temp stands before {after}: a temporary table the caller makes comes first"
    if info.node != "CreateFunctionStmt" or not info.unqualified:
        return None
    name, line = info.unqualified[0]
    return (
        f"the path does not name pg_temp, so PostgreSQL searches it first, and the body names "
        f"{name} (line {line}) without a schema: a temporary table {name} the caller makes "
        "is the one the function uses"
    )


def check(ctx: StatementContext) -> Iterator[Hit]:
    i = ctx.info
    found = definer_clause(i)
    if found is None:
        return
    definer, options = found
    procedure = i.tree.get("is_procedure") or i.tree.get("objtype") == "OBJECT_PROCEDURE"
    what = "procedure" if procedure else "function"
    pinned = _pinned_path(options)
    if pinned is not None:
        clause, names = pinned
        why = _temp_first(i, names) if names else None
        if why is not None:
            yield hit_at(
                i,
                clause.get("location"),
                Hit(
                    f"SECURITY DEFINER {what} whose search_path lets the caller's temporary "
                    f"tables in: {why}",
                    "put pg_temp last (SET search_path = app, pg_temp), or qualify every "
                    "table the body names with its schema",
                ),
            )
        return
    hint = _HELP
    if i.node == "AlterFunctionStmt":
        hint += " (in this statement: the checker cannot see the function's earlier settings)"
    yield hit_at(
        i,
        definer.get("location"),
        Hit(
            f"SECURITY DEFINER {what} without SET search_path: it runs with its owner's "
            "rights but looks names up through the caller's search_path, where another role "
            "can plant a table or function",
            hint,
        ),
    )


RULE = Rule(
    "require-definer-search-path",
    "error",
    "warning",
    "SECURITY DEFINER functions pin their search_path",
    check,
    kinds=frozenset(("create_function", "alter_function")),
)
