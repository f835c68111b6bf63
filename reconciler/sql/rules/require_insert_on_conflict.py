"""require-insert-on-conflict: in strict environments an INSERT must be idempotent."""

from __future__ import annotations

from collections.abc import Iterator

from reconciler.sql.rules.base import Hit, Rule, StatementContext, relation


def check(ctx: StatementContext) -> Iterator[Hit]:
    i = ctx.info
    if i.node != "InsertStmt" or i.tree.get("onConflictClause"):
        return
    if ctx.is_new(relation(i.tree.get("relation"))):
        return
    yield Hit(
        "INSERT without ON CONFLICT fails (or duplicates) when the row already exists",
        "add ON CONFLICT DO NOTHING (or ON CONFLICT (key) DO NOTHING)",
    )


RULE = Rule(
    "require-insert-on-conflict",
    "error",
    None,
    "inserts are idempotent in strict environments",
    check,
    kinds=frozenset(("insert",)),
)
