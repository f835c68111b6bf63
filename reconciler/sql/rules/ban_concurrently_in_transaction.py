"""ban-concurrently-in-transaction: CONCURRENTLY where PostgreSQL refuses it: inside an explicit
transaction block or a routine, and CREATE INDEX CONCURRENTLY on a partitioned table."""

from __future__ import annotations

from collections.abc import Iterator

from reconciler.sql.rules.base import Hit, Rule, StatementContext, hit_at, relation


def check(ctx: StatementContext) -> Iterator[Hit]:
    if ctx.info.inside and (ctx.info.concurrently or ctx.info.kind == "vacuum"):
        what = "CONCURRENTLY" if ctx.info.concurrently else "VACUUM"
        yield Hit(
            f"{what} inside a DO block or routine fails: PostgreSQL refuses it in a function, "
            "which always runs inside a transaction",
            f"make it a statement of its own in the file: the reconciler runs files with {what} "
            "statement by statement",
        )
        return
    if not ctx.info.concurrently:
        return
    if ctx.info.node == "IndexStmt":
        rel = ctx.info.tree.get("relation") or {}
        table = relation(rel)
        made = ctx.earlier_on("CreateStmt", "relation", table)
        if made and made[-1].tree.get("partspec"):
            yield hit_at(
                ctx.info,
                rel.get("location"),
                Hit(
                    f"CREATE INDEX CONCURRENTLY on {table}, which line {made[-1].stmt.line} made "
                    "a partitioned table, fails: PostgreSQL cannot build an index on a "
                    "partitioned table concurrently",
                    f"on a table this file creates nobody waits: drop CONCURRENTLY; on a busy "
                    f"one, CREATE INDEX ... ON ONLY {table}, then CONCURRENTLY on each partition "
                    "and ALTER INDEX ... ATTACH PARTITION each",
                ),
            )
    open_tx = False
    for other in ctx.earlier("TransactionStmt", ""):  # ("": one the parser refused)
        if other.kind == "begin":
            open_tx = True
        elif other.kind in ("commit", "rollback"):
            open_tx = False
    if open_tx:
        yield Hit(
            "CONCURRENTLY inside BEGIN ... COMMIT fails: PostgreSQL refuses it in a transaction block",
            "remove BEGIN/COMMIT: the reconciler runs files with CONCURRENTLY statement by statement",
        )


RULE = Rule(
    "ban-concurrently-in-transaction",
    "error",
    "error",
    "no CONCURRENTLY where PostgreSQL refuses it",
    check,
)
