"""The session advisory lock: one reconciler changes a database at a time.

The key is the same for every environment: advisory locks belong to one database, so two
environments pointed at the same database (dev and staging sharing one, say) exclude each
other, while different databases never wait for each other. A second reconciler waits a
bounded time, then reports who holds the lock (its application_name names the environment
and the operation, and its pid).
"""

from __future__ import annotations

import hashlib
import time

import psycopg

from reconciler.errors import LockHeld
from reconciler.retry import backoff

__all__ = ["EnvironmentLock", "lock_key"]


def lock_key() -> int:
    """The stable signed 64-bit key of the reconciler's lock in every database."""
    raw = hashlib.sha256(b"neon-reconciler:database").digest()[:8]
    return int.from_bytes(raw, "big", signed=True)


class EnvironmentLock:
    def __init__(self, conn: psycopg.Connection, environment: str, wait_ms: int) -> None:
        self.conn = conn
        self.environment = environment
        self.key = lock_key()
        self.wait_ms = wait_ms
        self.held = False

    def holder(self) -> str:
        unsigned = self.key & 0xFFFFFFFFFFFFFFFF
        with self.conn.cursor() as cur:
            cur.execute(
                "SELECT a.pid, a.application_name, a.usename, a.backend_start "
                "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = %s "
                "AND l.objid = %s AND l.objsubid = 1",
                (unsigned >> 32, unsigned & 0xFFFFFFFF),
            )
            row = cur.fetchone()
        if row is None:
            return "an unknown session"
        pid, app, user, since = row
        return f"{app or 'a session'} (pid {pid}, user {user}, connected {since:%Y-%m-%d %H:%M:%S})"

    def acquire(self) -> None:
        deadline = time.monotonic() + self.wait_ms / 1000
        attempt = 0
        while True:
            with self.conn.cursor() as cur:
                cur.execute("SELECT pg_try_advisory_lock(%s)", (self.key,))
                row = cur.fetchone()
            if row and row[0]:
                self.held = True
                return
            if time.monotonic() >= deadline:
                raise LockHeld(
                    f"another reconciler is changing this database (wanted for "
                    f"{self.environment}): held by {self.holder()}",
                    hint="wait for it to finish and run again; raise policy.advisory_lock_wait to wait longer",
                )
            time.sleep(backoff(attempt, initial=0.05, maximum=0.5, jitter=0.3))
            attempt += 1

    def release(self) -> None:
        if self.held and not self.conn.closed:
            try:
                with self.conn.cursor() as cur:
                    cur.execute("SELECT pg_advisory_unlock(%s)", (self.key,))
            except psycopg.Error:
                pass  # the lock goes with the session anyway
        self.held = False
