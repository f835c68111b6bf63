"""ban-set-not-null: SET NOT NULL scans the whole table under ACCESS EXCLUSIVE (on a domain:
every table with a column of that type)."""

from __future__ import annotations

from collections.abc import Iterator

from reconciler.sql.rules.base import Hit, Rule, StatementContext, not_null_changes


def check(ctx: StatementContext) -> Iterator[Hit]:
    for what, name in not_null_changes(ctx, "O", "AT_SetNotNull"):
        if what == "domain":
            yield Hit(
                f"ALTER DOMAIN {name} SET NOT NULL scans every column of type {name}, in every "
                "table, while blocking writes to those tables",
                "give the columns table constraints instead: ADD CONSTRAINT c CHECK (col IS NOT "
                "NULL) NOT VALID, VALIDATE it in a later migration, then SET NOT NULL on the column",
            )
        else:
            yield Hit(
                f"SET NOT NULL on column {name} scans every row while holding ACCESS EXCLUSIVE",
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
