"""ban-update-without-where: an UPDATE with no WHERE rewrites every row under a lock."""

from __future__ import annotations

import re
from collections.abc import Iterator

from sqlglot import exp

from reconciler.sql.rules.base import Hit, Rule, StatementContext

_HELP = "add a WHERE clause; for a backfill, update in batches (WHERE id BETWEEN ...) from a DATA migration"


def check(ctx: StatementContext) -> Iterator[Hit]:
    i = ctx.info
    if i.ast is not None:
        for u in i.ast.find_all(exp.Update):
            if u.args.get("where") is None:
                where = "" if i.kind == "update" else " (inside a WITH clause)"
                yield Hit(f"UPDATE without WHERE changes every row{where}", _HELP)
    elif i.kind == "update" and not re.search(r"\bWHERE\b", i.shape):
        yield Hit("UPDATE without WHERE changes every row", _HELP)
    if i.body:
        body = i.body.upper()
        for m in re.finditer(r"\bUPDATE\s+[^;]*?\bSET\b[^;]*", body):
            if not re.search(r"\bWHERE\b", m.group(0)):
                line = i.body_line + body[: m.start()].count("\n")
                yield Hit(
                    f"UPDATE without WHERE inside a {i.kind.replace('_', ' ').upper()} body",
                    _HELP,
                    line,
                )


RULE = Rule(
    "ban-update-without-where",
    "error",
    "warning",
    "no UPDATE without WHERE",
    check,
    kinds=frozenset(("update", "with", "insert", "delete", "select", "do", "create_function")),
)
