"""ban-set-not-null: SET NOT NULL scans the whole table under ACCESS EXCLUSIVE (on a domain:
every table with a column of that type).

PostgreSQL 12+ skips the scan when a validated CHECK constraint proves the column holds no
NULL; when this file adds such a check and validates it before the SET NOT NULL (a
no-transaction file doing the three steps), or earlier migrations of the history did
(reconciler.sql.proofs), the SET NOT NULL is not reported. An add or
validate that itself holds a lock through a scan is reported by require-not-valid-constraint.
"""

from __future__ import annotations

from collections.abc import Iterator

from reconciler.sql.rules.base import (
    Hit,
    Rule,
    StatementContext,
    alter_commands,
    command_at,
    hit_at,
    not_null_changes,
    proven_not_null,
    relation,
)


def _primary_key_using_index(ctx: StatementContext) -> Iterator[Hit]:
    """ADD PRIMARY KEY USING INDEX sets NOT NULL on the index's columns (PostgreSQL's
    documentation: a full table scan for each that is not NOT NULL already)."""
    i = ctx.info
    if i.node != "AlterTableStmt" or ctx.is_new(relation(i.tree.get("relation"))):
        return
    for cmd in alter_commands(i):
        con = (cmd.get("def") or {}).get("Constraint") or {}
        if con.get("contype") == "CONSTR_PRIMARY" and con.get("indexname"):
            yield hit_at(
                i,
                con.get("location"),
                Hit(
                    f"PRIMARY KEY USING INDEX {con['indexname']} sets NOT NULL on the index's "
                    "columns: each that is not NOT NULL already is scanned while the table is "
                    "held under ACCESS EXCLUSIVE (the checker cannot see earlier migrations)",
                    "make the columns NOT NULL first (a CHECK (col IS NOT NULL) NOT VALID, "
                    "validated, then SET NOT NULL); if they already are, ignore this rule here "
                    "with that as the reason",
                ),
            )


def check(ctx: StatementContext) -> Iterator[Hit]:
    yield from _primary_key_using_index(ctx)
    proven: set[str] | None = None
    for what, name, cmd in not_null_changes(ctx, "O", "AT_SetNotNull"):
        if what == "domain":
            yield Hit(
                f"ALTER DOMAIN {name} SET NOT NULL scans every column of type {name}, in every "
                "table, while blocking writes to those tables",
                "give the columns table constraints instead: ADD CONSTRAINT c CHECK (col IS NOT "
                "NULL) NOT VALID, VALIDATE it in a later migration, then SET NOT NULL on the column",
            )
            continue
        if proven is None:
            proven = proven_not_null(ctx)
        if name not in proven and cmd is not None:
            yield command_at(
                ctx.info,
                cmd,
                Hit(
                    f"SET NOT NULL on column {name} scans every row while holding ACCESS EXCLUSIVE",
                    f"ADD CONSTRAINT c CHECK ({name} IS NOT NULL) NOT VALID; VALIDATE CONSTRAINT c "
                    "in a later migration; then SET NOT NULL in a third (or all three in one "
                    "-- reconciler:no-transaction file), which PostgreSQL 12+ proves from the "
                    "validated check without a scan",
                ),
            )


RULE = Rule(
    "ban-set-not-null",
    "error",
    "warning",
    "no SET NOT NULL on existing tables",
    check,
    kinds=frozenset(("alter_table", "alter_domain", "add_constraint_using_index")),
)
