"""Which statements change only the catalog (no rewrite, no scan of the table's rows).

PostgreSQL (11 and later) takes ACCESS EXCLUSIVE for these too, but holds it only for the
catalog update: adding a column without a default or with a constant one, setting or dropping
a default, dropping NOT NULL, adding a CHECK or foreign key NOT VALID. Bounded by
``lock_timeout``, such a lock is brief; ``check --trace`` tells it from a dangerous one.
"""

from __future__ import annotations

import re

from reconciler.sql.classify import StatementInfo
from reconciler.sql.rules.ban_volatile_default import volatile_calls
from reconciler.sql.rules.base import alter_actions

__all__ = ["catalog_only"]

_ADD_COLUMN = re.compile(
    r"^ADD (?:COLUMN )?(?!CONSTRAINT\b|PRIMARY\b|UNIQUE\b|CHECK\b|FOREIGN\b|EXCLUDE\b)"
)
_CATALOG_ALTER = re.compile(
    r"^ALTER (?:COLUMN )?\S+ (?:SET DEFAULT\b|DROP DEFAULT$|DROP NOT NULL$)"
)
_NOT_VALID = re.compile(r"^ADD (?:CONSTRAINT \S+ )?(?:CHECK|FOREIGN KEY)\b.*\bNOT VALID$")


def catalog_only(info: StatementInfo) -> bool:
    if info.kind != "alter_table" or not info.parsed:
        return False
    actions = alter_actions(info)
    if not actions:
        return False
    for a in actions:
        if _ADD_COLUMN.match(a):
            default = re.search(r"\bDEFAULT\b(.*)", a)
            if (
                re.search(r"\b(SMALL|BIG)?SERIAL\b", a)
                or re.search(r"\bGENERATED ALWAYS AS \(", a)
                or (default and volatile_calls(default.group(1)))
                or (re.search(r"\bNOT NULL\b", a) and not default)
                or re.search(r"\b(PRIMARY KEY|UNIQUE|REFERENCES|CHECK)\b", a)
            ):
                return False
            continue
        if _CATALOG_ALTER.match(a) or _NOT_VALID.match(a):
            continue  # SET DEFAULT applies to new rows only, whatever it calls: catalog-only
        return False
    return True
