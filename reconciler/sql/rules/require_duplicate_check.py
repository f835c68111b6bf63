"""require-duplicate-check: a unique index or constraint on a table in use depends on its rows.

``CREATE UNIQUE INDEX`` (concurrently or not), ``ADD UNIQUE``, ``ADD PRIMARY KEY`` and
``ADD EXCLUDE`` on a table the file did not create fail when rows already break them, which
a development database with a few rows rarely shows and production's may: the migration then
fails where it passed before (a concurrent build also leaves an INVALID index behind, which
the resumed apply drops). The finding gives the query that finds such rows first.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from reconciler.sql.rules.base import (
    Hit,
    Rule,
    StatementContext,
    alter_commands,
    alter_target,
    command_at,
    index_target,
)

_CONSTRAINTS = {
    "CONSTR_UNIQUE": "UNIQUE",
    "CONSTR_PRIMARY": "PRIMARY KEY",
    "CONSTR_EXCLUSION": "EXCLUDE",
}


def _query(table: str, keys: list[str], where: str | None, nulls_distinct: bool) -> str:
    """SELECT the groups of rows that share ``keys`` (rows with a NULL key never clash
    unless NULLS NOT DISTINCT), within ``where`` (a partial index's predicate)."""
    filters = [f"{k} IS NOT NULL" for k in keys] if nulls_distinct else []
    if where:
        filters.append(f"({where})")
    cols = ", ".join(keys)
    return (
        f"SELECT {cols}, count(*) FROM {table}"
        + (f" WHERE {' AND '.join(filters)}" if filters else "")
        + f" GROUP BY {cols} HAVING count(*) > 1 LIMIT 10;"
    )


def _index_keys(text: str) -> tuple[list[str], str | None] | None:
    """The key columns or expressions of a CREATE UNIQUE INDEX as SQL, and its WHERE; None
    when they cannot be written back."""
    try:
        from pglast import parser
        from pglast.stream import RawStream

        stmt: Any = parser.parse_sql(text)[0].stmt
        keys = []
        for elem in stmt.indexParams or ():
            if elem.name:
                keys.append(str(RawStream()(_column_ref(elem.name))))
            else:
                keys.append(f"({RawStream()(elem.expr)})")
        where = str(RawStream()(stmt.whereClause)) if stmt.whereClause is not None else None
        return keys, where
    except Exception:  # the finding stands without its query
        return None


def _column_ref(name: str) -> Any:
    from pglast import ast

    return ast.ColumnRef(fields=(ast.String(sval=name),))


def _help(query: str | None, what: str) -> str:
    look = f"look first: {query} " if query else "look for such rows first; "
    return (
        f"{look}remove or merge them in a DATA migration that runs before this one; when "
        f"production has none, say so: `-- reconciler:ignore require-duplicate-check -- {what}`"
    )


def check(ctx: StatementContext) -> Iterator[Hit]:
    i = ctx.info
    if i.node == "IndexStmt" and i.tree.get("unique"):
        table = index_target(i)
        if table is None or ctx.is_new(table):
            return
        read = _index_keys(i.stmt.text)
        query = (
            _query(table, read[0], read[1], not i.tree.get("nulls_not_distinct")) if read else None
        )
        shared = ", ".join(read[0]) if read else "its key"
        if read and not (len(read[0]) == 1 and shared.startswith("(")):
            shared = f"({shared})"
        later = " (and a concurrent build leaves an INVALID index behind)" if i.concurrently else ""
        yield Hit(
            f"a unique index on {table}, a table in use, fails if two rows there already share "
            f"{shared}{later}",
            _help(query, "checked: no duplicates in production"),
        )
        return
    table = alter_target(i) if i.node == "AlterTableStmt" else None
    if table is None or ctx.is_new(table):
        return
    for cmd in alter_commands(i):
        con = (cmd.get("def") or {}).get("Constraint") or {}
        kind = _CONSTRAINTS.get(str(con.get("contype")))
        if cmd.get("subtype") != "AT_AddConstraint" or kind is None or con.get("indexname"):
            continue  # (USING INDEX: the index was built, and checked, before)
        keys = [str(k.get("String", {}).get("sval")) for k in con.get("keys") or ()]
        if kind == "EXCLUDE" or not keys:
            clash, query = "conflict", None
        else:
            clash = f"share ({', '.join(keys)})"
            query = _query(
                table, keys, None, kind == "UNIQUE" and not con.get("nulls_not_distinct")
            )
            if kind == "PRIMARY KEY":  # (its columns become NOT NULL too)
                clash += f" or one has no {', '.join(keys)}"
                nulls = " OR ".join(f"{k} IS NULL" for k in keys)
                query += f" SELECT count(*) FROM {table} WHERE {nulls};"
        yield command_at(
            i,
            cmd,
            Hit(
                f"ADD {kind} on {table}, a table in use, fails if rows there already {clash}",
                _help(query, "checked: production's rows satisfy it"),
            ),
        )


RULE = Rule(
    "require-duplicate-check",
    "warning",
    "warning",
    "a unique index or constraint on a table in use may fail on rows already there",
    check,
    kinds=frozenset(("create_index", "alter_table")),
)
