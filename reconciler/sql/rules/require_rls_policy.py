"""require-rls-policy: row-level security is not switched on for a table in use without a policy.

With row-level security enabled and no policy, PostgreSQL shows no row to any role but the
table's owner (and roles with BYPASSRLS), and refuses their writes: the application, reading
through its own role, finds the table empty from the moment the migration commits. A
``FORCE ROW LEVEL SECURITY`` does the same to the owner. A table the same file made has no
readers yet (a table only the owner and service roles use is a fair design there).
"""

from __future__ import annotations

from collections.abc import Iterator

from reconciler.sql.rules.base import (
    Hit,
    Rule,
    StatementContext,
    alter_commands,
    hit_at,
    relation,
    same_table,
)

_TURNED_ON = {
    "AT_EnableRowSecurity": "ENABLE ROW LEVEL SECURITY",
    "AT_ForceRowSecurity": "FORCE ROW LEVEL SECURITY",
}


def check(ctx: StatementContext) -> Iterator[Hit]:
    i = ctx.info
    table = relation(i.tree.get("relation"))
    if i.node != "AlterTableStmt" or ctx.is_new(table):
        return
    for cmd in alter_commands(i):
        turned_on = _TURNED_ON.get(str(cmd.get("subtype")))
        if turned_on is None:
            continue
        if any(
            info.node == "CreatePolicyStmt" and same_table(relation(info.tree.get("table")), table)
            for info in ctx.file.infos
        ):
            return
        yield hit_at(
            i,
            (i.tree.get("relation") or {}).get("location"),
            Hit(
                f"{turned_on} on {table} with no policy for it in this file: every role but "
                "its owner (and BYPASSRLS roles) then sees no row and cannot write one",
                f"create the policies the application needs (CREATE POLICY ... ON {table}) in "
                "the same file; if an earlier migration made them, say so in an ignore",
            ),
        )
        return


RULE = Rule(
    "require-rls-policy",
    "error",
    "warning",
    "row-level security is not switched on for a table in use without a policy",
    check,
    kinds=frozenset(("alter_table",)),
)
