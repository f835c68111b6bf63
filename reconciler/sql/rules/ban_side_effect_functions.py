"""ban-side-effect-functions: functions that kill sessions, read server files or reach other servers."""

from __future__ import annotations

import re
from collections.abc import Iterator

from reconciler.sql.rules.base import Hit, Rule, StatementContext

FUNCTIONS = re.compile(
    r"\b(PG_TERMINATE_BACKEND|PG_CANCEL_BACKEND|PG_RELOAD_CONF|PG_ROTATE_LOGFILE|PG_READ_FILE|"
    r"PG_READ_BINARY_FILE|PG_LS_DIR|PG_STAT_FILE|LO_IMPORT|LO_EXPORT|DBLINK|DBLINK_EXEC|DBLINK_CONNECT|"
    r"PG_SWITCH_WAL|PG_PROMOTE|PG_CREATE_RESTORE_POINT|PG_FILE_WRITE|PG_SLEEP)\s*\("
)


def check(ctx: StatementContext) -> Iterator[Hit]:
    i = ctx.info
    texts: list[tuple[str, int | None]] = [(i.shape, None)]
    if i.body:
        texts.append((i.body.upper(), i.body_line))
    for text, base in texts:
        for m in FUNCTIONS.finditer(text):
            line = None if base is None else base + text[: m.start()].count("\n")
            yield Hit(
                f"{m.group(1).lower()}() has effects outside the migration (sessions, server files, other servers, time)",
                "do operational actions by hand, not in a schema migration",
                line,
            )


RULE = Rule(
    "ban-side-effect-functions",
    "error",
    "warning",
    "no session-killing, file-reading or remote functions",
    check,
)
