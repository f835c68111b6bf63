"""ban-disabled-triggers: a migration does not leave triggers or foreign-key checks switched off.

``DISABLE TRIGGER ALL`` also switches off the internal triggers that enforce foreign keys:
rows written while they are off are never checked, and enabling them again does not check
them. ``SET session_replication_role = replica`` does the same for every table the session
writes. A user trigger disabled and not enabled again in the same transaction stays off
after the migration: the audit rows, denormalised columns or guards it kept are silently no
longer kept (in a file run outside a transaction, other sessions write past it even when a
later statement enables it).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from reconciler.sql.classify import StatementInfo, function_name
from reconciler.sql.rules.base import Hit, Rule, StatementContext, alter_commands, relation

_ENABLES = {"AT_EnableTrig", "AT_EnableAlwaysTrig", "AT_EnableReplicaTrig"}
_ENABLES_ALL = {"AT_EnableTrigAll", "AT_EnableTrigUser"}


def _replication_role(info: StatementInfo) -> Any:
    """The location of a SET of session_replication_role to replica or local, or None."""
    t = info.tree
    if info.node == "VariableSetStmt" and t.get("name") == "session_replication_role":
        if t.get("kind") != "VAR_SET_VALUE":
            return None
        args = t.get("args") or []
        const = (args[0].get("A_Const") or {}) if args else {}
        value = str((const.get("sval") or {}).get("sval", "")).lower()
        return const.get("location", -1) if value != "origin" else None
    if info.node == "SelectStmt":
        for _, call in info.find("FuncCall"):
            args = [a.get("A_Const") or {} for a in call.get("args") or ()]
            if function_name(call)[-1:] != ["set_config"] or len(args) < 2:
                continue
            setting = str((args[0].get("sval") or {}).get("sval", "")).lower()
            given = str((args[1].get("sval") or {}).get("sval")).lower()
            if setting == "session_replication_role" and given != "origin":
                return call.get("location", -1)
    return None


def _later(ctx: StatementContext) -> Iterator[StatementInfo]:
    """The statements after this one in the file, DO blocks' statements included."""
    me = ctx.info
    seen = False
    for info in ctx.file.infos:
        for one in (info, *info.children):
            if seen:
                yield one
            elif one is me:
                seen = True


def _enabled_later(ctx: StatementContext, table: str | None, trigger: str | None) -> bool:
    for info in _later(ctx):
        if info.node != "AlterTableStmt" or relation(info.tree.get("relation")) != table:
            continue
        for cmd in alter_commands(info):
            sub = cmd.get("subtype")
            if sub in _ENABLES_ALL or (sub in _ENABLES and trigger and cmd.get("name") == trigger):
                return True
    return False


def check(ctx: StatementContext) -> Iterator[Hit]:
    i = ctx.info
    where = _replication_role(i)
    if where is not None:
        yield Hit(
            "session_replication_role set to replica: every row this migration writes skips "
            "the tables' triggers and foreign-key checks, and nothing checks them afterwards",
            "write the rows in an order the foreign keys accept, or add the constraint NOT "
            "VALID and VALIDATE it after the data is in; disable one named trigger and enable "
            "it again in the same file if a trigger must not fire",
            *(i.at(where) or (None, None)),
        )
        return
    if i.node != "AlterTableStmt":
        return
    table = relation(i.tree.get("relation"))
    for cmd in alter_commands(i):
        sub = cmd.get("subtype")
        if sub == "AT_DisableTrigAll":
            yield Hit(
                f"DISABLE TRIGGER ALL on {table} also switches off its foreign-key checks: "
                "rows written meanwhile are never checked, enabling them again does not check "
                "them",
                "disable only the named trigger that must not fire (DISABLE TRIGGER name), and "
                "enable it again in the same file",
            )
        elif sub in ("AT_DisableTrig", "AT_DisableTrigUser"):
            name = cmd.get("name")
            what = f"trigger {name}" if name else "the user triggers"
            if ctx.file.source.no_transaction:
                yield Hit(
                    f"{what} on {table} disabled in a file run outside a transaction: other "
                    "sessions write past it until it is enabled again",
                    "disable and enable it in a migration that runs in one transaction (its "
                    "lock keeps other writers out until it is enabled again)",
                )
            elif not _enabled_later(ctx, table, name):
                yield Hit(
                    f"{what} on {table} stays disabled after this migration: what it keeps "
                    "(audit rows, derived columns, guards) silently stops being kept",
                    "enable it again later in the same file (ALTER TABLE ... ENABLE TRIGGER), "
                    "or drop it if it is no longer wanted",
                )


RULE = Rule(
    "ban-disabled-triggers",
    "error",
    "warning",
    "no triggers or foreign-key checks left switched off",
    check,
    kinds=frozenset(("alter_table", "set", "select")),
)
