"""require-concurrent-index: CREATE INDEX, DROP INDEX and REINDEX block writes unless CONCURRENTLY."""

from __future__ import annotations

from collections.abc import Iterator

from reconciler.sql.rules.base import Hit, Rule, StatementContext, index_target


def check(ctx: StatementContext) -> Iterator[Hit]:
    i = ctx.info
    if i.concurrently:
        return
    if i.node == "IndexStmt" and not ctx.is_new(index_target(i)):
        yield Hit(
            "CREATE INDEX without CONCURRENTLY blocks writes to the table while it builds",
            "use CREATE INDEX CONCURRENTLY (the file then runs outside a transaction, resumably)",
        )
    elif i.node == "DropStmt" and i.tree.get("removeType") == "OBJECT_INDEX":
        yield Hit(
            "DROP INDEX without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the table",
            "use DROP INDEX CONCURRENTLY",
        )
    elif i.node == "ReindexStmt":
        yield Hit(
            "REINDEX without CONCURRENTLY blocks writes (and reads through the index)",
            "use REINDEX ... CONCURRENTLY",
        )


RULE = Rule(
    "require-concurrent-index",
    "error",
    "warning",
    "index builds, drops and rebuilds must be CONCURRENTLY",
    check,
    kinds=frozenset(("create_index", "drop", "reindex")),
)
