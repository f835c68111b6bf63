"""ban-drop-not-null: dropping NOT NULL lets NULLs into a column its readers trust to hold a value."""

from __future__ import annotations

from collections.abc import Iterator

from reconciler.sql.rules.base import Hit, Rule, StatementContext, command_at, not_null_changes

_HELP = (
    "deploy readers that handle NULL first, then drop the constraint in a later reviewed "
    "change; to stop requiring a value from writers only, give the column a DEFAULT instead"
)


def check(ctx: StatementContext) -> Iterator[Hit]:
    for what, name, cmd in not_null_changes(ctx, "N", "AT_DropNotNull"):
        where = f"domain {name} lets NULLs into every column of that type, which code reading them"
        if what == "column":
            where = f"column {name} lets NULLs in, which code reading the column"
        hit = Hit(f"DROP NOT NULL on {where} may not handle", _HELP)
        yield command_at(ctx.info, cmd, hit) if cmd is not None else hit


RULE = Rule(
    "ban-drop-not-null",
    "error",
    "warning",
    "no DROP NOT NULL on existing columns",
    check,
    kinds=frozenset(("alter_table", "alter_domain")),
)
