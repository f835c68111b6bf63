"""ban-truncate: TRUNCATE empties tables (and with CASCADE, every table referencing them)."""

from __future__ import annotations

from collections.abc import Iterator

from reconciler.sql.rules.base import Hit, Rule, StatementContext, spelled, truncates_only_new

_HELP = "never empty tables from a migration; if the data must go, do it by hand after a backup"


def check(ctx: StatementContext) -> Iterator[Hit]:
    i = ctx.info
    if i.node == "TruncateStmt":
        cascade = i.tree.get("behavior") == "DROP_CASCADE"
        if truncates_only_new(ctx):
            return  # only tables this file made (no CASCADE to reach others): nothing to lose
        extra = " and every table that references it (CASCADE)" if cascade else ""
        yield Hit(f"TRUNCATE removes every row of the table{extra}", _HELP)
    for what, line in i.inner:
        if what == "truncate":
            yield Hit(f"TRUNCATE inside a {spelled(i.kind)} body", _HELP, line)


RULE = Rule(
    "ban-truncate",
    "error",
    "warning",
    "no TRUNCATE",
    check,
    kinds=frozenset(("truncate", "create_function")),
)
