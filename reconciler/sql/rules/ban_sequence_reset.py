"""ban-sequence-reset: a migration does not move a sequence (or an identity column) back.

``ALTER SEQUENCE ... RESTART``, an identity column's ``RESTART``, and ``setval()`` to a fixed
number hand out values that rows may already hold: the next inserts fail on the primary key,
or, where the old rows were deleted, new rows take ids that other tables, caches, URLs and
logs still use for the old ones. ``setval()`` to a value computed from the table (the usual
catch-up after a data load, ``setval('t_id_seq', (SELECT max(id) FROM t))``) is not reported,
nor one of a sequence the same file made (pg_dump's ``setval`` after its CREATE SEQUENCE, or of
a serial or identity column of a table it created).
An identity added to a column of an existing table starts at 1 (its rows keep their values),
unless it says where to start or the file moves it on with ``setval()`` afterwards. Also
reported on an existing sequence or identity: ``CYCLE`` (it starts again from its minimum, through
values rows hold), a negative ``INCREMENT``, and a cap (``MAXVALUE n``, ``AS smallint|integer``)
past which every insert fails.
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
    made_here,
    new_sequence,
    nodes,
    relation,
)

_HELP = (
    "only move a sequence forward, from the table's own values: "
    "SELECT setval('t_id_seq', (SELECT max(id) FROM t))"
)


_NARROW = {"int2": "smallint", "int4": "integer"}


def _moved_or_capped(ctx: StatementContext, options: object, what: str) -> Iterator[Hit]:
    for _, opt in nodes(options, "DefElem"):
        name, arg = opt.get("defname"), opt.get("arg") or {}
        message = None
        if name == "restart":
            message = f"RESTART moves {what} back: its next values may be ones rows already hold"
        elif name == "cycle" and (arg.get("Boolean") or {}).get("boolval"):
            message = (
                f"CYCLE makes {what} start again from its minimum once it reaches its maximum: "
                "it then hands out values rows already hold"
            )
        elif name == "increment" and int((arg.get("Integer") or {}).get("ival", 1)) < 0:
            message = f"a negative INCREMENT makes {what} count down, through values rows hold"
        elif name == "maxvalue" and arg:
            message = (
                f"MAXVALUE caps {what}: once reached (or if it already is), every insert that "
                "takes its next value fails"
            )
        elif name == "as":
            typ = [s.get("sval") for _, s in nodes(arg.get("TypeName", {}).get("names"), "String")]
            if typ and typ[-1] in _NARROW:
                message = (
                    f"AS {_NARROW[str(typ[-1])]} caps {what} at that type's maximum: once "
                    "reached, every insert that takes its next value fails"
                )
        if message is not None:
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
        if not made_here(ctx, "OBJECT_SEQUENCE", name):
            yield from _moved_or_capped(ctx, i.tree.get("options"), f"sequence {name}")
    elif i.node == "AlterTableStmt":
        table = relation(i.tree.get("relation"))
        if ctx.is_new(table):
            return
        for cmd in alter_commands(i):
            if cmd.get("subtype") == "AT_SetIdentity":
                what = f"identity column {table}.{cmd.get('name')}"
                yield from _moved_or_capped(ctx, cmd.get("def"), what)
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
    "no sequence or identity moved back, cycled or capped",
    check,
    kinds=frozenset(("alter_sequence", "alter_table", "select")),
)
