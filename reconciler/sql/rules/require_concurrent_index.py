"""require-concurrent-index: CREATE INDEX, DROP INDEX and REINDEX block writes unless CONCURRENTLY."""

from __future__ import annotations

from collections.abc import Iterator

from reconciler.sql.rules.base import Hit, Rule, StatementContext, index_target, with_word_after

_OUTSIDE = " (the file then runs outside a transaction, resumably)"
_INDEX = frozenset({"INDEX"})
_REINDEXED = frozenset({"INDEX", "TABLE", "SCHEMA", "DATABASE", "SYSTEM_P"})


def _help(ctx: StatementContext, after: frozenset[str], generic: str) -> str:
    safe = with_word_after(ctx.info, after, "CONCURRENTLY")
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
            _help(ctx, _INDEX, "use CREATE INDEX CONCURRENTLY"),
        )
    elif i.node == "DropStmt" and i.tree.get("removeType") == "OBJECT_INDEX":
        yield Hit(
            "DROP INDEX without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the table",
            _help(ctx, _INDEX, "use DROP INDEX CONCURRENTLY"),
        )
    elif i.node == "ReindexStmt":
        yield Hit(
            "REINDEX without CONCURRENTLY blocks writes (and reads through the index)",
            _help(ctx, _REINDEXED, "use REINDEX ... CONCURRENTLY"),
        )


RULE = Rule(
    "require-concurrent-index",
    "error",
    "warning",
    "index builds, drops and rebuilds must be CONCURRENTLY",
    check,
    kinds=frozenset(("create_index", "drop", "reindex")),
)
