"""require-concurrent-index: CREATE INDEX, DROP INDEX and REINDEX block writes unless CONCURRENTLY."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from reconciler.sql.rules.base import Hit, Rule, StatementContext, index_target, rewritten

_OUTSIDE = " (the file then runs outside a transaction, resumably)"


def _concurrent(stmt: Any) -> None:
    stmt.concurrent = True


def _reindex_concurrently(stmt: Any) -> None:
    from pglast import ast

    stmt.params = (ast.DefElem(defname="concurrently"), *(stmt.params or ()))


def _help(ctx: StatementContext, change: Any, generic: str) -> str:
    safe = rewritten(ctx.info, change)
    if safe and ctx.info.inside:  # a DO block runs in one transaction, which CONCURRENTLY refuses
        return f"move it out of the DO block and write it as: {safe};{_OUTSIDE}"
    return f"write it as: {safe};{_OUTSIDE}" if safe else generic + _OUTSIDE


def check(ctx: StatementContext) -> Iterator[Hit]:
    i = ctx.info
    if i.concurrently:
        return
    if i.node == "IndexStmt" and not ctx.is_new(index_target(i)):
        yield Hit(
            "CREATE INDEX without CONCURRENTLY blocks writes to the table while it builds",
            _help(ctx, _concurrent, "use CREATE INDEX CONCURRENTLY"),
        )
    elif i.node == "DropStmt" and i.tree.get("removeType") == "OBJECT_INDEX":
        yield Hit(
            "DROP INDEX without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the table",
            _help(ctx, _concurrent, "use DROP INDEX CONCURRENTLY"),
        )
    elif i.node == "ReindexStmt":
        yield Hit(
            "REINDEX without CONCURRENTLY blocks writes (and reads through the index)",
            _help(ctx, _reindex_concurrently, "use REINDEX (CONCURRENTLY) ..."),
        )


RULE = Rule(
    "require-concurrent-index",
    "error",
    "warning",
    "index builds, drops and rebuilds must be CONCURRENTLY",
    check,
    kinds=frozenset(("create_index", "drop", "reindex")),
)
