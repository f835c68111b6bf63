"""require-insert-on-conflict: in strict environments an INSERT must be idempotent."""

from __future__ import annotations

import re
from collections.abc import Iterator

from reconciler.sql.rules.base import Hit, Rule, StatementContext


def check(ctx: StatementContext) -> Iterator[Hit]:
    i = ctx.info
    if i.kind == "insert" and not re.search(r"\bON CONFLICT\b", i.shape):
        m = re.match(r"^INSERT INTO (\S+)", i.shape)
        if m and ctx.is_new(m.group(1).replace('"', "").lower()):
            return
        yield Hit(
            "INSERT without ON CONFLICT fails (or duplicates) when the row already exists",
            "add ON CONFLICT DO NOTHING (or ON CONFLICT (key) DO NOTHING)",
        )


RULE = Rule(
    "require-insert-on-conflict",
    "error",
    None,
    "inserts are idempotent in strict environments",
    check,
    kinds=frozenset(("insert",)),
)
