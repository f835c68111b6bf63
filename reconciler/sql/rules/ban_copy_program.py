"""ban-copy-program: COPY ... PROGRAM runs a shell command on the database server; COPY with a file path reads or writes server files."""

from __future__ import annotations

from collections.abc import Iterator

from reconciler.sql.rules.base import Hit, Rule, StatementContext


def check(ctx: StatementContext) -> Iterator[Hit]:
    i = ctx.info
    if i.node != "CopyStmt":
        return
    if i.tree.get("is_program"):
        yield Hit(
            "COPY ... PROGRAM runs a shell command on the database server",
            "load data with INSERT ... ON CONFLICT, or COPY FROM STDIN from a client",
        )
    elif i.tree.get("filename"):
        yield Hit(
            "COPY with a file path reads or writes files on the database server",
            "use COPY FROM STDIN / TO STDOUT from a client",
        )


RULE = Rule(
    "ban-copy-program",
    "error",
    "error",
    "no COPY PROGRAM or server-side file COPY",
    check,
    kinds=frozenset(("copy",)),
)
