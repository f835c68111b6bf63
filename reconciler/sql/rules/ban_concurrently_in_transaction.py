"""ban-concurrently-in-transaction: CONCURRENTLY cannot run inside an explicit transaction block."""

from __future__ import annotations

from collections.abc import Iterator

from reconciler.sql.rules.base import Hit, Rule, StatementContext


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
    "no CONCURRENTLY inside a transaction block",
    check,
)
