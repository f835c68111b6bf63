"""The embedded PostgreSQL 16 (pgserver) used when no database URL is set, for dev and tests.

The server's data lives in ``.reconciler/pg`` under the working folder (or
``$RECONCILER_HOME/pg``) and keeps running between commands, so the next one starts at once.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

__all__ = ["embedded_admin_url", "embedded_url", "state_dir", "stop_embedded"]


def state_dir() -> Path:
    return Path(os.environ.get("RECONCILER_HOME") or Path.cwd() / ".reconciler")


def _runtime() -> None:
    """pgserver keeps a lock file in the XDG runtime folder; give it a private one if unset."""
    run = state_dir() / "run"
    run.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(run, 0o700)  # a runtime folder others can read makes platformdirs warn on stderr
    os.environ.setdefault("XDG_RUNTIME_DIR", str(run))


def _server():  # type: ignore[no-untyped-def]
    _runtime()
    import pgserver  # imported here: only dev runs pay for it

    d = state_dir() / "pg"
    d.mkdir(parents=True, exist_ok=True)
    return pgserver.get_server(d, cleanup_mode=None)


def embedded_url(environment: str) -> str:
    """A URL for database ``<environment>`` on the embedded server, created on first use."""
    import psycopg
    from psycopg import sql

    srv = _server()
    db = re.sub(r"[^a-z0-9_]", "_", environment.lower())
    with psycopg.connect(srv.get_uri(), autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (db,)).fetchone() is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db)))
    return str(srv.get_uri(db))


def embedded_admin_url() -> str:
    """A superuser URL on the embedded server (for shadow databases)."""
    return str(_server().get_uri())


def stop_embedded() -> bool:
    """Stop the embedded server if it runs. True when one was stopped."""
    d = state_dir() / "pg"
    if not (d / "postmaster.pid").exists():
        return False
    _runtime()
    import pgserver
    from pgserver._commands import pg_ctl  # type: ignore[attr-defined]

    srv = pgserver.get_server(d, cleanup_mode=None)
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=d, user=srv.system_user)
    return True


def pg_tool(name: str) -> str:
    """Path of a PostgreSQL 16 client program bundled with pgserver (pg_dump, pg_restore, psql)."""
    _runtime()  # importing pgserver asks platformdirs for a runtime folder: give it a private one
    from pgserver._commands import POSTGRES_BIN_PATH

    return str(POSTGRES_BIN_PATH / name)


def run_tool(
    args: list[str],
    env: dict[str, str] | None,
    what: str,
    *,
    code: str,
    hint: str,
    timeout: float = 3600,
) -> str:
    """Run a bundled client program; a failure becomes a ReconcilerError naming what failed."""
    import subprocess

    from reconciler.errors import ReconcilerError

    r = subprocess.run(args, capture_output=True, text=True, env=env, timeout=timeout)
    if r.returncode != 0:
        raise ReconcilerError(f"{what} failed: {r.stderr.strip()[:500]}", code=code, hint=hint)
    return r.stdout
