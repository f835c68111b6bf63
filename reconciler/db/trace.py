"""Lock tracing on a shadow database: ground truth about what each pending statement locks and rewrites.

The shadow is a fresh database on the embedded PostgreSQL, restored from
``pg_dump --schema-only`` of the target. Each pending migration runs there statement by
statement. While a statement runs, a "gate" transaction holds ROW EXCLUSIVE on every table
that existed before the migration (as live writers would), and a poller samples
``pg_locks`` for the migration's backend, so even the short-lived locks of CONCURRENTLY
statements are seen, and a statement that would queue behind writers is caught waiting.
Rewrites are found by comparing each pre-existing table's relfilenode before and after.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

from reconciler.conninfo import tool_target
from reconciler.embedded import pg_tool, run_tool
from reconciler.errors import Diagnostic, ReconcilerError, SourceLocation
from reconciler.manifest import DesiredMigration
from reconciler.sql.split import Statement

__all__ = [
    "LockSeen",
    "StatementTrace",
    "drop_shadow",
    "shadow_from",
    "trace_findings",
    "trace_migration",
]

_MODE_NAMES = {
    "AccessShareLock": "ACCESS SHARE",
    "RowShareLock": "ROW SHARE",
    "RowExclusiveLock": "ROW EXCLUSIVE",
    "ShareUpdateExclusiveLock": "SHARE UPDATE EXCLUSIVE",
    "ShareLock": "SHARE",
    "ShareRowExclusiveLock": "SHARE ROW EXCLUSIVE",
    "ExclusiveLock": "EXCLUSIVE",
    "AccessExclusiveLock": "ACCESS EXCLUSIVE",
}


@dataclass(frozen=True)
class LockSeen:
    relation: str
    mode: str  # ACCESS EXCLUSIVE, SHARE, ...
    preexisting: bool
    waited: bool


@dataclass
class StatementTrace:
    migration: str
    statement: Statement
    location: SourceLocation
    locks: list[LockSeen] = field(default_factory=list)
    rewrites: list[str] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0


def shadow_from(target_url: str, admin_url: str) -> str:
    """Create a shadow database on the embedded server with the target's schema; return its URL."""
    name = f"shadow_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as c:
        c.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    p = urlsplit(admin_url)
    shadow = urlunsplit((p.scheme, p.netloc, "/" + name, p.query, p.fragment))
    src, env = tool_target(target_url)
    try:
        with tempfile.TemporaryDirectory() as d:
            dump = os.path.join(d, "schema.dump")
            run_tool(
                [
                    pg_tool("pg_dump"),
                    "--schema-only",
                    "--no-owner",
                    "--no-privileges",
                    "-Fc",
                    "-f",
                    dump,
                    "-d",
                    src,
                ],
                env,
                "pg_dump --schema-only of the target",
                code="shadow-failed",
                timeout=600,
                hint="the embedded pg_dump is PostgreSQL 16; it can dump servers up to version 16",
            )
            run_tool(
                [
                    pg_tool("pg_restore"),
                    "--no-owner",
                    "--no-privileges",
                    "--exit-on-error",
                    "-d",
                    shadow,
                    dump,
                ],
                None,
                "restoring the schema into the shadow database",
                code="shadow-failed",
                timeout=600,
                hint="an extension the target uses may be missing from the embedded server",
            )
    except ReconcilerError:
        drop_shadow(shadow, admin_url)
        raise
    return shadow


def drop_shadow(shadow_url: str, admin_url: str) -> None:
    name = urlsplit(shadow_url).path.lstrip("/")
    with psycopg.connect(admin_url, autocommit=True) as c:
        c.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _tables(conn: psycopg.Connection) -> dict[int, str]:
    rows = conn.execute(
        "SELECT c.oid::int, format('%I.%I', n.nspname, c.relname) FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p', 'm') "
        "AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'"
    ).fetchall()
    return {int(o): str(n) for o, n in rows}


def _filenodes(conn: psycopg.Connection, oids: list[int]) -> dict[int, int]:
    rows = conn.execute(
        "SELECT oid::int, relfilenode::int FROM pg_class WHERE oid = ANY(%s)", (oids,)
    ).fetchall()
    return {int(o): int(f) for o, f in rows}


def _close_gate(gate: psycopg.Connection, tables: dict[int, str]) -> bool:
    """Hold ROW EXCLUSIVE on every pre-existing table the migration does not already lock."""
    gate.execute("SET LOCAL lock_timeout = '100ms'")
    got = False
    for name in tables.values():
        gate.execute("SAVEPOINT g")
        try:
            gate.execute(
                sql.SQL("LOCK TABLE {} IN ROW EXCLUSIVE MODE").format(
                    sql.Identifier(*name.split(".", 1))
                )
            )
            gate.execute("RELEASE SAVEPOINT g")
            got = True
        except psycopg.errors.LockNotAvailable:
            gate.execute("ROLLBACK TO SAVEPOINT g")
    if not got:
        gate.rollback()
    return got


def _run_into(conn: psycopg.Connection, stmt: Statement, failure: list[BaseException]) -> None:
    from reconciler.db.apply import run_statement

    try:
        with conn.cursor() as cur:
            run_statement(cur, stmt)
    except BaseException as e:  # reported by the caller
        failure.append(e)


