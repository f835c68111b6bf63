"""Which statements change only the catalog (no rewrite, no scan of the table's rows).

PostgreSQL (11 and later) takes ACCESS EXCLUSIVE for these too, but holds it only for the
catalog update: adding a column without a default or with a constant one, setting or dropping
a default, dropping NOT NULL, adding a CHECK or foreign key NOT VALID. Bounded by
``lock_timeout``, such a lock is brief; ``check --trace`` tells it from a dangerous one.
"""

from __future__ import annotations

from typing import Any

from reconciler.sql.classify import StatementInfo
from reconciler.sql.rules.ban_volatile_default import rewrite
from reconciler.sql.rules.base import alter_commands, constraint_types

__all__ = ["catalog_only"]

_CATALOG_ACTIONS = {"AT_ColumnDefault", "AT_DropNotNull"}  # SET/DROP DEFAULT: new rows only
# constraints that build an index or scan the rows
_INDEXED_OR_CHECKED = {
    "CONSTR_PRIMARY",
    "CONSTR_UNIQUE",
    "CONSTR_FOREIGN",
    "CONSTR_CHECK",
    "CONSTR_EXCLUSION",
}


def _column_ok(col: dict[str, Any]) -> bool:
    kinds = constraint_types(col)
    return not (
        rewrite(col) is not None
        or ("CONSTR_NOTNULL" in kinds and "CONSTR_DEFAULT" not in kinds)
        or kinds & _INDEXED_OR_CHECKED
    )


def catalog_only(info: StatementInfo) -> bool:
    if info.kind != "alter_table" or not info.parsed:
        return False
    commands = alter_commands(info)
    if not commands:
        return False
    for cmd in commands:
        sub = cmd.get("subtype")
        definition = cmd.get("def") or {}
        if sub == "AT_AddColumn" and "ColumnDef" in definition:
            if not _column_ok(definition["ColumnDef"]):
                return False
            continue
        con = definition.get("Constraint") or {}
        if sub in _CATALOG_ACTIONS or (
            sub == "AT_AddConstraint"
            and con.get("contype") in ("CONSTR_CHECK", "CONSTR_FOREIGN")
            and con.get("skip_validation")
        ):
            continue
        return False
    return True
