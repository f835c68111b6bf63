"""ban-template-placeholder: the example SQL of `reconcile new` is never run, anywhere.

A file fresh from the template holds placeholder statements (``table_name``,
``new_column``, ``idx_table_column``) and a placeholder description. In a watch loop that
applies at once, running them fails part-way and wedges the file; so they are an error in
every environment until they are replaced.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache

from reconciler.sql.rules.base import FileContext, Hit, Rule

_PLACEHOLDERS = (
    "ALTER TABLE table_name ADD COLUMN new_column TEXT DEFAULT ''",
    "CREATE INDEX CONCURRENTLY idx_table_column ON table_name (new_column)",
    "CREATE INDEX CONCURRENTLY idx_table_column ON table_name (column_name)",
)


@cache
def _fingerprints() -> frozenset[str]:
    """libpg_query's fingerprints of the template's statements: the same tree whatever the
    case, spacing, comments, quoting or constants it is written with."""
    from pglast.parser import fingerprint

    return frozenset(fingerprint(sql) for sql in _PLACEHOLDERS)


def _is_placeholder(sql: str) -> bool:
    if "table_name" not in sql.lower():
        return False  # every placeholder names the table table_name: most files end here
    from pglast.parser import ParseError, fingerprint

    try:
        return fingerprint(sql) in _fingerprints()
    except ParseError:
        return False


def check_file(ctx: FileContext) -> Iterator[Hit]:
    for stmt in ctx.source.statements:
        if _is_placeholder(stmt.text):
            yield Hit(
                "this is the template's example statement, not a change of yours",
                "replace it with the SQL this migration is for (or delete the file)",
                stmt.line,
                stmt.col,
            )
    # only a Description line left as the template wrote it, or emptied: another tool's file
    # that opens with `-- Rollback: ...` or `-- Created: ...` has no Description to fill in
    description = ctx.source.header.get("description")
    if description is not None and description.strip() in ("[migration description]", ""):
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
