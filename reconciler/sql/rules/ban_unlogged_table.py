"""ban-unlogged-table: tables keep their rows through a restart and in backups.

An UNLOGGED table skips the write-ahead log: PostgreSQL empties it after a crash and never
replicates it. On Neon its pages live on the compute's local disk, not in Neon's storage: a
compute restart or a scale-to-zero suspend empties it, and a branch (the reconciler's backup
before a production change, or a preview branch) does not contain its rows.
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
    relation,
)

_HELP = (
    "use an ordinary (logged) table; for a cache whose loss is harmless, keep it outside the "
    "migrated schema or ignore this rule with that as the reason"
)
_WHY = (
    "its rows are lost on a crash and, on Neon, on every compute restart or scale-to-zero "
    "suspend, and no branch or backup contains them"
)


def check(ctx: StatementContext) -> Iterator[Hit]:
    i = ctx.info
    t = i.tree
    rel = None
    if i.node == "CreateStmt":
        rel = t.get("relation")
    elif i.node == "CreateTableAsStmt" and t.get("objtype") == "OBJECT_TABLE":
        rel = (t.get("into") or {}).get("rel")
    elif i.node == "SelectStmt":
        rel = (t.get("intoClause") or {}).get("rel")
    if rel and rel.get("relpersistence") == "u":
        yield hit_at(i, rel.get("location"), Hit(f"UNLOGGED table {relation(rel)}: {_WHY}", _HELP))
    for cmd in alter_commands(i):
        if cmd.get("subtype") == "AT_SetUnLogged":
            yield command_at(
                i, cmd, Hit(f"SET UNLOGGED on {relation(t.get('relation'))}: {_WHY}", _HELP)
            )


RULE = Rule(
    "ban-unlogged-table",
    "error",
    "warning",
    "no UNLOGGED tables: Neon empties them on every compute restart",
    check,
    kinds=frozenset(("create_table", "alter_table", "select")),
)
