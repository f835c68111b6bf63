"""diff: the schema git's migrations produce against the live schema, object by object.

For a database that was never snapshotted, or whose history is in doubt: the migrations the
live history records as applied (all of the wanted ones when there is no history) are run on
a fresh shadow database on the embedded server; both catalogs are read with the same query as
the snapshots (:mod:`reconciler.db.schema`) and compared. The target is only read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reconciler.engine.reconcile import database_errors
from reconciler.engine.request import EXIT_CHANGES, EXIT_OK, Request, replace_mode
from reconciler.engine.session import Session
from reconciler.errors import ReconcilerError, SourceLocation

__all__ = ["DiffOutcome", "SchemaDifference", "diff"]


@dataclass(frozen=True)
class SchemaDifference:
    key: str
    git: dict[str, Any] | None  # the facts git's migrations give (None: git has no such object)
    live: dict[str, Any] | None
    description: str


@dataclass
class DiffOutcome:
    environment: str
    target: str  # redacted
    replayed: list[str] = field(default_factory=list)  # migration files run on the shadow
    differences: list[SchemaDifference] = field(default_factory=list)
    exit_code: int = EXIT_OK


def _replay(shadow_url: str, files: list[Any]) -> None:
    """Run each file's statements on the shadow (one transaction per file unless it says not)."""
    import psycopg

    from reconciler.db.apply import reset_session, restore_session, run_statement

    with psycopg.connect(shadow_url, autocommit=True) as conn:
        for m in files:
            transactional = not m.source.no_transaction
            stmt = None
            try:
                with conn.cursor() as cur:
                    reset_session(cur)  # as apply does: whatever the file before left
                if transactional:
                    conn.execute("BEGIN")
                for stmt in m.source.statements:
                    with conn.cursor() as cur:
                        run_statement(cur, stmt)
                if transactional:
                    conn.execute("COMMIT")
                restore_session(conn, m)  # as apply does: each file from a fresh session
            except psycopg.Error as e:
                line = stmt.line if stmt is not None else 0
                raise ReconcilerError(
                    f"{m.filename} failed on the shadow database: "
                    f"{(e.diag.message_primary or str(e)).strip()}",
                    location=SourceLocation(m.path, line, 1),
                    code="shadow-failed",
                    hint="the shadow is an empty database on the embedded PostgreSQL 16: an "
                    "extension or role the migration needs may be missing there",
                ) from None


def diff(request: Request, *, shadow_admin_url: str | None = None) -> DiffOutcome:
    """Compare the live schema with the one git's migrations build; nothing is changed."""
    from reconciler.db.live import read_live
    from reconciler.db.schema import catalog
    from reconciler.db.trace import drop_shadow
    from reconciler.embedded import embedded_admin_url
    from reconciler.plan.drift import describe_drift

    with Session(replace_mode(request, "plan"), purpose="diff") as s, database_errors(s):
        live = read_live(s.connection, s.desired)
        live_catalog = catalog(s.connection)
        out = DiffOutcome(s.env.name, s.target.redacted)
    applied = {v for v, m in live.migrations.items() if m.complete}
    files = (
        [m for m in s.desired.migrations if m.version in applied] if applied else s.desired.wanted
    )
    out.replayed = [m.filename for m in files]
    admin = shadow_admin_url or embedded_admin_url()
    shadow = _empty_shadow(admin)
    try:
        _replay(shadow, files)
        import psycopg

        with psycopg.connect(shadow, autocommit=True) as conn:
            git_catalog = catalog(conn)
    finally:
        drop_shadow(shadow, admin)
    for key in sorted(set(git_catalog) | set(live_catalog)):
        g, lv = git_catalog.get(key), live_catalog.get(key)
        if g != lv:
            out.differences.append(SchemaDifference(key, g, lv, describe_drift(key, g, lv)))
    out.exit_code = EXIT_CHANGES if out.differences else EXIT_OK
    return out


def _empty_shadow(admin_url: str) -> str:
    import uuid
    from urllib.parse import urlsplit, urlunsplit

    import psycopg
    from psycopg import sql

    name = f"shadow_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as c:
        c.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    p = urlsplit(admin_url)
    return urlunsplit((p.scheme, p.netloc, "/" + name, p.query, p.fragment))
