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

from reconciler.sql.rules.base import (
    Hit,
    Rule,
    StatementContext,
    Tree,
    created_object,
    dotted_name,
    made_here,
    nodes,
)

_HELP = (
    "give it a name of its own (app_lower(), a prefix the project uses); a compatibility shim "
    "for an older PostgreSQL can be allowed with "
    "`-- reconciler:ignore ban-builtin-shadowing -- <reason>`"
)


def _names(tree: object) -> list[str]:
    return [str(s.get("sval")) for _, s in nodes(tree, "String")]


# the statements that make a type a call's argument can be of
_MADE_TYPES = ("CreateEnumStmt", "CreateRangeStmt", "CompositeTypeStmt", "DefineStmt")


def _input_types(ctx: StatementContext) -> list[str]:
    """The types (as written) of the arguments a call gives the function, aggregate or
    operator this statement makes."""
    i, t = ctx.info, ctx.info.tree
    params: list[Tree] = []
    if i.node == "CreateFunctionStmt":
        params = [p.get("FunctionParameter") or {} for p in t.get("parameters") or ()]
    elif t.get("kind") == "OBJECT_AGGREGATE":
        params = [p for _, p in nodes((t.get("args") or [None])[0], "FunctionParameter")]
    elif t.get("kind") == "OBJECT_OPERATOR":
        return [
            dotted_name(((d.get("arg") or {}).get("TypeName") or {}).get("names"))
            for _, d in nodes(t.get("definition"), "DefElem")
            if d.get("defname") in ("leftarg", "rightarg")
        ]
    return [
        dotted_name((p.get("argType") or {}).get("names"))
        for p in params
        if p.get("mode") not in ("FUNC_PARAM_OUT", "FUNC_PARAM_TABLE")
    ]


_IMPLICIT = "ban-builtin-shadowing:implicit"  # (its key in the file's memo)


def _implicit_targets(ctx: StatementContext) -> frozenset[str]:
    """The types the file casts an older type into implicitly (DO blocks' casts too): an
    assignment cast is not used to pick a function; an implicit one from a type the file
    made, ip4 to ip4r, brings no existing value either."""
    infos = [one for info in ctx.file.infos for one in (info, *info.children)]
    made = {(created_object(c) or "").rpartition(".")[2] for c in infos if c.node in _MADE_TYPES}

    def bare(type_name: Tree | None) -> str:
        return dotted_name((type_name or {}).get("names")).rpartition(".")[2]

    return frozenset(
        bare(c.tree.get("targettype"))
        for c in infos
        if c.node == "CreateCastStmt"
        and c.tree.get("context") == "COERCION_IMPLICIT"
        and bare(c.tree.get("sourcetype")) not in made
    )


def _takes_a_new_type(ctx: StatementContext) -> bool:
    """An argument's type is one this file made (CREATE TYPE: an enum, composite, range or
    base type, or an array of it) and no cast makes other types into it implicitly: no
    value an existing query passes can be of it, so that query still calls the built-in
    (ip4r's `<` on ip4, a semver type's `=`). Not a domain: a value of its base type is
    passed to it as it is."""
    implicit = ctx.file.memo.get(_IMPLICIT)
    if implicit is None:  # (once per file: an extension's script makes hundreds of these)
        implicit = ctx.file.memo[_IMPLICIT] = _implicit_targets(ctx)
    from reconciler.sql.builtins import TYPES

    # (a name a built-in type has is that type where pg_catalog is searched first, as it is
    # unless the path lists it later: int2 in CREATE FUNCTION sqrt(int2) is not public.int2)
    return any(
        name
        and (bare_name := name.rpartition(".")[2]) not in implicit
        and (bare_name not in TYPES or ("." in name and not name.startswith("pg_catalog.")))
        and made_here(ctx, "OBJECT_TYPE", name)
        for name in _input_types(ctx)
    )


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
    if name[-1] not in known or _takes_a_new_type(ctx):
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
