"""ban-transaction-control: BEGIN/COMMIT/ROLLBACK inside a file break the reconciler's own transaction."""

from __future__ import annotations

from collections.abc import Iterator

from reconciler.sql.rules.base import Hit, Rule, StatementContext

# transaction control that ends the transaction it runs in (COMMIT [AND CHAIN], END,
# ROLLBACK, ABORT, PREPARE TRANSACTION); BEGIN, SAVEPOINT, RELEASE and ROLLBACK TO stay in it
_ENDS = frozenset(("TRANS_STMT_COMMIT", "TRANS_STMT_ROLLBACK", "TRANS_STMT_PREPARE"))


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
        if ctx.info.tree.get("kind") in _ENDS and not ctx.file.source.no_transaction:
            # in a file run as one transaction, this ends that transaction before the file's
            # last statement and its history row: what ran before it stays (or is undone)
            # whatever the rest does, and the history records the file as applied or not
            # regardless. No ignore or policy can make that an apply of the file.
            yield Hit(
                f"{word} ends the transaction the file runs in, before its last statement and "
                "its history row: the file would be half-applied and its history wrong, so no "
                "ignore or policy can allow it in a file that runs in one transaction",
                "remove it: the file already runs in one transaction with its history row; "
                "for statement-by-statement control, make it a no-transaction file "
                "(`-- reconciler:no-transaction`)",
                fixed=True,
            )
            return
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
