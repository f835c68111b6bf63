"""ban-volatile-default: a volatile DEFAULT (or serial, or a stored generated column, or a domain
with constraints) rewrites the table.

Volatility comes from PostgreSQL's own catalog: a function in a DEFAULT is non-volatile only
when every supported major marks every overload of it IMMUTABLE or STABLE
(:mod:`reconciler.sql.nonvolatile`, generated from pg_proc), or when the file itself created
it IMMUTABLE or STABLE (every function of that name it created, one taking that many
arguments: PostgreSQL reads the declared volatility); anything else, a function of your own
from an earlier migration included, is volatile until proven otherwise. The functions are the FuncCall nodes
of PostgreSQL's parse of the DEFAULT expression, so casts, type modifiers and SQL keywords
never count as calls.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from reconciler.sql.classify import function_name, routine_option
from reconciler.sql.rules.base import (
    Hit,
    Rule,
    StatementContext,
    alter_target,
    column_constraints,
    column_defs,
    dotted_name,
    hit_at,
    name_key,
    nodes,
    type_name,
)

SERIALS = frozenset(("serial", "serial4", "bigserial", "serial8", "smallserial", "serial2"))


# a function this file created: (its schema or None, the fewest and most arguments a call
# may give it, declared IMMUTABLE or STABLE)
Declared = tuple[str | None, int, int, bool]


def declared_here(ctx: StatementContext) -> dict[str, list[Declared]]:
    """The functions the file created before this statement, by name: what PostgreSQL reads
    for a DEFAULT's volatility is what the function declares."""
    out: dict[str, list[Declared]] = {}
    for earlier in ctx.earlier("CreateFunctionStmt"):
        t = earlier.tree
        names = function_name(t)
        if not names or t.get("is_procedure"):
            continue
        params = [p.get("FunctionParameter") or {} for p in t.get("parameters") or ()]
        inputs = [p for p in params if p.get("mode") not in ("FUNC_PARAM_OUT", "FUNC_PARAM_TABLE")]
        fewest = sum(1 for p in inputs if p.get("defexpr") is None)
        most = (
            1 << 16 if any(p.get("mode") == "FUNC_PARAM_VARIADIC" for p in inputs) else len(inputs)
        )
        volatility = routine_option(t, "volatility") or "volatile"
        schema = names[-2] if len(names) > 1 else None
        out.setdefault(names[-1], []).append(
            (schema, fewest, most, volatility in ("immutable", "stable"))
        )
    return out


def _declared_steady(call: Any, names: list[str], here: dict[str, list[Declared]]) -> bool:
    """The call can only be of functions this file created IMMUTABLE or STABLE: every one of
    its name it created is, and one takes that many arguments (an existing overload of the
    same name could otherwise be the one called)."""
    made = here.get(names[-1])
    if not made or not all(steady for *_, steady in made):
        return False
    schema = names[-2] if len(names) > 1 else None
    given = len(call.get("args") or ())
    return any(
        (schema is None or s in (None, schema)) and fewest <= given <= most
        for s, fewest, most, _ in made
    )


def volatile_calls(expr: Any, here: dict[str, list[Declared]] | None = None) -> list[str]:
    """Functions called in a parsed expression that are, or may be, volatile: every function
    not on the catalog's non-volatile list (a schema other than pg_catalog included) but for
    those the file created (``here``) and declared IMMUTABLE or STABLE."""
    from reconciler.sql.nonvolatile import NONVOLATILE

    out = []
    for _, call in nodes(expr, "FuncCall"):
        names = function_name(call)
        if not names:
            continue
        if here and _declared_steady(call, names, here):
            continue
        schema, name = (names[-2] if len(names) > 1 else None), names[-1]
        if schema not in (None, "pg_catalog") or name not in NONVOLATILE:
            out.append(".".join(names) if schema not in (None, "pg_catalog") else name)
    return out


