"""ban-scan-under-lock: a long read or write of tables in use, in a transaction already holding
a lock that stops the application on another one (or on the same one, for a backfill).

A lock is held until commit: ``ALTER TABLE users ADD COLUMN a text`` takes ACCESS EXCLUSIVE for
a moment, but a ``VALIDATE CONSTRAINT`` of ``posts``, a backfill ``UPDATE`` or a
``CREATE TABLE ... AS SELECT`` later in the same file keeps ``users`` unreadable for as long as
that statement runs. (A VALIDATE under a lock on its own table is require-not-valid-constraint's.)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from reconciler.sql.classify import StatementInfo, always_true, nodes
from reconciler.sql.rules.base import (
    Hit,
    Rule,
    StatementContext,
    alter_commands,
    hit_at,
    locks_held,
    relation,
    same_table,
)

_HELP = (
    "give the long statement a migration of its own (its own transaction), or make this file "
    "`-- reconciler:no-transaction` so each statement commits and lets go of its lock at once"
)


_VALUES = ("A_Const", "ParamRef", "TypeCast", "SubLink", "A_ArrayExpr")


def _column_vs_value(expr: dict[str, Any]) -> bool:
    """``column = value``, ``column = ANY (...)`` or ``column IN (...)``, the value a
    constant, a parameter or a subquery: rows found by key."""
    a = expr.get("A_Expr")
    if a is None:
        return False
    left, right = a.get("lexpr") or {}, a.get("rexpr") or {}
    if a.get("kind") == "AEXPR_IN":
        return "ColumnRef" in left
    op = [(n.get("String") or {}).get("sval") for n in a.get("name") or ()]
    if a.get("kind") not in ("AEXPR_OP", "AEXPR_OP_ANY") or op[-1:] != ["="]:
        return False
    return any(
        "ColumnRef" in x and any(k in y for k in _VALUES) for x, y in ((left, right), (right, left))
    )


def _keyed(where: Any) -> bool:
    """A WHERE that picks rows by key (every branch of an OR, one term of an AND), so the
    statement is quick whatever the table's size."""
    if not isinstance(where, dict) or always_true(where):
        return False
    both = where.get("BoolExpr")
    if both is not None:
        args = both.get("args") or []
        if both.get("boolop") == "AND_EXPR":
            return any(_keyed(x) for x in args)
        if both.get("boolop") == "OR_EXPR":
            return bool(args) and all(_keyed(x) for x in args)
        return False
    return _column_vs_value(where)


def _from_tables(item: Any) -> Iterator[dict[str, Any]]:
    """The tables a FROM item names itself (through joins; a subquery is a query of its own)."""
    if "RangeVar" in item:
        yield item["RangeVar"]
    join = item.get("JoinExpr")
    if join is not None:
        for side in (join.get("larg"), join.get("rarg")):
            if isinstance(side, dict):
                yield from _from_tables(side)


def _read_tables(query: Any) -> list[tuple[str, int | None]]:
    """(table, location) of each table a query (and each query within it) reads in full: not
    by a SELECT whose WHERE picks rows by key, not the names a WITH defines, and not the
    system catalogs (small, and read by every migration)."""
    ctes = {str(c.get("ctename")) for _, c in nodes(query, "CommonTableExpr")}
    out = []
    for _, select in nodes(query, "SelectStmt"):
        if _keyed(select.get("whereClause")):
            continue
        for item in select.get("fromClause") or ():
            for rv in _from_tables(item):
                name = relation(rv)
                if (
                    name is None
                    or name in ctes
                    or rv.get("schemaname") in ("pg_catalog", "information_schema")
                    or str(rv.get("relname", "")).startswith("pg_")
                ):
                    continue
                out.append((name, rv.get("location")))
    return out


def _target(tree: dict[str, Any]) -> list[tuple[str, int | None]]:
    rel = tree.get("relation") or {}
    return [(n, rel.get("location")) for n in [relation(rel)] if n]


def _scans(info: StatementInfo) -> tuple[str, list[tuple[str, int | None]]]:
    """(what the statement does, the tables it reads or writes in full, with locations)."""
    t, node = info.tree, info.node
    if node in ("UpdateStmt", "DeleteStmt"):
        if _keyed(t.get("whereClause")):
            return "", []
        return ("UPDATE" if node == "UpdateStmt" else "DELETE"), _target(t)
    if node == "MergeStmt":
        return "MERGE", _target(t)
    if node == "InsertStmt" and t.get("selectStmt"):
        return "INSERT ... SELECT", _read_tables(t.get("selectStmt"))
    if node == "CreateTableAsStmt" and not (t.get("into") or {}).get("skipData"):
        what = "CREATE MATERIALIZED VIEW" if info.kind == "create_view" else "CREATE TABLE ... AS"
        return what, _read_tables(t.get("query"))
    if node == "SelectStmt" and t.get("intoClause"):
        return "SELECT ... INTO", _read_tables({"SelectStmt": t})
    if node == "CopyStmt" and not t.get("is_from"):
        if t.get("query"):
            return "COPY (query) TO", _read_tables(t.get("query"))
        return "COPY ... TO", _target(t)
    if node == "RefreshMatViewStmt":
        return "REFRESH MATERIALIZED VIEW", _target(t)
    if node == "AlterTableStmt" and any(
        c.get("subtype") == "AT_ValidateConstraint" for c in alter_commands(info)
    ):
        return "VALIDATE CONSTRAINT", _target(t)
    return "", []


def check(ctx: StatementContext) -> Iterator[Hit]:
    i = ctx.info
    if i.inside not in ("", "do"):
        return  # (a function's body runs later, not in the migration's transaction)
    what, tables = _scans(i)
    scanned = [(name, at) for name, at in tables if not ctx.is_new(name)]
    if not scanned:
        return
    held = [
        (earlier, locked, reads)
        for earlier in ctx.earlier_in_transaction()
        for locked, reads in locks_held(earlier)
        if not ctx.is_new(locked)
    ]
    if what == "VALIDATE CONSTRAINT" and any(same_table(t, scanned[0][0]) for _, t, _ in held):
        return  # require-not-valid-constraint's case (validate in a later migration fixes both)
    for earlier, locked, reads in held:
        same = any(same_table(locked, name) for name, _ in scanned)
        stopped = "reads and writes" if reads else "writes"
        target, at = scanned[0]
        yield hit_at(
            i,
            at,
            Hit(
                f"{what} goes through {target} while this transaction holds the lock line "
                f"{earlier.stmt.line} took on {locked}, which stops its {stopped} until "
                f"commit: {locked} waits for the whole {'backfill' if same else 'scan'}",
                _HELP,
            ),
        )
        return


RULE = Rule(
    "ban-scan-under-lock",
    "error",
    "warning",
    "no long read or write in a transaction already holding a lock on a table in use",
    check,
    kinds=frozenset(
        (
            "update",
            "delete",
            "merge",
            "insert",
            "create_table",
            "create_view",
            "select",
            "copy",
            "refresh_materialized_view",
            "alter_table",
            "validate_constraint",
        )
    ),
)
