"""ban-sequence-reset: a migration does not move a sequence (or an identity column) back.

``ALTER SEQUENCE ... RESTART``, an identity column's ``RESTART``, and ``setval()`` to a fixed
number hand out values that rows may already hold: the next inserts fail on the primary key,
or, where the old rows were deleted, new rows take ids that other tables, caches, URLs and
logs still use for the old ones. ``setval()`` to a value computed from the table (the usual
catch-up after a data load, ``setval('t_id_seq', (SELECT max(id) FROM t))``) is not reported.
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
    nodes,
    relation,
)

_HELP = (
    "only move a sequence forward, from the table's own values: "
    "SELECT setval('t_id_seq', (SELECT max(id) FROM t))"
)


def check(ctx: StatementContext) -> Iterator[Hit]:
    i = ctx.info
    if i.node == "AlterSeqStmt":
        name = relation(i.tree.get("sequence"))
        if ctx.made_earlier(name):
            return
        for _, opt in nodes(i.tree.get("options"), "DefElem"):
            if opt.get("defname") == "restart":
                yield hit_at(
                    i,
                    opt.get("location"),
                    Hit(
                        f"RESTART moves sequence {name} back: its next values may be ones rows "
                        "already hold",
                        _HELP,
                    ),
                )
    elif i.node == "AlterTableStmt":
        table = relation(i.tree.get("relation"))
        if ctx.is_new(table):
            return
        for cmd in alter_commands(i):
            if cmd.get("subtype") != "AT_SetIdentity":
                continue
            for _, opt in nodes(cmd.get("def"), "DefElem"):
                if opt.get("defname") == "restart":
                    yield hit_at(
                        i,
                        opt.get("location"),
                        Hit(
                            f"RESTART moves identity column {table}.{cmd.get('name')} back: its "
                            "next values may be ones rows already hold",
                            _HELP,
                        ),
                    )
    elif i.node == "SelectStmt":
        for _, call in i.find("FuncCall"):
            args = call.get("args") or []
            if function_name(call)[-1:] == ["setval"] and len(args) >= 2 and "A_Const" in args[1]:
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
