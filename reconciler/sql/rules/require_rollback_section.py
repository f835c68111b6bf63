"""require-rollback-section: every migration documents how to undo it."""

from __future__ import annotations

from collections.abc import Iterator

from reconciler.sql.rules.base import FileContext, Hit, Rule


def check_file(ctx: FileContext) -> Iterator[Hit]:
    if ctx.require_rollback_section and not ctx.source.rollback:
        yield Hit(
            f"{ctx.filename} has no rollback instructions",
            "add a `-- Rollback instructions:` comment section with numbered steps to undo it",
            1,
            1,
        )


RULE = Rule(
    "require-rollback-section",
    "error",
    "error",
    "migrations carry rollback instructions",
    check_file=check_file,
)