def trace_migration(shadow_url: str, m: DesiredMigration) -> list[StatementTrace]:
    """Run one migration on the shadow, statement by statement, and report locks and rewrites."""
    runner = psycopg.connect(shadow_url, autocommit=True)
    gate = psycopg.connect(shadow_url)
    poller = psycopg.connect(shadow_url, autocommit=True)
    out: list[StatementTrace] = []
    try:
        runner.execute("SET lock_timeout = 0")
        runner.execute("SET statement_timeout = '5min'")
        pid = runner.info.backend_pid
        pre = _tables(runner)
        pre_names = {o: n.removeprefix("public.") for o, n in pre.items()}
        transactional = not m.source.no_transaction
        if transactional:
            runner.execute("BEGIN")
        held: set[tuple[int, str]] = set()
        for stmt in m.source.statements:
            t = StatementTrace(m.filename, stmt, SourceLocation(m.path, stmt.line, stmt.col))
            out.append(t)
            before = _filenodes(runner, list(pre))
            gate_open = _close_gate(gate, pre)
            failure: list[BaseException] = []
            worker = threading.Thread(target=_run_into, args=(runner, stmt, failure), daemon=True)
            seen: dict[tuple[int, str], bool] = {}
            started = time.monotonic()
            worker.start()
            while worker.is_alive():
                rows = poller.execute(
                    "SELECT relation::int, mode, granted, locktype FROM pg_locks WHERE pid = %s",
                    (pid,),
                ).fetchall()
                waiting = False
                for rel, mode, granted, locktype in rows:
                    if not granted:
                        waiting = True
                    if locktype == "relation" and rel is not None:
                        seen[(rel, mode)] = seen.get((rel, mode), False) or not granted
                if waiting and gate_open:
                    gate.rollback()  # let it through; it has shown it would wait behind writers
                    gate_open = False
                time.sleep(0.002)
            worker.join()
            if gate_open:
                gate.rollback()
            t.seconds = time.monotonic() - started
            if transactional:  # locks are held until commit: read them once more
                for rel, mode in poller.execute(
                    "SELECT relation::int, mode FROM pg_locks WHERE pid = %s AND locktype = 'relation' "
                    "AND granted",
                    (pid,),
                ).fetchall():
                    seen.setdefault((rel, mode), False)
            for (rel, mode), waited in sorted(seen.items()):
                if (rel, mode) in held or (rel not in pre and mode == "AccessShareLock"):
                    continue
                held.add((rel, mode))
                if rel in pre or mode != "AccessShareLock":
                    t.locks.append(
                        LockSeen(
                            pre_names.get(rel, f"new relation {rel}"),
                            _MODE_NAMES.get(mode, mode),
                            rel in pre,
                            waited,
                        )
                    )
            if failure:
                e = failure[0]
                t.error = getattr(getattr(e, "diag", None), "message_primary", None) or str(e)
                break
            after = _filenodes(runner, list(pre))
            t.rewrites = sorted(
                pre_names[o] for o, f in before.items() if after.get(o) not in (None, f)
            )
        if transactional and not runner.closed:
            runner.execute("ROLLBACK" if any(t.error for t in out) else "COMMIT")
    finally:
        for c in (runner, gate, poller):
            c.close()
    return out


def trace_findings(
    traces: list[StatementTrace],
    ignored: dict[int, set[str]],
    lock_timeout_ms: int = 0,
    catalog_only: Callable[[Statement], bool] | None = None,
) -> list[Diagnostic]:
    """What the traces show that a reviewer must know: ACCESS EXCLUSIVE on an existing table,
    a rewrite, a failure; each skipped where the file ignores it with a reason.

    An ACCESS EXCLUSIVE that only updates the catalog (``catalog_only``: no rewrite, no scan of
    the rows), bounded by a ``lock_timeout``, is brief: reported as information, not an error.
    """
    out: list[Diagnostic] = []
    for t in traces:
        skip = ignored.get(t.statement.line, set())
        brief = (
            lock_timeout_ms > 0
            and not t.rewrites
            and catalog_only is not None
            and catalog_only(t.statement)
        )
        for lk in t.locks:
            if lk.preexisting and lk.mode == "ACCESS EXCLUSIVE" and brief:
                out.append(
                    Diagnostic(
                        "trace-brief-exclusive",
                        f"takes ACCESS EXCLUSIVE on {lk.relation} only to update the catalog "
                        f"(no rewrite, no scan of its rows); lock_timeout {lock_timeout_ms} ms "
                        "bounds the wait behind running transactions",
                        t.location,
                        None,
                        "info",
                    )
                )
            elif (
                lk.preexisting
                and lk.mode == "ACCESS EXCLUSIVE"
                and "trace-access-exclusive" not in skip
            ):
                out.append(
                    Diagnostic(
                        "trace-access-exclusive",
                        f"takes ACCESS EXCLUSIVE on {lk.relation}, which existed before this "
                        "migration: reads and writes of it stop while the lock is held"
                        + (" (and it queued behind running writes)" if lk.waited else ""),
                        t.location,
                        "use the safe pattern of the matching rule (docs/rules/), or if the lock "
                        "is brief and bounded by lock_timeout, say so: "
                        "-- reconciler:ignore trace-access-exclusive -- <reason>",
                    )
                )
        for rel in t.rewrites:
            if "trace-table-rewrite" not in skip:
                out.append(
                    Diagnostic(
                        "trace-table-rewrite",
                        f"rewrites table {rel} (its relfilenode changed)",
                        t.location,
                        "a rewrite copies every row under ACCESS EXCLUSIVE; add columns without "
                        "volatile defaults and avoid type changes",
                    )
                )
        if t.error and "trace-failed" not in skip:
            out.append(
                Diagnostic(
                    "trace-failed",
                    f"fails on the shadow database: {t.error}",
                    t.location,
                    "it would fail the same way on the target",
                )
            )
    return out
