"""ban-drop-not-null: dropping NOT NULL lets NULLs into a column its readers trust to hold a value."""

from __future__ import annotations

from collections.abc import Iterator

from reconciler.sql.rules.base import (
    Hit,
    Rule,
    StatementContext,
    alter_commands,
    alter_target,
    domain_target,
)

_HELP = (
    "deploy readers that handle NULL first, then drop the constraint in a later reviewed "
    "change; to stop requiring a value from writers only, give the column a DEFAULT instead"
)


def check(ctx: StatementContext) -> Iterator[Hit]:
    i = ctx.info
    domain = domain_target(ctx)
    if domain is not None and i.tree.get("subtype") == "N":
        yield Hit(
            f"DROP NOT NULL on domain {domain} lets NULLs into every column of that type, which "
            "code reading them may not handle",
            _HELP,
        )
        return
    if i.kind != "alter_table" or ctx.is_new(alter_target(i)):
        return
    for cmd in alter_commands(i):
        if cmd.get("subtype") == "AT_DropNotNull":
            yield Hit(
                f"DROP NOT NULL on column {cmd.get('name')} lets NULLs in, which code reading the "
                "column may not handle",
                _HELP,
            )


RULE = Rule(
    "ban-drop-not-null",
    "error",
    "warning",
    "no DROP NOT NULL on existing columns",
    check,
    kinds=frozenset(("alter_table", "alter_domain")),
)
