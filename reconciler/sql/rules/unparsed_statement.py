"""unparsed-statement: a statement this tool cannot understand is not trusted in strict environments."""

from __future__ import annotations

from collections.abc import Iterator

from reconciler.sql.rules.base import Hit, Rule, StatementContext


def check(ctx: StatementContext) -> Iterator[Hit]:
    if not ctx.info.parsed:
        yield Hit(
            f"cannot verify this statement: {ctx.info.why_unparsed}",
            "rewrite it in a form the checker understands, or if you have reviewed it, allow it "
            "for this file with `-- reconciler:allow-unparsed -- <reason>`",
        )


RULE = Rule(
    "unparsed-statement",
    "error",
    "warning",
    "statements the checker cannot parse fail closed",
    check,
)