def rewrite(col: dict[str, Any], here: dict[str, list[Declared]] | None = None) -> Hit | None:
    """Why adding this column rewrites the whole table (a volatile default, a serial or
    identity column filled row by row, a stored generated column), or None when it does not;
    ``here``: the functions the file created (:func:`declared_here`)."""
    calls = [c for d in column_constraints(col, "CONSTR_DEFAULT") for c in volatile_calls(d, here)]
    if calls:
        return Hit(
            f"a volatile DEFAULT ({', '.join(f'{c}()' for c in calls)}) is evaluated per row: "
            "the whole table is rewritten under ACCESS EXCLUSIVE",
            "add the column without a default (or with a constant one), then backfill in "
            "batches; a function of your own counts as volatile unless this file creates it "
            "IMMUTABLE or STABLE, or it is a built-in PostgreSQL marks so",
        )
    if type_name(col)[0] in SERIALS:
        return Hit(
            "adding a serial column fills it with nextval() per row: the table is rewritten",
            "add a nullable bigint with GENERATED BY DEFAULT AS IDENTITY on a new table instead",
        )
    if any(True for _ in column_constraints(col, "CONSTR_IDENTITY")):
        return Hit(
            f"adding identity column {col.get('colname')} fills it from its sequence row "
            "by row: the table is rewritten under ACCESS EXCLUSIVE",
            "add a nullable bigint column, backfill it in batches from a sequence, then "
            "make it an identity (ALTER COLUMN ... ADD GENERATED ... AS IDENTITY)",
        )
    if any(
        g.get("generated_kind", "s") == "s" for g in column_constraints(col, "CONSTR_GENERATED")
    ):
        return Hit(
            "adding a stored generated column rewrites the table",
            "compute it in a view or backfill a normal column",
        )
    return None


_CHECKED = ("CONSTR_CHECK", "CONSTR_NOTNULL")


def _constrained_domains(ctx: StatementContext) -> dict[str, int]:
    """Domains given a CHECK or NOT NULL before this statement: name_key -> the line that did
    (0: an earlier migration)."""
    from reconciler.sql.proofs import DOMAIN

    out = {name: 0 for table, name, _ in ctx.file.proven_before if table == DOMAIN}
    for earlier in ctx.earlier("CreateDomainStmt", "AlterDomainStmt"):
        t = earlier.tree
        if earlier.node == "CreateDomainStmt":
            name, cons = t.get("domainname"), t.get("constraints")
        elif earlier.node == "AlterDomainStmt" and t.get("subtype") in ("C", "O"):
            name, cons = t.get("typeName"), [{"Constraint": {"contype": "CONSTR_CHECK"}}]
        else:
            continue
        if any((c.get("Constraint") or {}).get("contype") in _CHECKED for c in cons or ()):
            out.setdefault(name_key(dotted_name(name), ctx.path_changes), earlier.stmt.line)
    return out


def check(ctx: StatementContext) -> Iterator[Hit]:
    i = ctx.info
    if i.kind != "alter_table" or ctx.is_new(alter_target(i)):
        return
    domains: dict[str, int] | None = None
    here: dict[str, list[Declared]] | None = None
    for col in column_defs(i):
        if here is None and any(True for _ in column_constraints(col, "CONSTR_DEFAULT")):
            here = declared_here(ctx)
        hit = rewrite(col, here)
        if hit is not None:
            yield hit_at(i, col.get("location"), hit)
            continue
        if domains is None:
            domains = _constrained_domains(ctx)
        typ = dotted_name((col.get("typeName") or {}).get("names"))
        line = domains.get(name_key(typ, ctx.path_changes)) if domains and typ else None
        if line is not None:
            by = f"line {line}" if line else "an earlier migration"
            yield hit_at(
                i,
                col.get("location"),
                Hit(
                    f"column {col.get('colname')} has domain {typ}, which {by} gave a "
                    "CHECK or NOT NULL: PostgreSQL rewrites the whole table to check every "
                    "row's value against it, under ACCESS EXCLUSIVE",
                    "add the column with the domain's base type and a CHECK (...) NOT VALID "
                    "table constraint, VALIDATE it in a later migration, or give the domain its "
                    "constraints only after the column exists (ALTER DOMAIN ... ADD CONSTRAINT "
                    "... NOT VALID)",
                ),
            )


RULE = Rule(
    "ban-volatile-default",
    "error",
    "warning",
    "no table rewrites from new column defaults",
    check,
    kinds=frozenset(("alter_table",)),
)
