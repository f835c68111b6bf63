"""prefer-bigint: 32-bit keys run out (2^31 rows); changing the type later rewrites the table."""

from __future__ import annotations

import re
from collections.abc import Iterator

from reconciler.sql.rules.base import Hit, Rule, StatementContext, column_defs


def check(ctx: StatementContext) -> Iterator[Hit]:
    for col in column_defs(ctx.info):
        m = re.match(
            r"^(\S+) (INT|INTEGER|INT4|SMALLINT|INT2|SERIAL|SERIAL4|SMALLSERIAL|SERIAL2)\b", col
        )
        if m and (
            m.group(1).lower().strip('"') == "id"
            or m.group(1).lower().endswith("_id")
            or "PRIMARY KEY" in col
            or "IDENTITY" in col
        ):
            yield Hit(
                f"key column {m.group(1).lower()} is {m.group(2).lower()}",
                "use bigint for keys and the columns that reference them",
            )


RULE = Rule("prefer-bigint", "warning", "warning", "bigint for keys", check)
