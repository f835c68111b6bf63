"""ban-transaction-control: BEGIN/COMMIT/ROLLBACK inside a file break the reconciler's own transaction."""

from __future__ import annotations

from collections.abc import Iterator

from reconciler.sql.rules.base import Hit, Rule, StatementContext


def check(ctx: StatementContext) -> Iterator[Hit]:
    if ctx.info.kind == "do":
        for what, line in ctx.info.inner:
            if what.startswith("transaction:"):
                word = what.split(":", 1)[1].upper()
                yield Hit(
                    f"{word} inside a DO block: PostgreSQL refuses it inside the transaction "
                    "the reconciler runs every statement in (invalid transaction termination)",
                    "remove it; split a long backfill into several migrations, each in its own "
                    "transaction, or run it by hand",
                    line,
                )
        return
    if ctx.info.node == "TransactionStmt":
        word = ctx.info.stmt.code.split()[0].upper()
        yield Hit(
            f"{word} in a migration breaks the all-or-nothing apply of the file",
            "remove it: each file already runs in one transaction with its history row "
            "(or statement by statement when it holds CONCURRENTLY)",
        )


RULE = Rule(
    "ban-transaction-control",
    "error",
    "error",
    "no BEGIN/COMMIT/ROLLBACK in migration files",
    check,
    kinds=frozenset(("begin", "commit", "rollback", "savepoint", "prepare_transaction", "do")),
)
