"""ban-set-not-null: SET NOT NULL scans the whole table under ACCESS EXCLUSIVE (on a domain:
every table with a column of that type)."""

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


def check(ctx: StatementContext) -> Iterator[Hit]:
    i = ctx.info
    domain = domain_target(ctx)
    if domain is not None and i.tree.get("subtype") == "O":
        yield Hit(
            f"ALTER DOMAIN {domain} SET NOT NULL scans every column of type {domain}, in every "
            "table, while blocking writes to those tables",
            "give the columns table constraints instead: ADD CONSTRAINT c CHECK (col IS NOT NULL) "
            "NOT VALID, VALIDATE it in a later migration, then SET NOT NULL on the column",
        )
        return
    if i.kind != "alter_table" or ctx.is_new(alter_target(i)):
        return
    for cmd in alter_commands(i):
        if cmd.get("subtype") == "AT_SetNotNull":
            yield Hit(
                f"SET NOT NULL on column {cmd.get('name')} scans every row while holding ACCESS EXCLUSIVE",
                "ADD CONSTRAINT c CHECK (col IS NOT NULL) NOT VALID; in a later migration VALIDATE "
                "CONSTRAINT c, then SET NOT NULL (PostgreSQL 12+ uses the validated check and skips "
                "the scan)",
            )


RULE = Rule(
    "ban-set-not-null",
    "error",
    "warning",
    "no SET NOT NULL on existing tables",
    check,
    kinds=frozenset(("alter_table", "alter_domain")),
)
