"""unparsed-statement: a statement this tool cannot understand is not trusted in strict environments."""

from __future__ import annotations

import re
from collections.abc import Iterator

from reconciler.sql.rules.base import Hit, Rule, StatementContext, hit_at

# another tool's template placeholders, as (what opens one)(its name)(what closes it): Flyway's
# ${name}, Go templates' {{ index .Options "Name" }} (pop, Supabase's auth) and {{ .Name }},
# Jinja's {{ name }}, Synapse's $%NAME%$, Python's %(name)s, extension scripts' @extschema@
# (and Slony's @NAMESPACE@)
_TEMPLATES = [
    re.compile(r"(\$\{)([^}\s]+)(\})"),
    re.compile(r"(@)([A-Za-z_]\w*)(@)"),
    re.compile(r'(\{\{\s*index\s+\.Options\s+")(\w+)("\s*\}\})'),
    re.compile(r"(\{\{\s*\.?)([A-Za-z_]\w*)(\s*\}\})"),
    re.compile(r"(\$%)([A-Za-z_]\w*)(%\$)"),
    re.compile(r"(%\()([A-Za-z_]\w*)(\)s)"),
]


def _placeholder(code: str) -> re.Match[str] | None:
    return next((m for t in _TEMPLATES if (m := t.search(code)) is not None), None)


# Play evolutions mark their halves with `# --- !Ups` and `# --- !Downs`: no SQL comment
_PLAY_MARKER = re.compile(r"^\s*#\s*-+\s*!(?:Ups|Downs)\b", re.M | re.I)


def check(ctx: StatementContext) -> Iterator[Hit]:
    placeholder = _placeholder(ctx.info.stmt.code) if not ctx.info.parsed else None
    if placeholder is not None:
        opens, name, closes = placeholder.groups()
        text = ctx.info.stmt.text
        at = text.find(placeholder.group(0))
        yield hit_at(
            ctx.info,
            len(text[:at].encode()) if at >= 0 else None,
            Hit(
                f"cannot verify this statement: it holds the placeholder {placeholder.group(0)}, "
                f"which nothing replaced ({ctx.info.why_unparsed})",
                "give the environment its value (migrations.placeholders, as in Flyway) and check "
                "the file with --env, which replaces it before the check"
                if opens == "${"
                else f"its tool fills it in before running the file; here, give the environment "
                f"its value: migrations.placeholders: {{{name}: ...}}, placeholder_prefix: "
                f"'{opens}', placeholder_suffix: '{closes}' (check the file with --env, which "
                "replaces it before the check)",
            ),
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
