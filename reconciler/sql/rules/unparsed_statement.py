"""unparsed-statement: a statement this tool cannot understand is not trusted in strict environments."""

from __future__ import annotations

import re
from collections.abc import Iterator

from reconciler.sql.rules.base import Hit, Rule, StatementContext, hit_at

_PLACEHOLDER = re.compile(r"\$\{[^}\s]+\}")
# Play evolutions mark their halves with `# --- !Ups` and `# --- !Downs`: no SQL comment
_PLAY_MARKER = re.compile(r"^\s*#\s*-+\s*!(?:Ups|Downs)\b", re.M | re.I)


def check(ctx: StatementContext) -> Iterator[Hit]:
    placeholder = _PLACEHOLDER.search(ctx.info.stmt.code) if not ctx.info.parsed else None
    if placeholder is not None:
        yield Hit(
            f"cannot verify this statement: it holds the placeholder {placeholder.group(0)}, "
            f"which nothing replaced ({ctx.info.why_unparsed})",
            "give the environment its value (migrations.placeholders, as in Flyway) and check "
            "the file with --env, which replaces it before the check",
        )
    elif ctx.info.syntax_error_at is not None:
        # (PostgreSQL 18's grammar: what it rejects, every server up to 18 rejects as well)
        hint = (
            "fix the SQL here: PostgreSQL's own parser (18) rejects it, so the server will too; "
            "only if it is syntax of a newer PostgreSQL, review it and allow it for this file "
            "with `-- reconciler:allow-unparsed -- <reason>`"
        )
        if _PLAY_MARKER.search(ctx.info.stmt.text):
            hint = (
                "a Play evolutions file: write its `# --- !Ups` and `# --- !Downs` lines as SQL "
                "comments (`-- !Ups`, `-- !Downs`); what follows `-- !Downs` is then the file's "
                "rollback section, never run"
            )
        yield hit_at(
            ctx.info,
            ctx.info.syntax_error_at,
            Hit(f"cannot verify this statement: {ctx.info.why_unparsed}", hint),
        )
    elif not ctx.info.parsed:
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
