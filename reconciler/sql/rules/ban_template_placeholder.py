"""ban-template-placeholder: the example SQL of `reconcile new` is never run, anywhere.

A file fresh from the template holds placeholder statements (``table_name``,
``new_column``, ``idx_table_column``) and a placeholder description. In a watch loop that
applies at once, running them fails part-way and wedges the file; so they are an error in
every environment until they are replaced.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from reconciler.sql.rules.base import FileContext, Hit, Rule

_PLACEHOLDERS = (
    "ALTER TABLE TABLE_NAME ADD COLUMN NEW_COLUMN TEXT DEFAULT ''",
    "CREATE INDEX CONCURRENTLY IDX_TABLE_COLUMN ON TABLE_NAME (NEW_COLUMN)",
    "CREATE INDEX CONCURRENTLY IDX_TABLE_COLUMN ON TABLE_NAME(COLUMN_NAME)",
    "CREATE INDEX CONCURRENTLY IDX_TABLE_COLUMN ON TABLE_NAME (COLUMN_NAME)",
)
_SPACE = re.compile(r"\s+")


def check_file(ctx: FileContext) -> Iterator[Hit]:
    for stmt in ctx.source.statements:
        if _SPACE.sub(" ", stmt.code).strip().upper() in _PLACEHOLDERS:
            yield Hit(
                "this is the template's example statement, not a change of yours",
                "replace it with the SQL this migration is for (or delete the file)",
                stmt.line,
                stmt.col,
            )
    description = ctx.source.header.get("description", "").strip()
    if ctx.source.header and description in ("[migration description]", ""):
        yield Hit(
            "the Description header is still the template's placeholder",
            "say in one line what the migration does",
            1,
            1,
        )


RULE = Rule(
    "ban-template-placeholder",
    "error",
    "error",
    "the template's placeholders never run",
    check_file=check_file,
)
