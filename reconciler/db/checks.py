"""Post-migration checks: each configured query run read-only, judged by what it returns.

A check passes when its query returns no rows, or exactly one row whose only column is true
(``SELECT count(*) = 0 FROM ...``). Anything else fails, with the first rows it returned. The
queries run in a READ ONLY transaction with a statement timeout, so a check can never change
the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import psycopg

if TYPE_CHECKING:
    from reconciler.manifest.models import CheckSpec


__all__ = ["CheckResult", "run_checks"]


@dataclass(frozen=True)
class CheckResult:
    name: str
    passed: bool
    detail: str  # why it failed, or "ok"
    rows: list[list[Any]] = field(default_factory=list)


def _judge(rows: list[tuple[Any, ...]]) -> tuple[bool, str]:
    if not rows:
        return True, "ok (no rows)"
    if len(rows) == 1 and len(rows[0]) == 1 and rows[0][0] is True:
        return True, "ok (true)"
    shown = "; ".join(", ".join(str(v) for v in r) for r in rows[:3])
    count = "at least 4 rows" if len(rows) > 3 else f"{len(rows)} row(s)"
    return False, f"returned {count}: {shown}"


def run_checks(
    conn: psycopg.Connection, checks: list[CheckSpec], timeout_ms: int = 60_000
) -> list[CheckResult]:
    out = []
    for check in checks:
        try:
            with conn.transaction(), conn.cursor() as cur:
                cur.execute("SET TRANSACTION READ ONLY")
                cur.execute(f"SET LOCAL statement_timeout = {int(timeout_ms)}")
                cur.execute(check.sql.encode(), prepare=False)
                rows = cur.fetchmany(4) if cur.description else []
            passed, detail = _judge(list(rows))
        except psycopg.Error as e:
            passed = False
            detail = f"failed to run: SQLSTATE {e.sqlstate}: {(e.diag.message_primary or str(e)).strip()}"
            rows = []
        out.append(CheckResult(check.name, passed, detail, [list(r) for r in rows]))
    return out
