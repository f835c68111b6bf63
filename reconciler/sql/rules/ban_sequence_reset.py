"""ban-sequence-reset: a migration does not move a sequence (or an identity column) back.

``ALTER SEQUENCE ... RESTART``, an identity column's ``RESTART``, and ``setval()`` to a fixed
number hand out values that rows may already hold: the next inserts fail on the primary key,
or, where the old rows were deleted, new rows take ids that other tables, caches, URLs and
logs still use for the old ones. ``setval()`` to a value computed from the table (the usual
catch-up after a data load, ``setval('t_id_seq', (SELECT max(id) FROM t))``) is not reported,
nor one of a sequence the same file made (pg_dump's ``setval`` after its CREATE SEQUENCE, or of
a serial or identity column of a table it created).
An identity added to a column of an existing table starts at 1 (its rows keep their values),
unless it says where to start or the file moves it on with ``setval()`` afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator

from reconciler.sql.classify import function_name
from reconciler.sql.rules.base import (
    Hit,
    Rule,
    StatementContext,
    alter_commands,
    hit_at,
    new_sequence,
    nodes,
    relation,
)

_HELP = (
    "only move a sequence forward, from the table's own values: "
    "SELECT setval('t_id_seq', (SELECT max(id) FROM t))"
)


def _restart(ctx: StatementContext, options: object, what: str) -> Iterator[Hit]:
    for _, opt in nodes(options, "DefElem"):
        if opt.get("defname") == "restart":
            message = f"RESTART moves {what} back: its next values may be ones rows already hold"
            yield hit_at(ctx.info, opt.get("location"), Hit(message, _HELP))


def _starts_or_catches_up(ctx: StatementContext, cmd: dict[str, object]) -> bool:
    """An added identity given its START, or a setval() later in the file (the catch-up)."""
    if any(o.get("defname") == "start" for _, o in nodes(cmd.get("def"), "DefElem")):
        return True
    later = False
    for info in ctx.file.infos:
        if later and any(function_name(c)[-1:] == ["setval"] for _, c in info.find("FuncCall")):
            return True
        later = later or info is ctx.info
    return False


def check(ctx: StatementContext) -> Iterator[Hit]:
    i = ctx.info
    if i.node == "AlterSeqStmt":
        name = relation(i.tree.get("sequence"))
        if not ctx.made_earlier(name):
            yield from _restart(ctx, i.tree.get("options"), f"sequence {name}")
    elif i.node == "AlterTableStmt":
        table = relation(i.tree.get("relation"))
        if ctx.is_new(table):
            return
        for cmd in alter_commands(i):
            if cmd.get("subtype") == "AT_SetIdentity":
                what = f"identity column {table}.{cmd.get('name')}"
                yield from _restart(ctx, cmd.get("def"), what)
            elif cmd.get("subtype") == "AT_AddIdentity" and not _starts_or_catches_up(ctx, cmd):
                yield Hit(
                    f"the identity added to {table}.{cmd.get('name')} starts at 1, whatever "
                    "values its rows hold: the next inserts without one take values rows "
                    "already have",
                    "say where it starts (ADD GENERATED ... AS IDENTITY (START WITH n), above "
                    "the column's largest value), or move it on in the same file: "
                    f"SELECT setval(pg_get_serial_sequence('{table}', '{cmd.get('name')}'), "
                    f"(SELECT max({cmd.get('name')}) FROM {table}))",
                )
    elif i.node == "SelectStmt":
        for _, call in i.find("FuncCall"):
            args = call.get("args") or []
            if (
                function_name(call)[-1:] == ["setval"]
                and len(args) >= 2
                and "A_Const" in args[1]
                and not new_sequence(ctx, args[0])
            ):
                yield hit_at(
                    i,
                    call.get("location"),
                    Hit(
                        "setval() to a fixed number: rows may already hold the values after it",
                        _HELP,
                    ),
                )


RULE = Rule(
    "ban-sequence-reset",
    "error",
    "warning",
    "no sequence or identity moved back to a fixed value",
    check,
    kinds=frozenset(("alter_sequence", "alter_table", "select")),
)
