"""ban-builtin-shadowing: a migration's functions and operators do not take built-ins' names.

PostgreSQL resolves an unqualified call among every function of that name on the search path
and takes the best match of argument types: ``public.lower(varchar)`` is an exact match for a
varchar column where ``pg_catalog.lower(text)`` needs a cast, so every such call, in every
role's queries, views and SECURITY DEFINER functions without a pinned path, runs the
migration's function instead (the attack behind CVE-2018-1058). An operator of a built-in's
symbol is picked the same way. The names are PostgreSQL's own (``reconciler/sql/builtins.py``,
generated from pg_proc and pg_operator of every supported major).
"""

from __future__ import annotations

from collections.abc import Iterator

from reconciler.sql.rules.base import Hit, Rule, StatementContext, nodes

_HELP = (
    "give it a name of its own (app_lower(), a prefix the project uses); a compatibility shim "
    "for an older PostgreSQL can be allowed with "
    "`-- reconciler:ignore ban-builtin-shadowing -- <reason>`"
)


def _names(tree: object) -> list[str]:
    return [str(s.get("sval")) for _, s in nodes(tree, "String")]


def check(ctx: StatementContext) -> Iterator[Hit]:
    i = ctx.info
    t = i.tree
    what, name = "", []
    if i.node == "CreateFunctionStmt":
        what, name = (
            ("procedure" if t.get("is_procedure") else "function"),
            _names(t.get("funcname")),
        )
    elif i.node == "DefineStmt" and t.get("kind") in ("OBJECT_AGGREGATE", "OBJECT_OPERATOR"):
        what = "aggregate" if t.get("kind") == "OBJECT_AGGREGATE" else "operator"
        name = _names(t.get("defnames"))
    elif i.node == "RenameStmt" and t.get("renameType") in (
        "OBJECT_FUNCTION",
        "OBJECT_PROCEDURE",
        "OBJECT_ROUTINE",
        "OBJECT_AGGREGATE",
    ):
        what = str(t["renameType"]).removeprefix("OBJECT_").lower()
        name = [*_names((t.get("object") or {}).get("ObjectWithArgs", {}).get("objname"))[:-1]]
        name.append(str(t.get("newname")))
    if not name or name[:-1] == ["pg_catalog"]:
        return
    from reconciler.sql.builtins import BUILTINS, OPERATORS  # (only where a name is made)

    known = OPERATORS if what == "operator" else BUILTINS
    if name[-1] not in known:
        return
    shown = ".".join(name) if what != "operator" else f"{'.'.join(name[:-1]) or ''} {name[-1]}"
    yield Hit(
        f"{what} {shown.strip()} takes the name of PostgreSQL's built-in {name[-1]}: an "
        "unqualified use whose argument types match it better than the built-in's runs it "
        "instead, in every role's queries, views and functions",
        _HELP,
    )


RULE = Rule(
    "ban-builtin-shadowing",
    "error",
    "warning",
    "functions and operators do not take a built-in's name",
    check,
)
